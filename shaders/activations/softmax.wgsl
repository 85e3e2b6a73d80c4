// Softmax along an axis (shaders/softmax.wgsl runs the rows), as PyTorch's:
//   y  = exp(x - max) / s,  s = sum over the row of exp(x - max)   (no overflow for finite x)
//   dx = y * (dy - sum over the row of dy * y)                      (from y, not x)
// computed as exp(t) * (1 / s): the reciprocal once per row, correctly rounded (of s's rounded
// hi). Every operation is deterministic (lib/deterministic.wgsl), so the bits are the CPU's.

fn row_value(s: DetSum) -> f32 {
  return det_div(1.0, s.hi);
}

fn row_output(t_hi: f32, t_lo: f32, e: f32, v: f32) -> f32 {
  return det_mul(e, v);
}

fn grad_term(y: f32, dy: f32) -> f32 {
  return det_mul(dy, y);
}

fn row_grad(y: f32, dy: f32, total: f32) -> f32 {
  return det_mul(y, det_sub(dy, total));
}
