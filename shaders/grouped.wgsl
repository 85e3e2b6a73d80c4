// Kernels for an op that reduces groups of neighbouring entries along an axis (maxout). The op's
// file declares fn takes_lead(candidate: u32, best: u32) -> bool, deciding on the bits which
// entry of a group wins; the first entry leads at the start.
//
// Layout: x is [outer, groups * pieces, inner] in row-major order (the axis, and the product of
// the sizes after it), y is [outer, groups, inner]. Output element o is at inner index
// o % inner, group (o / inner) % groups, outer index o / (inner * groups); entry p of its group
// is x[(outer * groups * pieces + group * pieces + p) * inner + inner index].
//
// One invocation per output element, over a 1-D or 2-D grid (see elementwise.wgsl). Backward
// writes the whole group of dx: the winner gets dy, the others +0.

struct Groups {
  count: u32,   // elements of y
  groups: u32,
  pieces: u32,
  inner: u32,
}

@group(0) @binding(1) var<storage, read> input: array<u32>;   // x, as bits
@group(0) @binding(2) var<storage, read> dy: array<u32>;
@group(0) @binding(3) var<storage, read_write> out: array<u32>;
@group(0) @binding(5) var<uniform> grouping: Groups;

// Where entry 0 of output element o's group sits in x.
fn group_start(o: u32) -> u32 {
  let inner = o % grouping.inner;
  let rest = o / grouping.inner;
  let group = rest % grouping.groups;
  let outer = rest / grouping.groups;
  return (outer * grouping.groups * grouping.pieces + group * grouping.pieces) * grouping.inner + inner;
}

// The index within its group of the entry that wins.
fn winner(start: u32) -> u32 {
  var best = input[start];
  var at = 0u;
  for (var p = 1u; p < grouping.pieces; p++) {
    let candidate = input[start + p * grouping.inner];
    if (takes_lead(candidate, best)) {
      best = candidate;
      at = p;
    }
  }
  return at;
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn grouped_forward_main(at: Invocation) {
  let o = flat_index(at);
  if (o >= grouping.count) {
    return;
  }
  let start = group_start(o);
  out[o] = input[start + winner(start) * grouping.inner];
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn grouped_backward_main(at: Invocation) {
  let o = flat_index(at);
  if (o >= grouping.count) {
    return;
  }
  let start = group_start(o);
  let w = winner(start);
  for (var p = 0u; p < grouping.pieces; p++) {
    out[start + p * grouping.inner] = select(0u, dy[o], p == w);
  }
}
