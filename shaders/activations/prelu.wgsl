// PReLU, leaky ReLU with a learnable slope per channel (or per any slice of x that a slope
// tensor broadcasts over), as PyTorch's CPU kernels:
//   y      = x > 0 ? x : alpha * x      NaN stays the same NaN (payload and sign bits kept)
//   dx     = x > 0 ? dy : alpha * dy    alpha * dy at x = 0 (either sign) and at NaN inputs
//   dalpha = the sum, over the elements that share that slope, of x > 0 ? +0 : x * dy
// x > 0 is decided on the bits (as leaky-relu.wgsl); the products are exact_mul: correctly
// rounded, subnormals kept. The kernels that find each element's slope and sum dalpha's terms
// in a fixed order are shaders/per-channel.wgsl and shaders/tree-sum.wgsl.

fn prelu_positive(x: V) -> B {
  let b = bitcast<U>(x);
  return (bitcast<S>(b) > S(0)) & !is_nan_bits(b);
}

fn forward(x: V, alpha: V) -> V {
  return select_bits(exact_mul(x, alpha), x, prelu_positive(x) | is_nan_bits(bitcast<U>(x)));
}

fn backward(x: V, alpha: V, dy: V) -> V {
  return select_bits(exact_mul(dy, alpha), dy, prelu_positive(x));
}

// The layer's 1-bit mask when the slopes are frozen (no dalpha, so x itself is not needed):
// x > 0 is all the input gradient needs.
fn mask_keep(x: V) -> B {
  return prelu_positive(x);
}

fn masked_backward(keep: B, alpha: V, dy: V) -> V {
  return select_bits(exact_mul(dy, alpha), dy, keep);
}

// This element's term of dalpha (shaders/per-channel.wgsl groups the terms by slope).
fn param_term(x: V, dy: V) -> V {
  return select_bits(exact_mul(x, dy), V(0.0), prelu_positive(x));
}
