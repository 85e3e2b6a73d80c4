// Accurate exp, expm1, log1p, tanh and sigmoid for f32 (and a * b * exp(x)), written
// against V so one text serves the scalar and the vec4 kernels. WGSL only asks the builtin exp()
// to be within 3 + 2|x| ULP and log() within 2^-21 absolute near 1; SwiftShader's exp really is
// that far off (64 ULP near -85). These use +, -, *, /, fma, round, clamp and integer bit work.
// Measured on SwiftShader against float64 over every exponent and sign plus 1.2M random points:
// exp, expm1, log1p 1 ULP; tanh, sigmoid, a * b * exp(x) 2 ULP.
// NaN is decided on the bits and passed through (the input NaN comes back); results below the
// smallest normal may flush to zero where the implementation flushes.
//
// Two things this code must not lean on, both seen on SwiftShader: fma() is not fused (it is
// a * b + c, rounded twice), so it only ever saves work here, never carries an exact product; and
// the compiler reassociates, folding (1 + x) - 1 to x, so error-free sums of the form (a + b) - a
// are rebuilt from bits (see accurate_log1p). Dekker's product (exp_lib_prod_err) does survive.
// Subnormal operands are read as 0 by SwiftShader's arithmetic: products that must survive that
// use exact_mul (lib/exact.wgsl).
//
// Range reduction (Cody-Waite). x = k*ln2 + r with k = round(x/ln2) and |r| <= ln2/2. ln2 is
// split into EXP_LIB_LN2_HI, whose last 9 mantissa bits are zero so k*HI is exact for |k| < 512,
// and EXP_LIB_LN2_LO = ln2 - HI rounded to f32. x - k*HI is exact (Sterbenz), so r carries only
// the rounding of the last subtraction. exp(x) = 2^k * exp(r); 2^k is built in the exponent bits.

const EXP_LIB_LOG2E: f32 = 1.4426950408889634;
const EXP_LIB_LN2_HI: f32 = 0.693145751953125; // 0x3f317200
const EXP_LIB_LN2_LO: f32 = 1.428606765330187e-6; // 0x35bfbe8e

// r = x - k*ln2 in two steps (both exact but the last rounding; fma only makes it better).
fn exp_lib_reduce(x: V, k: V) -> V {
  return fma(-k, V(EXP_LIB_LN2_LO), fma(-k, V(EXP_LIB_LN2_HI), x));
}

// exp(r) - 1 for |r| <= 0.35: Taylor to r^8/8!, whose truncation error relative to the result is
// below |r|^8/9! < 6e-10 (2^-30). Horner from the top; the leading r is added last, exactly.
fn exp_lib_expm1_poly(r: V) -> V {
  var q = fma(r, V(1.0 / 40320.0), V(1.0 / 5040.0));
  q = fma(r, q, V(1.0 / 720.0));
  q = fma(r, q, V(1.0 / 120.0));
  q = fma(r, q, V(1.0 / 24.0));
  q = fma(r, q, V(1.0 / 6.0));
  q = fma(r, q, V(0.5));
  return fma(r * r, q, r);
}

// 2^k from the exponent bits, for k in [-126, 127].
fn exp_lib_pow2(k: S) -> V {
  return bitcast<V>(U(k + S(127)) << U(23u));
}

// p * 2^k for k in [-252, 254] in two steps, 2^(k >> 1) then 2^(k - (k >> 1)), each a normal
// power of two: for p in [0.5, 4) and k in [-150, 128] the first product is exact and the second
// rounds once, into the subnormals or to Inf when the result is there.
fn exp_lib_scale(p: V, k: S) -> V {
  let k1 = k >> U(1u);
  return p * exp_lib_pow2(k1) * exp_lib_pow2(k - k1);
}

// The rounding error of p = a * b: a*b = p + exp_lib_prod_err(a, b, p) exactly, by Dekker's
// product with Veltkamp's split (4097 = 2^12 + 1), which needs no fused fma. Valid for
// |a|, |b| < 2^100 (the split must not overflow) and products well above the subnormals.
fn exp_lib_split(a: V) -> V {
  let c = V(4097.0) * a;
  return c - (c - a);
}

