// SGD with momentum on one parameter tensor, one invocation per value:
// v = μ v + g; w -= lr v. With μ = 0 it is plain SGD, w -= lr g.

struct Sgd {
  n: u32,
  lr: f32,
  momentum: f32,
  pad0: u32,
}

@group(0) @binding(0) var<uniform> sgd: Sgd;
@group(0) @binding(1) var<storage, read> grad: array<f32>;
@group(0) @binding(2) var<storage, read_write> w: array<f32>;
@group(0) @binding(3) var<storage, read_write> v: array<f32>;

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) g: vec3<u32>) {
  let i = g.x;
  if (i >= sgd.n) {
    return;
  }
  let vi = sgd.momentum * v[i] + grad[i];
  v[i] = vi;
  w[i] -= sgd.lr * vi;
}
