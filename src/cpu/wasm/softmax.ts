// softmax and logSoftmax (the row kernels of src/ops/softmax.ts, `rowKernels`) in WebAssembly SIMD,
// re-exported by kernels.ts. The JS kernels stay the reference: test/unit/simd.test.ts holds the
// two equal bit for bit.
//
// Why the bits agree: every step of the JS kernels is an f32 +, -, * or / (a float64 operation
// rounded once to f32, which for f32 operands is the correctly rounded f32 result), an integer
// operation on the bits, Math.trunc of a small value, a power of two or a compare; WebAssembly's
// f32x4.add/sub/mul/div are IEEE's correctly rounded operations with subnormals kept, and the rest
// have exact twins here (f32x4.trunc and floor, exponent bits, integer max, selects). The
// operations are the same and in the same order, the sums' included (below). Only a NaN's payload
// may differ, so no output is a NaN from float arithmetic: where the JS writes 0x7fc00000 (a NaN in
// the row, a NaN sum, a NaN result), so do these, deciding on the bits. NaNs do pass through the
// sums' float arithmetic (a NaN term), but whether a result is NaN is IEEE's, so the decisions
// agree.
//
// The row sum (rowSum): lane l of rowLanes(len) = min(64, the power of two at or above len) lanes
// adds the terms k = l, l + lanes, ... in k order from (-0, -0), then the lanes merge in a binary
// tree, strides 1, 2, 4, ... Here lane l of accumulator j (a v128 pair hi, lo in ACC) is the
// row's lane 4j + l, so a row's vector i goes whole into accumulator i % (lanes / 4): contiguous
// loads. The tree then runs on transposed quads of accumulators (mergeRowLanes). Rows of fewer
// than 4 lanes use lanes 0 to len - 1 of one accumulator. The last len % 4 terms go in masked, so
// a lane past the row's end stays (-0, -0), as in the JS.
//
// Rows along the last axis (inner = 1) run as above, one row at a time. Along an inner axis
// (inner > 1) four neighbouring rows run side by side instead, lane i being row i and each lane
// running the scalar algorithm exactly: a row's element k sits inner elements after its element
// k - 1, and neighbouring rows are neighbours in memory, so every step loads one v128 (the last
// inner % 4 rows of a group through a staged copy). Each lane then has its own rowLanes(len)
// accumulators (ACC holds 64), merged in the same tree.
//
// Each element is read before it is written, so y may be x (and dx may be y or dy).

import { ABS, INF, QUIET_NAN, SIGN, isNan4, keyOf4 } from './lanes';

// src/numerics/deterministic.ts's constants, as their f32 bits.
const LOG2E: f32 = reinterpret<f32>(0x3fb8aa3b);
const LN2_HI: f32 = reinterpret<f32>(0x3f317200);
const LN2_LO: f32 = reinterpret<f32>(0x35bfbe8e);
const C8: f32 = reinterpret<f32>(0x37d00d01); // 1/8!
const C7: f32 = reinterpret<f32>(0x39500d01);
const C6: f32 = reinterpret<f32>(0x3ab60b61);
const C5: f32 = reinterpret<f32>(0x3c088889);
const C4: f32 = reinterpret<f32>(0x3d2aaaab);
const C3: f32 = reinterpret<f32>(0x3e2aaaab); // 1/3!
const P11: f32 = reinterpret<f32>(0x3dba2e8c); // 1/11
const P9: f32 = reinterpret<f32>(0x3de38e39);
const P7: f32 = reinterpret<f32>(0x3e124925);
const P5: f32 = reinterpret<f32>(0x3e4ccccd);
const P3: f32 = reinterpret<f32>(0x3eaaaaab); // 1/3

// 64 accumulators: hi at ACC + 32j, lo at ACC + 32j + 16.
const ACC = memory.data(64 * 32, 16);
// Partial vectors (a row's last len % 4, a group's last inner % 4 rows), staged.
const STAGE_A = memory.data(16, 16);
const STAGE_B = memory.data(16, 16);
const STAGE_OUT = memory.data(16, 16);

// ---- four lanes of src/numerics/deterministic.ts ----

// Lanes whose value is ±Inf or NaN.
@inline
function nonFinite(b: v128): v128 {
  return i32x4.eq(v128.and(b, i32x4.splat(INF)), i32x4.splat(INF));
}

