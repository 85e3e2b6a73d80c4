// Deterministic sums: each row of `input` is summed in a fixed binary tree, with no float
// atomics, so the result has the same bits on every run and every adapter, and equals the CPU's
// treeSumBits (src/cpu/exact.ts).
//
// Rows. Value k of row r is input[(k / inner) * rows * inner + r * inner + k % inner]: with
// inner = len, rows are contiguous ([rows, len]: PReLU's terms, and every pass after the first);
// otherwise input is [outer, rows, inner] and row r gathers channel r (the bias gradient of a
// [batch, units] or [N, C, H, W] tensor, summed per channel without a transpose).
//
// One pass: workgroup (row, block) sums the 128 values block * 128 .. block * 128 + 127 of its
// row (values past `len` read as -0, the identity of the sum) into out[row * blocks + block]:
// lane i first adds the pair (2i, 2i + 1), then lanes combine in shared memory at strides 1, 2,
// 4, ..., 32, each lane whose index is a multiple of twice the stride adding the lane `stride`
// above it. That is the perfect binary tree over the block. The host repeats passes over the
// partial sums until one value per row is left; as the blocks are aligned powers of two, the
// passes together form the perfect binary tree over the whole row padded with -0 to a power of
// two. Every addition is exact_add_bits (shaders/lib/exact.wgsl): correctly rounded, subnormals kept.
//
// Grid: blocks_per_row * rows workgroups, as a 1-D or 2-D grid (see elementwise.wgsl); the flat
// workgroup index is row * blocks_per_row + block, and groups past the last row return.

struct TreeSum {
  rows: u32,
  len: u32,             // values per row in `input`
  blocks_per_row: u32,  // ceil(len / 128): partial sums per row written to `out`
  inner: u32,           // see Rows above
}

// Values are handled as their bits throughout (see exact_add_bits on signed zeros).
@group(0) @binding(1) var<storage, read> input: array<u32>;
@group(0) @binding(3) var<storage, read_write> out: array<u32>;
@group(0) @binding(5) var<uniform> tree: TreeSum;

const TREE_LANES: u32 = 64u;
var<workgroup> partial: array<u32, TREE_LANES>;

fn tree_value(row: u32, k: u32) -> u32 {
  if (k >= tree.len) {
    return 0x80000000u;
  }
  return input[(k / tree.inner) * tree.rows * tree.inner + row * tree.inner + k % tree.inner];
}

@compute @workgroup_size(TREE_LANES)
fn tree_sum_main(@builtin(workgroup_id) group: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>, @builtin(local_invocation_index) lane: u32) {
  let flat = group.y * groups.x + group.x;
  // Uniform control flow: every lane of a workgroup takes the same branch here.
  let live = flat < tree.rows * tree.blocks_per_row;
  let row = flat / max(tree.blocks_per_row, 1u);
  let first = (flat % max(tree.blocks_per_row, 1u)) * 2u * TREE_LANES;
  if (live) {
    partial[lane] = exact_add_bits(tree_value(row, first + 2u * lane), tree_value(row, first + 2u * lane + 1u));
  }
  for (var stride = 1u; stride < TREE_LANES; stride *= 2u) {
    workgroupBarrier();
    if (live && lane % (2u * stride) == 0u) {
      partial[lane] = exact_add_bits(partial[lane], partial[lane + stride]);
    }
  }
  if (live && lane == 0u) {
    out[flat] = partial[0];
  }
}
