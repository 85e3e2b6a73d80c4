// GELU, attribute approximate (params.attrs.x: 0 = 'none', the default; 1 = 'tanh'), following
// PyTorch's GeluKernelImpl and GeluBackwardKernelImpl:
//   'none': y = x * Phi(x) = 0.5 x (1 + erf(x / sqrt2))     dx = dy * (Phi(x) + x * phi(x))
//   'tanh': y = 0.5 x (1 + tanh(z)), z = sqrt(2/pi) (x + 0.044715 x^3)
//           dx = dy * (0.5 (1 + tanh z) + 0.5 x (1 - tanh^2 z) sqrt(2/pi) (1 + 3 * 0.044715 x^2))
// with Phi, phi the standard normal CDF and density (shaders/lib/erf.wgsl).
//
// Special values. NaN gives NaN both ways. At the infinities we return the limits, where
// PyTorch's arithmetic gives NaN (Inf * 0): gelu(+Inf) = +Inf, gelu(-Inf) = -0, and the
// gradient is 1 at +Inf (dx = dy) and exactly 0 at -Inf (dx = dy * 0: the signed zero, NaN for
// an infinite or NaN dy). Far out on the left (x <= -14 for 'none'; |u| > 104, i.e.
// x < -10.68, for 'tanh') y is 0: the true value is below the smallest normal there. dx is not
// cut off: dy * gradient * exp(...) is formed without dy meeting a factor that underflows on its
// own (accurate_mul2_exp, lib/exp.wgsl), so a large |dy| keeps dx right down to x = -40
// ('none') and -14 ('tanh'), where x is clamped, beyond which even the largest dy gives a dx
// below half the smallest subnormal; the gradient being nonzero and negative for every finite
// x there, an infinite dy gives the infinity of the product's sign, as lib/exp.wgsl's rule for
// infinities says. Large positive x gives y = x, dx = dy.
//
// Compilers. Both adapters here compile float arithmetic with reassociation (measured: on
// SwiftShader and on lavapipe (x + 1e8) - 1e8 gives x and (a + b) - a gives b), neither fuses
// fma() (fma(a, b, c) is a * b + c rounded twice on both), and Dekker's product
// (exp_lib_prod_err, Veltkamp's split by 4097) is exact on both. They reassociate differently,
// though: a chain that SwiftShader happened to leave in order, lavapipe (Mesa NIR) reorders. So
// nothing here relies on the order of a float sum; where an order matters (a two-sum's error
// term, 1 + v in the tanh gradient) the partial result goes through gelu_opaque, a select on
// x's bits that no compiler can see through. (Also not (x - X0_HI) - X0_LO below, which folds
// the two constants into one.)
//
// 'none'. With a = |x| and M(a) = Q(a) exp(a^2 / 2) (Q = 1 - Phi, shaders/lib/erf.wgsl):
//   |x| < 0.5:  y = x * (1/2 + x P(x^2))                 dx = dy * (Phi(x) + x * phi(x))
//   x >= 0.5:   y = x * (1 - exp(-a^2/2) M(a))           dx = dy * (1 - exp(-a^2/2) (M(a) - a/sqrt(2 pi)))
//   x <= -0.5:  y = exp(-a^2/2) * (x M(a))               dx = exp(-a^2/2) * (dy (M(a) - a/sqrt(2 pi)))
// The Gaussian factor is exact-argument exp (erf_lib_exp_scaled) with the other factors folded
// in before its power of two, so nothing normal flushes on the way. Phi(x) + x phi(x) has a zero
// at x0 = -0.75179152469356..., where the two terms (~0.227 each) cancel; computed as written it
// would lose all relative accuracy near x0 (and loses ~6 ULP still at x = -0.5). On
// [-1.5, -0.25] the gradient is instead t * L(t) + C0, t = x - X0_HI (exact, Sterbenz),
// X0_HI = x0 rounded to f32, C0 the gradient at X0_HI (~-5e-9) and L a degree-11 fit, so the
// gradient keeps a few ULP right up to its zero: near it t * L(t) and C0 cancel, but C0 is tiny
// and so is its rounding error.
//
// 'tanh'. 0.5 (1 + tanh z) = sigmoid(2z) = s, and 1 - tanh^2 z = 4 s (1 - s), so with
// u = 2z = x (C1 + C2 x^2), C1 = 2 sqrt(2/pi), C2 = C1 * 0.044715:
//   y = x * s          dx = dy * s * (1 + x (1 - s) (C1 + 3 C2 x^2))
// s and 1 - s come from e = exp(-|u|) (accurate_exp2k from shaders/lib/exp.wgsl, of a
// non-positive argument, so it never overflows): 1/(1 + e) and e/(1 + e). exp turns an absolute
// error in u into a relative one in y: u rounded to f32 (~|u| 2^-24 off, |u| up to 87) would
// cost ~60 ULP at x ~ -8 and ~190 ULP near x = -9.8. So u is computed as a pair hi + lo
// (gelu_tanh_argument, ~2^-40 relative) and lo goes into exp's reduced argument. Where u < -64
// the exp carries an extra 2^32 (accurate_exp2k's shift) and the result is scaled by 2^-32
// last, so that a y that is normal is not flushed on the way; dx on the left is dy * factor *
// exp(u) in one accurate_mul2_exp (gelu_tanh_backward). The gradient is formed so
// that its one cancellation is a single rounding (see gelu_tanh_backward), and its zero
// (x0' = -0.75246142207101...) gets the same local fit as 'none'.
//
// Accuracy, measured against float64 over the sweep (every exponent and sign, the gradients'
// zeros and their f32 neighbours, the piece boundaries, the left tails down to the flush) and
// over 10^5 random points in each of [-14.5, 14.5], [-12, -8], [-6, 6] and [-1.6, 0.1]
// (backward also 2 * 10^5 points in [-14.5, -8], [-20, -0.5], [-14.5, 14.5] with dy over every
// finite f32: 4 ULP on both, 'tanh' 2-3 on SwiftShader):
//   SwiftShader  'none' forward 4 (sweep 2), backward 4 (sweep 2-3); 'tanh' 3 (2), 4 (3)
//   lavapipe     'none' forward 4 (sweep 2), backward 4 (sweep 2-3); 'tanh' 4 (2), 4 (3)
// The remaining difference is exp.wgsl's: on lavapipe accurate_exp is 1 ULP off for ~38% of
// arguments (SwiftShader ~10%), as NIR reassociates its final 1 + expm1(r). The op's stated
// bound (src/ops/gelu.ts) covers both forms.

