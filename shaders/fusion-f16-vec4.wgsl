// The f16 face of a fusion snippet (src/fusion.ts), four lanes at a time: as fusion-f16.wgsl
// (which explains the rounding), on vec4<f16>.

fn round_to_half(v: vec4<f32>) -> vec4<f32> {
  return bitcast<vec4<f32>>(half4_to_f32_bits(f32_to_half4_bits(bitcast<vec4<u32>>(v))));
}

fn forward_f16(x: vec4<f16>) -> vec4<f16> {
  return vec4<f16>(round_to_half(forward(vec4<f32>(x))));
}

fn backward_f16(saved: vec4<f16>, dy: vec4<f16>) -> vec4<f16> {
  return vec4<f16>(round_to_half(backward(vec4<f32>(saved), vec4<f32>(dy))));
}

fn mask_keep_f16(x: vec4<f16>) -> vec4<bool> {
  return mask_keep(vec4<f32>(x));
}

fn masked_backward_f16(keep: vec4<bool>, dy: vec4<f16>) -> vec4<f16> {
  return vec4<f16>(round_to_half(masked_backward(keep, vec4<f32>(dy))));
}
