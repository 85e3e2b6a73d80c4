// Kernels for an op with a tensor parameter that broadcasts over x (PReLU's slopes). The op's file
// declares fn forward(x: V, alpha: V) -> V, fn backward(x: V, alpha: V, dy: V) -> V and
// fn param_term(x: V, dy: V) -> V (an element's term of the parameter's gradient). Element i of
// x uses parameter alpha[a], and backward also writes each element's term, grouped by
// parameter, for shaders/tree-sum.wgsl to sum.
//
// Indexing. The host describes x as at most 8 dimensions, outermost first, after dropping
// dimensions of size 1 and merging neighbours that alpha either both follows or both broadcasts
// over. Dimension d has size dims[d], and a stride in alpha (alpha_stride[d]: the product of the
// sizes of the later dimensions alpha follows, 0 where it broadcasts) and a stride among the
// elements that share one parameter (term_stride[d]: 0 where alpha follows it). Peeling element
// i's coordinates off from the innermost dimension gives
//   a = sum of coordinate[d] * alpha_stride[d]   (which parameter)
//   k = sum of coordinate[d] * term_stride[d]    (its place among that parameter's elements)
// and the gradient term goes to terms[a * per_param + k], so each parameter's terms are one row,
// in the order of x.
//
// One invocation per element, over a 1-D or 2-D grid (see elementwise.wgsl); x, dy and the
// outputs are our own buffers, bound whole.

struct Broadcast {
  rank: u32,
  per_param: u32,                   // elements per parameter: n / alpha's length
  pad0: u32,
  pad1: u32,
  dims: array<vec4<u32>, 2>,
  alpha_stride: array<vec4<u32>, 2>,
  term_stride: array<vec4<u32>, 2>,
}

@group(0) @binding(1) var<storage, read> input: array<V>;
@group(0) @binding(2) var<storage, read> dy: array<V>;
@group(0) @binding(3) var<storage, read_write> out: array<V>;
// The 1-bit mask of a layer with frozen slopes: bit j of word w is element 32w + j's mask_keep.
@group(0) @binding(4) var<storage, read_write> mask: array<u32>;
@group(0) @binding(5) var<uniform> broadcast: Broadcast;
@group(0) @binding(6) var<storage, read> alpha: array<V>;          // the parameter: the slopes
@group(0) @binding(7) var<storage, read_write> terms: array<V>;    // the second output: dalpha's terms

// (a, k) for element i, as described above.
fn broadcast_index(i: u32) -> vec2<u32> {
  var rest = i;
  var a = 0u;
  var k = 0u;
  for (var d = i32(broadcast.rank) - 1; d >= 0; d--) {
    let size = broadcast.dims[d / 4][d % 4];
    let coordinate = rest % size;
    rest /= size;
    a += coordinate * broadcast.alpha_stride[d / 4][d % 4];
    k += coordinate * broadcast.term_stride[d / 4][d % 4];
  }
  return vec2<u32>(a, k);
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn per_channel_forward_main(at: Invocation) {
  let i = flat_index(at);
  if (i >= params.count) {
    return;
  }
  out[i] = forward(input[i], alpha[broadcast_index(i).x]);
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn per_channel_backward_main(at: Invocation) {
  let i = flat_index(at);
  if (i >= params.count) {
    return;
  }
  let at_index = broadcast_index(i);
  let x = input[i];
  let g = dy[i];
  out[i] = backward(x, alpha[at_index.x], g);
  terms[at_index.x * broadcast.per_param + at_index.y] = param_term(x, g);
}

// The frozen-slope layer's kernels (the op's file declares mask_keep and masked_backward).
// Forward: one invocation per mask word, which packs its 32 elements (no two invocations write
// one word). Backward: one invocation per element, reading its bit and its slope.
@compute @workgroup_size(WORKGROUP_SIZE)
fn per_channel_forward_mask_main(at: Invocation) {
  let w = flat_index(at);
  if (w >= (params.count + 31u) / 32u) {
    return;
  }
  let first = w * 32u;
  let last = min(first + 32u, params.count);
  var word = 0u;
  for (var i = first; i < last; i++) {
    let x = input[i];
    out[i] = forward(x, alpha[broadcast_index(i).x]);
    word |= select(0u, 1u << (i - first), mask_keep(x));
  }
  mask[w] = word;
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn per_channel_backward_mask_main(at: Invocation) {
  let i = flat_index(at);
  if (i >= params.count) {
    return;
  }
  let keep = ((mask[i / 32u] >> (i % 32u)) & 1u) == 1u;
  out[i] = masked_backward(keep, alpha[broadcast_index(i).x], dy[i]);
}