// X0_HI: x0 rounded to f32; ZERO_C0: the gradient at X0_HI (not 0, as X0_HI is not x0).
const GELU_X0_HI: f32 = -0.7517915368080139;
const GELU_ZERO_C0: f32 = -5.227311916655708e-09;
const GELU_TANH_X0_HI: f32 = -0.7524614334106445;
const GELU_TANH_ZERO_C0: f32 = -4.880576831567396e-09;
const GELU_INV_SQRT_2PI: f32 = 0.3989422917366028;
const GELU_C1: f32 = 1.5957691669464111;
const GELU_C1_LO: f32 = -4.534068054340423e-08;
const GELU_C2: f32 = 0.07135481387376785;
const GELU_C2_LO: f32 = 2.3988324659995897e-09;
const GELU_3C2: f32 = 0.21406444907188416;

fn gelu_is_tanh() -> bool {
  return params.attrs.x != 0.0;
}

// (Phi(x) + x phi(x) - ZERO_C0) / t on [-1.5, -0.25], t = x - X0_HI, as a polynomial in t.
fn gelu_erf_zero_fit(t: V) -> V {
  var p = V(1.0960802683257498e-06);
  p = p * t + V(8.649534720461816e-05);
  p = p * t + V(0.00017856086196843535);
  p = p * t + V(-0.0007471485296264291);
  p = p * t + V(-0.0022377679124474525);
  p = p * t + V(0.004539920948445797);
  p = p * t + V(0.01942150667309761);
  p = p * t + V(-0.014771596528589725);
  p = p * t + V(-0.11400822550058365);
  p = p * t + V(-0.01819966919720173);
  p = p * t + V(0.38828498125076294);
  p = p * t + V(0.43149399757385254);
  return p;
}

