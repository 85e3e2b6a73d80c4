// GeGLU: y = a * gelu(b), with a and b the halves of x along the axis (shaders/gated.wgsl). The
// gate is gelu's own code (shaders/activations/gelu.wgsl, linked in before this file), its
// attribute `approximate` in params.attrs.x as for gelu itself.
//   da = dy * gelu(b)  db = gelu'(b) * (dy * a), by gelu's backward

fn gate_forward(b: V) -> V {
  return forward(b);
}

fn gate_backward(b: V, g: V, dg: V) -> V {
  return backward(b, dg);
}
