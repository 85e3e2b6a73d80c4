// A bias gradient, db[j] = Σ_i dz[i, j] over the rows of dz [rows, cols]: the output layer's, and
// a PReLU layer's (whose library layer has no fused bias). One invocation per column, summed in row
// order (the same bits every run).

struct Dims {
  rows: u32,
  cols: u32,
  pad0: u32,
  pad1: u32,
}

@group(0) @binding(0) var<uniform> dims: Dims;
@group(0) @binding(1) var<storage, read> dz: array<f32>;
@group(0) @binding(2) var<storage, read_write> db: array<f32>;

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) g: vec3<u32>) {
  let j = g.x;
  if (j >= dims.cols) {
    return;
  }
  var s = 0.0;
  for (var i = 0u; i < dims.rows; i++) {
    s += dz[i * dims.cols + j];
  }
  db[j] = s;
}
