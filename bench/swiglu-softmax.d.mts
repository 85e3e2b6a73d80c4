// Types of bench/swiglu-softmax.mjs, for bench/browser/page.ts.
import type * as tfCore from '@tensorflow/tfjs-core';
import type { Activations } from '../src/index.js';
import type { AddRow } from './ours.mjs';

export const SWIGLU_WIDTH: number;
export const SOFTMAX_ROWS: readonly number[];
export const CHECK_LIMIT: number;

export function swigluSoftmaxSizes(sizes: readonly number[]): number[];

/** One output's check against float64: its largest error over its largest value. */
export interface Check {
  name: string;
  error: number;
}
export function checkNote(checks: readonly Check[]): string;

/** A library timed beside ours: tf on one backend, `use` making it tf's backend when given. */
export interface Library {
  name: string;
  tf: typeof tfCore;
  drain: () => Promise<void>;
  use?: () => Promise<unknown>;
}

export function swigluSoftmaxRows(options: {
  n: number;
  ours: { prefix: string; acts: Activations; drain: () => Promise<void> };
  libraries: readonly Library[];
  opts: { batch: number; reps: number };
  add: AddRow;
  checkedCases: Set<string>;
  checked: (name: string, error: number) => void;
}): Promise<void>;
