// The training layer's 1-bit-mask kernels. Forward writes y = forward(x) and one bit per element,
// mask_keep(x); backward reads only that bit and dy: dx = masked_backward(keep, dy). The op's file
// declares both functions; the preamble makes V a vec4 here (width 4), so each load and store
// moves 4 elements, and B a vec4 of bools: one keep bit per lane.
//
// Mask layout: bit j of word w stands for element 32 * w + j, so vec4 v (elements 4v .. 4v + 3)
// owns the 4 bits at 4 * (v % 8) of word v / 8. Forward runs one invocation per word, which packs
// its 8 vec4s (so no two invocations write one word); backward runs one invocation per vec4. The
// host binds chunks that start on a multiple of 2048 elements, so every binding (x, y at 4 bytes
// an element, the mask at 1 bit) starts on a 256-byte boundary, and binds x, y, dy rounded up to
// whole vec4s: our own buffers are padded to 16 bytes. Lanes past `count` compute on that padding
// and write only padding; their mask bits are cleared.

@group(0) @binding(1) var<storage, read> input: array<V>;          // x (forward)
@group(0) @binding(2) var<storage, read> dy: array<V>;             // dy (backward)
@group(0) @binding(3) var<storage, read_write> out: array<V>;       // y forward, dx backward
@group(0) @binding(4) var<storage, read_write> mask: array<u32>;

// The 4 bits of a vec4's keep decisions, lane k at bit k.
fn keep_bits(keep: B) -> u32 {
  return select(0u, 1u, keep.x) | select(0u, 2u, keep.y) | select(0u, 4u, keep.z) | select(0u, 8u, keep.w);
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn forward_mask_main(at: Invocation) {
  let w = flat_index(at);
  if (w >= (params.count + 31u) / 32u) {
    return;
  }
  var word = 0u;
  for (var j = 0u; j < 8u; j++) {
    if (w * 32u + j * 4u < params.count) {
      let x = input[w * 8u + j];
      out[w * 8u + j] = forward(x);
      word |= keep_bits(mask_keep(x)) << (j * 4u);
    }
  }
  let valid = min(params.count - w * 32u, 32u);
  mask[w] = word & select((1u << valid) - 1u, 0xffffffffu, valid == 32u);
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn backward_mask_main(at: Invocation) {
  let v = flat_index(at);
  if (v * 4u >= params.count) {
    return;
  }
  let bits = (mask[v / 8u] >> ((v % 8u) * 4u)) & 0xfu;
  let keep = vec4<u32>(bits, bits >> 1u, bits >> 2u, bits >> 3u) & vec4<u32>(1u);
  out[v] = masked_backward(keep == vec4<u32>(1u), dy[v]);
}
