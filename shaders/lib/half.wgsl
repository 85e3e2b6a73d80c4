// IEEE binary16 <-> binary32 on the bits, for f16 tensors. They are stored two halves to a u32
// word (element 2k in the low 16 bits), so they need no shader-f16: every adapter reads and
// writes them, and the arithmetic runs in f32 (every f16 is exact in f32), rounded once to f16
// at the end. Integer code, so NaN payloads, signed zeros and subnormals come out exactly on
// every implementation. The CPU twins are in src/cpu/half.ts.

// The f32 bits of the half with bits h (low 16 bits): exact. A NaN keeps its payload (shifted
// up by 13) and sign; a subnormal half becomes a normal f32.
fn half_to_f32_bits(h: u32) -> u32 {
  let sign = (h & 0x8000u) << 16u;
  let e = (h >> 10u) & 0x1fu;
  let m = h & 0x3ffu;
  if (e == 31u) {
    return sign | 0x7f800000u | (m << 13u);
  }
  if (e != 0u) {
    return sign | ((e + 112u) << 23u) | (m << 13u);
  }
  if (m == 0u) {
    return sign;
  }
  // Subnormal: m * 2^-24. Shift m's top bit up to bit 10, the hidden bit.
  let shift = countLeadingZeros(m) - 21u;
  return sign | ((113u - shift) << 23u) | (((m << shift) & 0x3ffu) << 13u);
}

// The half bits (low 16 bits) of the f32 with bits b, rounded to nearest, ties to even: past
// the largest half (65504) by half an ulp or more gives Inf, below half the smallest subnormal
// (2^-25) gives a signed zero. A NaN stays a NaN with its sign and the top 10 bits of its
// payload, quiet bit set (0x7e00 for the default NaN).
fn f32_to_half_bits(b: u32) -> u32 {
  let sign = (b >> 16u) & 0x8000u;
  let e = (b >> 23u) & 0xffu;
  let m = b & 0x7fffffu;
  if (e == 255u) {
    return sign | 0x7c00u | select(0u, 0x200u | (m >> 13u), m != 0u);
  }
  if (e >= 143u) {
    return sign | 0x7c00u;
  }
  if (e >= 113u) {
    // A normal half: drop 13 mantissa bits, rounding; a carry runs into the exponent (to Inf
    // from 65504 + half an ulp).
    let half = ((e - 112u) << 10u) | (m >> 13u);
    let rest = m & 0x1fffu;
    let up = rest > 0x1000u || (rest == 0x1000u && (half & 1u) == 1u);
    return sign | (half + select(0u, 1u, up));
  }
  if (e < 102u) {
    return sign;
  }
  // A subnormal half: the value in units of 2^-24 is (m | hidden) >> (126 - e), rounded; a carry
  // to 0x400 is the smallest normal.
  let significand = m | 0x800000u;
  let shift = 126u - e;
  let q = significand >> shift;
  let rest = significand & ((1u << shift) - 1u);
  let halfway = 1u << (shift - 1u);
  let up = rest > halfway || (rest == halfway && (q & 1u) == 1u);
  return sign | (q + select(0u, 1u, up));
}
