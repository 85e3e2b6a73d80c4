// How a fusion snippet (src/fusion.ts) reads its attributes: each is a module-scope constant of
// its f32 bits, `<prefix>_ALPHA_BITS`, and the op's `params.attrs.x` becomes
// `<prefix>_attribute(<prefix>_ALPHA_BITS)`. Bits, and a call rather than a bare bitcast, because
// a float constant does not always keep its bits on the way to the compiler: Dawn (Tint) reads
// a `-0.0f` literal as +0, and a -0 that Tint folds from `bitcast<f32>(0x80000000u)` became +0 in
// a module that also held a +0.0 constant (measured on SwiftShader), which would take the sign of
// hardtanh's min = -0. A user function is never a const-expression, so the value reaches the
// compiler as the integer it is. naga cannot bitcast in a module-scope const at all.

fn attribute(bits: u32) -> f32 {
  return bitcast<f32>(bits);
}
