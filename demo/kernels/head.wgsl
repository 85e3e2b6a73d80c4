// The loss head, one invocation per sample i: logits z = logits[i, :] + bias, the loss, its
// gradient dL/dz for the mean loss over the batch, and whether the prediction was right.
//   k = 1: binary cross-entropy on a sigmoid, label 0 or 1, written stably as
//          max(z, 0) - z y + log(1 + e^-|z|); dz = (σ(z) - y) / n; predicted class 1 when z > 0.
//   k > 1: softmax cross-entropy, label the class index: log Σ e^(z_j - m) + m - z_y with
//          m = max z; dz_j = (softmax_j - [j = y]) / n; predicted class argmax z.

struct Head {
  n: u32,
  k: u32,
  pad0: u32,
  pad1: u32,
}

@group(0) @binding(0) var<uniform> head: Head;
@group(0) @binding(1) var<storage, read> logits: array<f32>;       // [n, k], before the bias
@group(0) @binding(2) var<storage, read> labels: array<f32>;       // [n]
@group(0) @binding(3) var<storage, read> bias: array<f32>;         // [k]
@group(0) @binding(4) var<storage, read_write> dz: array<f32>;     // [n, k]
@group(0) @binding(5) var<storage, read_write> stats: array<f32>;  // loss at i, 1 or 0 (right) at n + i

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) g: vec3<u32>) {
  let i = g.x;
  let n = head.n;
  let k = head.k;
  if (i >= n) {
    return;
  }
  let nf = f32(n);
  if (k == 1u) {
    let z = logits[i] + bias[0];
    let y = labels[i];
    let e = exp(-abs(z));
    let p = select(e / (1.0 + e), 1.0 / (1.0 + e), z >= 0.0);
    stats[i] = max(z, 0.0) - z * y + log(1.0 + e);
    dz[i] = (p - y) / nf;
    stats[n + i] = select(0.0, 1.0, (z > 0.0) == (y > 0.5));
    return;
  }
  let row = i * k;
  let y = u32(labels[i]);
  var m = logits[row] + bias[0];
  var best = 0u;
  for (var j = 1u; j < k; j++) {
    let z = logits[row + j] + bias[j];
    if (z > m) {
      m = z;
      best = j;
    }
  }
  var s = 0.0;
  for (var j = 0u; j < k; j++) {
    s += exp(logits[row + j] + bias[j] - m);
  }
  for (var j = 0u; j < k; j++) {
    let z = logits[row + j] + bias[j];
    dz[row + j] = (exp(z - m) / s - select(0.0, 1.0, j == y)) / nf;
  }
  stats[i] = log(s) + m - (logits[row + y] + bias[y]);
  stats[n + i] = select(0.0, 1.0, best == y);
}
