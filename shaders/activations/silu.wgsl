// SiLU (swish): y = x * sigmoid(x), dx = dy * s * (1 + x * (1 - s)) with s = sigmoid(x), as
// PyTorch's CPU kernel, s from the library's accurate_sigmoid; the gradient is rearranged below.
// At the infinities PyTorch returns IEEE artefacts (silu(-Inf) = -Inf * 0 = NaN, and NaN
// gradients at +-Inf); these return the mathematical limits instead: silu(-Inf) = -0,
// silu(+Inf) = +Inf, dx = 0 at -Inf and dy at +Inf. NaN gives NaN.
//
// Accuracy. Forward is a product of accurate factors. The gradient has a zero near x = -1.2785
// (silu's minimum), where (1 + x) + e cancels (e's rounding alone gave 6631 ULP 1.2e-5 from the
// root); within 1/8 of it the sum comes from its Taylor series about the root instead
// (silu_root_sum), whose error shrinks with the sum. The stated bound (8 ULP) is measured over
// 400k random points (at most 7) and every 8th f32 within 0.6 of the root (at most 5).

// Below x = -64, sigmoid(x) = exp(x) to 2^-92, so y = x * exp(x) and dx = dy * (1 + x) * exp(x),
// formed by accurate_mul_exp and accurate_mul2_exp(dy, 1 + x, x), which keep them where exp(x)
// alone would be subnormal and never form dy * (1 + x) on its own, which could overflow (x is
// clamped at -300 in 1 + x; exp(x) is 0 there anyway). An infinite dy gives the infinity for
// every finite x (exp(x) > 0); x = -Inf keeps the limit 0.
fn silu_deep(x: V) -> B {
  return bitcast<U>(x) > U(0xc2800000u);
}

// (1 + x) + exp(x) for |x - c| < 1/8, c = -1.2784645557403564 (f32 nearest silu's minimum, where
// the sum crosses 0): its Taylor series in t = x - c, exact in f32 (Sterbenz), to t^6 (truncation
// below 2e-10 relative). The f32 sum would cancel to a few bits: exp(x)'s rounding alone is
// ~2e-8 absolute, against a sum of 1.28 * |t|. Coefficients from float64: a0 = 1 + c + exp(c)
// (the residual at c), a1 = 1 + exp(c), ak = exp(c) / k!.
fn silu_root_sum(x: V) -> V {
  let t = x - V(-1.2784645557403564);
  var q = fma(t, V(0.0003867562918458134), V(0.0023205378092825413));
  q = fma(t, q, V(0.011602689512073994));
  q = fma(t, q, V(0.046410758048295975));
  q = fma(t, q, V(0.13923226296901703));
  q = fma(t, q, V(1.2784645557403564));
  return fma(t, q, V(-1.6593553198163136e-8));
}

fn silu_near_root(x: V) -> B {
  let t = x - V(-1.2784645557403564);
  return (bitcast<U>(t) & U(0x7fffffffu)) < U(0x3e000000u); // |t| < 1/8 (NaN is not)
}

fn forward(x: V) -> V {
  let xb = bitcast<U>(x);
  let y = select_bits(x * accurate_sigmoid(x), accurate_mul_exp(x, x, V(0.0)), silu_deep(x));
  return bitcast<V>(select(bitcast<U>(y), U(0x80000000u), xb == U(0xff800000u)));
}

fn backward(x: V, dy: V) -> V {
  let xb = bitcast<U>(x);
  // With e = exp(-|x|), s (1 + x (1 - s)) is, without forming 1 - s (which loses its relative
  // accuracy where s is near 1):
  //   x >= 0:  ((1 + e) + x * e) / (1 + e)^2        (no cancellation)
  //   x < 0:   e * ((1 + x) + e) / (1 + e)^2        (1 + x exact on [-2, -0.5], where it cancels)
  let e = accurate_exp(-bitcast<V>(xb & U(0x7fffffffu)));
  let d = V(1.0) + e;
  let negative = (xb >> U(31u)) == U(1u);
  let sum = select_bits((V(1.0) + x) + e, silu_root_sum(x), silu_near_root(x));
  let numerator = select(d + x * e, e * sum, negative);
  // exact_mul (lib/exact.wgsl): the factor reaches 1.1, so a subnormal dy can give a normal dx.
  // For x >= 2 the factor is 1 + delta, delta = e * ((x - 1) - e) / (1 + e)^2 > 0 formed on its
  // own (silu' tends to 1 from above), so its rounding is that of 1 + delta, where the quotient
  // could come out an ULP below 1 (dy = 2^-126 times it then falls into the subnormals and is
  // flushed).
  let delta = e * ((x - V(1.0)) - e) / (d * d);
  let above_two = (ordered_key(xb) >= S(0x40000000)) & !is_nan_bits(xb);
  let factor = select_bits(numerator / (d * d), V(1.0) + delta, above_two);
  let near = exact_mul(factor, dy);
  var dx = bitcast<U>(select_bits(near, accurate_mul2_exp(dy, V(1.0) + clamp(x, V(-300.0), V(0.0)), x, V(0.0)), silu_deep(x)));
  dx = select(dx, bitcast<U>(dy), xb == U(0x7f800000u));
  dx = select(dx, U(0u), xb == U(0xff800000u));
  return bitcast<V>(dx);
}
