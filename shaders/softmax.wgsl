// Kernels for the row-normalising ops (softmax, logSoftmax) along an axis. The op's file declares
//   row_value(s)            what each output of a row needs from its sum s = sum exp(x - max),
//                           given as a DetSum hi + lo (|lo| at most half an ULP of hi)
//   row_output(hi, lo, e, v) y from t = x - max = hi + lo exactly, e = exp(t) and that value
//   grad_term(y, dy)        the terms whose row sum the gradient needs
//   row_grad(y, dy, total)  dx from y, dy and that sum
// all in the deterministic arithmetic of lib/deterministic.wgsl, so every bit is fixed by the
// order of operations, which is fixed here and followed by the CPU twin (src/ops/softmax.ts).
//
// Rows. x is [outer, len, inner] around the axis (inner: the product of the sizes after it);
// row r = o * inner + i holds elements (o * len + k) * inner + i for k in [0, len).
//
// Lanes. Each row gets L lanes, L = min(64, the power of two at or above len), fixed by the row
// length alone (not tuned per device); a workgroup of 64 lanes takes 64 / L neighbouring rows,
// over a 1-D or 2-D grid (flat index y * groups.x + x). Lane l of a row takes its elements
// k = l, l + L, l + 2L, ... in that order. Lanes of rows past the last one compute nothing but
// still meet every barrier. Reductions:
//   - the max on ordered keys (exact, any order) and whether the row holds a NaN;
//   - sums as DetSum pairs: each lane adds its elements in order, then the row's lanes combine in
//     workgroup memory at strides 1, 2, 4, ..., L/2 (lane j, a multiple of twice the stride,
//     takes lane j + stride), the same tree on every adapter.
// A row with a NaN, or whose sum is NaN (an +Inf entry gives Inf - Inf), is all quiet NaN
// (0x7fc00000), as is any NaN result.

struct Rows {
  rows: u32,
  len: u32,
  inner: u32,
  lanes: u32, // L, lanes per row
}

@group(0) @binding(1) var<storage, read> input: array<u32>;   // x forward, y backward, as bits
@group(0) @binding(2) var<storage, read> dy: array<u32>;
@group(0) @binding(3) var<storage, read_write> out: array<u32>;
@group(0) @binding(5) var<uniform> shape: Rows;

const ROW_LANES: u32 = 64u;
const QUIET_NAN: u32 = 0x7fc00000u;
var<workgroup> row_key: array<i32, ROW_LANES>;
var<workgroup> row_nan: array<u32, ROW_LANES>;
var<workgroup> row_hi: array<u32, ROW_LANES>;
var<workgroup> row_lo: array<u32, ROW_LANES>;

fn row_index(row: u32, k: u32) -> u32 {
  let o = row / shape.inner;
  let i = row % shape.inner;
  return (o * shape.len + k) * shape.inner + i;
}

// Where a lane works: its row, its place among the row's lanes, where the row's lanes start in
// workgroup memory, and whether the row exists.
struct RowLane {
  row: u32,
  lane: u32,
  first: u32,
  live: bool,
}

fn row_lane(group: vec3<u32>, groups: vec3<u32>, local: u32) -> RowLane {
  let per_group = ROW_LANES / shape.lanes;
  let row = (group.y * groups.x + group.x) * per_group + local / shape.lanes;
  let lane = local % shape.lanes;
  return RowLane(row, lane, local - lane, row < shape.rows);
}

// The row's max (its bits; a key of 0 is +0) and whether it holds a NaN, in every lane.
fn row_max(at: RowLane) -> vec2<u32> {
  var key = -0x7fffffff; // below every key, -Inf's included
  var nan = 0u;
  let len = select(0u, shape.len, at.live);
  let row = at.row;
  let lane = at.lane;
  for (var k = lane; k < len; k += shape.lanes) {
    let b = input[row_index(row, k)];
    if (is_nan_bits(b)) {
      nan = 1u;
    } else {
      key = max(key, ordered_key(b));
    }
  }
  let me = at.first + lane;
  row_key[me] = key;
  row_nan[me] = nan;
  for (var stride = 1u; stride < shape.lanes; stride *= 2u) {
    workgroupBarrier();
    if (lane % (2u * stride) == 0u) {
      row_key[me] = max(row_key[me], row_key[me + stride]);
      row_nan[me] |= row_nan[me + stride];
    }
  }
  workgroupBarrier();
  let top = row_key[at.first];
  let bits = select(u32(-top) | 0x80000000u, u32(top), top >= 0);
  let result = vec2<u32>(bits, row_nan[at.first]);
  // Every lane has read the row's result before the arrays are written again.
  workgroupBarrier();
  return result;
}

