// Hard sigmoid, attributes alpha (params.attrs.x, default 1/6, not 0) and beta (params.attrs.y,
// default 0.5); a negative alpha makes it decreasing (WebNN's hardSigmoid takes one):
//   y  = clamp(alpha * x + beta, 0, 1)           hardsigmoid(+Inf) = 1, (-Inf) = 0, NaN stays NaN
//   dx = 0 < alpha * x + beta < 1 ? dy * alpha : 0   strictly inside the linear part, so 0 at the
//                                                    kinks (PyTorch: x > -3 && x < 3 ? dy / 6 : 0);
//                                                    NaN for a NaN x
//
// The region is decided on the exact product, never on a rounded alpha * x + beta: next to the
// kinks that sum cancels (alpha * x ~ -beta) or rounds onto 1, and a wrong side would swap dy *
// alpha for 0. alpha * x = p + e exactly, p = fl(alpha * x), e its rounding error (Dekker's
// product, the operands split on the bits into 12-bit halves whose products are exact). Since
// rounding is monotonic and c representable, alpha * x > c exactly when p > c, or p == c and
// e > 0; the compares go through ordered integer keys (shaders/lib/bits.wgsl). The bounds are
// c0 = -beta and c1 = 1 - beta (exact in f32 for the usual betas, e.g. any beta in [0, 1] that is
// a multiple of 2^-24). For the value, near the lower kink p + beta is exact (Sterbenz) and
// (p + beta) + e rounds once; elsewhere nothing cancels and it is within about 1 ULP.
// With beta = 0, products alpha * x that underflow may be taken as 0 (SwiftShader flushes).
// Nothing here assumes alpha > 0: p, e and the compares carry the sign.

// The rounding error of p = fl(a * b): a * b - p, exact while everything stays normal.
fn hardsigmoid_product_error(a: V, b: V, p: V) -> V {
  let a_hi = bitcast<V>(bitcast<U>(a) & U(0xfffff000u));
  let b_hi = bitcast<V>(bitcast<U>(b) & U(0xfffff000u));
  let a_lo = a - a_hi;
  let b_lo = b - b_hi;
  return (((a_hi * b_hi - p) + a_hi * b_lo) + a_lo * b_hi) + a_lo * b_lo;
}

// The sign of the exact p + e - c, as -1, 0 or 1 (p, c not NaN; e only read when p == c).
fn hardsigmoid_side(p: V, e: V, c: V) -> S {
  let kp = ordered_key(bitcast<U>(p));
  let kc = ordered_key(bitcast<U>(c));
  let ke = ordered_key(bitcast<U>(e));
  let tie = select(S(0), select(S(-1), S(1), ke > S(0)), ke != S(0));
  return select(select(S(-1), S(1), kp > kc), tie, kp == kc);
}

struct HardsigmoidParts {
  value: V,  // alpha * x + beta, rounded
  above: B,  // alpha * x + beta > 0, exactly
  below: B,  // alpha * x + beta < 1, exactly
}

fn hardsigmoid_parts(x: V) -> HardsigmoidParts {
  let alpha = V(params.attrs.x);
  let beta = V(params.attrs.y);
  let p = alpha * x;
  let e = hardsigmoid_product_error(alpha, x, p);
  let above = hardsigmoid_side(p, e, -beta) > S(0);
  let below = hardsigmoid_side(p, e, V(1.0) - beta) < S(0);
  return HardsigmoidParts((p + beta) + e, above, below);
}

fn forward(x: V) -> V {
  let parts = hardsigmoid_parts(x);
  let clamped = select(V(1.0), select_bits(V(0.0), parts.value, parts.above), parts.below);
  return select_bits(clamped, x, is_nan_bits(bitcast<U>(x)));
}

fn backward(x: V, dy: V) -> V {
  let parts = hardsigmoid_parts(x);
  let dx = select_bits(V(0.0), dy * V(params.attrs.x), parts.above & parts.below);
  return select_bits(dx, x, is_nan_bits(bitcast<U>(x)));
}
