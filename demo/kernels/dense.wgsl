// A hidden layer's forward with its activation fused in, for the decision boundary:
// c[i, j] = act_forward(Σ_p a[i, p] w[p, j] + b[j]), a [m, k], w [k, n] and c [m, n] row-major,
// one invocation per output element (row i = idx / n, column j = idx % n). The sum runs in
// matmul.wgsl's order and the bias is added as the layer's forwardBias adds it, so c is what the
// training forward computes (matmul, then the library's layer), in one pass instead of two.
//
// act_forward is not declared here: demo/mlp.ts puts wgslFunctions(op, { attrs, prefix: 'act' })
// .code (the library's own op as WGSL functions, attributes as constants) in front of this text.

struct Dense {
  m: u32,
  k: u32,
  n: u32,
  pad0: u32,
}

@group(0) @binding(0) var<uniform> dims: Dense;
@group(0) @binding(1) var<storage, read> a: array<f32>;
@group(0) @binding(2) var<storage, read> w: array<f32>;
@group(0) @binding(3) var<storage, read> b: array<f32>;
@group(0) @binding(4) var<storage, read_write> c: array<f32>;

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) g: vec3<u32>) {
  let idx = g.x;
  if (idx >= dims.m * dims.n) {
    return;
  }
  let i = idx / dims.n;
  let j = idx % dims.n;
  var s = 0.0;
  for (var p = 0u; p < dims.k; p++) {
    s += a[i * dims.k + p] * w[p * dims.n + j];
  }
  c[idx] = act_forward(s + b[j]);
}
