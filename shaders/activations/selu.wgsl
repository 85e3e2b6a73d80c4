// SELU, attributes alpha (params.attrs.x, default 1.6732632423543772) and scale (params.attrs.y,
// default 1.0507009873554805): scale * elu(x, alpha), as PyTorch's CPU kernel:
//   y  = x > 0 ? scale * x  : scale * alpha * (exp(x) - 1)
//   dx = x > 0 ? dy * scale : dy * scale * alpha * exp(x)    so at x = +-0, dy * scale * alpha
// exp(x) - 1 is the library's accurate_expm1. NaN takes the x > 0 branch, as in PyTorch: y is NaN
// and dx is dy * scale. selu(-Inf) = -scale * alpha (gradient 0), selu(+Inf) = +Inf.
// The branch is decided on the bits (ordered key > 0), so subnormals and -0 are exact; the
// library's exact_mul and accurate_mul2_exp keep results that are normal although x, dy or
// exp(x) is subnormal (SwiftShader flushes subnormal operands), and dy * scale * alpha is never
// formed on its own, so it cannot overflow. scale * alpha is rounded to f32 once and its rounding
// error is carried into exp's argument. An infinite dy gives the infinity for every x > -Inf
// (exp(x) > 0, see accurate_mul2_exp).

fn selu_linear(x: V) -> B {
  let b = bitcast<U>(x);
  return is_nan_bits(b) | (ordered_key(b) > S(0));
}

fn forward(x: V) -> V {
  let alpha = V(params.attrs.x);
  let scale = V(params.attrs.y);
  return select_bits(exact_mul(scale * alpha, accurate_expm1(x)), exact_mul(scale, x), selu_linear(x));
}

fn backward(x: V, dy: V) -> V {
  let alpha = V(params.attrs.x);
  let scale = V(params.attrs.y);
  // scale * alpha = sa + its rounding error, which joins exp's argument as a relative correction
  // (0 where the split is out of range and the error is not finite).
  let sa = scale * alpha;
  let sa_err = exp_lib_prod_err(scale, alpha, sa) / sa;
  let lo = select(V(0.0), sa_err, (bitcast<U>(sa_err) & U(0x7fffffffu)) < U(0x3f800000u));
  return select_bits(accurate_mul2_exp(dy, sa, x, lo), exact_mul(scale, dy), selu_linear(x));
}