fn exp_lib_prod_err(a: V, b: V, p: V) -> V {
  let ah = exp_lib_split(a);
  let al = a - ah;
  let bh = exp_lib_split(b);
  let bl = b - bh;
  return (((ah * bh - p) + ah * bl) + al * bh) + al * bl;
}

// exp(x + lo) * 2^shift, x clamped to [-104, 89]: lo is a small correction to x (|lo| well below
// an ULP of x, e.g. the rounding error of a product), added to the reduced argument r, where it is
// kept to an ULP of r. k + shift must stay in [-150, 128].
fn accurate_exp2k(x: V, lo: V, shift: S) -> V {
  let xc = clamp(x, V(-104.0), V(89.0));
  let k = round(xc * EXP_LIB_LOG2E);
  let p = V(1.0) + exp_lib_expm1_poly(exp_lib_reduce(xc, k) + lo);
  return exp_lib_scale(p, S(k) + shift);
}

// exp(x). Below -104 (exp < 2^-150) the result is 0, above 89 it is Inf: the clamp keeps k in
// [-150, 128] for exp_lib_scale. exp(+-Inf) = Inf, 0; NaN stays NaN.
fn accurate_exp(x: V) -> V {
  return select_bits(accurate_exp2k(x, V(0.0), S(0)), x, is_nan_bits(bitcast<U>(x)));
}

// A factor m as mantissa * 2^exponent, mantissa in [1, 2) with m's sign, read from the bits; a
// subnormal m = n * 2^-149 is read through its integer mantissa n (exact in f32), so it too gets
// a mantissa in [1, 2). Meaningless for 0, Inf and NaN, which the callers decide on the bits.
struct ExpLibFactor {
  mantissa: V,
  exponent: S,
}

fn exp_lib_unpack(m: V) -> ExpLibFactor {
  let mb = bitcast<U>(m);
  let biased = (mb & U(0x7fffffffu)) >> U(23u);
  let nb = bitcast<U>(V(mb & U(0x007fffffu)));
  let subnormal = biased == U(0u);
  let exponent = select(S(biased) - S(127), S(nb >> U(23u)) - S(127 + 149), subnormal);
  let mantissa_bits = select(mb, nb, subnormal) & U(0x007fffffu);
  return ExpLibFactor(bitcast<V>((mb & U(0x80000000u)) | mantissa_bits | U(0x3f800000u)), exponent);
}

// a * b * exp(x + lo) with no intermediate overflow or underflow: a = a' * 2^i and b = b' * 2^j
// with a', b' in [1, 2) (signs kept, subnormals included, see exp_lib_unpack), and 2^(i + j)
// folded into exp's own power of two. a' * b' = h + e exactly (Dekker's product); e / h joins
// exp's reduced argument as lo does (exp(x + lo) * (1 + e / h) to 2^-48), so p * h * 2^(k + i + j)
// rounds once more than exp and is right wherever the product is a normal number, even where
// a * b or exp(x) alone would be subnormal, 0 or Inf (dy * alpha * exp(x) with dy = 3e38,
// x * exp(x) at x = -100). x is clamped to [-200, 200] and k + i + j to [-252, 254], where
// exp_lib_scale still gives 0 and Inf (2^-298 * exp(200) and 2^256 * exp(-200) are already out
// of range).
// The special values, decided on the bits, treat exp(x) as what it is, a positive number, finite
// for finite x: where a or b is infinite the result is the infinity with the product's sign for
// every x > -Inf, where a or b is zero it is the signed zero for every x < +Inf, although exp(x)
// alone would round to 0 or to Inf. Only 0 * Inf, Inf * exp(-Inf) = Inf * 0 and
// 0 * exp(+Inf) = 0 * Inf are NaN. NaN in a, b or x gives NaN.
fn accurate_mul2_exp(a: V, b: V, x: V, lo: V) -> V {
  let ab = bitcast<U>(a);
  let bb = bitcast<U>(b);
  let xb = bitcast<U>(x);
  let fa = exp_lib_unpack(a);
  let fb = exp_lib_unpack(b);
  let h = fa.mantissa * fb.mantissa;
  let e = exp_lib_prod_err(fa.mantissa, fb.mantissa, h) / h;
  let xc = clamp(x, V(-200.0), V(200.0));
  let k = round(xc * EXP_LIB_LOG2E);
  let p = V(1.0) + exp_lib_expm1_poly(exp_lib_reduce(xc, k) + (lo + e));
  let kj = clamp(S(k) + fa.exponent + fb.exponent, S(-252), S(254));
  let y = exp_lib_scale(p * h, kj);
  let sign = (ab ^ bb) & U(0x80000000u);
  let zero = ((ab & U(0x7fffffffu)) == U(0u)) | ((bb & U(0x7fffffffu)) == U(0u));
  let infinite = ((ab & U(0x7fffffffu)) == U(0x7f800000u)) | ((bb & U(0x7fffffffu)) == U(0x7f800000u));
  var out = select(bitcast<U>(y), sign, zero);
  out = select(out, sign | U(0x7f800000u), infinite);
  let undefined = (zero & infinite) | (zero & (xb == U(0x7f800000u))) | (infinite & (xb == U(0xff800000u)));
  out = select(out, U(0x7fc00000u), undefined);
  out = select(out, bb, is_nan_bits(bb));
  out = select(out, ab, is_nan_bits(ab));
  out = select(out, xb, is_nan_bits(xb));
  return bitcast<V>(out);
}

