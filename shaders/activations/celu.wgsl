// CELU, attribute alpha (params.attrs.x, default 1, never 0), and 1 / alpha from the host
// (params.attrs.y: rounded to f32, or 0 where it or alpha is not a normal number):
//   y  = max(0, x) + min(0, alpha * (exp(x / alpha) - 1)), that is x > 0 ? x : alpha * expm1(x / alpha)
//   dx = x > 0 ? dy : dy * exp(x / alpha)       so at x = +-0 the gradient is dy
// (PyTorch's elu kernel with input scale 1 / alpha). NaN takes the x > 0 branch, as in PyTorch:
// y is the input NaN and dx is dy. celu(-Inf) = -alpha (gradient 0) for alpha > 0.
//
// x / alpha is rounded to q; its error d = x / alpha - q would be multiplied by |q| in exp (up to
// 100 ULP near q = -200, where dy * exp(q) can still be normal), so it is recovered exactly,
// d = (x - q * alpha) / alpha with q * alpha from Dekker's exact product (exp_lib_prod_err), and
// applied to first order:
//   exp(q + d) = exp(q) * (1 + d),   expm1(q + d) = expm1(q) + exp(q) * d.
// The correction is kept up to |q| < 256, past exp's range in accurate_mul_exp (|q| <= 200):
// at |q| = 136 the unrecovered half ULP of q alone was 62 ULP of the gradient.
// The branch is decided on the bits (ordered key > 0), so subnormals and -0 are exact.
//
// Nothing divides by alpha: q = x * (1 / alpha) and d is scaled by it too (celu_over_alpha). A
// fusion snippet (src/fusion.ts) holds alpha as a constant, and a compiler may turn a division
// by a constant into a multiplication by its reciprocal (SwiftShader does), which would round
// otherwise than acts.forward's division by the uniform. q's one extra rounding is recovered
// by d, which is computed from whatever q is. Where the reciprocal is not a normal number the
// host sends 0 and the kernel divides.
//
// x / alpha may overflow to +-Inf in f32 for a finite x (x = -3e38, alpha = 0.3); exp(x / alpha)
// is still a positive number there, so q is capped at the largest finite f32 (sign kept) unless x
// itself is infinite: dy = +-Inf then gives +-Inf (accurate_mul_exp's rule), not Inf * exp(-Inf).

fn celu_linear(x: V) -> B {
  let b = bitcast<U>(x);
  return is_nan_bits(b) | (ordered_key(b) > S(0));
}

// v / alpha: v times the host's 1 / alpha, or the division where that is 0 (see above).
fn celu_over_alpha(v: V) -> V {
  let reciprocal = V(params.attrs.y);
  return select(v / V(params.attrs.x), v * reciprocal, reciprocal != V(0.0));
}

// The error of q against x / alpha, or 0 where q is too large for it to matter (or to compute).
fn celu_quotient_error(x: V, q: V, alpha: V) -> V {
  let d = -celu_over_alpha(exp_lib_prod_err(q, alpha, x));
  let usable = ((bitcast<U>(q) & U(0x7fffffffu)) < U(0x43800000u)) & ((bitcast<U>(d) & U(0x7fffffffu)) < U(0x7f800000u));
  return select(V(0.0), d, usable);
}

// x / alpha, capped at the largest finite f32 (on the bits) where x is finite.
fn celu_quotient(x: V) -> V {
  let qb = bitcast<U>(celu_over_alpha(x));
  let capped = (qb & U(0x80000000u)) | min(qb & U(0x7fffffffu), U(0x7f7fffffu));
  let finite_x = (bitcast<U>(x) & U(0x7fffffffu)) < U(0x7f800000u);
  return bitcast<V>(select(qb, capped, finite_x));
}

fn forward(x: V) -> V {
  let alpha = V(params.attrs.x);
  let q = celu_quotient(x);
  let d = celu_quotient_error(x, q, alpha);
  let em1 = accurate_expm1(q);
  // (no correction where expm1 overflowed: Inf + Inf * d could be NaN)
  let saturated = (bitcast<U>(em1) & U(0x7fffffffu)) >= U(0x7f800000u);
  let corrected = select_bits(fma(em1 + V(1.0), d, em1), em1, saturated);
  // |x / alpha| < 2^-25: alpha * expm1(x / alpha) = x to within half an ULP (and x / alpha may
  // have been flushed), so y = x, subnormals included.
  let tiny = (bitcast<U>(q) & U(0x7fffffffu)) < U(0x33000000u);
  return select_bits(alpha * corrected, x, celu_linear(x) | tiny);
}

fn backward(x: V, dy: V) -> V {
  let alpha = V(params.attrs.x);
  let q = celu_quotient(x);
  let d = celu_quotient_error(x, q, alpha);
  return select_bits(accurate_mul_exp(dy, q, d), dy, celu_linear(x));
}
