// Tanh: y = tanh(x), gradient from the output: dx = dy * (1 - y^2).
// Forward is accurate_tanh (shaders/lib/exp.wgsl): -e / (2 + e) with e = expm1(-2|x|) and x's
// sign, so nothing overflows (the builtin tanh may give NaN past |x| ~ 88) and small |x| keeps its
// relative accuracy. tanh(+-0) = +-0, tanh(+-Inf) = +-1, NaN stays NaN.
// Backward: 1 - y^2 is computed as (1 - y) * (1 + y): 1 - y is exact for y >= 0.5 and 1 + y for
// y <= -0.5, so the result stays accurate where y^2 is near 1 and 1 - y * y would cancel.

fn forward(x: V) -> V {
  return accurate_tanh(x);
}

fn backward(y: V, dy: V) -> V {
  return dy * ((V(1.0) - y) * (V(1.0) + y));
}
