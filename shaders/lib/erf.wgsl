// The error function and the normal distribution in f32, accurate to a few ULP over the whole
// range, for gelu. Written against the preamble's aliases (V = T or vec4<T>; U, S, B the u32, i32
// and bool of the same shape). WGSL has no erf, and the textbook approximations (Abramowitz and
// Stegun 7.1.26 and kin) are only good to ~1e-7 absolute, useless in the tails.
//
// Everything is built on the standard normal distribution, with Phi(x) its CDF and
// Q(a) = 1 - Phi(a) = Phi(-a) = erfc(a / sqrt2) / 2:
//   |x| < 0.5:  Phi(x) = 1/2 + x * P(x^2), P a degree-4 fit (relative error < 1e-8).
//   a >= 0.5:   Q(a) = exp(-a^2 / 2) * M(a), M(a) = Q(a) * exp(a^2 / 2) (Mills' ratio over
//               sqrt(2 pi)), a smooth, slowly varying function fitted in four pieces:
//               [0.5, 1.5] and [1.5, 3] as degree-8 polynomials in (a - centre) * scale,
//               [3, 6] and [6, 16] as degree-8 polynomials in 1/a, divided by a. Each piece is
//               within about 1.3 ULP of M when evaluated in f32 (measured against mpmath).
// The coefficients were fitted (weighted least squares towards minimax) on 2000 Chebyshev
// nodes against mpmath at 40 digits; see erf_lib_mills.
//
// The Gaussian factor decides the accuracy in the tails: exp(-a^2 / 2) for a = 13 is
// exp(-84.5), and an error of one ULP in a^2 / 2 (~1e-5 there) would be a relative error of
// 1e-5, ~100 ULP. So the exponent is kept exact as hi + lo (erf_lib_neg_square: a_hi is a with
// its low 12 mantissa bits cleared, so a_hi^2 is exact, and a^2 - a_hi^2 = (a - a_hi)(a + a_hi)
// is small), and exp(hi + lo) is our own (erf_lib_exp_scaled): Cody-Waite reduction by ln2 in
// two parts, a degree-7 Taylor polynomial on |r| < 0.35, and the power of two applied last, in
// two normal halves, after the caller's factor, so that a result that is normal is never
// flushed on the way (SwiftShader flushes subnormal operands and results). The builtin exp is
// not used: WGSL allows it 3 + 2|x| ULP, and on SwiftShader it is about that bad for large |x|.
//
// Results that fall below the smallest normal may be flushed to zero. Measured on SwiftShader
// against mpmath over 70000 points (|t| from 1e-30 to 11, both signs): accurate_erf within
// 2.6 ULP, accurate_erfc within 3.5 ULP; on SwiftShader and lavapipe alike over 20000 points
// (|t| from 1e-6 to 11): both within 3 ULP. gelu's uses, see shaders/activations/gelu.wgsl.
//
// Both adapters compile with reassociation ((x + 1e8) - 1e8 gives x, and (x - c1) - c2 becomes
// x - (c1 + c2)), and reorder longer sums each its own way, so nothing here relies on the
// order of a sum of a variable and constants (the splits go through the bits), and where the
// order of a sum matters (erf_lib_exp_scaled) a select on the bits keeps it.

// -(scale * a^2) as hi + lo, exact in hi; scale a power of two. a >= 0, not huge (callers clamp).
struct ErfLibSquare {
  hi: V,
  lo: V,
}

fn erf_lib_neg_square(a: V, scale: f32) -> ErfLibSquare {
  let a_hi = bitcast<V>(bitcast<U>(a) & U(0xfffff000u));
  return ErfLibSquare(-V(scale) * (a_hi * a_hi), -V(scale) * ((a - a_hi) * (a + a_hi)));
}

// 2^k for k in [-126, 127], from the bits.
fn erf_lib_pow2(k: S) -> V {
  return bitcast<V>(U(k + S(127)) << U(23u));
}

// factor * exp(hi + lo) for hi in [-130, 1], |lo| < 0.01; the power of two is applied after
// the factor. k = round(hi / ln2), r = hi - k ln2 + lo, with ln2 = LN2_HI + LN2_LO and LN2_HI
// holding 15 significant bits, so k * LN2_HI is exact and hi - k * LN2_HI is exact (Sterbenz).
fn erf_lib_exp_scaled(hi: V, lo: V, factor: V) -> V {
  let k = round(hi * V(1.4426950408889634));
  // hi - k * LN2_HI is exact and small; lo must be added to it, not to hi (hi + lo rounds to an
  // ULP of hi, up to 2^-17: 60 ULP in the result). Both compilers reassociate the sum of four
  // terms; lavapipe's (Mesa NIR) was measured to form hi + lo first. The select on hi's bits (a
  // no-op but for NaN, whose result is replaced anyway) is a barrier no compiler sees through.
  let reduced = select_bits(hi - k * V(0.693145751953125), hi, is_nan_bits(bitcast<U>(hi)));
  let r = reduced + (lo - k * V(1.428606765330187e-6));
  var p = V(1.0 / 5040.0);
  p = p * r + V(1.0 / 720.0);
  p = p * r + V(1.0 / 120.0);
  p = p * r + V(1.0 / 24.0);
  p = p * r + V(1.0 / 6.0);
  p = p * r + V(0.5);
  p = p * r + V(1.0);
  p = p * r + V(1.0);
  let ki = S(k);
  let k1 = ki / S(2);
  return ((p * factor) * erf_lib_pow2(k1)) * erf_lib_pow2(ki - k1);
}

