// ELU, attribute alpha (params.attrs.x, default 1), as PyTorch's CPU kernel:
//   y  = x > 0 ? x : alpha * (exp(x) - 1)      x itself (bits kept) where x > 0
//   dx = x > 0 ? dy : dy * alpha * exp(x)      so at x = +-0 the gradient is alpha * dy
// exp(x) - 1 is the library's accurate_expm1 (exact near 0, no cancellation). NaN takes the x > 0
// branch, as in PyTorch (x <= 0 is false for NaN): y is the input NaN and dx is dy.
// elu(-Inf) = -alpha, elu'(-Inf) = 0; elu(+Inf) = +Inf, elu'(+Inf) = dy.
// The branch is decided on the bits (ordered key > 0), so subnormals and -0 are exact. Where
// SwiftShader would flush a subnormal operand (alpha * x for subnormal x, a subnormal exp(x) or dy
// times a large dy * alpha) the library's exact_mul and accurate_mul2_exp keep the normal
// result; dy * alpha is not formed on its own, so it cannot overflow (dy = 3e38, alpha = 2.5).
// An infinite dy gives the infinity for every x > -Inf (exp(x) > 0, see accurate_mul2_exp).

fn elu_linear(x: V) -> B {
  let b = bitcast<U>(x);
  return is_nan_bits(b) | (ordered_key(b) > S(0));
}

fn forward(x: V) -> V {
  let alpha = V(params.attrs.x);
  return select_bits(exact_mul(alpha, accurate_expm1(x)), x, elu_linear(x));
}

fn backward(x: V, dy: V) -> V {
  let alpha = V(params.attrs.x);
  return select_bits(accurate_mul2_exp(dy, alpha, x, V(0.0)), dy, elu_linear(x));
}
