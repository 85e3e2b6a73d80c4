// Linear (WebNN's linear), attributes alpha (params.attrs.x, default 1) and beta (params.attrs.y,
// default 0):
//   y  = alpha * x + beta        linear(+-Inf) = +-Inf for alpha > 0, NaN stays NaN
//   dx = alpha * dy              exact_mul: correctly rounded, subnormals kept (bit-exact)
//
// The product p = alpha * x comes from exact_mul (a flushing adapter would lose a subnormal x
// whose product is normal). Where alpha * x + beta cancels (alpha * x ~ -beta) the rounding of
// p is the answer, so it is added back: alpha * x = p + e exactly, e from Dekker's product (the
// operands split on the bits into 12-bit halves whose products are exact), and
// y = (p + beta) + e. Near cancellation p + beta is exact (Sterbenz) and the sum rounds once;
// elsewhere e is below half an ULP of p and y is within about 1 ULP. e is taken only where the
// split is exact on every adapter: x and p normal, p at least 2^-100 and finite (else e = 0,
// which also keeps Inf - Inf out). Results below the smallest normal may flush to 0.

// The rounding error of p = fl(a * b): a * b - p, exact while every part stays normal.
fn linear_product_error(a: V, b: V, p: V) -> V {
  let a_hi = bitcast<V>(bitcast<U>(a) & U(0xfffff000u));
  let b_hi = bitcast<V>(bitcast<U>(b) & U(0xfffff000u));
  let a_lo = a - a_hi;
  let b_lo = b - b_hi;
  return (((a_hi * b_hi - p) + a_hi * b_lo) + a_lo * b_hi) + a_lo * b_lo;
}

fn linear_alpha() -> V {
  return bitcast<V>(U(bitcast<u32>(params.attrs.x)));
}

fn forward(x: V) -> V {
  let alpha = linear_alpha();
  let p = exact_mul(x, alpha);
  let p_exp = (bitcast<U>(p) >> U(23u)) & U(0xffu);
  let x_exp = (bitcast<U>(x) >> U(23u)) & U(0xffu);
  let split = (p_exp >= U(27u)) & (p_exp < U(255u)) & (x_exp >= U(1u)) & (x_exp < U(255u));
  let e = select(V(0.0), linear_product_error(alpha, x, p), split);
  return (p + V(params.attrs.y)) + e;
}

fn backward(x: V, dy: V) -> V {
  return exact_mul(dy, linear_alpha());
}
