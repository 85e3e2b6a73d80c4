// Leaky ReLU, attribute alpha (params.attrs.x, default 0.01), as PyTorch's CPU kernels:
//   y  = x > 0 ? x : alpha * x       NaN stays the same NaN (payload and sign bits kept)
//   dx = x > 0 ? dy : alpha * dy     alpha * dy at x = 0 (either sign) and at NaN inputs
//                                    (a NaN compares false); a NaN dy comes back unchanged
// leaky_relu(-0) = alpha * -0 (-0 for alpha > 0); -Inf gives alpha * -Inf.
//
// x > 0 is decided on the bits: read as signed > 0 (sign clear and not +0, subnormals included)
// and not a NaN (a NaN with its sign clear also reads > 0).
// alpha * v goes through exact_mul (shaders/lib/exact.wgsl): the correctly rounded product with
// subnormal operands and results kept, which SwiftShader's float multiply flushes to zero.

fn leaky_positive(x: V) -> B {
  let b = bitcast<U>(x);
  return (bitcast<S>(b) > S(0)) & !is_nan_bits(b);
}

fn leaky_scale(v: V) -> V {
  return exact_mul(v, bitcast<V>(U(bitcast<u32>(params.attrs.x))));
}

fn forward(x: V) -> V {
  return select_bits(leaky_scale(x), x, leaky_positive(x) | is_nan_bits(bitcast<U>(x)));
}

fn backward(x: V, dy: V) -> V {
  return select_bits(leaky_scale(dy), dy, leaky_positive(x));
}

// The training layer's 1-bit mask (shaders/masked.wgsl): x > 0 is all backward needs. Equal to
// backward(x, dy) bit for bit.
fn mask_keep(x: V) -> B {
  return leaky_positive(x);
}

fn masked_backward(keep: B, dy: V) -> V {
  return select_bits(leaky_scale(dy), dy, keep);
}
