// The bench's "plain vec4 kernel": the minimal hand-written ReLU a user would write, one thread
// per vec4, no bit-exact NaN/-0 handling (max(x, 0) may flush NaN to 0). More than 65535
// workgroups go on a 2-D grid: workgroup (x, y) covers vec4s (y * num_workgroups.x + x) * 256 + i.
@group(0) @binding(0) var<storage, read> x: array<vec4<f32>>;
@group(0) @binding(1) var<storage, read_write> y: array<vec4<f32>>;

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) g: vec3<u32>, @builtin(num_workgroups) n: vec3<u32>) {
  let i = g.y * n.x * 256u + g.x;
  if (i < arrayLength(&y)) {
    y[i] = max(x[i], vec4<f32>(0.0));
  }
}
