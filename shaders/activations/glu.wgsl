// GLU: y = a * sigmoid(b), with a and b the halves of x along the axis (shaders/gated.wgsl), as
// PyTorch's nn.GLU. The gate is sigmoid's own code (shaders/activations/sigmoid.wgsl, linked in
// before this file), whose gradient is computed from its output g = sigmoid(b).
//   da = dy * g        db = g * (1 - g) * (dy * a), by sigmoid's backward

fn gate_forward(b: V) -> V {
  return forward(b);
}

fn gate_backward(b: V, g: V, dg: V) -> V {
  return backward(g, dg);
}
