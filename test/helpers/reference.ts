import { bitsOf, toBits } from './float.js';

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
