// The k-class loss head after the library's logSoftmax, one invocation per sample i. The softmax
// cross-entropy is split as PyTorch's CrossEntropyLoss is: logp = logSoftmax(z) along the classes
// (acts.layer('logSoftmax'), which keeps logp for its backward), then this negative log-likelihood:
//   loss_i = -logp[i, y], y = labels[i] the class index;
//   dlogp[i, j] = -1/n at j = y, 0 elsewhere: the gradient of the mean loss over the batch. The
//     layer's backward turns it into dz = dlogp - exp(logp) Σ_j dlogp = (softmax(z) - onehot(y)) / n;
//   right_i = 1 when argmax_j logp[i, j] (the first of equals; the same j as argmax z) is y.
// Row i of logp and dlogp [n, k] starts at i k.

struct Head {
  n: u32,
  k: u32,
  pad0: u32,
  pad1: u32,
}

@group(0) @binding(0) var<uniform> head: Head;
@group(0) @binding(1) var<storage, read> logp: array<f32>;         // [n, k]
@group(0) @binding(2) var<storage, read> labels: array<f32>;       // [n]
@group(0) @binding(3) var<storage, read_write> dlogp: array<f32>;  // [n, k]
@group(0) @binding(4) var<storage, read_write> stats: array<f32>;  // loss at i, 1 or 0 (right) at n + i

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) g: vec3<u32>) {
  let i = g.x;
  let n = head.n;
  let k = head.k;
  if (i >= n) {
    return;
  }
  let row = i * k;
  let y = u32(labels[i]);
  var best = 0u;
  for (var j = 0u; j < k; j++) {
    if (logp[row + j] > logp[row + best]) {
      best = j;
    }
    dlogp[row + j] = select(0.0, -1.0 / f32(n), j == y);
  }
  stats[i] = -logp[row + y];
  stats[n + i] = select(0.0, 1.0, best == y);
}