// The same for the tanh form's gradient, about its zero x0'.
fn gelu_tanh_zero_fit(t: V) -> V {
  var p = V(-2.114024255206459e-06);
  p = p * t + V(0.00012798736861441284);
  p = p * t + V(0.00024449831107631326);
  p = p * t + V(-0.0009341070544905961);
  p = p * t + V(-0.0024184484500437975);
  p = p * t + V(0.0052629089914262295);
  p = p * t + V(0.0196819044649601);
  p = p * t + V(-0.016619520261883736);
  p = p * t + V(-0.11394446343183517);
  p = p * t + V(-0.01578284241259098);
  p = p * t + V(0.38751843571662903);
  p = p * t + V(0.4304000735282898);
  return p;
}

// true where x <= limit, on ordered keys (exact for every x but NaN).
fn gelu_at_most(x: V, limit: f32) -> B {
  return ordered_key(bitcast<U>(x)) <= ordered_key(U(bitcast<u32>(limit)));
}

// true where x = -Inf (on the bits).
fn gelu_is_neg_inf(x: V) -> B {
  return bitcast<U>(x) == U(0xff800000u);
}

// true where -1.5 <= x <= -0.25: the gradient's zero-fit interval.
fn gelu_near_zero(x: V) -> B {
  return gelu_at_most(x, -0.25) & !gelu_at_most(x, -1.5000001);
}

fn gelu_erf_forward(x: V) -> V {
  let a = min(abs(x), V(16.0));
  let sq = erf_lib_neg_square(a, 0.5);
  let m = erf_lib_mills(max(a, V(0.5)));
  let small = x * (V(0.5) + x * erf_lib_cdf_small(x * x));
  let right = x * (V(1.0) - erf_lib_exp_scaled(sq.hi, sq.lo, m));
  let left = erf_lib_exp_scaled(sq.hi, sq.lo, x * m);
  let y = select(select(left, right, x > V(0.0)), small, a < V(0.5));
  return select_bits(y, bitcast<V>(bitcast<U>(x) & U(0x80000000u)), gelu_at_most(x, -14.0));
}

// Mills' ratio M(a) = Q(a) exp(a^2/2) beyond a = 16, from its asymptotic series
// (1 / sqrt(2 pi)) (1/a) (1 - 1/a^2 + 3/a^4 - 15/a^6 + 105/a^8), whose next term is below 2^-24 there.
fn gelu_mills_far(a: V) -> V {
  let r = V(1.0) / (a * a);
  return V(GELU_INV_SQRT_2PI) / a * (V(1.0) + r * (V(-1.0) + r * (V(3.0) + r * (V(-15.0) + r * V(105.0)))));
}

fn gelu_erf_backward(x: V, dy: V) -> V {
  let a = min(abs(x), V(16.0));
  let sq = erf_lib_neg_square(a, 0.5);
  let m = erf_lib_mills(max(a, V(0.5)));
  let density = erf_lib_exp_scaled(sq.hi, sq.lo, x * V(GELU_INV_SQRT_2PI));
  let small = dy * ((V(0.5) + x * erf_lib_cdf_small(x * x)) + density);
  // The gradient exceeds 1 on the right (up to 1.13), so a subnormal dy can give a normal dx,
  // which a flushing adapter would lose in dy * gradient: exact_mul (lib/exact.wgsl).
  let right = exact_mul(V(1.0) - erf_lib_exp_scaled(sq.hi, sq.lo, m - a * V(GELU_INV_SQRT_2PI)), dy);
  // Left of -0.5: dy * (M(a) - a/sqrt(2 pi)) * exp(-a^2/2), without forming the first product,
  // which overflows for |dy| near the largest floats although dx is finite (accurate_mul2_exp,
  // lib/exp.wgsl); a runs to 40 here, M(a) from its asymptotic series beyond 16, since a large dy
  // keeps dx normal well past the point where the gradient alone underflows.
  let far = min(abs(x), V(40.0));
  let far_sq = erf_lib_neg_square(far, 0.5);
  let far_m = select(m, gelu_mills_far(far), far > V(16.0));
  // Below -40 (a clamped to 40) even the largest dy gives a dx far below the smallest subnormal,
  // and accurate_mul2_exp rounds it to the signed zero; but the gradient there is still a
  // nonzero negative number, so an infinite dy gives the infinity of the product's sign and NaN
  // stays NaN. At x = -Inf the gradient is its limit, exactly 0: dy * 0 (NaN for an infinite dy).
  let far_g = select_bits(far_m - far * V(GELU_INV_SQRT_2PI), V(0.0), gelu_is_neg_inf(x));
  let left = accurate_mul2_exp(dy, far_g, far_sq.hi, far_sq.lo);
  let t = x - V(GELU_X0_HI);
  let zero = dy * (t * gelu_erf_zero_fit(t) + V(GELU_ZERO_C0));
  let dx = select(select(left, right, x > V(0.0)), small, a < V(0.5));
  return select(dx, zero, gelu_near_zero(x));
}

