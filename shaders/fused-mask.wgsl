// Fused bias + activation keeping a 1-bit mask of z = x + b: added after shaders/fused.wgsl for
// ops that declare mask_keep (relu, thresholdedRelu). One invocation per mask word, as in
// shaders/masked.wgsl, whose backward_mask kernel then gives dz from the mask and dy.

@compute @workgroup_size(WORKGROUP_SIZE)
fn fused_forward_mask_main(at: Invocation) {
  let w = flat_index(at);
  if (w >= (params.count + 31u) / 32u) {
    return;
  }
  let first = w * 32u;
  let last = min(first + 32u, params.count);
  var word = 0u;
  for (var i = first; i < last; i++) {
    let z = pre_activation(i);
    out[i] = forward(z);
    word |= select(0u, 1u << (i - first), mask_keep(z));
  }
  mask[w] = word;
}
