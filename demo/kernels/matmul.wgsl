// C[m, n] = A[m, k] B[k, n], one invocation per output element: the dense layers' products and
// their gradients. flags bit 0: A is stored transposed, as [k, m] (dW = aᵀ dz reads the
// activations a [batch, units] as Aᵀ); bit 1: B is stored transposed, as [n, k] (da = dz Wᵀ).
// The sizes here are small (batch ≤ a few thousand, units ≤ 64), so no tiling.

struct Mm {
  m: u32,
  k: u32,
  n: u32,
  flags: u32,
}

@group(0) @binding(0) var<uniform> mm: Mm;
@group(0) @binding(1) var<storage, read> a: array<f32>;
@group(0) @binding(2) var<storage, read> b: array<f32>;
@group(0) @binding(3) var<storage, read_write> c: array<f32>;

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) g: vec3<u32>) {
  // Output idx is row i = idx / n, column j = idx % n of C.
  let idx = g.x;
  if (idx >= mm.m * mm.n) {
    return;
  }
  let i = idx / mm.n;
  let j = idx % mm.n;
  // A[i, p] is at i k + p, or at p m + i when stored [k, m]; B[p, j] at p n + j, or at j k + p.
  // As strides: one load each, whatever the layout.
  let a_t = (mm.flags & 1u) != 0u;
  let b_t = (mm.flags & 2u) != 0u;
  let a_step = select(1u, mm.m, a_t);
  let b_step = select(mm.n, 1u, b_t);
  var ai = select(i * mm.k, i, a_t);
  var bi = select(j, j * mm.k, b_t);
  var s = 0.0;
  for (var p = 0u; p < mm.k; p++) {
    s += a[ai] * b[bi];
    ai += a_step;
    bi += b_step;
  }
  c[idx] = s;
}
