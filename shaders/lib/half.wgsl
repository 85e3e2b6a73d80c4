// IEEE binary16 <-> binary32 on the bits, for f16 tensors. They are stored two halves to a u32
// word (element 2k in the low 16 bits), so they need no shader-f16: every adapter reads and
// writes them, and the arithmetic runs in f32 (every f16 is exact in f32), rounded once to f16
// at the end. Integer code, so NaN payloads, signed zeros and subnormals come out exactly on
// every implementation. The CPU twins are in src/cpu/half.ts.

// Both conversions run four lanes at once and without branches: every case is computed and the
// right one selected. SwiftShader runs invocations as SIMD lanes, where branches that differ
// between lanes cost each lane every path: this form ran f16 relu 1.15x and gelu 1.25x faster
// than a branchy scalar one there (A/B, 2^20 halves), and an early exit for all-normal lanes
// made it slower. Shift amounts past 31 in lanes whose result is not selected are taken modulo
// 32 by WGSL, so they are harmless.

// The f32 bits of the halves with bits h (low 16 bits of each lane): exact. A NaN keeps its
// payload (shifted up by 13) and sign; a subnormal half becomes a normal f32.
fn half4_to_f32_bits(h: vec4<u32>) -> vec4<u32> {
  let sign = (h & vec4<u32>(0x8000u)) << vec4<u32>(16u);
  let e = (h >> vec4<u32>(10u)) & vec4<u32>(0x1fu);
  let m = h & vec4<u32>(0x3ffu);
  let normal = sign | ((e + 112u) << vec4<u32>(23u)) | (m << vec4<u32>(13u));
  let inf_nan = sign | vec4<u32>(0x7f800000u) | (m << vec4<u32>(13u));
  // Subnormal: m * 2^-24. Shift m's top bit up to bit 10, the hidden bit (m = 0 picks sign below).
  let shift = countLeadingZeros(m) - vec4<u32>(21u);
  let subnormal = sign | ((vec4<u32>(113u) - shift) << vec4<u32>(23u)) | (((m << shift) & vec4<u32>(0x3ffu)) << vec4<u32>(13u));
  let tiny = select(subnormal, sign, m == vec4<u32>(0u));
  return select(select(normal, inf_nan, e == vec4<u32>(31u)), tiny, e == vec4<u32>(0u));
}

// The half bits (low 16 bits of each lane) of the f32s with bits b, rounded to nearest, ties to
// even: past the largest half (65504) by half an ulp or more gives Inf, below half the smallest
// subnormal (2^-25) gives a signed zero. A NaN stays a NaN with its sign and the top 10 bits of
// its payload, quiet bit set (0x7e00 for the default NaN).
fn f32_to_half4_bits(b: vec4<u32>) -> vec4<u32> {
  let one = vec4<u32>(1u);
  let sign = (b >> vec4<u32>(16u)) & vec4<u32>(0x8000u);
  let e = (b >> vec4<u32>(23u)) & vec4<u32>(0xffu);
  let m = b & vec4<u32>(0x7fffffu);
  let inf = sign | vec4<u32>(0x7c00u);
  let nan = inf | select(vec4<u32>(0u), vec4<u32>(0x200u) | (m >> vec4<u32>(13u)), m != vec4<u32>(0u));
  // A normal half (e from 113 to 142): drop 13 mantissa bits, rounding; a carry runs into the
  // exponent (to Inf from 65504 + half an ulp).
  let half = ((e - vec4<u32>(112u)) << vec4<u32>(10u)) | (m >> vec4<u32>(13u));
  let rest = m & vec4<u32>(0x1fffu);
  let up = (rest > vec4<u32>(0x1000u)) | ((rest == vec4<u32>(0x1000u)) & ((half & one) == one));
  let normal = sign | (half + select(vec4<u32>(0u), one, up));
  // A subnormal half (e from 102 to 112): the value in units of 2^-24 is (m | hidden) >>
  // (126 - e), rounded; a carry to 0x400 is the smallest normal.
  let significand = m | vec4<u32>(0x800000u);
  let shift = vec4<u32>(126u) - e;
  let q = significand >> shift;
  let rest_s = significand & ((one << shift) - one);
  let halfway = one << (shift - one);
  let up_s = (rest_s > halfway) | ((rest_s == halfway) & ((q & one) == one));
  let subnormal = sign | (q + select(vec4<u32>(0u), one, up_s));
  var r = select(sign, subnormal, e >= vec4<u32>(102u));
  r = select(r, normal, e >= vec4<u32>(113u));
  r = select(r, inf, e >= vec4<u32>(143u));
  return select(r, nan, e == vec4<u32>(255u));
}

// One lane of each, for the conversion kernels (shaders/convert-f16.wgsl).
fn half_to_f32_bits(h: u32) -> u32 {
  return half4_to_f32_bits(vec4<u32>(h)).x;
}

fn f32_to_half_bits(b: u32) -> u32 {
  return f32_to_half4_bits(vec4<u32>(b)).x;
}
