// Fused bias + activation for the training layer: z = x + b[channel], y = forward(z), in one
// pass over x. The preamble makes V a scalar here (width 1).
//
// Layout: x is [outer, channels, inner] in row-major order (the channel axis and what follows it
// give `inner`), so element i belongs to channel (i / inner) % channels. A dense layer's output
// [batch, units] is outer = batch, channels = units, inner = 1; NCHW is outer = N, inner = H*W.
//
// Kernels:
//   fused_forward_main       y = forward(x + b) and z = x + b kept for backward (ops without a mask
//                            whose gradient reads x: backward(z, dy) then runs as usual)
//   fused_forward_y_main     y only (ops whose gradient reads y, or neither x nor y: linear)
//   fused_forward_mask_main  y and the 1-bit mask of z (shaders/fused-mask.wgsl, ops with a mask)
// The bias gradient db (dz summed per channel) is shaders/tree-sum.wgsl's.

struct Shape {
  channels: u32,
  inner: u32,
  outer: u32,
  pad: u32,
}

@group(0) @binding(1) var<storage, read> input: array<V>;          // x
@group(0) @binding(3) var<storage, read_write> out: array<V>;       // y
@group(0) @binding(4) var<storage, read_write> mask: array<u32>;
@group(0) @binding(5) var<uniform> shape: Shape;
@group(0) @binding(6) var<storage, read> bias: array<V>;          // the parameter: b
@group(0) @binding(7) var<storage, read_write> kept: array<V>;      // the second output: z = x + b

fn pre_activation(i: u32) -> V {
  return input[i] + bias[(i / shape.inner) % shape.channels];
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn fused_forward_main(at: Invocation) {
  let i = flat_index(at);
  if (i >= params.count) {
    return;
  }
  let z = pre_activation(i);
  kept[i] = z;
  out[i] = forward(z);
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn fused_forward_y_main(at: Invocation) {
  let i = flat_index(at);
  if (i >= params.count) {
    return;
  }
  out[i] = forward(pre_activation(i));
}
