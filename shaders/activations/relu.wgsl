// ReLU and its gradient, written once against the preamble's aliases:
//   V = T or vec4<T>; U, S and B are the u32, i32 and bool of the same shape.
//
// y  = x > 0 ? x : 0     relu(NaN) = NaN with its payload, relu(-0) = +0, relu(-Inf) = 0
// dx = x > 0 ? dy : 0    the gradient at exactly 0 is 0; at a NaN input it is dy
//
// The decision is made on the bits, never with max() or a float compare: WGSL lets an
// implementation assume there is no NaN (max(NaN, 0.0) gives 0 on Dawn and wgpu here) and
// SwiftShader flushes subnormals in max/select on floats. Integer ops are exact everywhere.
//   keep = is_nan(x) | x > 0
// in two integer compares: read as signed integers, positive floats, +Inf and positive NaNs are
// the positive integers; negative NaNs (0xff800001 to 0xffffffff) are -0x7fffff to -1; every
// other negative float, -Inf and -0 are at or below -0x800000. So keep = s > -0x800000 and s != 0.
// Forward drops the s != 0 test: +0 kept is +0. One compare and a select: no more than max().

fn relu_keep(b: U) -> B {
  return (bitcast<S>(b) > S(-8388608)) & (b != U(0u));
}

fn forward(x: V) -> V {
  let b = bitcast<U>(x);
  return bitcast<V>(select(U(0u), b, bitcast<S>(b) > S(-8388608)));
}

fn backward(x: V, dy: V) -> V {
  return bitcast<V>(select(U(0u), bitcast<U>(dy), relu_keep(bitcast<U>(x))));
}

// The training layer's 1-bit mask (shaders/masked.wgsl): forward keeps relu_keep(x) per
// element, backward passes dy where it is set. Equal to backward(x, dy) bit for bit.
fn mask_keep(x: V) -> B {
  return relu_keep(bitcast<U>(x));
}

fn masked_backward(keep: B, dy: V) -> V {
  return bitcast<V>(select(U(0u), bitcast<U>(dy), keep));
}