// 0x7fc00000 where nan, else v.
@inline
function quieted(v: v128, nan: v128): v128 {
  return v128.bitselect(i32x4.splat(QUIET_NAN), v, nan);
}

// The f32 bits with ordered key `key` (a key of 0 is +0), as the JS kernel's max.
@inline
function fromKeyLanes(key: v128): v128 {
  return v128.bitselect(v128.or(i32x4.neg(key), i32x4.splat(SIGN)), key, i32x4.lt_s(key, i32x4.splat(0)));
}

// 2^k for integral k in [-126, 127] given as f32 lanes, made on the exponent bits: k + 2^23 + 127
// is exact, its low bits are k + 127, and shifting by 23 drops the rest.
@inline
function pow2Lanes(k: v128): v128 {
  return i32x4.shl(f32x4.add(k, f32x4.splat(8388735.0)), 23);
}

// detExpLo(x, lo): +0 below -104, +Inf above 89, else 2^k (1 + r + r^2 q(r)) with k = trunc(x log2 e
// +- 1/2) (the sign of x's, -0's included), r = x - k ln 2 + lo, applied as 2^(k >> 1) then
// 2^(k - (k >> 1)). k stays an f32 (trunc and floor are exact, and give -0 where Math.trunc does);
// k >> 1 is floor(k / 2). A NaN x gives a NaN (x log2 e is NaN, so r and the result are).
@inline
function expLo4(x: v128, lo: v128): v128 {
  const half = v128.or(f32x4.splat(0.5), v128.and(x, i32x4.splat(SIGN)));
  const k = f32x4.trunc(f32x4.add(f32x4.mul(x, f32x4.splat(LOG2E)), half));
  const reduced = f32x4.sub(f32x4.sub(x, f32x4.mul(k, f32x4.splat(LN2_HI))), f32x4.mul(k, f32x4.splat(LN2_LO)));
  const r = f32x4.add(reduced, lo);
  let q = f32x4.add(f32x4.mul(r, f32x4.splat(C8)), f32x4.splat(C7));
  q = f32x4.add(f32x4.mul(r, q), f32x4.splat(C6));
  q = f32x4.add(f32x4.mul(r, q), f32x4.splat(C5));
  q = f32x4.add(f32x4.mul(r, q), f32x4.splat(C4));
  q = f32x4.add(f32x4.mul(r, q), f32x4.splat(C3));
  q = f32x4.add(f32x4.mul(r, q), f32x4.splat(0.5));
  const p = f32x4.add(f32x4.splat(1.0), f32x4.add(f32x4.mul(f32x4.mul(r, r), q), r));
  const k1 = f32x4.floor(f32x4.mul(k, f32x4.splat(0.5)));
  const e = f32x4.mul(f32x4.mul(p, pow2Lanes(k1)), pow2Lanes(f32x4.sub(k, k1)));
  const under = f32x4.lt(x, f32x4.splat(-104.0));
  const over = f32x4.gt(x, f32x4.splat(89.0));
  return v128.bitselect(i32x4.splat(INF), v128.andnot(e, under), over);
}

// detLog(s) for s in [1, 2^32): s = 2^e m, m in [sqrt(2)/2, sqrt(2)), log m = 2 atanh(u) with
// u = (m - 1) / (m + 1), then e ln 2 + log m.
@inline
function log4(s: v128): v128 {
  const up = i32x4.gt_s(v128.or(v128.and(s, i32x4.splat(0x7fffff)), i32x4.splat(0x3f800000)), i32x4.splat(0x3fb504f3));
  const e = i32x4.sub(i32x4.sub(v128.and(i32x4.shr_u(s, 23), i32x4.splat(0xff)), i32x4.splat(127)), up);
  const m = i32x4.sub(v128.or(v128.and(s, i32x4.splat(0x7fffff)), i32x4.splat(0x3f800000)), v128.and(up, i32x4.splat(0x00800000)));
  const u = f32x4.div(f32x4.sub(m, f32x4.splat(1.0)), f32x4.add(m, f32x4.splat(1.0)));
  const w = f32x4.mul(u, u);
  let p = f32x4.add(f32x4.mul(w, f32x4.splat(P11)), f32x4.splat(P9));
  p = f32x4.add(f32x4.mul(w, p), f32x4.splat(P7));
  p = f32x4.add(f32x4.mul(w, p), f32x4.splat(P5));
  p = f32x4.add(f32x4.mul(w, p), f32x4.splat(P3));
  const u2 = f32x4.add(u, u);
  const lm = f32x4.add(u2, f32x4.mul(f32x4.mul(u2, w), p));
  const ef = f32x4.convert_i32x4_s(e);
  return f32x4.add(f32x4.mul(ef, f32x4.splat(LN2_HI)), f32x4.add(f32x4.mul(ef, f32x4.splat(LN2_LO)), lm));
}

