// The elementwise kernels for f16 tensors. Halves are stored two to a u32 word (element 2k in
// the low 16 bits; shaders/lib/half.wgsl), so each invocation loads a vec2<u32>: 4 halves. They
// widen exactly to a vec4<f32> (the preamble makes V = vec4<f32> here), the op's f32 forward or
// backward runs on it, and the result is rounded once to f16 and packed back. No shader-f16 is
// needed, and the f16 results are the f32 op's results rounded to nearest even.
//
// One invocation per 4 halves, over a 1-D or 2-D grid (see elementwise.wgsl); `params.count`
// counts vec2<u32>s. Tensors are our own buffers, bound whole and padded to 16 bytes, so the
// lanes past the last half compute on padding and write only padding.

@group(0) @binding(1) var<storage, read> input: array<vec2<u32>>;
@group(0) @binding(2) var<storage, read> dy: array<vec2<u32>>;
@group(0) @binding(3) var<storage, read_write> out: array<vec2<u32>>;

fn widen(w: vec2<u32>) -> V {
  let lanes = vec4<u32>(w.x & 0xffffu, w.x >> 16u, w.y & 0xffffu, w.y >> 16u);
  return bitcast<V>(half4_to_f32_bits(lanes));
}

fn narrow(v: V) -> vec2<u32> {
  let h = f32_to_half4_bits(bitcast<vec4<u32>>(v));
  return vec2<u32>(h.x | (h.y << 16u), h.z | (h.w << 16u));
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn forward_main(at: Invocation) {
  let i = flat_index(at);
  if (i >= params.count) {
    return;
  }
  out[i] = narrow(forward(widen(input[i])));
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn backward_main(at: Invocation) {
  let i = flat_index(at);
  if (i >= params.count) {
    return;
  }
  out[i] = narrow(backward(widen(input[i]), widen(dy[i])));
}