// The row sum of the lanes' pairs, in every lane (the tree above).
fn row_sum(acc: DetSum, at: RowLane) -> DetSum {
  let me = at.first + at.lane;
  row_hi[me] = bitcast<u32>(acc.hi);
  row_lo[me] = bitcast<u32>(acc.lo);
  for (var stride = 1u; stride < shape.lanes; stride *= 2u) {
    workgroupBarrier();
    if (at.lane % (2u * stride) == 0u) {
      let a = DetSum(bitcast<f32>(row_hi[me]), bitcast<f32>(row_lo[me]));
      let b = DetSum(bitcast<f32>(row_hi[me + stride]), bitcast<f32>(row_lo[me + stride]));
      let merged = det_sum_merge(a, b);
      row_hi[me] = bitcast<u32>(merged.hi);
      row_lo[me] = bitcast<u32>(merged.lo);
    }
  }
  workgroupBarrier();
  let result = DetSum(bitcast<f32>(row_hi[at.first]), bitcast<f32>(row_lo[at.first]));
  workgroupBarrier();
  return result;
}

fn is_nan_f32(v: f32) -> bool {
  return is_nan_bits(bitcast<u32>(v));
}

// x - m as hi + lo exactly; where hi is infinite (an overflow, or x = -Inf) lo is +0, not the
// NaN TwoSum leaves there.
fn row_offset(x: f32, m: f32) -> DetSum {
  let t = det_two_sum(x, bitcast<f32>(bitcast<u32>(m) ^ 0x80000000u));
  let finite = (bitcast<u32>(t.hi) & 0x7f800000u) != 0x7f800000u;
  return DetSum(t.hi, select(0.0, t.lo, finite));
}

// Three passes over the row: its max; t = x - max (exactly, as hi + lo), e = exp(t), summed (e
// kept in out); y.
@compute @workgroup_size(ROW_LANES)
fn softmax_forward_main(@builtin(workgroup_id) group: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>, @builtin(local_invocation_index) local: u32) {
  let place = row_lane(group, groups, local);
  let row = place.row;
  let len = select(0u, shape.len, place.live);
  let top = row_max(place);
  let m = bitcast<f32>(top.x);
  var acc = DetSum(bitcast<f32>(0x80000000u), bitcast<f32>(0x80000000u));
  for (var k = place.lane; k < len; k += shape.lanes) {
    let at = row_index(row, k);
    let t = row_offset(bitcast<f32>(input[at]), m);
    let e = det_exp_lo(t.hi, t.lo);
    out[at] = bitcast<u32>(e);
    acc = det_sum_add(acc, e);
  }
  let s = det_sum_normalize(row_sum(acc, place));
  let nan_row = top.y != 0u || is_nan_f32(s.hi);
  // A NaN anywhere in the row makes s NaN (exp(NaN - max) joins the sum): then v is NaN too.
  let v = select(row_value(s), s.hi, is_nan_f32(s.hi));
  for (var k = place.lane; k < len; k += shape.lanes) {
    let at = row_index(row, k);
    let t = row_offset(bitcast<f32>(input[at]), m);
    let y = row_output(t.hi, t.lo, bitcast<f32>(out[at]), v);
    out[at] = select(bitcast<u32>(y), QUIET_NAN, nan_row || is_nan_f32(y));
  }
}

// Two passes: the row sum of grad_term(y, dy); dx.
@compute @workgroup_size(ROW_LANES)
fn softmax_backward_main(@builtin(workgroup_id) group: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>, @builtin(local_invocation_index) local: u32) {
  let place = row_lane(group, groups, local);
  let row = place.row;
  let len = select(0u, shape.len, place.live);
  var acc = DetSum(bitcast<f32>(0x80000000u), bitcast<f32>(0x80000000u));
  for (var k = place.lane; k < len; k += shape.lanes) {
    let at = row_index(row, k);
    acc = det_sum_add(acc, grad_term(bitcast<f32>(input[at]), bitcast<f32>(dy[at])));
  }
  let total = det_sum_value(row_sum(acc, place));
  for (var k = place.lane; k < len; k += shape.lanes) {
    let at = row_index(row, k);
    let dx = row_grad(bitcast<f32>(input[at]), bitcast<f32>(dy[at]), total);
    out[at] = select(bitcast<u32>(dx), QUIET_NAN, is_nan_f32(dx));
  }
}