// rowOffset: x - m as hi + lo exactly (twoSum(x, -m)), lo = +0 where hi is not finite; the
// caller's `negM` is -m. offsetHi4 gives hi, offsetLo4 lo from it.
@inline
function offsetHi4(x: v128, negM: v128): v128 {
  return f32x4.add(x, negM);
}

@inline
function offsetLo4(x: v128, negM: v128, s: v128): v128 {
  const bv = f32x4.sub(s, x);
  const av = f32x4.sub(s, bv);
  const lo = f32x4.add(f32x4.sub(x, av), f32x4.sub(negM, bv));
  return v128.andnot(lo, nonFinite(s));
}

// The accumulator pair at acc += v (detSumAdd): every lane, or (`partial`) the lanes of `mask`.
@inline
function sumAdd4(acc: usize, v: v128, partial: bool, mask: v128): void {
  const hi = v128.load(acc);
  const lo = v128.load(acc, 16);
  const s = f32x4.add(hi, v);
  const bv = f32x4.sub(s, hi);
  const av = f32x4.sub(s, bv);
  const t = f32x4.add(f32x4.sub(hi, av), f32x4.sub(v, bv));
  const l = f32x4.add(lo, t);
  v128.store(acc, partial ? v128.bitselect(s, hi, mask) : s);
  v128.store(acc, partial ? v128.bitselect(l, lo, mask) : l, 16);
}

// detSumMerge's lo for a = (hiA, loA), b = (hiB, loB) and s = hiA + hiB, its hi.
@inline
function mergeLo(hiA: v128, loA: v128, hiB: v128, loB: v128, s: v128): v128 {
  const bv = f32x4.sub(s, hiA);
  const av = f32x4.sub(s, bv);
  const t = f32x4.add(f32x4.sub(hiA, av), f32x4.sub(hiB, bv));
  return f32x4.add(f32x4.add(loA, loB), t);
}

// The accumulator pair at acc = merge(acc, (hiB, loB)) (detSumMerge), every lane.
@inline
function sumMerge4(acc: usize, hiB: v128, loB: v128): void {
  const hiA = v128.load(acc);
  const s = f32x4.add(hiA, hiB);
  v128.store(acc, mergeLo(hiA, v128.load(acc, 16), hiB, loB, s), 16);
  v128.store(acc, s);
}

@inline
function clearAccumulators(count: i32): void {
  for (let j = 0; j < count; j++) {
    v128.store(ACC + (<usize>j << 5), i32x4.splat(SIGN));
    v128.store(ACC + (<usize>j << 5), i32x4.splat(SIGN), 16);
  }
}

/** rowLanes(len): min(64, the power of two at or above len). */
@inline
function rowLanes(len: i32): i32 {
  let lanes = 1;
  while (lanes < len && lanes < 64) lanes <<= 1;
  return lanes;
}

// ---- rows along the last axis: one row at a time, its lanes across accumulators ----

