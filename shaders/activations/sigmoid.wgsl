// Sigmoid: y = 1 / (1 + exp(-x)), gradient from the output: dx = dy * y * (1 - y).
// exp() only ever sees -|x| <= 0, so it never overflows: for x >= 0, y = 1 / (1 + e) and for
// x < 0, y = e / (1 + e), with e = exp(-|x|). sigmoid(+-Inf) = 1, 0; NaN stays NaN.

fn forward(x: V) -> V {
  let e = exp(-abs(x));
  let positive = bitcast<S>(bitcast<U>(x)) >= S(0);
  let y = select(e, V(1.0), positive) / (V(1.0) + e);
  return select_bits(y, x, is_nan_bits(bitcast<U>(x)));
}

fn backward(y: V, dy: V) -> V {
  return dy * y * (V(1.0) - y);
}
