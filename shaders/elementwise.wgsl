// The elementwise skeleton every unary activation shares. The preamble in front of this file
// declares T (the element type), V (T or vec4<T>); shaders/lib/*.wgsl add shared helpers; the
// op's file declares `fn forward(x: V) -> V` and `fn backward(saved: V, dy: V) -> V`, where saved
// is the op's input x, or its output y for ops whose gradient is computed from y.
//
// Indexing. One invocation handles one V. A dispatch covers `params.count` Vs; each operand is
// bound as a sub-range of its buffer whose start is aligned to minStorageBufferOffsetAlignment,
// so the operand's first V sits `params.*_offset` Vs into its binding. Tensors longer than one
// binding (maxStorageBufferBindingSize) are split by the host into several dispatches, each
// with its own bindings and params.
//
// Grid. A dimension holds at most maxComputeWorkgroupsPerDimension (65535) workgroups, so large
// dispatches use a 2-D grid of num_workgroups.x * num_workgroups.y >= ceil(count / WORKGROUP_SIZE)
// groups. The flat index of an invocation is
//   (workgroup_id.y * num_workgroups.x + workgroup_id.x) * WORKGROUP_SIZE + local_invocation_index
// and the invocations past `count` (the last group's spare lanes, the grid's spare groups) return.

// Params (count, offsets, attrs), its binding 0, WORKGROUP_SIZE and flat_index() are declared in
// shaders/lib/params.wgsl, shared with the training layer's masked kernels.
@group(0) @binding(1) var<storage, read> input: array<V>;
@group(0) @binding(2) var<storage, read> dy: array<V>;
@group(0) @binding(3) var<storage, read_write> out: array<V>;

@compute @workgroup_size(WORKGROUP_SIZE)
fn forward_main(at: Invocation) {
  let i = flat_index(at);
  if (i >= params.count) {
    return;
  }
  out[params.out_offset + i] = forward(input[params.in_offset + i]);
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn backward_main(at: Invocation) {
  let i = flat_index(at);
  if (i >= params.count) {
    return;
  }
  out[params.out_offset + i] = backward(input[params.in_offset + i], dy[params.dy_offset + i]);
}

// Inputs in the output's buffer. WebGPU forbids binding one buffer both read-only and writable in
// a dispatch, whatever the ranges, so an input that lives in the output's buffer (in place, or a
// range of it apart from the output's) is read through the output's binding, at its own offset;
// the host binds the span that covers them all:
//   forward_inplace    out[out] = forward(out[in])               in == out: y over x in place
//   backward_inplace   out[out] = backward(input[in], out[dy])   dy == out: dx over dy in place
//   backward_x_out     out[out] = backward(out[in], dy[dy])
//   backward_all_out   out[out] = backward(out[in], out[dy])
// Each invocation reads its element before it writes, and no two touch one element: the host
// refuses ranges that overlap other than exactly.
@compute @workgroup_size(WORKGROUP_SIZE)
fn forward_inplace_main(at: Invocation) {
  let i = flat_index(at);
  if (i >= params.count) {
    return;
  }
  out[params.out_offset + i] = forward(out[params.in_offset + i]);
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn backward_inplace_main(at: Invocation) {
  let i = flat_index(at);
  if (i >= params.count) {
    return;
  }
  out[params.out_offset + i] = backward(input[params.in_offset + i], out[params.dy_offset + i]);
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn backward_x_out_main(at: Invocation) {
  let i = flat_index(at);
  if (i >= params.count) {
    return;
  }
  out[params.out_offset + i] = backward(out[params.in_offset + i], dy[params.dy_offset + i]);
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn backward_all_out_main(at: Invocation) {
  let i = flat_index(at);
  if (i >= params.count) {
    return;
  }
  out[params.out_offset + i] = backward(out[params.in_offset + i], out[params.dy_offset + i]);
}