// Two levels of the tree over four accumulators at `from` (row lanes 4j + l, j < 4): transposed,
// so that column l holds lane l of each, the stride-1 pairs merge as columns (0, 1) and (2, 3) and
// the stride-2 pairs as the results; lane j of the pair stored at `to` is then the node of lane 4j.
function mergeQuad(from: usize, to: usize): void {
  const h0 = v128.load(from);
  const h1 = v128.load(from, 32);
  const h2 = v128.load(from, 64);
  const h3 = v128.load(from, 96);
  const l0 = v128.load(from, 16);
  const l1 = v128.load(from, 48);
  const l2 = v128.load(from, 80);
  const l3 = v128.load(from, 112);
  // The 4x4 transposes: a0 b0 a1 b1 and c0 d0 c1 d1, then their halves joined.
  const ha = i32x4.shuffle(h0, h1, 0, 4, 1, 5);
  const hb = i32x4.shuffle(h2, h3, 0, 4, 1, 5);
  const hc = i32x4.shuffle(h0, h1, 2, 6, 3, 7);
  const hd = i32x4.shuffle(h2, h3, 2, 6, 3, 7);
  const la = i32x4.shuffle(l0, l1, 0, 4, 1, 5);
  const lb = i32x4.shuffle(l2, l3, 0, 4, 1, 5);
  const lc = i32x4.shuffle(l0, l1, 2, 6, 3, 7);
  const ld = i32x4.shuffle(l2, l3, 2, 6, 3, 7);
  const hi0 = i32x4.shuffle(ha, hb, 0, 1, 4, 5);
  const hi1 = i32x4.shuffle(ha, hb, 2, 3, 6, 7);
  const hi2 = i32x4.shuffle(hc, hd, 0, 1, 4, 5);
  const hi3 = i32x4.shuffle(hc, hd, 2, 3, 6, 7);
  const lo0 = i32x4.shuffle(la, lb, 0, 1, 4, 5);
  const lo1 = i32x4.shuffle(la, lb, 2, 3, 6, 7);
  const lo2 = i32x4.shuffle(lc, ld, 0, 1, 4, 5);
  const lo3 = i32x4.shuffle(lc, ld, 2, 3, 6, 7);
  const s01 = f32x4.add(hi0, hi1);
  const t01 = mergeLo(hi0, lo0, hi1, lo1, s01);
  const s23 = f32x4.add(hi2, hi3);
  const t23 = mergeLo(hi2, lo2, hi3, lo3, s23);
  const s = f32x4.add(s01, s23);
  v128.store(to, s);
  v128.store(to, mergeLo(s01, t01, s23, t23, s), 16);
}

// The tree over `lanes` row lanes held 4 to an accumulator; the sum ends in lane 0 of
// accumulator 0. While there are 4 or more accumulators, each four make one (mergeQuad, two
// levels), whose lanes are nodes 4 apart in the accumulators' own: the same shape, a quarter the
// count. Then strides 1 and 2 by shuffles within each, then between the (1 or 2) left.
function mergeRowLanes(lanes: i32): void {
  let count = lanes > 4 ? lanes >> 2 : 1;
  for (; count >= 4; count >>= 2) {
    for (let g = 0; g < count >> 2; g++) mergeQuad(ACC + (<usize>g << 7), ACC + (<usize>g << 5));
  }
  if (lanes > 1) {
    for (let j = 0; j < count; j++) {
      const acc = ACC + (<usize>j << 5);
      const hi = v128.load(acc);
      const lo = v128.load(acc, 16);
      sumMerge4(acc, i32x4.shuffle(hi, hi, 1, 0, 3, 2), i32x4.shuffle(lo, lo, 1, 0, 3, 2));
      if (lanes > 2) {
        const hi2 = v128.load(acc);
        const lo2 = v128.load(acc, 16);
        sumMerge4(acc, i32x4.shuffle(hi2, hi2, 2, 3, 0, 1), i32x4.shuffle(lo2, lo2, 2, 3, 0, 1));
      }
    }
  }
  if (count == 2) sumMerge4(ACC, v128.load(ACC, 32), v128.load(ACC, 48));
}

@inline
function fill(out: usize, n: i32, bits: i32): void {
  let i = 0;
  for (; i + 4 <= n; i += 4) v128.store(out + (<usize>i << 2), i32x4.splat(bits));
  for (; i < n; i++) store<i32>(out + (<usize>i << 2), bits);
}

// The first `count` lanes of a v128 set: the lanes a partial vector holds.
@inline
function firstLanes(count: i32): v128 {
  return i32x4.lt_s(i32x4(0, 1, 2, 3), i32x4.splat(count));
}

// count (< 4) f32s from `from` into the 16 bytes at `to`, the rest +0.
@inline
function stage(to: usize, from: usize, count: i32): v128 {
  v128.store(to, i32x4.splat(0));
  for (let i = 0; i < count; i++) store<i32>(to + (<usize>i << 2), load<i32>(from + (<usize>i << 2)));
  return v128.load(to);
}

// The first count (< 4) lanes of v to `to`.
@inline
function unstage(to: usize, v: v128, count: i32): void {
  v128.store(STAGE_OUT, v);
  for (let i = 0; i < count; i++) store<i32>(to + (<usize>i << 2), load<i32>(STAGE_OUT + (<usize>i << 2)));
}

