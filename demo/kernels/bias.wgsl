// A hidden layer's bias where the layer has no fused-bias forward (PReLU): z[i, j] += b[j], in
// place on the pre-activations z [rows, cols], one invocation per element. z is row-major, so
// element idx is row idx / cols, column (unit) j = idx % cols.

struct Dims {
  rows: u32,
  cols: u32,
  pad0: u32,
  pad1: u32,
}

@group(0) @binding(0) var<uniform> dims: Dims;
@group(0) @binding(1) var<storage, read> b: array<f32>;
@group(0) @binding(2) var<storage, read_write> z: array<f32>;

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) g: vec3<u32>) {
  let idx = g.x;
  if (idx >= dims.rows * dims.cols) {
    return;
  }
  z[idx] += b[idx % dims.cols];
}
