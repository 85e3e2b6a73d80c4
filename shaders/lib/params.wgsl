// The uniform every kernel reads at binding 0: how many items a dispatch covers, where each
// operand starts inside its binding, and the op's attributes. One immutable buffer per distinct
// value, cached per device (src/gpu/device-cache.ts).
//
// Every kernel file shares one binding layout (src/gpu/kernels.ts, BINDING), so a number means
// the same operand everywhere: 0 params, 1 input (x, or what backward reads besides dy), 2 dy,
// 3 out, 4 mask, 5 the family's own uniform (shape, broadcast, grouping), 6 a tensor parameter
// (bias, slopes), 7 a second output (kept z, a parameter's gradient terms).

struct Params {
  count: u32,        // Vs in this dispatch
  in_offset: u32,    // first V of the input (x forward, saved backward) within its binding
  dy_offset: u32,    // first V of dy within its binding (backward only)
  out_offset: u32,   // first V of the output within its binding
  attrs: vec4<f32>,  // the op's attributes in declaration order (alpha, beta, ...)
}

@group(0) @binding(0) var<uniform> params: Params;

// Invocations per workgroup, set per pipeline (compute.constants) from the device's limits.
override WORKGROUP_SIZE: u32 = 256u;

// What every kernel's entry point is given: where its invocation sits in the grid.
struct Invocation {
  @builtin(workgroup_id) workgroup: vec3<u32>,
  @builtin(num_workgroups) groups: vec3<u32>,
  @builtin(local_invocation_index) lane: u32,
}

// The flat index of an invocation in a 1-D or 2-D grid of workgroups (see elementwise.wgsl).
fn flat_index(at: Invocation) -> u32 {
  return (at.workgroup.y * at.groups.x + at.workgroup.x) * WORKGROUP_SIZE + at.lane;
}