// The row's value from its sum (hi, lo), hi not NaN: detSumNormalize (lo = 0 where hi is
// infinite, which e <= 1 a term rules out here), then 1 / hi (softmax) or log hi + lo / hi.
@inline
function rowValue(hi: f32, lo: f32, log: bool): f32 {
  let h = hi;
  let l: f32 = 0;
  if ((reinterpret<i32>(hi) & INF) != INF) {
    h = hi + lo;
    l = lo - (h - hi);
  }
  const r = f32x4.splat(<f32>1.0 / h);
  if (!log) return f32x4.extract_lane(r, 0);
  return f32x4.extract_lane(f32x4.add(log4(f32x4.splat(h)), f32x4.mul(f32x4.splat(l), r)), 0);
}

// One vector of a row: e (softmax: also stored to y at `y`, `count` lanes) into the accumulator at `acc`.
@inline
function rowExpStep(x: v128, negM: v128, y: usize, acc: usize, mask: v128, count: i32, log: bool): void {
  const hi = offsetHi4(x, negM);
  const e = expLo4(hi, offsetLo4(x, negM, hi));
  if (!log) {
    if (count == 4) v128.store(y, e);
    else unstage(y, e, count);
  }
  sumAdd4(acc, e, count < 4, mask);
}

// y = e v (softmax, e already in y) or (hi - v) + lo (logSoftmax, from x), NaN as 0x7fc00000.
@inline
function rowOutput(x: v128, yv: v128, negM: v128, v: v128, log: bool): v128 {
  let out: v128;
  if (log) {
    const hi = offsetHi4(x, negM);
    out = f32x4.add(f32x4.sub(hi, v), offsetLo4(x, negM, hi));
  } else out = f32x4.mul(yv, v);
  return quieted(out, isNan4(out));
}

@inline
function rowsForward(x: usize, y: usize, rows: i32, len: i32, log: bool): void {
  const lanes = rowLanes(len);
  const accMask = (lanes > 4 ? lanes >> 2 : 1) - 1;
  const vectors = len >> 2;
  const rest = len & 3;
  const all = i32x4.splat(-1);
  for (let r = 0; r < rows; r++) {
    const xr = x + ((<usize>r * <usize>len) << 2);
    const yr = y + ((<usize>r * <usize>len) << 2);
    // The max by ordered key (NaN rows are all 0x7fc00000 whatever the max).
    let keys = i32x4.splat(-ABS);
    let nan = i32x4.splat(0);
    for (let i = 0; i < vectors; i++) {
      const b = v128.load(xr + (<usize>i << 4));
      keys = i32x4.max_s(keys, keyOf4(b));
      nan = v128.or(nan, isNan4(b));
    }
    if (rest) {
      const b = stage(STAGE_A, xr + (<usize>vectors << 4), rest);
      keys = v128.bitselect(i32x4.max_s(keys, keyOf4(b)), keys, firstLanes(rest));
      nan = v128.or(nan, isNan4(b));
    }
    if (v128.any_true(nan)) {
      fill(yr, len, QUIET_NAN);
      continue;
    }
    keys = i32x4.max_s(keys, i32x4.shuffle(keys, keys, 2, 3, 0, 1));
    keys = i32x4.max_s(keys, i32x4.shuffle(keys, keys, 1, 0, 3, 2));
    const negM = v128.xor(fromKeyLanes(keys), i32x4.splat(SIGN));
    // e = detExpLo(rowOffset(x, m)), summed; softmax keeps e in y.
    clearAccumulators(accMask + 1);
    for (let i = 0; i < vectors; i++) {
      const at = <usize>i << 4;
      rowExpStep(v128.load(xr + at), negM, yr + at, ACC + (<usize>(i & accMask) << 5), all, 4, log);
    }
    if (rest) {
      const at = <usize>vectors << 4;
      const b = stage(STAGE_A, xr + at, rest);
      rowExpStep(b, negM, yr + at, ACC + (<usize>(vectors & accMask) << 5), firstLanes(rest), rest, log);
    }
    mergeRowLanes(lanes);
    const hi = f32x4.extract_lane(v128.load(ACC), 0);
    if (isNaN(hi)) {
      fill(yr, len, QUIET_NAN);
      continue;
    }
    const v = f32x4.splat(rowValue(hi, f32x4.extract_lane(v128.load(ACC, 16), 0), log));
    for (let i = 0; i < vectors; i++) {
      const at = <usize>i << 4;
      const out = rowOutput(log ? v128.load(xr + at) : i32x4.splat(0), log ? i32x4.splat(0) : v128.load(yr + at), negM, v, log);
      v128.store(yr + at, out);
    }
    if (rest) {
      const at = <usize>vectors << 4;
      const b = log ? stage(STAGE_A, xr + at, rest) : stage(STAGE_A, yr + at, rest);
      const out = rowOutput(b, b, negM, v, log);
      unstage(yr + at, out, rest);
    }
  }
}

