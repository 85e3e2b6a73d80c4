// Types of bench/timing.mjs, for bench/browser/page.ts.

export interface Timing {
  median: number;
  min: number;
  max: number;
  reps: number;
  batch: number;
}

/** One result row; `ratio` is filled later by report.mjs's addRatios(). */
export interface Row {
  section: string;
  name: string;
  ours: boolean;
  n: number;
  medianMs: number;
  minMs: number;
  maxMs: number;
  reps: number;
  batch: number;
  gelemPerS: number;
  gbPerS: number;
  against?: string;
  note?: string;
}

export function benchData(n: number): Float32Array<ArrayBuffer>;
export function benchHalves(n: number): Uint16Array<ArrayBuffer>;
export function measure(
  fn: (k: number) => Promise<void>,
  options: { batch: number; reps: number; warmup?: number; setup?: (k: number) => Promise<void> },
): Promise<Timing>;
export function batchFor(n: number): number;
export function row(section: string, name: string, n: number, bytesMoved: number, t: Timing, against?: string, note?: string): Row;
