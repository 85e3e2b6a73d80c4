// Sigmoid: y = 1 / (1 + exp(-x)), gradient from the output: dx = dy * y * (1 - y).
// Forward is accurate_sigmoid (shaders/lib/exp.wgsl): exp only sees -|x| <= 0, so it never
// overflows, and the library's exp keeps the result within about 2 ULP where the builtin exp()
// may be 3 + 2|x| ULP off. sigmoid(+-Inf) = 1, 0; sigmoid(+-0) = 0.5; NaN stays NaN.
// Backward: (dy * y) * (1 - y); 1 - y is exact for y >= 0.5. NaN y gives NaN.

fn forward(x: V) -> V {
  return accurate_sigmoid(x);
}

fn backward(y: V, dy: V) -> V {
  return dy * y * (V(1.0) - y);
}
