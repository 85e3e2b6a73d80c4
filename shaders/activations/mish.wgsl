// Mish: y = x * tanh(softplus(x)), softplus(x) = log(1 + exp(x)); PyTorch's CPU gradient
//   dx = dy * (t + x * sigmoid(x) * (1 - t^2)),   t = tanh(softplus(x)).
// With e = exp(x) and n = e * (e + 2) = (1 + e)^2 - 1, t has the closed form n / (n + 2),
// 1 - t^2 = 4 (n + 1) / (n + 2)^2 and sigmoid(x) = e / (1 + e), so the gradient is
// e * (4 (1 + x) + e (6 + 4x + e (4 + e))) / (n + 2)^2: one accurate exp, no 1 - t^2 to cancel. Past x = 20, t = 1 in f32 (1 - t < 2e-17), so y = x and dx = dy there (which
// also keeps e * e from overflowing).
// At the infinities PyTorch returns IEEE artefacts (mish(-Inf) = -Inf * 0 = NaN, NaN gradients
// at +-Inf); these return the mathematical limits instead: mish(-Inf) = -0, mish(+Inf) = +Inf,
// dx = 0 at -Inf and dy at +Inf. NaN gives NaN.
//
// Accuracy. The gradient has a zero near x = -1.1924 (mish's minimum), where 4 (1 + x) and the
// e terms cancel (their rounding gave 1281 ULP 1.1e-4 from the root); within 1/8 of it N comes
// from its Taylor series about the root instead (mish_root_n), whose error shrinks with N. The
// stated bound (8 ULP) is measured over 400k random points (at most 7) and every 8th f32 within
// 0.6 of the root (at most 7).

fn mish_large(x: V) -> B {
  // x > 20, or NaN-free +Inf, on the ordered key (20 = 0x41a00000)
  return ordered_key(bitcast<U>(x)) > S(0x41a00000);
}

// Below x = -64, t = exp(x) and dx / dy = (1 + x) * exp(x) to 2^-90, formed by accurate_mul_exp
// and accurate_mul2_exp(dy, 1 + x, x), which keep them where exp(x) alone would be subnormal and
// never form dy * (1 + x) on its own, which could overflow (x clamped at -300 in 1 + x). An
// infinite dy gives the infinity for every finite x (exp(x) > 0); x = -Inf keeps the limit 0.
fn mish_deep(x: V) -> B {
  return bitcast<U>(x) > U(0xc2800000u);
}

// N(x) = 4 (1 + x) + e (6 + 4x + e (4 + e)), e = exp(x), for |x - c| < 1/8, c = -1.1924312114715576
// (f32 nearest mish's minimum, where N crosses 0): its Taylor series in t = x - c, exact in f32
// (Sterbenz), to t^7 (truncation below 1e-9 relative). The f32 sum would cancel to a few bits:
// e's rounding alone costs ~5e-8 absolute, against N ~ 6.4 * |t|. Coefficients from float64:
// b0 = N(c) (the residual at c), k! bk = d^k/dx^k [4x + 6e + 4xe + 4e^2 + e^3] at c.
fn mish_root_n(x: V) -> V {
  let t = x - V(-1.1924312114715576);
  var q = fma(t, V(0.023245295509696007), V(0.07168253511190414));
  q = fma(t, q, V(0.208534836769104));
  q = fma(t, q, V(0.5578184723854065));
  q = fma(t, q, V(1.2861822843551636));
  q = fma(t, q, V(2.26320743560791));
  q = fma(t, q, V(6.40796422958374));
  return fma(t, q, V(1.9505442594436317e-8));
}

fn mish_near_root(x: V) -> B {
  let t = x - V(-1.1924312114715576);
  return (bitcast<U>(t) & U(0x7fffffffu)) < U(0x3e000000u); // |t| < 1/8 (NaN is not)
}

fn forward(x: V) -> V {
  let xb = bitcast<U>(x);
  let e = accurate_exp(x);
  let n = fma(e, e, e + e); // e * (e + 2), 2e exact
  let y = select_bits(x * (n / (n + V(2.0))), accurate_mul_exp(x, x, V(0.0)), mish_deep(x));
  var out = select(bitcast<U>(y), xb, mish_large(x) | is_nan_bits(xb));
  out = select(out, U(0x80000000u), xb == U(0xff800000u));
  return bitcast<V>(out);
}

fn backward(x: V, dy: V) -> V {
  let xb = bitcast<U>(x);
  let e = accurate_exp(x);
  let n = fma(e, e, e + e); // e * (e + 2), 2e exact
  let m = n + V(2.0);
  // t + x s (1 - t^2) = e * N / (n + 2)^2 with N = 4 (1 + x) + e (6 + 4x + e (4 + e)): the
  // cancellation near the root happens in one sum whose first term is exact on [-2, -0.5].
  let sum_n = fma(e, fma(e, e + V(4.0), fma(V(4.0), x, V(6.0))), V(4.0) * (V(1.0) + x));
  let big_n = select_bits(sum_n, mish_root_n(x), mish_near_root(x));
  // exact_mul (lib/exact.wgsl): the factor reaches 1.1, so a subnormal dy can give a normal dx.
  // For x >= 1 the factor is 1 + delta, delta > 0 formed on its own (mish' tends to 1 from
  // above): with u = exp(-x) and D = 1 + 2u + 2u^2, t = 1 - 2u^2 / D and
  //   delta = (2u^2 / D) * (2x (1 - u^2 / D) / (1 + u) - 1),
  // so the factor's rounding is that of 1 + delta, where the quotient above could come out an
  // ULP below 1 (dy = 2^-126 times it then falls into the subnormals and is flushed).
  let u = accurate_exp(-x);
  let w = (u * u) / (V(1.0) + V(2.0) * u * (V(1.0) + u));
  let delta = V(2.0) * w * ((V(2.0) * x * (V(1.0) - w)) / (V(1.0) + u) - V(1.0));
  let above_one = (ordered_key(xb) >= S(0x3f800000)) & !is_nan_bits(xb);
  let factor = select_bits((e * big_n) / (m * m), V(1.0) + delta, above_one);
  let near = exact_mul(factor, dy);
  var dx = bitcast<U>(select_bits(near, accurate_mul2_exp(dy, V(1.0) + clamp(x, V(-300.0), V(0.0)), x, V(0.0)), mish_deep(x)));
  dx = select(dx, bitcast<U>(dy), mish_large(x) & !is_nan_bits(xb));
  dx = select(dx, U(0u), xb == U(0xff800000u));
  return bitcast<V>(dx);
}
