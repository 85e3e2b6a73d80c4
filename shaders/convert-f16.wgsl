// Conversions between f16 tensors (halves packed two to a u32 word, element 2k in the low 16
// bits) and f32 tensors, for the ops that run f16 through their f32 kernels (PReLU, maxout).
// Integer code (shaders/lib/half.wgsl), so values, signed zeros and subnormals convert exactly
// and NaNs keep their sign and payload (a signalling NaN comes back quiet from f32).
//
// widen_main: one invocation per word: f32 elements 2i and 2i + 1 from word i.
// narrow_main: one invocation per word: word i from f32 elements 2i and 2i + 1, rounded to
// nearest even. For an odd length the last word's high half is padding on both sides: our f32
// buffers are padded to 16 bytes, which always leaves room for element n.

@group(0) @binding(1) var<storage, read> input: array<u32>;
@group(0) @binding(3) var<storage, read_write> out: array<u32>;

@compute @workgroup_size(WORKGROUP_SIZE)
fn widen_main(at: Invocation) {
  let i = flat_index(at);
  if (i >= params.count) {
    return;
  }
  let w = input[i];
  out[2u * i] = half_to_f32_bits(w & 0xffffu);
  out[2u * i + 1u] = half_to_f32_bits(w >> 16u);
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn narrow_main(at: Invocation) {
  let i = flat_index(at);
  if (i >= params.count) {
    return;
  }
  out[i] = f32_to_half_bits(input[2u * i]) | (f32_to_half_bits(input[2u * i + 1u]) << 16u);
}