// m * exp(x + lo), as accurate_mul2_exp(m, 1, x, lo): right wherever the product is normal, an
// infinite m times exp(x > -Inf) is m, a zero m times exp(x < +Inf) is m; Inf * exp(-Inf) and
// 0 * exp(+Inf) are NaN.
fn accurate_mul_exp(m: V, x: V, lo: V) -> V {
  return accurate_mul2_exp(m, V(1.0), x, lo);
}

// exp(x) - 1, accurate near 0. |x| < 2^-25 returns x itself (the x^2/2 term is below half an ULP),
// so -0 and subnormals pass unchanged. Otherwise, with x = k*ln2 + r and p = expm1(r):
//   k <= 24: 2^k * (1 + p) - 1 = 2^k * p + (2^k - 1), where 2^k * p and 2^k - 1 are exact, so
//            only the final sum rounds (k = 0, |x| <= 0.35, is the polynomial alone);
//   k > 24:  exp(x), the -1 being below half an ULP.
// Below -30 the result is -1 in f32, so x is clamped there (k >= -44). expm1(+-Inf) = Inf, -1.
fn accurate_expm1(x: V) -> V {
  let xb = bitcast<U>(x);
  let xc = clamp(x, V(-30.0), V(89.0));
  let k = round(xc * EXP_LIB_LOG2E);
  let ki = S(k);
  let p = exp_lib_expm1_poly(exp_lib_reduce(xc, k));
  let t = exp_lib_pow2(min(ki, S(24)));
  let moderate = fma(t, p, t - V(1.0));
  let large = exp_lib_scale(V(1.0) + p, ki);
  let y = select_bits(moderate, large, ki > S(24));
  let tiny = (xb & U(0x7fffffffu)) < U(0x33000000u); // |x| < 2^-25
  return select_bits(y, x, tiny | is_nan_bits(xb));
}

