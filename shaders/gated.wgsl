// Kernels for a gated unit (GLU and its variants): x splits along an axis into halves a and b,
// y = a * gate(b). The op's file declares gate_forward(b) and gate_backward(b, g, dg) over its
// gate's own forward/backward, which come before it in the module (scalar preamble: V is f32).
//
// Layout: x is [outer, 2 * half, inner] in row-major order (the axis, and the product of the
// sizes after it), y and dy are [outer, half, inner]. Output element o is at inner index
// o % inner, position h = (o / inner) % half along the axis, outer index o / (inner * half); its a
// is x[(outer * 2 * half + h) * inner + inner index] and its b lies half * inner further on.
//
// One invocation per output element, over a 1-D or 2-D grid (see elementwise.wgsl). Backward
// writes both of its entries of dx: da = dy * g and db = gate's gradient at b for dy * a, each
// product rounded once, as the CPU twin (src/ops/gated.ts) does.

struct Gates {
  half: u32,
  inner: u32,
}

@group(0) @binding(1) var<storage, read> input: array<f32>;
@group(0) @binding(2) var<storage, read> dy: array<f32>;
@group(0) @binding(3) var<storage, read_write> out: array<f32>;
@group(0) @binding(5) var<uniform> gates: Gates;

// Where output element o's a sits in x.
fn a_index(o: u32) -> u32 {
  let inner = o % gates.inner;
  let rest = o / gates.inner;
  let h = rest % gates.half;
  let outer = rest / gates.half;
  return (outer * 2u * gates.half + h) * gates.inner + inner;
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn gated_forward_main(at: Invocation) {
  let o = flat_index(at);
  if (o >= params.count) {
    return;
  }
  let i = a_index(o);
  let g = gate_forward(input[i + gates.half * gates.inner]);
  out[o] = input[i] * g;
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn gated_backward_main(at: Invocation) {
  let o = flat_index(at);
  if (o >= params.count) {
    return;
  }
  let i = a_index(o);
  let j = i + gates.half * gates.inner;
  let a = input[i];
  let b = input[j];
  let g = gate_forward(b);
  let d = dy[o];
  out[i] = d * g;
  out[j] = gate_backward(b, g, d * a);
}
