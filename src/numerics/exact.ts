// The CPU twins of shaders/lib/exact.wgsl: exact f32 products and clamps, decided on the bits
// where NaNs are involved so payloads survive (engines may canonicalise NaNs on a store).
import { isNanBits, orderedKey } from './bits.js';

const product = new Float32Array(1);
const productBits = new Uint32Array(product.buffer);

/**
 * The bits of the f32 product a * b, given each operand as its value and its bits: a NaN operand
 * comes back unchanged (a's if both are), Inf * 0 gives the quiet NaN 0x7fc00000, and anything
 * else is the float64 product (exact: 24 x 24 significand bits fit in 53) rounded once to f32,
 * subnormals kept, as exact_mul in the WGSL.
 */
export function exactMulBits(a: number, aBits: number, b: number, bBits: number): number {
  if (isNanBits(aBits)) return aBits;
  if (isNanBits(bBits)) return bBits;
  const p = a * b;
  if (Number.isNaN(p)) return 0x7fc00000;
  product[0] = p;
  return productBits[0]!;
}

/**
 * min(max(x, lo), hi) on the bits, as exact_clamp in the WGSL: lo's bits where x <= lo, then
 * hi's where that is >= hi; a NaN x comes back unchanged.
 */
export function exactClampBits(b: number, loBits: number, hiBits: number): number {
  if (isNanBits(b)) return b;
  const low = orderedKey(b) <= orderedKey(loBits) ? loBits : b;
  return orderedKey(low) >= orderedKey(hiBits) ? hiBits : low;
}

/** The clamp's gradient mask, as exact_inside in the WGSL: lo < x < hi, or x is NaN. */
export function exactInside(b: number, loBits: number, hiBits: number): boolean {
  if (isNanBits(b)) return true;
  const key = orderedKey(b);
  return key > orderedKey(loBits) && key < orderedKey(hiBits);
}

const sum = new Float32Array(3);
const sumBits = new Uint32Array(sum.buffer);

/**
 * The bits of the f32 sum a + b, as exact_add_bits in the WGSL: correctly rounded with subnormals kept
 * (the float64 sum of two f32s rounded once to f32 is the correctly rounded f32 sum), any NaN and
 * Inf - Inf give the quiet NaN 0x7fc00000, -0 + -0 is -0.
 */
export function exactAddBits(aBits: number, bBits: number): number {
  sumBits[0] = aBits;
  sumBits[1] = bBits;
  const s = sum[0]! + sum[1]!;
  if (Number.isNaN(s)) return 0x7fc00000;
  sum[2] = s;
  return sumBits[2]!;
}

/**
 * The deterministic sum of shaders/tree-sum.wgsl over `length` values read by `at(k)` (as f32
 * bits): the perfect binary tree over the values padded with -0 to a power of two (at least 2),
 * adding neighbours level by level with {@link exactAddBits}. -0 is the identity of the sum, so
 * any power-of-two blocking of the GPU's passes gives the same bits. No values give +0.
 */
export function treeSumBits(length: number, at: (k: number) => number): number {
  if (length === 0) return 0;
  let size = 2;
  while (size < length) size *= 2;
  let level = new Uint32Array(size).fill(0x80000000);
  for (let k = 0; k < length; k++) level[k] = at(k);
  while (level.length > 1) {
    const next = new Uint32Array(level.length / 2);
    for (let j = 0; j < next.length; j++) next[j] = exactAddBits(level[2 * j]!, level[2 * j + 1]!);
    level = next;
  }
  return level[0]!;
}
