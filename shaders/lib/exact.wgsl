// Exact f32 arithmetic for the piecewise-linear ops, on the bits, against the preamble's aliases
// (V = T or vec4<T>; U, S, B the u32, i32 and bool of the same shape).
//
// exact_mul(a, b) is IEEE binary32 a * b, rounded to nearest even, subnormals kept. WGSL makes
// f32 `*` correctly rounded but lets an implementation flush subnormals, and SwiftShader does:
// a subnormal operand or a subnormal result becomes a signed zero (measured: 1e-39 * 0.01,
// 1.5e-38 * 0.5, 1e-10 * 1e-30 and 1 * 1e-40 all give 0). So each lane takes the hardware
// product only where both operands and the product are comfortably normal, and otherwise the
// integer product below:
//
//   a = sa * 2^ka, b = sb * 2^kb, with 24-bit significands sa, sb in [2^23, 2^24) (subnormals
//   normalised with countLeadingZeros). P = sa * sb < 2^48 is built in a (hi, lo) pair of u32s
//   from 16-bit limbs: sa = ah * 2^16 + al (ah < 2^8), so every partial product fits in 32 bits:
//     P = ah*bh * 2^32 + (ah*bl + al*bh) * 2^16 + al*bl
//   The product's top bit is bit `top` (46 or 47), so its value is 2^(top + ka + kb) * 1.f.
//   Rounding drops s low bits of P: s = top - 23 for a normal result (24 significant bits kept),
//   or s = -149 - ka - kb for a subnormal one (units of 2^-149); s = max of the two. The result
//   bits are then ((biased exponent - 1) << 23) + q, where q = round(P >> s) carries the hidden
//   bit: a carry out of the mantissa bumps the exponent, a subnormal q of 2^23 is the smallest
//   normal, and anything at or past 0x7f800000 is an overflow to Inf.
//
// Special operands: a NaN operand comes back with its bits unchanged (a's if both are NaN),
// Inf * 0 gives the quiet NaN 0x7fc00000, Inf * finite is a signed Inf, 0 * finite a signed 0.

// (hi:lo) >> n for n in [1, 63], where the result fits in 32 bits. WGSL takes a runtime shift
// count modulo 32, so each shift is used only where its count is in range.
fn exact_shr64(hi: U, lo: U, n: U) -> U {
  let small = (lo >> n) | (hi << (U(32u) - n));
  let big = hi >> (n - U(32u));
  return select(big, small, n < U(32u));
}

// true where any of the n lowest bits of (hi:lo) is set, n in [1, 63].
fn exact_low_bits_set(hi: U, lo: U, n: U) -> B {
  let from_lo = select(lo, lo << (U(32u) - n), n < U(32u));
  let from_hi = select(U(0u), hi << (U(64u) - n), n > U(32u));
  return (from_lo | from_hi) != U(0u);
}

// The 24-bit significand of a finite non-zero magnitude m, normalised to [2^23, 2^24), and its
// scale k: the value is significand * 2^k.
struct ExactSignificand {
  significand: U,
  scale: S,
}

fn exact_significand(m: U) -> ExactSignificand {
  let e = m >> U(23u);
  let raw = select(m & U(0x7fffffu), (m & U(0x7fffffu)) | U(0x800000u), e != U(0u));
  let shift = countLeadingZeros(raw) - U(8u);
  return ExactSignificand(raw << shift, S(max(e, U(1u))) - S(150) - S(shift));
}

// The bits of a * b, correctly rounded, computed with integers only.
fn exact_mul_bits(a: U, b: U) -> U {
  let sign = (a ^ b) & U(0x80000000u);
  let ma = a & U(0x7fffffffu);
  let mb = b & U(0x7fffffffu);

  let x = exact_significand(ma);
  let y = exact_significand(mb);
  let al = x.significand & U(0xffffu);
  let ah = x.significand >> U(16u);
  let bl = y.significand & U(0xffffu);
  let bh = y.significand >> U(16u);
  let low = al * bl;
  let mid = ah * bl + al * bh;
  let lo = low + (mid << U(16u));
  let hi = ah * bh + (mid >> U(16u)) + select(U(0u), U(1u), lo < low);

  let top = select(S(46), S(47), hi >= U(0x8000u));
  let k = x.scale + y.scale;
  // Past 49 dropped bits nothing reaches half of 2^-149, so q and the round bit are 0 anyway.
  let s = U(min(max(top - S(23), S(-149) - k), S(49)));
  let q = exact_shr64(hi, lo, s);
  let round_bit = exact_shr64(hi, lo, s - U(1u)) & U(1u);
  let sticky = exact_low_bits_set(hi, lo, s - U(1u));
  let up = (round_bit == U(1u)) & (sticky | ((q & U(1u)) == U(1u)));
  let rounded = q + select(U(0u), U(1u), up);
  // Biased exponent of the result; at most 254 keeps the shift below inside u32.
  let biased = top + k + S(127);
  let base = U(clamp(biased - S(1), S(0), S(254))) << U(23u);
  let finite = min(base + rounded, U(0x7f800000u));

  let a_nan = ma > U(0x7f800000u);
  let b_nan = mb > U(0x7f800000u);
  let any_inf = (ma == U(0x7f800000u)) | (mb == U(0x7f800000u));
  let any_zero = (ma == U(0u)) | (mb == U(0u));
  var r = sign | finite;
  r = select(r, sign, any_zero);
  r = select(r, select(sign | U(0x7f800000u), U(0x7fc00000u), any_zero), any_inf);
  r = select(r, select(b, a, a_nan), a_nan | b_nan);
  return r;
}

// a * b as above: the hardware product where operands and result are normal with a biased
// exponent of at least 2 (so no flush can have touched it), else the integer product.
fn exact_mul(a: V, b: V) -> V {
  let hardware = a * b;
  let ea = (bitcast<U>(a) >> U(23u)) & U(0xffu);
  let eb = (bitcast<U>(b) >> U(23u)) & U(0xffu);
  let ep = (bitcast<U>(hardware) >> U(23u)) & U(0xffu);
  let normal = (ea >= U(1u)) & (ea <= U(254u)) & (eb >= U(1u)) & (eb <= U(254u)) & (ep >= U(2u)) & (ep <= U(254u));
  return select_bits(bitcast<V>(exact_mul_bits(bitcast<U>(a), bitcast<U>(b))), hardware, normal);
}

// min(max(x, lo), hi) on ordered keys, as PyTorch's clamp: lo where x <= lo, then hi where
// that is >= hi (their bits, so clamp(-0, +0, 6) is +0; lo > hi gives hi everywhere); a NaN x
// comes back unchanged. No float max/min/compare is involved.
fn exact_clamp(x: V, lo: V, hi: V) -> V {
  let b = bitcast<U>(x);
  let low = select(b, bitcast<U>(lo), ordered_key(b) <= ordered_key(bitcast<U>(lo)));
  let high = select(low, bitcast<U>(hi), ordered_key(low) >= ordered_key(bitcast<U>(hi)));
  return bitcast<V>(select(high, b, is_nan_bits(b)));
}

// The clamp's gradient mask: true where lo < x < hi, or x is NaN (every compare with a NaN is
// false, so PyTorch's `x <= lo || x >= hi ? 0 : dy` passes dy).
fn exact_inside(x: V, lo: V, hi: V) -> B {
  let b = bitcast<U>(x);
  let key = ordered_key(b);
  let inside = (key > ordered_key(bitcast<U>(lo))) & (key < ordered_key(bitcast<U>(hi)));
  return inside | is_nan_bits(b);
}