// log(1 + x), accurate near 0 (WGSL has no log1p, and its log() is only 2^-21 absolute near 1).
// u = 1 + x rounded; c = (1 + x - u) / u corrects that rounding (log(1+x) = log(u) + c to first
// order): x - (u - 1) is exact while u < 4, 1 - (u - x) beyond (musl's log1pf). Then u = 2^m * g with g in
// [sqrt(1/2), sqrt(2)), found on the bits (musl's log1pf), f = g - 1 exactly, and
//   log(1 + f) = f - (f^2/2 - s*(f^2/2 + R(s^2))),  s = f / (2 + f),
// R being FreeBSD's minimax for 2*atanh(s)/s - 2 - 2s^2/3 (|s| <= 0.172, error below 2^-34).
// |x| < 2^-24 returns x (-0 and subnormals unchanged); log1p(-1) = -Inf, below -1 NaN, +Inf Inf.
fn accurate_log1p(x: V) -> V {
  let xb = bitcast<U>(x);
  let u = V(1.0) + x;
  let iu = bitcast<U>(u) + U(0x3f800000u - 0x3f3504f3u);
  let m = S(iu >> U(23u)) - S(127);
  let g = bitcast<V>((iu & U(0x007fffffu)) + U(0x3f3504f3u));
  let f = g - V(1.0);
  // u again, as g * 2^m: the same value, but rebuilt from the bits, because SwiftShader's compiler
  // reassociates and would fold (1 + x) - 1 to x, losing the correction.
  // From m = 25 on the correction is below an ULP of the result: c = 0 (m <= 25 keeps 2^m finite).
  let ur = g * exp_lib_pow2(min(m, S(25)));
  let c = select(select(x - (ur - V(1.0)), V(1.0) - (ur - x), m >= S(2)) / ur, V(0.0), m >= S(25));
  let s = f / (V(2.0) + f);
  let z = s * s;
  let w = z * z;
  let r = z * fma(w, V(0.28498786688), V(0.66666662693)) + w * fma(w, V(0.24279078841), V(0.40000972152));
  let hfsq = V(0.5) * f * f;
  let dm = V(m);
  let y = fma(dm, V(EXP_LIB_LN2_HI), -((hfsq - (fma(s, hfsq + r, fma(dm, V(EXP_LIB_LN2_LO), c)))) - f));
  let magnitude = xb & U(0x7fffffffu);
  let negative = (xb >> U(31u)) == U(1u);
  // The special cases as bit patterns (a constant bitcast to Inf or NaN would not compile).
  var out = select(bitcast<U>(y), U(0x7f800000u), xb == U(0x7f800000u));
  out = select(out, U(0xff800000u), xb == U(0xbf800000u));
  out = select(out, U(0x7fc00000u), negative & (magnitude > U(0x3f800000u)));
  out = select(out, xb, (magnitude < U(0x33800000u)) | is_nan_bits(xb));
  return bitcast<V>(out);
}

// tanh(|x|) with x's sign restored from its sign bit. Below |x| = 0.55 (tanh < 0.5):
// -e / (2 + e) with e = expm1(-2|x|), exact near 0; from there: 1 - 2 / (exp(2|x|) + 1), where the
// subtracted term is at most 0.5 so its error counts at most half. Neither overflows (the builtin
// tanh may give NaN past |x| ~ 88: here exp(2|x|) = Inf just gives 1). |x| < 2^-13 returns x (the
// x^3/3 term is below half an ULP; -0 and subnormals unchanged); |x| >= 10 gives +-1 (tanh rounds
// to 1 from 9.01 on). NaN stays NaN.
fn accurate_tanh(x: V) -> V {
  let xb = bitcast<U>(x);
  let magnitude = xb & U(0x7fffffffu);
  let sign = xb & U(0x80000000u);
  let a = bitcast<V>(magnitude);
  let e = accurate_expm1(V(-2.0) * a);
  let small = -e / (V(2.0) + e);
  let large = V(1.0) - V(2.0) / (accurate_exp(V(2.0) * a) + V(1.0));
  var out = select(bitcast<U>(small), bitcast<U>(large), magnitude >= U(0x3f0ccccdu)) | sign; // 0.55
  out = select(out, U(0x3f800000u) | sign, magnitude >= U(0x41200000u));
  out = select(out, xb, (magnitude < U(0x39000000u)) | is_nan_bits(xb));
  return bitcast<V>(out);
}

// sigmoid(x) = 1 / (1 + exp(-x)). exp only sees -|x| <= 0, so it never overflows: with
// e = exp(-|x|), sigmoid = 1 / (1 + e) for x >= +0 and e / (1 + e) for x <= -0 (0.5 at both
// zeros). sigmoid(+-Inf) = 1, 0; NaN stays NaN.
fn accurate_sigmoid(x: V) -> V {
  let xb = bitcast<U>(x);
  let e = accurate_exp(-bitcast<V>(xb & U(0x7fffffffu)));
  let numerator = select_bits(V(1.0), e, (xb >> U(31u)) == U(1u));
  return select_bits(numerator / (V(1.0) + e), x, is_nan_bits(xb));
}
