// The two-class loss head (k = 1), one invocation per sample i: binary cross-entropy on a sigmoid
// of the logit z = z[i] (the output bias already added, by bias.wgsl), label y 0 or 1, written
// stably as max(z, 0) - z y + log(1 + e^-|z|); its gradient for the mean loss over the batch,
// dz = (σ(z) - y) / n; and whether the prediction (class 1 when z > 0) was right. The k > 1 head
// is the library's logSoftmax and nll.wgsl.

struct Head {
  n: u32,
  pad0: u32,
  pad1: u32,
  pad2: u32,
}

@group(0) @binding(0) var<uniform> head: Head;
@group(0) @binding(1) var<storage, read> z: array<f32>;            // [n], the bias added
@group(0) @binding(2) var<storage, read> labels: array<f32>;       // [n]
@group(0) @binding(3) var<storage, read_write> dz: array<f32>;     // [n]
@group(0) @binding(4) var<storage, read_write> stats: array<f32>;  // loss at i, 1 or 0 (right) at n + i

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) g: vec3<u32>) {
  let i = g.x;
  let n = head.n;
  if (i >= n) {
    return;
  }
  let zi = z[i];
  let y = labels[i];
  let e = exp(-abs(zi));
  let p = select(e / (1.0 + e), 1.0 / (1.0 + e), zi >= 0.0);
  stats[i] = max(zi, 0.0) - zi * y + log(1.0 + e);
  dz[i] = (p - y) / f32(n);
  stats[n + i] = select(0.0, 1.0, (zi > 0.0) == (y > 0.5));
}
