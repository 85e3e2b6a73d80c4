// What every kernel file of the CPU backend's WebAssembly SIMD module decides f32 bits with
// (kernels.ts, softmax.ts): the bit patterns, ordered keys and NaN tests, on one lane and on four.

export const SIGN: i32 = 0x80000000;
export const ABS: i32 = 0x7fffffff;
export const INF: i32 = 0x7f800000;
export const QUIET_NAN: i32 = 0x7fc00000;

// A key that orders non-NaN f32 bit patterns like their values under a signed compare: negative
// numbers map to minus their magnitude, so -0 and +0 both map to 0.
@inline
export function keyOf(b: i32): i32 {
  const m = b & ABS;
  return b < 0 ? -m : m;
}

@inline
export function isNan(b: i32): bool {
  return (b & ABS) > INF;
}

// The same, four lanes at a time: sign is all ones for negative lanes, and (m ^ sign) - sign
// negates exactly those.
@inline
export function keyOf4(b: v128): v128 {
  const sign = i32x4.shr_s(b, 31);
  return i32x4.sub(v128.xor(v128.and(b, i32x4.splat(ABS)), sign), sign);
}

@inline
export function isNan4(b: v128): v128 {
  return i32x4.gt_s(v128.and(b, i32x4.splat(ABS)), i32x4.splat(INF));
}
