// CELU, attribute alpha (params.attrs.x, default 1, never 0):
//   y  = max(0, x) + min(0, alpha * (exp(x / alpha) - 1)), that is x > 0 ? x : alpha * expm1(x / alpha)
//   dx = x > 0 ? dy : dy * exp(x / alpha)       so at x = +-0 the gradient is dy
// (PyTorch's elu kernel with input scale 1 / alpha). NaN takes the x > 0 branch, as in PyTorch:
// y is the input NaN and dx is dy. celu(-Inf) = -alpha (gradient 0) for alpha > 0.
//
// x / alpha is rounded to q; its error d = x / alpha - q would be multiplied by |q| in exp (up to
// 44 ULP near q = -88), so it is recovered exactly, d = (x - q * alpha) / alpha with q * alpha
// from Dekker's exact product (exp_lib_prod_err), and applied to first order:
//   exp(q + d) = exp(q) * (1 + d),   expm1(q + d) = expm1(q) + exp(q) * d.
// The branch is decided on the bits (ordered key > 0), so subnormals and -0 are exact.

fn celu_linear(x: V) -> B {
  let b = bitcast<U>(x);
  return is_nan_bits(b) | (ordered_key(b) > S(0));
}

// The rounding error of q = x / alpha, or 0 where q is too large for it to matter (or to compute).
fn celu_quotient_error(x: V, q: V, alpha: V) -> V {
  let d = -exp_lib_prod_err(q, alpha, x) / alpha;
  let usable = ((bitcast<U>(q) & U(0x7fffffffu)) < U(0x43000000u)) & ((bitcast<U>(d) & U(0x7fffffffu)) < U(0x7f800000u));
  return select(V(0.0), d, usable);
}

fn forward(x: V) -> V {
  let alpha = V(params.attrs.x);
  let q = x / alpha;
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
  let q = x / alpha;
  let d = celu_quotient_error(x, q, alpha);
  return select_bits(accurate_mul_exp(dy, q, d), dy, celu_linear(x));
}
