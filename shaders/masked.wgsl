// The training layer's 1-bit-mask kernels. Forward writes y = forward(x) and one bit per element,
// mask_keep(x); backward reads only that bit and dy: dx = masked_backward(keep, dy). The op's file
// declares both functions; the preamble makes V a scalar here (width 1).
//
// Mask layout: bit j of word w stands for element 32 * w + j. Forward runs one invocation per
// word, which packs its 32 elements (so no two invocations write one word); backward runs one
// invocation per element. The host binds chunks that start on a multiple of 2048 elements, so
// every binding (x, y at 4 bytes an element, the mask at 1 bit) starts on a 256-byte boundary.

@group(0) @binding(1) var<storage, read> input: array<V>;          // x forward, dy backward
@group(0) @binding(3) var<storage, read_write> out: array<V>;       // y forward, dx backward
@group(0) @binding(4) var<storage, read_write> mask: array<u32>;

@compute @workgroup_size(WORKGROUP_SIZE)
fn forward_mask_main(at: Invocation) {
  let w = flat_index(at);
  if (w >= (params.count + 31u) / 32u) {
    return;
  }
  let first = w * 32u;
  let last = min(first + 32u, params.count);
  var word = 0u;
  for (var i = first; i < last; i++) {
    let x = input[i];
    out[i] = forward(x);
    word |= select(0u, 1u << (i - first), mask_keep(x));
  }
  mask[w] = word;
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn backward_mask_main(at: Invocation) {
  let i = flat_index(at);
  if (i >= params.count) {
    return;
  }
  let keep = ((mask[i / 32u] >> (i % 32u)) & 1u) == 1u;
  out[i] = masked_backward(keep, input[i]);
}
