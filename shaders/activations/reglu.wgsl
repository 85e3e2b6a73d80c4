// ReGLU: y = a * relu(b), with a and b the halves of x along the axis (shaders/gated.wgsl). The
// gate is relu's own code (shaders/activations/relu.wgsl, linked in before this file), exact on
// the bits: relu(NaN) is NaN and the gradient at b = 0 is 0, as PyTorch.
//   da = dy * relu(b)  db = b > 0 ? dy * a : 0, by relu's backward

fn gate_forward(b: V) -> V {
  return forward(b);
}

fn gate_backward(b: V, g: V, dg: V) -> V {
  return backward(b, dg);
}
