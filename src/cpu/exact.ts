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
