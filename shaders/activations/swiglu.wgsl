// SwiGLU: y = a * silu(b), with a and b the halves of x along the axis (shaders/gated.wgsl), as
// LLaMA's MLP (silu of the gate projection times the up projection). The gate is silu's own code
// (shaders/activations/silu.wgsl, linked in before this file).
//   da = dy * silu(b)  db = silu'(b) * (dy * a), by silu's backward

fn gate_forward(b: V) -> V {
  return forward(b);
}

fn gate_backward(b: V, g: V, dg: V) -> V {
  return backward(b, dg);
}
