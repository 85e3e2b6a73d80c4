// Softplus, attributes beta (params.attrs.x, default 1, > 0) and threshold (params.attrs.y,
// default 20; 0 or >= 2^-126), and 1 / beta from the host (params.attrs.z: rounded to f32, or 0
// where it or beta is not a normal number), as PyTorch's CPU kernel:
//   y  = beta * x > threshold ? x  : log(1 + exp(beta * x)) / beta
//   dx = beta * x > threshold ? dy : dy * sigmoid(beta * x)
// Past the threshold the op is linear; y is x itself. Below it, the log is evaluated without
// overflow as x + log1p(exp(-beta * x)) / beta where beta * x > 0 (PyTorch's exp would overflow
// to Inf for a threshold above ~88; this gives the finite value), log1p(exp(beta * x)) / beta
// otherwise, and sigmoid from exp(-|beta * x|). softplus(-Inf) = 0 (gradient 0),
// softplus(+Inf) = +Inf (gradient dy); NaN gives NaN for both.
//
// beta * x is kept exactly as hi + lo (Dekker's product, exp_lib_prod_err): the comparison with
// the threshold is then exact, as the CPU's float64 one, and lo joins exp's reduced argument
// (accurate_exp2k), which avoids the |beta * x| / 2 ULP an f32 product would cost exp.
//
// Nothing divides by beta: "/ beta" is a multiplication by the host's 1 / beta
// (softplus_over_beta), as in celu.wgsl, so that a fusion snippet holding beta as a constant
// rounds as the uniform does. That costs up to half an ULP of y more than a division.

// v / beta: v times the host's 1 / beta, or the division where that is 0.
fn softplus_over_beta(v: V) -> V {
  let reciprocal = V(params.attrs.z);
  return select(v / V(params.attrs.x), v * reciprocal, reciprocal != V(0.0));
}

struct SoftplusArg {
  hi: V,
  lo: V,
  linear: B,
}

fn softplus_arg(x: V) -> SoftplusArg {
  let beta = V(params.attrs.x);
  let threshold = V(params.attrs.y);
  // beta * x may overflow to +-Inf for a finite x (x = -3e38, beta = 1.7); exp(beta * x) is
  // still a positive number there, so hi is capped at the largest finite f32 (sign kept) unless x
  // itself is infinite: dy = +-Inf then gives +-Inf (accurate_mul_exp's rule), not Inf * exp(-Inf).
  let hb = bitcast<U>(beta * x);
  let capped = (hb & U(0x80000000u)) | min(hb & U(0x7fffffffu), U(0x7f7fffffu));
  let finite_x = (bitcast<U>(x) & U(0x7fffffffu)) < U(0x7f800000u);
  let hi = bitcast<V>(select(hb, capped, finite_x));
  let lo_raw = exp_lib_prod_err(beta, x, hi);
  // Where hi is huge (or the split overflowed) lo no longer matters: exp saturates.
  let usable = ((bitcast<U>(hi) & U(0x7fffffffu)) < U(0x43800000u)) & ((bitcast<U>(lo_raw) & U(0x7fffffffu)) < U(0x7f800000u));
  let lo = select(V(0.0), lo_raw, usable);
  // threshold 0: beta * x > 0 exactly where x > 0, subnormal x included (SwiftShader flushes a
  // subnormal hi). A non-zero threshold is at least 2^-126 (src/ops/softplus.ts refuses smaller).
  let positive_x = ordered_key(bitcast<U>(x)) > S(0);
  let zero_threshold = params.attrs.y == 0.0;
  let linear = (hi > threshold) | ((hi == threshold) & (lo > V(0.0))) | (positive_x & B(zero_threshold));
  return SoftplusArg(hi, lo, linear);
}

// exp(-|hi + lo|), the correction's sign following hi's.
fn softplus_exp_neg_abs(a: SoftplusArg) -> V {
  let positive = (bitcast<U>(a.hi) >> U(31u)) == U(0u);
  let hb = bitcast<U>(a.hi) | U(0x80000000u);
  return accurate_exp2k(bitcast<V>(hb), select(a.lo, -a.lo, positive), S(0));
}

// beta * x < -64: exp(beta * x) < 2^-92, so log1p(exp) = exp and sigmoid = exp; both are formed
// scaled by 2^64 so that a subnormal exp(beta * x) divided by a small beta (or times dy) is kept.
fn softplus_deep(a: SoftplusArg) -> B {
  return bitcast<U>(a.hi) > U(0xc2800000u);
}

fn forward(x: V) -> V {
  let a = softplus_arg(x);
  let tail = softplus_over_beta(accurate_log1p(softplus_exp_neg_abs(a)));
  var y = select(tail, x + tail, a.hi > V(0.0));
  let deep = softplus_over_beta(accurate_exp2k(a.hi, a.lo, S(64))) * V(5.421010862427522e-20); // 2^-64
  y = select_bits(y, deep, softplus_deep(a));
  return select_bits(y, x, a.linear | is_nan_bits(bitcast<U>(x)));
}

fn backward(x: V, dy: V) -> V {
  let a = softplus_arg(x);
  let e = softplus_exp_neg_abs(a);
  let positive = (bitcast<U>(a.hi) >> U(31u)) == U(0u);
  let s = select_bits(e, V(1.0), positive) / (V(1.0) + e);
  var dx = select_bits(dy * s, accurate_mul_exp(dy, a.hi, a.lo), softplus_deep(a));
  dx = select_bits(dx, dy, a.linear);
  return select_bits(dx, x, is_nan_bits(bitcast<U>(x)));
}
