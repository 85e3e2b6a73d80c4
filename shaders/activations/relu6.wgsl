// ReLU6, no attributes: hardtanh with min 0 and max 6, as PyTorch's CPU kernels:
//   y  = min(max(x, 0), 6)              NaN stays the same NaN; relu6(-0) = +0, as relu(-0)
//   dx = (x <= 0 || x >= 6) ? 0 : dy    0 at both kinks (x = ±0 and x = 6) and past them;
//                                       dy at NaN inputs (a NaN compares false)
// Decided on ordered integer keys (shaders/lib/exact.wgsl), never with float max/min/compares,
// so NaNs, signed zeros and subnormals come out exactly.

fn forward(x: V) -> V {
  return exact_clamp(x, V(0.0), V(6.0));
}

fn backward(x: V, dy: V) -> V {
  return select_bits(V(0.0), dy, exact_inside(x, V(0.0), V(6.0)));
}

// The training layer's 1-bit mask (shaders/masked.wgsl): whether x is strictly inside (0, 6) or
// NaN, the one bit backward needs.
fn mask_keep(x: V) -> B {
  return exact_inside(x, V(0.0), V(6.0));
}

fn masked_backward(keep: B, dy: V) -> V {
  return select_bits(V(0.0), dy, keep);
}