// (Phi(x) - 1/2) / x as a polynomial in w = x^2, for |x| <= 0.5.
fn erf_lib_cdf_small(w: V) -> V {
  var p = V(0.00010969245340675116);
  p = p * w + V(-0.001186082256026566);
  p = p * w + V(0.009973445907235146);
  p = p * w + V(-0.06649037450551987);
  p = p * w + V(0.3989422917366028);
  return p;
}

// One coefficient of the piece each lane falls in: [0.5, 1.5), [1.5, 3), [3, 6), [6, 16].
fn erf_lib_pick(c0: f32, c1: f32, c2: f32, c3: f32, p1: B, p2: B, p3: B) -> V {
  return select(select(select(V(c0), V(c1), p1), V(c2), p2), V(c3), p3);
}

// M(a) = Q(a) * exp(a^2 / 2) for a in [0.5, 16] (callers clamp a into that range).
fn erf_lib_mills(a: V) -> V {
  let p1 = a >= V(1.5);
  let p2 = a >= V(3.0);
  let p3 = a >= V(6.0);
  let inverse = V(1.0) / a;
  // The polynomial variable: (a - 1) * 2 on [0.5, 1.5], (a - 2.25) * 4/3 on [1.5, 3], 1/a beyond.
  let s = select((a - select(V(1.0), V(2.25), p1)) * select(V(2.0), V(1.3333333730697632), p1), inverse, p2);
  var m = erf_lib_pick(3.566388215858751e-07, 5.665423259415547e-07, 0.7021245956420898, 3.758334159851074, p1, p2, p3);
  m = m * s + erf_lib_pick(-2.510118292775587e-06, -3.274327809776878e-06, -3.5261597633361816, 3.139286994934082, p1, p2, p3);
  m = m * s + erf_lib_pick(1.585330392117612e-05, 1.680229433986824e-05, 6.280414581298828, -2.7306511402130127, p1, p2, p3);
  m = m * s + erf_lib_pick(-9.88566389423795e-05, -8.840630471240729e-05, -5.669732570648193, -1.1720774173736572, p1, p2, p3);
  m = m * s + erf_lib_pick(0.0005784605164080858, 0.00044510516454465687, 2.6223092079162598, 1.388875126838684, p1, p2, p3);
  m = m * s + erf_lib_pick(-0.0031357244588434696, -0.00212261569686234, -0.22360263764858246, -0.018092524260282516, p1, p2, p3);
  m = m * s + erf_lib_pick(0.0155267883092165, 0.009532895870506763, -0.3769886791706085, -0.39793476462364197, p1, p2, p3);
  m = m * s + erf_lib_pick(-0.0686819925904274, -0.039919063448905945, -0.0012420048005878925, -3.089568417635746e-05, p1, p2, p3);
  m = m * s + erf_lib_pick(0.2615782916545868, 0.15365193784236908, 0.3989733159542084, 0.3989426791667938, p1, p2, p3);
  return m * select(V(1.0), inverse, p2);
}

// erf(t) and erfc(t) through the normal distribution: erfc(t) = 2 Q(t sqrt2) for t >= 0, where
// the Gaussian factor exp(-t^2) is taken from t itself (exact) and only Mills' ratio, which
// varies slowly, sees the rounded t * sqrt2. erfc(t) = 2 - erfc(-t). NaN gives NaN.
fn accurate_erfc(t: V) -> V {
  let a = min(abs(t), V(11.0));
  let x = a * V(1.4142135623730951);
  let small = V(1.0) - V(2.0) * x * erf_lib_cdf_small(x * x);
  let sq = erf_lib_neg_square(a, 1.0);
  let tail = erf_lib_exp_scaled(sq.hi, sq.lo, V(2.0) * erf_lib_mills(max(x, V(0.5))));
  let upper = select(tail, small, x < V(0.5));
  let negative = bitcast<S>(bitcast<U>(t)) < S(0);
  return select_bits(select(upper, V(2.0) - upper, negative), t, is_nan_bits(bitcast<U>(t)));
}

fn accurate_erf(t: V) -> V {
  let a = min(abs(t), V(11.0));
  let x = a * V(1.4142135623730951);
  // |erf(t)| = 2 x P(x^2) for x < 0.5, else 1 - erfc(a); the sign of t restored on the bits.
  let small = V(2.0) * (abs(t) * V(1.4142135623730951)) * erf_lib_cdf_small(x * x);
  let sq = erf_lib_neg_square(a, 1.0);
  let large = V(1.0) - erf_lib_exp_scaled(sq.hi, sq.lo, V(2.0) * erf_lib_mills(max(x, V(0.5))));
  let magnitude = select(large, small, x < V(0.5));
  let signed = bitcast<V>(bitcast<U>(magnitude) | (bitcast<U>(t) & U(0x80000000u)));
  return select_bits(signed, t, is_nan_bits(bitcast<U>(t)));
}