// v itself, but through a select on x's bits that no compiler can see through (it differs from
// v only where x is NaN, whose result is replaced by x anyway). Both compilers reassociate
// float sums, and lavapipe's (Mesa NIR) was measured to fold the error term of a two-sum,
// b - ((a + b) - a), to 0 unless a + b and its difference with a are kept like this.
fn gelu_opaque(v: V, x: V) -> V {
  return select_bits(v, x, is_nan_bits(bitcast<U>(x)));
}

// A value as hi + lo, |lo| at most about an ULP of hi.
struct GeluPair {
  hi: V,
  lo: V,
}

// a + b for a, b of the same sign, as a pair; b_larger: |b.hi| >= |a.hi| (Fast2Sum, which
// wants the larger first; x is for gelu_opaque).
fn gelu_add(a: GeluPair, b: GeluPair, b_larger: B, x: V) -> GeluPair {
  let larger = select(a.hi, b.hi, b_larger);
  let smaller = select(b.hi, a.hi, b_larger);
  let hi = gelu_opaque(larger + smaller, x);
  let err = smaller - gelu_opaque(hi - larger, x);
  return GeluPair(hi, err + (a.lo + b.lo));
}

// The tanh form's u = x (C1 + C2 x^2) = P + Q, P = C1 x, Q = C2 x^3, as pairs to about 2^-40
// relative, for |x| <= 14: x^2, x^3 and the products with the constants' f32 parts are exact
// pairs (Dekker, exp_lib_prod_err), and the constants are pairs too (C1 = C1 + C1_LO). P and Q
// have x's sign; |Q| >= |P| where x^2 >= C1 / C2 = 1 / 0.044715.
struct GeluTanhArgument {
  u: GeluPair,
  q: GeluPair,
  q_larger: B,
}

fn gelu_tanh_argument(x: V) -> GeluTanhArgument {
  let x2 = x * x;
  let x2_err = exp_lib_prod_err(x, x, x2);
  let x3 = x2 * x;
  let x3_err = exp_lib_prod_err(x2, x, x3) + x2_err * x;
  let q = V(GELU_C2) * x3;
  let q_err = exp_lib_prod_err(V(GELU_C2), x3, q) + (V(GELU_C2) * x3_err + V(GELU_C2_LO) * x3);
  let p = V(GELU_C1) * x;
  let p_err = exp_lib_prod_err(V(GELU_C1), x, p) + V(GELU_C1_LO) * x;
  let q_larger = x2 >= V(22.36386);
  let qp = GeluPair(q, q_err);
  return GeluTanhArgument(gelu_add(GeluPair(p, p_err), qp, q_larger, x), qp, q_larger);
}

// The tanh form's pieces: e = exp(-|u|), d = 1 + e, and s = sigmoid(u) (e / d or 1 / d),
// 1 - s (1 / d or e / d). Where u < -64, e and s come back scaled by 2^32, with `scale` = 2^-32
// to apply after the other factors (elsewhere scale is 1), so that nothing normal is flushed on
// the way; d and 1 - s are never scaled. Past |u| = 104 (|x| > 10.68) e is 0 (s is 0 or 1); x
// is clamped to +-14 (|u| = 218), where the gradient's left tail (gelu_tanh_backward) ends.
struct GeluSigmoid {
  x: V,
  e: V,
  d: V,
  s: V,
  one_minus_s: V,
  scale: V,
  positive: B,
  argument: GeluTanhArgument,
}

