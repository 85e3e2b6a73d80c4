// logSoftmax along an axis (shaders/softmax.wgsl runs the rows), as PyTorch's:
//   y  = (x - max) - log s,  s = sum over the row of exp(x - max)
//   dx = dy - exp(y) * sum over the row of dy                       (from y, not x)
// log s as log(hi) + lo / hi, so that s = 1 + tiny (one logit far above the rest) keeps its tiny
// part, and y = (t_hi - log s) + t_lo with t = x - max exact. Every operation is deterministic
// (lib/deterministic.wgsl), so the bits are the CPU's.

fn row_value(s: DetSum) -> f32 {
  return det_add(det_log(s.hi), det_mul(s.lo, det_div(1.0, s.hi)));
}

fn row_output(t_hi: f32, t_lo: f32, e: f32, v: f32) -> f32 {
  return det_add(det_sub(t_hi, v), t_lo);
}

fn grad_term(y: f32, dy: f32) -> f32 {
  return dy;
}

fn row_grad(y: f32, dy: f32, total: f32) -> f32 {
  return det_sub(dy, det_mul(det_exp(y), total));
}
