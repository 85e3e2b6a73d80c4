import { bitsOf, fromBits, toBits } from './float.js';

// Independent float64 references, written from the definitions (not from the kernels' bit
// tricks): compare in float64, and a NaN result keeps the input NaN's bits.

/** relu in float64: x > 0 ? x : 0, NaN stays the same NaN. */
export function reluReference(x: Float32Array): Uint32Array {
  const xb = bitsOf(x);
  return Uint32Array.from(x, (v, i) => (Number.isNaN(v) ? xb[i]! : toBits(v > 0 ? v : 0)));
}

/** relu gradient in float64: x > 0 or x is NaN ? dy : 0 (PyTorch's threshold_backward). */
export function reluGradReference(x: Float32Array, dy: Float32Array): Uint32Array {
  const db = bitsOf(dy);
  return Uint32Array.from(x, (v, i) => (v > 0 || Number.isNaN(v) ? db[i]! : 0));
}

/**
 * The f32 sum of values (given as bits) as a recursive pairwise tree over the length padded with
 * -0 to a power of two (at least 2), each addition in float64 rounded to f32 (the correctly
 * rounded f32 sum); a NaN sum is the quiet NaN. The deterministic sums' definition, written
 * recursively (the kernels and the CPU backend work level by level).
 */
export function pairwiseSum(values: readonly number[]): number {
  if (values.length === 0) return 0;
  let size = 2;
  while (size < values.length) size *= 2;
  const at = (lo: number, hi: number): number => {
    if (hi - lo === 1) return lo < values.length ? fromBits(values[lo]!) : -0;
    const mid = (lo + hi) / 2;
    return Math.fround(at(lo, mid) + at(mid, hi));
  };
  const s = at(0, size);
  return Number.isNaN(s) ? 0x7fc00000 : toBits(s);
}