fn gelu_sigmoid(x: V) -> GeluSigmoid {
  // Clamped, so that the products in gelu_tanh_argument stay finite (and NaN becomes a number).
  let xc = clamp(x, V(-14.0), V(14.0));
  let a = gelu_tanh_argument(xc);
  let u = a.u;
  let positive = bitcast<S>(bitcast<U>(u.hi)) >= S(0);
  let far = abs(u.hi) > V(64.0);
  // exp(-|u|) = exp(-|hi| -+ lo): the low part goes into exp's reduced argument.
  let e_scaled = accurate_exp2k(-abs(u.hi), select(u.lo, -u.lo, positive), select(S(0), S(32), far));
  let e = select_bits(e_scaled, V(0.0), (bitcast<U>(u.hi) & U(0x7fffffffu)) > U(0x42d00000u)); // |u| > 104
  let scale = select(V(1.0), V(2.3283064365386963e-10), far);
  let e_true = e * scale;
  let d = V(1.0) + e_true;
  let big = V(1.0) / d;
  let s = select(e / d, big, positive);
  let one_minus_s = select(big, e_true / d, positive);
  return GeluSigmoid(xc, e, d, s, one_minus_s, select(V(1.0), scale, !positive), positive, a);
}

fn gelu_tanh_forward(x: V) -> V {
  let g = gelu_sigmoid(x);
  let y = (x * g.s) * g.scale;
  // x = -Inf: s = 0 and x * s would be NaN; the limit is -0.
  return select_bits(y, V(-0.0), gelu_at_most(x, -3.4028234663852886e38));
}

// With v = x (C1 + 3 C2 x^2) = u + 2Q (a pair, from the argument's pairs; 2Q exact), the
// gradient is s (1 + v (1 - s)):
//   u >= 0:  (1 + v e / d) / d, no cancellation;
//   u < 0:   e (d + v) / d^2 = e n / d^2, n = (1 + v.hi) + (v.lo + e), where 1 + v.hi is exact
//            (v <= -0.5 wherever it matters) and d^2 = 1 + e (2 + e), so that n, the one
//            place where terms cancel, is a single rounding of exact parts.
// On the left dx = dy * (n / d^2) * exp(u) is formed by accurate_mul2_exp (lib/exp.wgsl), with
// u = hi + lo exact to its reduced argument: dy never meets a factor that underflows or
// overflows on its own, so a large |dy| keeps dx right (1e-22 at x = -11.78 for dy = -2e34)
// all the way down to x = -14 (u = -218), past which even the largest dy times the gradient is
// below half the smallest subnormal; x is clamped there, which still gives the signed zero for
// finite dy and, the gradient being nonzero and negative, the infinity of the product's sign for
// an infinite dy. At x = -Inf the gradient is its limit, exactly 0: dy * 0 (NaN for an infinite
// dy). Where 1 - s = 0 (u > 104; xc is clamped, so v is finite) the result is exactly dy * s = dy.
fn gelu_tanh_backward(x: V, dy: V) -> V {
  let g = gelu_sigmoid(x);
  let a = g.argument;
  let v = gelu_add(a.u, GeluPair(V(2.0) * a.q.hi, V(2.0) * a.q.lo), a.q_larger, g.x);
  // On the right the gradient exceeds 1 (up to 1.13): a subnormal dy may give a normal dx.
  let right = exact_mul((V(1.0) + v.hi * g.one_minus_s) * g.s, dy);
  let e_true = g.e * g.scale;
  let n = gelu_opaque(V(1.0) + v.hi, g.x) + (v.lo + e_true);
  let factor = select_bits(n / (V(1.0) + e_true * (V(2.0) + e_true)), V(0.0), gelu_is_neg_inf(x));
  let left = accurate_mul2_exp(dy, factor, a.u.hi, a.u.lo);
  let t = x - V(GELU_TANH_X0_HI);
  let zero = dy * (t * gelu_tanh_zero_fit(t) + V(GELU_TANH_ZERO_C0));
  return select(select(left, right, g.positive), zero, gelu_near_zero(x));
}

fn forward(x: V) -> V {
  let y = select(gelu_erf_forward(x), gelu_tanh_forward(x), gelu_is_tanh());
  return select_bits(y, x, is_nan_bits(bitcast<U>(x)));
}

fn backward(x: V, dy: V) -> V {
  let dx = select(gelu_erf_backward(x, dy), gelu_tanh_backward(x, dy), gelu_is_tanh());
  return select_bits(dx, x, is_nan_bits(bitcast<U>(x)));
}
