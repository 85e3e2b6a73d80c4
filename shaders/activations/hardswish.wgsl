// Hard swish, no attributes (PyTorch's hardswish_kernel and hardswish_backward_kernel):
//   y  = x * relu6(x + 3) / 6:   x <= -3: 0 (signed as x * 0)   -3 < x < 3: x * (x + 3) / 6
//                                x >= 3:  x, unchanged
//   dx = x < -3: 0   -3 <= x <= 3: dy * (x / 3 + 0.5)   x > 3: dy
//        so -0.5 * dy at x = -3 and 1.5 * dy at x = 3, as PyTorch.
// NaN in gives NaN out; backward at a NaN input gives dy (its comparisons are false, so
// PyTorch's kernel takes the x > 3 branch, as relu's gradient does). Where PyTorch's float arithmetic leaves the function we
// return its value: hardswish(-Inf) = -0 (PyTorch: -Inf * 0 = NaN) and hardswish(x) = x for
// x >= 3 (PyTorch computes x * 6 / 6, which overflows to Inf above FLT_MAX / 6).
//
// The branches are chosen on ordered integer keys (shaders/lib/bits.wgsl), not float compares.
// x + 3 is exact near -3 (Sterbenz), so y keeps its relative accuracy there; the gradient's
// x / 3 + 0.5 is computed as (x + 1.5) / 3, exact up to the last division near its zero at -1.5,
// where x / 3 + 0.5 would cancel. dy times that goes through exact_mul (shaders/lib/exact.wgsl):
// a subnormal dy with a normal product (dy ~ 1e-38, factor > 1) would be flushed to 0 by the
// hardware multiply on SwiftShader.

fn forward(x: V) -> V {
  let b = bitcast<U>(x);
  let key = ordered_key(b);
  let middle = x * (x + V(3.0)) / V(6.0);
  let negative_zero = b & U(0x80000000u);
  var y = select_bits(middle, x, key >= ordered_key(U(bitcast<u32>(3.0))));
  y = bitcast<V>(select(bitcast<U>(y), negative_zero, key <= ordered_key(U(bitcast<u32>(-3.0)))));
  return select_bits(y, x, is_nan_bits(b));
}

fn backward(x: V, dy: V) -> V {
  let b = bitcast<U>(x);
  let key = ordered_key(b);
  let middle = exact_mul(dy, (x + V(1.5)) / V(3.0));
  var dx = select_bits(middle, dy, key > ordered_key(U(bitcast<u32>(3.0))));
  dx = select_bits(dx, V(0.0), key < ordered_key(U(bitcast<u32>(-3.0))));
  return select_bits(dx, dy, is_nan_bits(b));
}
