// Thresholded ReLU, attribute theta (params.attrs.x, default 1):
//   y  = x > theta ? x : 0      NaN stays the same NaN (as relu, which is theta = 0)
//   dx = x > theta ? dy : 0     dy at NaN inputs; 0 at x = theta
// Decided on ordered integer keys, so subnormals and signed zeros compare exactly.

fn thresholded_keep(x: V) -> B {
  let b = bitcast<U>(x);
  let theta = ordered_key(U(bitcast<u32>(params.attrs.x)));
  return is_nan_bits(b) | (ordered_key(b) > theta);
}

fn forward(x: V) -> V {
  return bitcast<V>(select(U(0u), bitcast<U>(x), thresholded_keep(x)));
}

fn backward(x: V, dy: V) -> V {
  return bitcast<V>(select(U(0u), bitcast<U>(dy), thresholded_keep(x)));
}

// The training layer's 1-bit mask (shaders/masked.wgsl): forward keeps x > theta (or NaN).
fn mask_keep(x: V) -> B {
  return thresholded_keep(x);
}

fn masked_backward(keep: B, dy: V) -> V {
  return bitcast<V>(select(U(0u), bitcast<U>(dy), keep));
}
