// The f16 face of a fusion snippet (src/fusion.ts), scalar; fusion-f16-vec4.wgsl is the vec4 one.
// Renamed with the rest of the snippet: forward_f16 becomes <prefix>_forward and the op's own
// f32 forward <prefix>_forward_f32 (backward, mask_keep and masked_backward likewise).
//
// As the library's f16 tensors (shaders/elementwise-f16.wgsl): the op runs in f32 on the
// widened input, and its result is rounded once to the nearest half, ties to even. f32(x)
// widens exactly (every half is an f32). The rounding is made on the bits (shaders/lib/half.wgsl)
// and gives an f32 that is a half exactly, so f16(...) only changes its type, whatever rounding
// the implementation's conversion would use. What a WGSL conversion need not carry is a NaN's
// payload (the result is still a NaN) and, where an implementation flushes f16 subnormals, the
// subnormal halves.

fn round_to_half(v: f32) -> f32 {
  return bitcast<f32>(half_to_f32_bits(f32_to_half_bits(bitcast<u32>(v))));
}

fn forward_f16(x: f16) -> f16 {
  return f16(round_to_half(forward(f32(x))));
}

fn backward_f16(saved: f16, dy: f16) -> f16 {
  return f16(round_to_half(backward(f32(saved), f32(dy))));
}

fn mask_keep_f16(x: f16) -> bool {
  return mask_keep(f32(x));
}

fn masked_backward_f16(keep: bool, dy: f16) -> f16 {
  return f16(round_to_half(masked_backward(keep, f32(dy))));
}
