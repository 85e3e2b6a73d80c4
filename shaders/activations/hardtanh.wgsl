// Hardtanh, attributes min (params.attrs.x, default -1) and max (params.attrs.y, default 1), as
// PyTorch's CPU kernels:
//   y  = min(max(x, min), max)              NaN stays the same NaN; x <= min gives min's bits,
//                                           x >= max gives max's (so -0 with min = +0 gives +0)
//   dx = (x <= min || x >= max) ? 0 : dy    0 at both kinks and past them; dy at NaN inputs
//                                           (a NaN compares false)
// Decided on ordered integer keys (shaders/lib/exact.wgsl), never with float max/min/compares,
// so NaNs, signed zeros and subnormals (a subnormal min or max too) come out exactly.

fn hardtanh_bound(a: f32) -> V {
  return bitcast<V>(U(bitcast<u32>(a)));
}

fn forward(x: V) -> V {
  return exact_clamp(x, hardtanh_bound(params.attrs.x), hardtanh_bound(params.attrs.y));
}

fn backward(x: V, dy: V) -> V {
  return select_bits(V(0.0), dy, exact_inside(x, hardtanh_bound(params.attrs.x), hardtanh_bound(params.attrs.y)));
}

// The training layer's 1-bit mask (shaders/masked.wgsl): whether min < x < max or x is NaN, the
// one bit backward needs.
fn mask_keep(x: V) -> B {
  return exact_inside(x, hardtanh_bound(params.attrs.x), hardtanh_bound(params.attrs.y));
}

fn masked_backward(keep: B, dy: V) -> V {
  return select_bits(V(0.0), dy, keep);
}