// The gradient's term: dy y (softmax) or dy (logSoftmax).
@inline
function gradTerm(yv: v128, dyv: v128, log: bool): v128 {
  return log ? dyv : f32x4.mul(dyv, yv);
}

// dx = y (dy - total) (softmax) or dy - exp(y) total (logSoftmax), NaN as 0x7fc00000.
@inline
function rowGrad(yv: v128, dyv: v128, total: v128, log: bool): v128 {
  const out = log
    ? f32x4.sub(dyv, f32x4.mul(expLo4(yv, i32x4.splat(0)), total))
    : f32x4.mul(yv, f32x4.sub(dyv, total));
  return quieted(out, isNan4(out));
}

@inline
function rowsBackward(y: usize, dy: usize, dx: usize, rows: i32, len: i32, log: bool): void {
  const lanes = rowLanes(len);
  const accMask = (lanes > 4 ? lanes >> 2 : 1) - 1;
  const vectors = len >> 2;
  const rest = len & 3;
  const all = i32x4.splat(-1);
  for (let r = 0; r < rows; r++) {
    const row = (<usize>r * <usize>len) << 2;
    clearAccumulators(accMask + 1);
    for (let i = 0; i < vectors; i++) {
      const at = row + (<usize>i << 4);
      sumAdd4(ACC + (<usize>(i & accMask) << 5), gradTerm(v128.load(y + at), v128.load(dy + at), log), false, all);
    }
    const tail = row + (<usize>vectors << 4);
    if (rest) {
      const term = gradTerm(stage(STAGE_A, y + tail, rest), stage(STAGE_B, dy + tail, rest), log);
      sumAdd4(ACC + (<usize>(vectors & accMask) << 5), term, true, firstLanes(rest));
    }
    mergeRowLanes(lanes);
    // detSumValue: hi + lo where hi is finite, else hi.
    const hi = f32x4.extract_lane(v128.load(ACC), 0);
    const lo = f32x4.extract_lane(v128.load(ACC, 16), 0);
    const total = f32x4.splat((reinterpret<i32>(hi) & INF) != INF ? hi + lo : hi);
    for (let i = 0; i < vectors; i++) {
      const at = row + (<usize>i << 4);
      v128.store(dx + at, rowGrad(v128.load(y + at), v128.load(dy + at), total, log));
    }
    if (rest) unstage(dx + tail, rowGrad(stage(STAGE_A, y + tail, rest), stage(STAGE_B, dy + tail, rest), total, log), rest);
  }
}

// ---- rows along an inner axis: four neighbouring rows side by side, one a lane ----

// count (<= 4) neighbouring f32s at `from` as a v128 (staged when fewer than 4).
@inline
function load4(from: usize, count: i32, staging: usize): v128 {
  return count == 4 ? v128.load(from) : stage(staging, from, count);
}

@inline
function store4(to: usize, v: v128, count: i32): void {
  if (count == 4) v128.store(to, v);
  else unstage(to, v, count);
}

// The tree over `lanes` accumulators, one v128 pair each (a lane per row): every lane merges.
function mergeColumnLanes(lanes: i32): void {
  for (let step = 1; step < lanes; step <<= 1) {
    for (let j = 0; j < lanes; j += step << 1) {
      const other = ACC + (<usize>(j + step) << 5);
      sumMerge4(ACC + (<usize>j << 5), v128.load(other), v128.load(other, 16));
    }
  }
}

