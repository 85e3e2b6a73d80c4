// Types of bench/ours.mjs, for bench/browser/page.ts.
import type { Activations, Tensor } from '../src/index.js';
import type { Timing } from './timing.mjs';

/** Records one row: name, bytes moved per call, its timing, the row it is compared with, a note. */
export type AddRow = (name: string, bytes: number, t: Timing, against?: string, note?: string) => void;

/** A plain-kernel call over x -> y: encodes `calls` dispatches (default 1) in one pass and submits. */
export type PlainKernel = (x: Tensor, y: Tensor, n: number) => (calls?: number) => void;

export function plainKernel(device: GPUDevice, code: string): PlainKernel;

interface RowsOptions {
  acts: Activations;
  data: Float32Array;
  n: number;
  opts: { batch: number; reps: number };
  plain: PlainKernel;
  add: AddRow;
}

export function gpuRows(options: RowsOptions & { afterForward?: (y: Tensor) => Promise<void> }): Promise<void>;
export function overheadRows(options: RowsOptions): Promise<void>;
