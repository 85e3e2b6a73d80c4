// Softsign: y = x / (1 + |x|), dx = dy / (1 + |x|)^2 (as WebNN's softsign and PyTorch's).
// softsign(+-0) = +-0, softsign(+-Inf) = +-1 (chosen on the bits: x / (1 + |x|) would be
// Inf / Inf), NaN stays NaN. One rounding for 1 + |x| and one division: within 3 ULP.
// Backward divides by d = 1 + |x| twice, not once by d * d: the square overflows past
// |x| ~ 1.8e19, where a large dy still gives a normal dx. Within 6 ULP; the gradient at +-Inf is 0.

fn forward(x: V) -> V {
  let b = bitcast<U>(x);
  let infinite = (b & U(0x7fffffffu)) == U(0x7f800000u);
  let one = bitcast<V>((b & U(0x80000000u)) | U(0x3f800000u));
  return select_bits(x / (V(1.0) + abs(x)), one, infinite);
}

fn backward(x: V, dy: V) -> V {
  let d = V(1.0) + abs(x);
  return (dy / d) / d;
}
