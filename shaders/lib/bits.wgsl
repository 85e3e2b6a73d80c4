// Exact float decisions on the bits. WGSL lets implementations assume there is no NaN and may
// flush subnormals in float compares, max/min and select; integer code is exact everywhere.

// true where the f32 with bits b is a NaN: exponent all ones and a non-zero mantissa.
fn is_nan_bits(b: U) -> B {
  return (b & U(0x7fffffffu)) > U(0x7f800000u);
}

// A signed key that orders non-NaN floats like their values (-0 and +0 share the key 0):
// sign-magnitude bits become two's complement. Compare keys instead of floats.
fn ordered_key(b: U) -> S {
  let magnitude = bitcast<S>(b & U(0x7fffffffu));
  return select(magnitude, -magnitude, (b >> U(31u)) == U(1u));
}

// a where keep, else b, chosen on the bits (no float select, so no flush or NaN rewrite).
fn select_bits(b: V, a: V, keep: B) -> V {
  return bitcast<V>(select(bitcast<U>(b), bitcast<U>(a), keep));
}
