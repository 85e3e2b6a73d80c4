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

// exact_add_bits(a, b) is the bits of IEEE binary32 a + b, rounded to nearest even, subnormals kept: what the
// deterministic sums (shaders/tree-sum.wgsl) add with, so their bits match the CPU's on every
// adapter. Scalar only. The hardware sum is used where both operands and the sum are normal (or
// the sum overflowed), which no flush can have touched; otherwise (a subnormal operand, a
// subnormal or zero sum) the integer sum below:
//
//   Let A be the operand of larger magnitude, B the other, and d the difference of their
//   exponent fields (a subnormal counts as exponent field 1, with no hidden bit). Each 24-bit
//   significand gets 3 guard bits; B's is shifted right by d with the bits shifted out kept as
//   a sticky bit. Past d = 26, B is below a quarter of A's smallest ulp and A is the result. The
//   sum or difference m is renormalised so its top bit is bit 26 (one right shift after a carry,
//   or left shifts after cancellation, which only happen for d <= 1 where nothing was shifted
//   out), stopping at exponent field 1 (a subnormal result). It is then rounded on its 3 low
//   bits, and ((e - 1) << 23) + q encodes it: q carries the hidden bit, so a rounding carry into
//   bit 24 bumps the exponent and a subnormal q has none.
//
// Special operands, the same on the CPU (src/cpu/exact.ts): any NaN, and Inf - Inf, give the
// quiet NaN 0x7fc00000; -0 + -0 is -0, and an exact cancellation gives +0.
//
// It works on the bits, and so should its callers: with float values in between, a compiler that
// assumes no signed zeros (SwiftShader's does) may turn the -0 that pads a sum into +0.
fn exact_add_bits(ab: u32, bb: u32) -> u32 {
  let hardware = bitcast<f32>(ab) + bitcast<f32>(bb);
  let ea = (ab >> 23u) & 0xffu;
  let eb = (bb >> 23u) & 0xffu;
  let eh = (bitcast<u32>(hardware) >> 23u) & 0xffu;
  let ma = ab & 0x7fffffffu;
  let mb = bb & 0x7fffffffu;
  if (ma > 0x7f800000u || mb > 0x7f800000u) {
    return 0x7fc00000u;
  }
  if (ma == 0x7f800000u || mb == 0x7f800000u) {
    if (ma == mb && ab != bb) {
      return 0x7fc00000u;
    }
    return select(bb, ab, ma == 0x7f800000u);
  }
  if (ma == 0u) {
    return select(bb, ab & bb, mb == 0u);
  }
  if (mb == 0u) {
    return ab;
  }
  if (ea >= 1u && eb >= 1u && eh >= 1u) {
    return bitcast<u32>(hardware);
  }
  // The integer sum: A has the larger magnitude.
  let swap = mb > ma;
  let big = select(ab, bb, swap);
  let small = select(bb, ab, swap);
  let e_big = (big >> 23u) & 0xffu;
  let e_small = (small >> 23u) & 0xffu;
  let d = max(e_big, 1u) - max(e_small, 1u);
  if (d > 26u) {
    return big;
  }
  let sig_big = ((big & 0x7fffffu) | select(0u, 0x800000u, e_big != 0u)) << 3u;
  let sig_small = ((small & 0x7fffffu) | select(0u, 0x800000u, e_small != 0u)) << 3u;
  let lost = sig_small & ((1u << d) - 1u);
  let aligned = (sig_small >> d) | select(0u, 1u, lost != 0u);
  var m = select(sig_big - aligned, sig_big + aligned, ((big ^ small) >> 31u) == 0u);
  if (m == 0u) {
    return 0u;
  }
  var e = max(e_big, 1u);
  if (m >= 0x8000000u) {
    m = (m >> 1u) | (m & 1u);
    e += 1u;
  }
  let shift = min(countLeadingZeros(m) - 5u, e - 1u);
  m <<= shift;
  e -= shift;
  let q = m >> 3u;
  let rest = m & 7u;
  let up = rest > 4u || (rest == 4u && (q & 1u) == 1u);
  let magnitude = min(((e - 1u) << 23u) + q + select(0u, 1u, up), 0x7f800000u);
  return (big & 0x80000000u) | magnitude;
}