@inline
function columnsForward(x: usize, y: usize, outer: i32, len: i32, inner: i32, log: bool): void {
  const lanes = rowLanes(len);
  const stride = <usize>inner << 2;
  const all = i32x4.splat(-1);
  for (let o = 0; o < outer; o++) {
    for (let i0 = 0; i0 < inner; i0 += 4) {
      const count = min(4, inner - i0);
      const start = ((<usize>o * <usize>len * <usize>inner + <usize>i0) << 2);
      const xs = x + start;
      const ys = y + start;
      let keys = i32x4.splat(-ABS);
      let nan = i32x4.splat(0);
      for (let k = 0; k < len; k++) {
        const b = load4(xs + <usize>k * stride, count, STAGE_A);
        keys = i32x4.max_s(keys, keyOf4(b));
        nan = v128.or(nan, isNan4(b));
      }
      const negM = v128.xor(fromKeyLanes(keys), i32x4.splat(SIGN));
      clearAccumulators(lanes);
      for (let k = 0; k < len; k++) {
        const at = <usize>k * stride;
        const b = load4(xs + at, count, STAGE_A);
        const hi = offsetHi4(b, negM);
        const e = expLo4(hi, offsetLo4(b, negM, hi));
        if (!log) store4(ys + at, e, count);
        sumAdd4(ACC + (<usize>(k & (lanes - 1)) << 5), e, false, all);
      }
      mergeColumnLanes(lanes);
      // detSumNormalize, then the row's value; a NaN in the row or a NaN sum: 0x7fc00000 throughout.
      const hi = v128.load(ACC);
      const lo = v128.load(ACC, 16);
      const finite = v128.not(nonFinite(hi));
      const h = v128.bitselect(f32x4.add(hi, lo), hi, finite);
      const l = v128.and(f32x4.sub(lo, f32x4.sub(h, hi)), finite);
      const reciprocal = f32x4.div(f32x4.splat(1.0), h);
      const v = log ? f32x4.add(log4(h), f32x4.mul(l, reciprocal)) : reciprocal;
      const nanRow = v128.or(nan, isNan4(hi));
      for (let k = 0; k < len; k++) {
        const at = <usize>k * stride;
        let out: v128;
        if (log) {
          const b = load4(xs + at, count, STAGE_A);
          const t = offsetHi4(b, negM);
          out = f32x4.add(f32x4.sub(t, v), offsetLo4(b, negM, t));
        } else out = f32x4.mul(load4(ys + at, count, STAGE_A), v);
        store4(ys + at, quieted(out, v128.or(nanRow, isNan4(out))), count);
      }
    }
  }
}

@inline
function columnsBackward(y: usize, dy: usize, dx: usize, outer: i32, len: i32, inner: i32, log: bool): void {
  const lanes = rowLanes(len);
  const stride = <usize>inner << 2;
  const all = i32x4.splat(-1);
  for (let o = 0; o < outer; o++) {
    for (let i0 = 0; i0 < inner; i0 += 4) {
      const count = min(4, inner - i0);
      const start = ((<usize>o * <usize>len * <usize>inner + <usize>i0) << 2);
      clearAccumulators(lanes);
      for (let k = 0; k < len; k++) {
        const at = start + <usize>k * stride;
        const term = gradTerm(load4(y + at, count, STAGE_A), load4(dy + at, count, STAGE_B), log);
        sumAdd4(ACC + (<usize>(k & (lanes - 1)) << 5), term, false, all);
      }
      mergeColumnLanes(lanes);
      const hi = v128.load(ACC);
      const total = v128.bitselect(hi, f32x4.add(hi, v128.load(ACC, 16)), nonFinite(hi));
      for (let k = 0; k < len; k++) {
        const at = start + <usize>k * stride;
        store4(dx + at, rowGrad(load4(y + at, count, STAGE_A), load4(dy + at, count, STAGE_B), total, log), count);
      }
    }
  }
}

/**
 * softmax (log false) or logSoftmax (log true) forward over x seen as [outer, len, inner], each
 * row along the middle axis normalised into y (which may be x).
 */
export function softmax_forward(x: usize, y: usize, outer: i32, len: i32, inner: i32, log: bool): void {
  if (len == 0) return;
  if (inner == 1) {
    if (log) rowsForward(x, y, outer, len, true);
    else rowsForward(x, y, outer, len, false);
  } else if (log) columnsForward(x, y, outer, len, inner, true);
  else columnsForward(x, y, outer, len, inner, false);
}

/** Their backward: dx from y (the forward's output) and dy, the same layout; dx may be y or dy. */
export function softmax_backward(y: usize, dy: usize, dx: usize, outer: i32, len: i32, inner: i32, log: bool): void {
  if (len == 0) return;
  if (inner == 1) {
    if (log) rowsBackward(y, dy, dx, outer, len, true);
    else rowsBackward(y, dy, dx, outer, len, false);
  } else if (log) columnsBackward(y, dy, dx, outer, len, inner, true);
  else columnsBackward(y, dy, dx, outer, len, inner, false);
}
