// The CPU backend's WebAssembly SIMD kernels, in AssemblyScript (compiled by scripts/build-wasm.mjs
// into kernels.generated.ts). They are the fast twins of the JS kernels in src/ops/*.ts, which stay
// the reference: test/unit/simd.test.ts holds the two equal bit for bit.
//
// Every decision is made on the f32 bits with integer lanes, as the WGSL does: WebAssembly lets a
// float operation return any NaN payload, so no NaN ever passes through float arithmetic here.
// Pointers are byte addresses of f32 arrays in this module's memory; n is the element count. Four
// elements per v128, the last n % 4 one at a time.

import { ABS, INF, QUIET_NAN, SIGN, isNan, isNan4, keyOf, keyOf4 } from './lanes';

// softmax and logSoftmax, in their own file.
export { softmax_forward, softmax_backward } from './softmax';

/** Blocks for tensors: AssemblyScript's TLSF allocator, 16-byte aligned. */
export function alloc(bytes: usize): usize {
  return heap.alloc(bytes);
}

export function free(ptr: usize): void {
  heap.free(ptr);
}

// keyOf, isNan and their four-lane twins: ./lanes.ts.

// Each kernel runs its vector step over the array in pairs of v128s (two independent chains per
// iteration measured ~20% faster than one at 2^18 to 2^20 elements; four were no better), then
// one v128 when a single one is left, then the last n % 4 elements one at a time.

// relu in one signed compare (as shaders/activations/relu.wgsl): x > 0 or NaN is s > -0x800000
// and s != 0 on the bits s read as i32; forward leaves out s != 0, as +0 kept is +0.
const RELU_FLOOR: i32 = -0x800000;

@inline
function reluForward4(x: usize, y: usize, floor: v128): void {
  const b = v128.load(x);
  v128.store(y, v128.and(b, i32x4.gt_s(b, floor)));
}

/** relu forward: y = (x is NaN or x > 0) ? x : +0. */
export function relu_forward(x: usize, y: usize, n: i32): void {
  const floor = i32x4.splat(RELU_FLOOR);
  const vectors = n >> 2;
  for (let i = 0; i < vectors >> 1; i++) {
    const at = <usize>i << 5;
    reluForward4(x + at, y + at, floor);
    reluForward4(x + at + 16, y + at + 16, floor);
  }
  if (vectors & 1) {
    const at = <usize>(vectors - 1) << 4;
    reluForward4(x + at, y + at, floor);
  }
  for (let i = vectors << 2; i < n; i++) {
    const at = <usize>i << 2;
    const b = load<i32>(x + at);
    store<i32>(y + at, b > RELU_FLOOR ? b : 0);
  }
}

@inline
function reluBackward4(x: usize, dy: usize, dx: usize, floor: v128): void {
  const b = v128.load(x);
  const keep = v128.andnot(i32x4.gt_s(b, floor), i32x4.eq(b, i32x4.splat(0)));
  v128.store(dx, v128.and(v128.load(dy), keep));
}

/** relu backward: dx = (x is NaN or x > 0) ? dy : +0. */
export function relu_backward(x: usize, dy: usize, dx: usize, n: i32): void {
  const floor = i32x4.splat(RELU_FLOOR);
  const vectors = n >> 2;
  for (let i = 0; i < vectors >> 1; i++) {
    const at = <usize>i << 5;
    reluBackward4(x + at, dy + at, dx + at, floor);
    reluBackward4(x + at + 16, dy + at + 16, dx + at + 16, floor);
  }
  if (vectors & 1) {
    const at = <usize>(vectors - 1) << 4;
    reluBackward4(x + at, dy + at, dx + at, floor);
  }
  for (let i = vectors << 2; i < n; i++) {
    const at = <usize>i << 2;
    const b = load<i32>(x + at);
    store<i32>(dx + at, b > RELU_FLOOR && b != 0 ? load<i32>(dy + at) : 0);
  }
}

@inline
function gateAbove4(x: usize, g: usize, out: usize, kv: v128): void {
  const b = v128.load(x);
  const pass = v128.or(isNan4(b), i32x4.gt_s(keyOf4(b), kv));
  v128.store(out, v128.and(v128.load(g), pass));
}

/**
 * out = (x is NaN or x > k) ? g : +0, k given as an ordered key: thresholded relu (k = theta's
 * key) forward with g = x, backward with g = dy.
 */
export function gate_above(x: usize, g: usize, out: usize, n: i32, k: i32): void {
  const kv = i32x4.splat(k);
  const vectors = n >> 2;
  for (let i = 0; i < vectors >> 1; i++) {
    const at = <usize>i << 5;
    gateAbove4(x + at, g + at, out + at, kv);
    gateAbove4(x + at + 16, g + at + 16, out + at + 16, kv);
  }
  if (vectors & 1) {
    const at = <usize>(vectors - 1) << 4;
    gateAbove4(x + at, g + at, out + at, kv);
  }
  for (let i = vectors << 2; i < n; i++) {
    const at = <usize>i << 2;
    const b = load<i32>(x + at);
    store<i32>(out + at, isNan(b) || keyOf(b) > k ? load<i32>(g + at) : 0);
  }
}

@inline
function gateInside4(x: usize, g: usize, out: usize, lov: v128, hiv: v128): void {
  const b = v128.load(x);
  const key = keyOf4(b);
  const inside = v128.and(i32x4.gt_s(key, lov), i32x4.lt_s(key, hiv));
  v128.store(out, v128.and(v128.load(g), v128.or(isNan4(b), inside)));
}

/**
 * out = (x is NaN or lo < x < hi) ? g : +0, lo and hi as ordered keys: the gradient of relu6 and
 * hardtanh (g = dy).
 */
export function gate_inside(x: usize, g: usize, out: usize, n: i32, lo: i32, hi: i32): void {
  const lov = i32x4.splat(lo);
  const hiv = i32x4.splat(hi);
  const vectors = n >> 2;
  for (let i = 0; i < vectors >> 1; i++) {
    const at = <usize>i << 5;
    gateInside4(x + at, g + at, out + at, lov, hiv);
    gateInside4(x + at + 16, g + at + 16, out + at + 16, lov, hiv);
  }
  if (vectors & 1) {
    const at = <usize>(vectors - 1) << 4;
    gateInside4(x + at, g + at, out + at, lov, hiv);
  }
  for (let i = vectors << 2; i < n; i++) {
    const at = <usize>i << 2;
    const b = load<i32>(x + at);
    const key = keyOf(b);
    store<i32>(out + at, isNan(b) || (key > lo && key < hi) ? load<i32>(g + at) : 0);
  }
}

@inline
function clamp4(x: usize, y: usize, lov: v128, hiv: v128, loB: v128, hiB: v128): void {
  const b = v128.load(x);
  const key = keyOf4(b);
  const low = v128.bitselect(loB, b, i32x4.le_s(key, lov));
  // The second test reads low's key (max(key, lo)), as exact_clamp: with lo >= hi (clip's min >
  // max, clamp's -0/+0) every lane is hi.
  const both = v128.bitselect(hiB, low, i32x4.ge_s(i32x4.max_s(key, lov), hiv));
  v128.store(y, v128.bitselect(b, both, isNan4(b)));
}

/**
 * y = min(max(x, lo), hi) on the bits, loBits/hiBits the bounds' f32 bits: lo's bits where x <= lo
 * (so -0 gives +0 for relu6), then hi's where that is >= hi (everywhere when lo >= hi), a NaN x
 * unchanged.
 */
export function clamp(x: usize, y: usize, n: i32, loBits: i32, hiBits: i32): void {
  const lo = keyOf(loBits);
  const hi = keyOf(hiBits);
  const lov = i32x4.splat(lo);
  const hiv = i32x4.splat(hi);
  const loB = i32x4.splat(loBits);
  const hiB = i32x4.splat(hiBits);
  const vectors = n >> 2;
  for (let i = 0; i < vectors >> 1; i++) {
    const at = <usize>i << 5;
    clamp4(x + at, y + at, lov, hiv, loB, hiB);
    clamp4(x + at + 16, y + at + 16, lov, hiv, loB, hiB);
  }
  if (vectors & 1) {
    const at = <usize>(vectors - 1) << 4;
    clamp4(x + at, y + at, lov, hiv, loB, hiB);
  }
  for (let i = vectors << 2; i < n; i++) {
    const at = <usize>i << 2;
    const b = load<i32>(x + at);
    const key = keyOf(b);
    const lowKey = key <= lo ? lo : key;
    store<i32>(y + at, isNan(b) ? b : lowKey >= hi ? hiBits : key <= lo ? loBits : b);
  }
}

// alpha * v, with the one NaN float arithmetic can make here (Inf * 0) given as 0x7fc00000 and a
// NaN v kept with its payload. The f32 product itself is IEEE's, subnormals included.
@inline
function scaled4(v: v128, alpha: v128): v128 {
  const p = f32x4.mul(v, alpha);
  // A NaN v makes a NaN product: without NaN lanes in the product, it is the answer.
  const nan = isNan4(p);
  if (!v128.any_true(nan)) return p;
  const fixed = v128.bitselect(i32x4.splat(QUIET_NAN), p, nan);
  return v128.bitselect(v, fixed, isNan4(v));
}

@inline
function scaled(b: i32, alpha: f32): i32 {
  if (isNan(b)) return b;
  const p = reinterpret<i32>(reinterpret<f32>(b) * alpha);
  return isNan(p) ? QUIET_NAN : p;
}

@inline
function leakyForward4(x: usize, y: usize, av: v128): void {
  const b = v128.load(x);
  const pass = v128.or(isNan4(b), i32x4.gt_s(b, i32x4.splat(0)));
  v128.store(y, v128.bitselect(b, scaled4(b, av), pass));
}

/** Leaky ReLU forward: y = (x is NaN or x > 0) ? x : alpha * x. */
export function leaky_forward(x: usize, y: usize, n: i32, alpha: f32): void {
  const av = f32x4.splat(alpha);
  const vectors = n >> 2;
  for (let i = 0; i < vectors >> 1; i++) {
    const at = <usize>i << 5;
    leakyForward4(x + at, y + at, av);
    leakyForward4(x + at + 16, y + at + 16, av);
  }
  if (vectors & 1) {
    const at = <usize>(vectors - 1) << 4;
    leakyForward4(x + at, y + at, av);
  }
  for (let i = vectors << 2; i < n; i++) {
    const at = <usize>i << 2;
    const b = load<i32>(x + at);
    store<i32>(y + at, isNan(b) || b > 0 ? b : scaled(b, alpha));
  }
}

@inline
function leakyBackward4(x: usize, dy: usize, dx: usize, av: v128): void {
  const b = v128.load(x);
  const d = v128.load(dy);
  const pass = v128.andnot(i32x4.gt_s(b, i32x4.splat(0)), isNan4(b));
  v128.store(dx, v128.bitselect(d, scaled4(d, av), pass));
}

/** Leaky ReLU backward: dx = (x > 0, not NaN) ? dy : alpha * dy. */
export function leaky_backward(x: usize, dy: usize, dx: usize, n: i32, alpha: f32): void {
  const av = f32x4.splat(alpha);
  const vectors = n >> 2;
  for (let i = 0; i < vectors >> 1; i++) {
    const at = <usize>i << 5;
    leakyBackward4(x + at, dy + at, dx + at, av);
    leakyBackward4(x + at + 16, dy + at + 16, dx + at + 16, av);
  }
  if (vectors & 1) {
    const at = <usize>(vectors - 1) << 4;
    leakyBackward4(x + at, dy + at, dx + at, av);
  }
  for (let i = vectors << 2; i < n; i++) {
    const at = <usize>i << 2;
    const b = load<i32>(x + at);
    const d = load<i32>(dy + at);
    store<i32>(dx + at, !isNan(b) && b > 0 ? d : scaled(d, alpha));
  }
}

// The ops whose JS kernels compute in float64 (hardsigmoid, hardswish) are twinned in f64x2 lanes:
// the same float64 operations in the same order, each IEEE-rounded, then rounded once to f32, so
// the values are the JS kernel's bits. Which branch a lane takes is decided as the JS decides it
// (float64 compares of values that are not NaN, or ordered keys), and NaN lanes take their bits
// from an operand by integer select.

// The f32 lanes 0, 1 and 2, 3 of b as f64x2s.
@inline
function low64(b: v128): v128 {
  return f64x2.promote_low_f32x4(b);
}

@inline
function high64(b: v128): v128 {
  return f64x2.promote_low_f32x4(i32x4.shuffle(b, b, 2, 3, 2, 3));
}

// Two f64x2s rounded to f32 into one v128, lo's lanes first.
@inline
function join32(lo: v128, hi: v128): v128 {
  return i32x4.shuffle(f32x4.demote_f64x2_zero(lo), f32x4.demote_f64x2_zero(hi), 0, 1, 4, 5);
}

// The low halves of two f64x2 masks (each lane all ones or all zeros) as one i32x4 mask.
@inline
function joinMasks(lo: v128, hi: v128): v128 {
  return i32x4.shuffle(lo, hi, 0, 2, 4, 6);
}

// hardsigmoid's value on two lanes: ax = alpha * x (exact in f64), ax > -beta ? (ax < 1 - beta ?
// ax + beta : 1) : +0, with nb = -beta and ub = 1 - beta computed in float64 by the caller.
@inline
function hardsigmoidValue2(x: v128, a: v128, b: v128, nb: v128, ub: v128): v128 {
  const ax = f64x2.mul(x, a);
  const inner = v128.bitselect(f64x2.add(ax, b), f64x2.splat(1.0), f64x2.lt(ax, ub));
  return v128.and(inner, f64x2.gt(ax, nb));
}

@inline
function hardsigmoidForward4(x: usize, y: usize, a: v128, b: v128, nb: v128, ub: v128): void {
  const bits = v128.load(x);
  const value = join32(hardsigmoidValue2(low64(bits), a, b, nb, ub), hardsigmoidValue2(high64(bits), a, b, nb, ub));
  v128.store(y, v128.bitselect(bits, value, isNan4(bits)));
}

@inline
function hardsigmoidForward1(bits: i32, a: f64, b: f64, nb: f64, ub: f64): i32 {
  if (isNan(bits)) return bits;
  const ax = a * <f64>reinterpret<f32>(bits);
  return reinterpret<i32>(<f32>(ax > nb ? (ax < ub ? ax + b : 1.0) : 0.0));
}

/**
 * hardsigmoid forward: y = clamp(alpha * x + beta, 0, 1) in float64, rounded once to f32, as the JS
 * kernel (nb = -beta, ub = 1 - beta in float64); a NaN x unchanged.
 */
export function hardsigmoid_forward(x: usize, y: usize, n: i32, alpha: f64, beta: f64, nb: f64, ub: f64): void {
  const a = f64x2.splat(alpha);
  const b = f64x2.splat(beta);
  const nbv = f64x2.splat(nb);
  const ubv = f64x2.splat(ub);
  const vectors = n >> 2;
  for (let i = 0; i < vectors >> 1; i++) {
    const at = <usize>i << 5;
    hardsigmoidForward4(x + at, y + at, a, b, nbv, ubv);
    hardsigmoidForward4(x + at + 16, y + at + 16, a, b, nbv, ubv);
  }
  if (vectors & 1) {
    const at = <usize>(vectors - 1) << 4;
    hardsigmoidForward4(x + at, y + at, a, b, nbv, ubv);
  }
  for (let i = vectors << 2; i < n; i++) {
    const at = <usize>i << 2;
    store<i32>(y + at, hardsigmoidForward1(load<i32>(x + at), alpha, beta, nb, ub));
  }
}

// -beta < alpha * x < 1 - beta on two lanes, as an f64x2 mask.
@inline
function hardsigmoidInside2(x: v128, a: v128, nb: v128, ub: v128): v128 {
  const ax = f64x2.mul(x, a);
  return v128.and(f64x2.gt(ax, nb), f64x2.lt(ax, ub));
}

@inline
function hardsigmoidBackward4(x: usize, dy: usize, dx: usize, a: v128, af: v128, nb: v128, ub: v128): void {
  const bits = v128.load(x);
  const inside = joinMasks(hardsigmoidInside2(low64(bits), a, nb, ub), hardsigmoidInside2(high64(bits), a, nb, ub));
  const d = v128.load(dy);
  const grad = v128.and(v128.bitselect(d, f32x4.mul(d, af), isNan4(d)), inside);
  v128.store(dx, v128.bitselect(bits, grad, isNan4(bits)));
}

@inline
function hardsigmoidBackward1(bits: i32, d: i32, a: f64, af: f32, nb: f64, ub: f64): i32 {
  if (isNan(bits)) return bits;
  const ax = a * <f64>reinterpret<f32>(bits);
  if (!(ax > nb && ax < ub)) return 0;
  return isNan(d) ? d : reinterpret<i32>(reinterpret<f32>(d) * af);
}

/**
 * hardsigmoid backward: dx = -beta < alpha * x < 1 - beta ? dy * alpha : +0 (a NaN dy's bits kept);
 * a NaN x unchanged. dy * alpha in f32 is the float64 product rounded once, as the JS kernel's.
 */
export function hardsigmoid_backward(x: usize, dy: usize, dx: usize, n: i32, alpha: f64, nb: f64, ub: f64): void {
  const a = f64x2.splat(alpha);
  const alphaF = <f32>alpha;
  const af = f32x4.splat(alphaF);
  const nbv = f64x2.splat(nb);
  const ubv = f64x2.splat(ub);
  const vectors = n >> 2;
  for (let i = 0; i < vectors >> 1; i++) {
    const at = <usize>i << 5;
    hardsigmoidBackward4(x + at, dy + at, dx + at, a, af, nbv, ubv);
    hardsigmoidBackward4(x + at + 16, dy + at + 16, dx + at + 16, a, af, nbv, ubv);
  }
  if (vectors & 1) {
    const at = <usize>(vectors - 1) << 4;
    hardsigmoidBackward4(x + at, dy + at, dx + at, a, af, nbv, ubv);
  }
  for (let i = vectors << 2; i < n; i++) {
    const at = <usize>i << 2;
    store<i32>(dx + at, hardsigmoidBackward1(load<i32>(x + at), load<i32>(dy + at), alpha, alphaF, nb, ub));
  }
}

// Ordered keys of -3, 3 (hardswish's kinks).
const KEY_MINUS_3: i32 = -0x40400000;
const KEY_3: i32 = 0x40400000;

// hardswish's middle, (x * (x + 3)) / 6 in float64, on two lanes.
@inline
function hardswishMiddle2(v: v128): v128 {
  return f64x2.div(f64x2.mul(v, f64x2.add(v, f64x2.splat(3.0))), f64x2.splat(6.0));
}

@inline
function hardswishForward4(x: usize, y: usize): void {
  const bits = v128.load(x);
  const key = keyOf4(bits);
  const middle = join32(hardswishMiddle2(low64(bits)), hardswishMiddle2(high64(bits)));
  // x where x >= 3 (or NaN), -0 where x <= -3, the middle between.
  const upper = v128.or(i32x4.ge_s(key, i32x4.splat(KEY_3)), isNan4(bits));
  const lower = i32x4.le_s(key, i32x4.splat(KEY_MINUS_3));
  const y4 = v128.bitselect(bits, v128.bitselect(i32x4.splat(<i32>0x80000000), middle, lower), upper);
  v128.store(y, y4);
}

@inline
function hardswishForward1(bits: i32): i32 {
  const key = keyOf(bits);
  if (isNan(bits) || key >= KEY_3) return bits;
  if (key <= KEY_MINUS_3) return <i32>0x80000000;
  const v = <f64>reinterpret<f32>(bits);
  return reinterpret<i32>(<f32>((v * (v + 3.0)) / 6.0));
}

/** hardswish forward: x <= -3: -0; x >= 3 (or NaN): x; else (x * (x + 3)) / 6 in float64, rounded once. */
export function hardswish_forward(x: usize, y: usize, n: i32): void {
  const vectors = n >> 2;
  for (let i = 0; i < vectors >> 1; i++) {
    const at = <usize>i << 5;
    hardswishForward4(x + at, y + at);
    hardswishForward4(x + at + 16, y + at + 16);
  }
  if (vectors & 1) {
    const at = <usize>(vectors - 1) << 4;
    hardswishForward4(x + at, y + at);
  }
  for (let i = vectors << 2; i < n; i++) {
    const at = <usize>i << 2;
    store<i32>(y + at, hardswishForward1(load<i32>(x + at)));
  }
}

// hardswish's gradient in the middle, (dy * (x + 1.5)) / 3 in float64, on two lanes.
@inline
function hardswishSlope2(v: v128, d: v128): v128 {
  return f64x2.div(f64x2.mul(d, f64x2.add(v, f64x2.splat(1.5))), f64x2.splat(3.0));
}

@inline
function hardswishBackward4(x: usize, dy: usize, dx: usize): void {
  const bits = v128.load(x);
  const d = v128.load(dy);
  const key = keyOf4(bits);
  const p = join32(hardswishSlope2(low64(bits), low64(d)), hardswishSlope2(high64(bits), high64(d)));
  // A NaN dy keeps its bits; the one NaN arithmetic makes here (Inf * 0 at x = -1.5) is 0x7fc00000.
  const middle = v128.bitselect(d, v128.bitselect(i32x4.splat(QUIET_NAN), p, isNan4(p)), isNan4(d));
  // dy where x > 3 (or NaN), +0 where x < -3, the middle between.
  const upper = v128.or(i32x4.gt_s(key, i32x4.splat(KEY_3)), isNan4(bits));
  const lower = i32x4.lt_s(key, i32x4.splat(KEY_MINUS_3));
  v128.store(dx, v128.bitselect(d, v128.andnot(middle, lower), upper));
}

@inline
function hardswishBackward1(bits: i32, d: i32): i32 {
  const key = keyOf(bits);
  if (isNan(bits) || key > KEY_3) return d;
  if (key < KEY_MINUS_3) return 0;
  if (isNan(d)) return d;
  const p = reinterpret<i32>(<f32>((<f64>reinterpret<f32>(d) * (<f64>reinterpret<f32>(bits) + 1.5)) / 3.0));
  return isNan(p) ? QUIET_NAN : p;
}

/** hardswish backward: x < -3: +0; x > 3 (or NaN): dy; else (dy * (x + 1.5)) / 3 in float64, rounded once. */
export function hardswish_backward(x: usize, dy: usize, dx: usize, n: i32): void {
  const vectors = n >> 2;
  for (let i = 0; i < vectors >> 1; i++) {
    const at = <usize>i << 5;
    hardswishBackward4(x + at, dy + at, dx + at);
    hardswishBackward4(x + at + 16, dy + at + 16, dx + at + 16);
  }
  if (vectors & 1) {
    const at = <usize>(vectors - 1) << 4;
    hardswishBackward4(x + at, dy + at, dx + at);
  }
  for (let i = vectors << 2; i < n; i++) {
    const at = <usize>i << 2;
    store<i32>(dx + at, hardswishBackward1(load<i32>(x + at), load<i32>(dy + at)));
  }
}

// f16 <-> f32, the twins of src/numerics/half.ts (and shaders/lib/half.wgsl): halves are u16 bit
// patterns, eight to a v128, each widened or narrowed four lanes at a time. Float arithmetic only
// meets finite values that are not NaN (rounding there is IEEE's in WebAssembly, subnormals kept);
// Inf and NaN lanes are made on the bits.

const TWO_POW_112: i32 = 0x77800000;

// Four halves (in the low 16 bits of each lane) as f32 bits: the magnitude's bits moved to an f32's
// places is the value times 2^-112, subnormal halves included, so one exact multiply rebiases it;
// exponent 31 (Inf, NaN) becomes 255 with the payload shifted up by 13.
@inline
function halfToF32x4(w: v128): v128 {
  const sign = i32x4.shl(v128.and(w, i32x4.splat(0x8000)), 16);
  const o = i32x4.shl(v128.and(w, i32x4.splat(0x7fff)), 13);
  const finite = f32x4.mul(o, i32x4.splat(TWO_POW_112));
  const special = i32x4.eq(v128.and(w, i32x4.splat(0x7c00)), i32x4.splat(0x7c00));
  return v128.or(v128.bitselect(v128.or(o, i32x4.splat(INF)), finite, special), sign);
}

@inline
function halfToF32(h: i32): i32 {
  const sign = (h & 0x8000) << 16;
  const o = (h & 0x7fff) << 13;
  if ((h & 0x7c00) == 0x7c00) return sign | o | INF;
  return sign | reinterpret<i32>(reinterpret<f32>(o) * reinterpret<f32>(TWO_POW_112));
}

/** Halves (u16 bits at h) to f32s at out, exactly; NaN payloads kept (shifted up by 13). */
export function half_to_f32(h: usize, out: usize, n: i32): void {
  const vectors = n >> 3;
  for (let i = 0; i < vectors; i++) {
    const w = v128.load(h + (<usize>i << 4));
    const at = out + (<usize>i << 5);
    v128.store(at, halfToF32x4(i32x4.extend_low_i16x8_u(w)));
    v128.store(at + 16, halfToF32x4(i32x4.extend_high_i16x8_u(w)));
  }
  for (let i = vectors << 3; i < n; i++) store<i32>(out + (<usize>i << 2), halfToF32(<i32>load<u16>(h + (<usize>i << 1))));
}

// Four f32s (bits) rounded to halves, nearest even, in the low 16 bits of each lane. Normal results
// round on the integer bits (adding 0xfff plus the kept lowest bit carries exactly at and past the
// halfway point, into the exponent when it must); below 2^-14 the half's spacing is 2^-24, the
// spacing of f32s in [0.5, 1), so 0.5 + |x| rounds (in IEEE's one rounding) to 0.5 plus the
// subnormal half's significand. From 65520 up: Inf. NaN: quiet, the payload's top 9 bits kept.
@inline
function f32ToHalf4(b: v128): v128 {
  const a = v128.and(b, i32x4.splat(ABS));
  const sign = v128.and(i32x4.shr_u(b, 16), i32x4.splat(0x8000));
  const lsb = v128.and(i32x4.shr_u(a, 13), i32x4.splat(1));
  const normal = i32x4.sub(i32x4.shr_u(i32x4.add(a, i32x4.add(lsb, i32x4.splat(0xfff))), 13), i32x4.splat(0x1c000));
  const small = i32x4.sub(f32x4.add(a, f32x4.splat(0.5)), i32x4.splat(0x3f000000));
  let r = v128.bitselect(small, normal, i32x4.lt_s(a, i32x4.splat(0x38800000)));
  r = v128.bitselect(i32x4.splat(0x7c00), r, i32x4.ge_s(a, i32x4.splat(0x47800000)));
  const nan = v128.or(i32x4.splat(0x7e00), v128.and(i32x4.shr_u(a, 13), i32x4.splat(0x3ff)));
  r = v128.bitselect(nan, r, i32x4.gt_s(a, i32x4.splat(INF)));
  return v128.or(r, sign);
}

@inline
function f32ToHalf(b: i32): i32 {
  const a = b & ABS;
  const sign = (b >>> 16) & 0x8000;
  if (a > INF) return sign | 0x7e00 | ((a >>> 13) & 0x3ff);
  if (a >= 0x47800000) return sign | 0x7c00;
  if (a < 0x38800000) return sign | (reinterpret<i32>(reinterpret<f32>(a) + <f32>0.5) - 0x3f000000);
  return sign | (((a + 0xfff + ((a >>> 13) & 1)) >>> 13) - 0x1c000);
}

/** f32s (at x) rounded to halves (u16 bits at h), to nearest even, as f32ToHalfBits. */
export function f32_to_half(x: usize, h: usize, n: i32): void {
  const vectors = n >> 3;
  for (let i = 0; i < vectors; i++) {
    const at = x + (<usize>i << 5);
    v128.store(h + (<usize>i << 4), i16x8.narrow_i32x4_u(f32ToHalf4(v128.load(at)), f32ToHalf4(v128.load(at + 16))));
  }
  for (let i = vectors << 3; i < n; i++) store<u16>(h + (<usize>i << 1), <u16>f32ToHalf(load<i32>(x + (<usize>i << 2))));
}

// The bits of the f32 product a * b, as exactMulBits (src/numerics/exact.ts): a NaN operand comes
// back unchanged (a's if both are), any other NaN (Inf * 0) is 0x7fc00000, else IEEE's product.
@inline
function exactMul4(a: v128, b: v128): v128 {
  const p = f32x4.mul(a, b);
  // A NaN operand makes a NaN product: without NaN lanes in the product, it is the answer.
  const nan = isNan4(p);
  if (!v128.any_true(nan)) return p;
  const r = v128.bitselect(i32x4.splat(QUIET_NAN), p, nan);
  return v128.bitselect(a, v128.bitselect(b, r, isNan4(b)), isNan4(a));
}

@inline
function exactMul(a: i32, b: i32): i32 {
  if (isNan(a)) return a;
  if (isNan(b)) return b;
  const p = reinterpret<i32>(reinterpret<f32>(a) * reinterpret<f32>(b));
  return isNan(p) ? QUIET_NAN : p;
}

// PReLU (src/ops/prelu.ts) for slopes laid out as slope = (i / inner) % channels: one slope per
// element of x's last axis (inner = 1), per channel of [N, C, ...] (inner = the rest), or one for
// all (channels = 1). x is kept where x > 0 or NaN; elsewhere alpha * x, exactly as exactMulBits.

@inline
function preluForward4(b: v128, a: v128): v128 {
  return v128.bitselect(b, exactMul4(b, a), v128.or(i32x4.gt_s(b, i32x4.splat(0)), isNan4(b)));
}

@inline
function preluForward1(b: i32, a: i32): i32 {
  return b > 0 || isNan(b) ? b : exactMul(b, a);
}

// A run of len elements with their parameter: one for all (step 0) or one alongside each (step 4
// bytes an element); y = prelu(x, p) or, with `bias`, x + p (bias_add, below).
@inline
function channelRun(x: usize, p: usize, y: usize, len: i32, step: usize, bias: bool): void {
  const one = i32x4.splat(load<i32>(p));
  let i = 0;
  for (; i + 4 <= len; i += 4) {
    const at = <usize>i << 2;
    const v = v128.load(x + at);
    const q = step ? v128.load(p + at) : one;
    v128.store(y + at, bias ? biasAdd4(v, q) : preluForward4(v, q));
  }
  for (; i < len; i++) {
    const at = <usize>i << 2;
    const v = load<i32>(x + at);
    const q = load<i32>(p + (step ? at : 0));
    store<i32>(y + at, bias ? biasAdd1(v, q) : preluForward1(v, q));
  }
}

// n elements whose parameter is p[(i / inner) % channels]: rows of channels with the parameters
// alongside (inner = 1), else runs of inner elements sharing one.
@inline
function channelRuns(x: usize, p: usize, y: usize, n: i32, channels: i32, inner: i32, bias: bool): void {
  if (inner == 1) {
    for (let o = 0; o < n; o += channels) channelRun(x + (<usize>o << 2), p, y + (<usize>o << 2), channels, 4, bias);
    return;
  }
  const runs = n / inner;
  for (let r = 0; r < runs; r++) {
    const at = (<usize>r * <usize>inner) << 2;
    channelRun(x + at, p + (<usize>(r % channels) << 2), y + at, inner, 0, bias);
  }
}

/** PReLU forward over n elements, slope (i / inner) % channels. */
export function prelu_forward(x: usize, alpha: usize, y: usize, n: i32, channels: i32, inner: i32): void {
  channelRuns(x, alpha, y, n, channels, inner, false);
}

@inline
function preluBackwardRun(x: usize, alpha: usize, dy: usize, dx: usize, terms: usize, len: i32, step: usize, termStep: usize): void {
  const one = i32x4.splat(load<i32>(alpha));
  let i = 0;
  for (; i + 4 <= len; i += 4) {
    const at = <usize>i << 2;
    const b = v128.load(x + at);
    const d = v128.load(dy + at);
    const pos = v128.andnot(i32x4.gt_s(b, i32x4.splat(0)), isNan4(b));
    v128.store(dx + at, v128.bitselect(d, exactMul4(d, step ? v128.load(alpha + at) : one), pos));
    const t = v128.andnot(exactMul4(b, d), pos);
    if (termStep == 4) v128.store(terms + at, t);
    else {
      const ta = terms + <usize>i * termStep;
      store<i32>(ta, i32x4.extract_lane(t, 0));
      store<i32>(ta + termStep, i32x4.extract_lane(t, 1));
      store<i32>(ta + 2 * termStep, i32x4.extract_lane(t, 2));
      store<i32>(ta + 3 * termStep, i32x4.extract_lane(t, 3));
    }
  }
  for (; i < len; i++) {
    const at = <usize>i << 2;
    const b = load<i32>(x + at);
    const d = load<i32>(dy + at);
    const pos = b > 0 && !isNan(b);
    store<i32>(dx + at, pos ? d : exactMul(d, load<i32>(alpha + (step ? at : 0))));
    store<i32>(terms + <usize>i * termStep, pos ? 0 : exactMul(b, d));
  }
}

/**
 * Rows row to row + 3 of PReLU backward with a slope per entry of the last axis (inner = 1): dx as
 * preluBackwardRun; the terms of four rows and four slopes transposed, so that slope c's terms of
 * the four rows (at c * perParam + row) go out as one vector.
 */
function preluBackwardQuad(x: usize, alpha: usize, dy: usize, dx: usize, terms: usize, channels: i32, perParam: usize, row: i32): void {
  const rowBytes = <usize>channels << 2;
  const base = <usize>row * rowBytes;
  let c = 0;
  for (; c + 4 <= channels; c += 4) {
    const at = base + (<usize>c << 2);
    const a = v128.load(alpha + (<usize>c << 2));
    const t0 = preluBackward4(x + at, dy + at, dx + at, a);
    const t1 = preluBackward4(x + at + rowBytes, dy + at + rowBytes, dx + at + rowBytes, a);
    const t2 = preluBackward4(x + at + 2 * rowBytes, dy + at + 2 * rowBytes, dx + at + 2 * rowBytes, a);
    const t3 = preluBackward4(x + at + 3 * rowBytes, dy + at + 3 * rowBytes, dx + at + 3 * rowBytes, a);
    const s0 = i32x4.shuffle(t0, t1, 0, 4, 1, 5);
    const s1 = i32x4.shuffle(t0, t1, 2, 6, 3, 7);
    const s2 = i32x4.shuffle(t2, t3, 0, 4, 1, 5);
    const s3 = i32x4.shuffle(t2, t3, 2, 6, 3, 7);
    const out = terms + ((<usize>c * perParam + <usize>row) << 2);
    const stride = perParam << 2;
    v128.store(out, i32x4.shuffle(s0, s2, 0, 1, 4, 5));
    v128.store(out + stride, i32x4.shuffle(s0, s2, 2, 3, 6, 7));
    v128.store(out + 2 * stride, i32x4.shuffle(s1, s3, 0, 1, 4, 5));
    v128.store(out + 3 * stride, i32x4.shuffle(s1, s3, 2, 3, 6, 7));
  }
  for (; c < channels; c++) {
    const a = load<i32>(alpha + (<usize>c << 2));
    for (let r = 0; r < 4; r++) {
      const at = base + <usize>r * rowBytes + (<usize>c << 2);
      const b = load<i32>(x + at);
      const d = load<i32>(dy + at);
      const pos = b > 0 && !isNan(b);
      store<i32>(dx + at, pos ? d : exactMul(d, a));
      store<i32>(terms + ((<usize>c * perParam + <usize>(row + r)) << 2), pos ? 0 : exactMul(b, d));
    }
  }
}

/** One vector of PReLU backward (slopes a alongside): writes dx, returns the terms. */
@inline
function preluBackward4(x: usize, dy: usize, dx: usize, a: v128): v128 {
  const b = v128.load(x);
  const d = v128.load(dy);
  const pos = v128.andnot(i32x4.gt_s(b, i32x4.splat(0)), isNan4(b));
  v128.store(dx, v128.bitselect(d, exactMul4(d, a), pos));
  return v128.andnot(exactMul4(b, d), pos);
}

/**
 * PReLU backward, slopes as prelu_forward: dx = x > 0 ? dy : alpha * dy, and each element's term
 * of dalpha (x > 0 ? +0 : x * dy) at terms[slope * (n / channels) + k], k its place among its
 * slope's elements, for the tree sums.
 */
export function prelu_backward(x: usize, alpha: usize, dy: usize, dx: usize, terms: usize, n: i32, channels: i32, inner: i32): void {
  const perParam = <usize>(n / channels);
  if (inner == 1) {
    // Element (o, c): term c * perParam + o, a stride of perParam between neighbours. Four rows
    // at a time, their terms transposed, write each slope's four terms as one vector; the last
    // rows one at a time.
    const rows = n / channels;
    let row = 0;
    if (channels >= 4) {
      for (; row + 4 <= rows; row += 4) preluBackwardQuad(x, alpha, dy, dx, terms, channels, perParam, row);
    }
    for (let o = row * channels; o < n; o += channels) {
      const at = <usize>o << 2;
      preluBackwardRun(x + at, alpha, dy + at, dx + at, terms + (<usize>(o / channels) << 2), channels, 4, perParam << 2);
    }
    return;
  }
  const runs = n / inner;
  for (let r = 0; r < runs; r++) {
    const at = (<usize>r * <usize>inner) << 2;
    const s = <usize>(r % channels);
    const k = <usize>(r / channels) * <usize>inner;
    preluBackwardRun(x + at, alpha + (s << 2), dy + at, dx + at, terms + ((s * perParam + k) << 2), inner, 0, 4);
  }
}

// The deterministic tree sum (treeSumBits in src/numerics/exact.ts, shaders/tree-sum.wgsl) of a
// row of len values, in place: each level adds neighbours (2j, 2j + 1) into j, an odd last one
// with the padding -0; every NaN and Inf - Inf gives 0x7fc00000. The padding beyond the values is
// all -0, whose sums are -0, so shrinking each level to ceil(m / 2) is the padded tree's sum.
@inline
function exactAdd4(a: v128, b: v128): v128 {
  // A NaN operand makes a NaN sum, so the sum's lanes say it all.
  const s = f32x4.add(a, b);
  return v128.bitselect(i32x4.splat(QUIET_NAN), s, isNan4(s));
}

@inline
function exactAdd(a: i32, b: i32): i32 {
  const s = reinterpret<i32>(reinterpret<f32>(a) + reinterpret<f32>(b));
  return isNan(a) || isNan(b) || isNan(s) ? QUIET_NAN : s;
}

function treeSumRow(v: usize, len: i32): i32 {
  if (len == 0) return 0;
  let m = len;
  do {
    const half = m >> 1;
    let j = 0;
    for (; j + 4 <= half; j += 4) {
      const a = v128.load(v + (<usize>j << 3));
      const b = v128.load(v + (<usize>j << 3) + 16);
      v128.store(v + (<usize>j << 2), exactAdd4(i32x4.shuffle(a, b, 0, 2, 4, 6), i32x4.shuffle(a, b, 1, 3, 5, 7)));
    }
    for (; j < half; j++) store<i32>(v + (<usize>j << 2), exactAdd(load<i32>(v + (<usize>j << 3)), load<i32>(v + (<usize>j << 3) + 4)));
    if (m & 1) store<i32>(v + (<usize>half << 2), exactAdd(load<i32>(v + (<usize>(m - 1) << 2)), <i32>0x80000000));
    m = (m + 1) >> 1;
  } while (m > 1);
  return load<i32>(v);
}

/** rows tree sums of contiguous rows of len values (overwritten) into out. */
export function tree_sums(values: usize, rows: i32, len: i32, out: usize): void {
  for (let r = 0; r < rows; r++) store<i32>(out + (<usize>r << 2), treeSumRow(values + ((<usize>r * <usize>len) << 2), len));
}

// Maxout (src/ops/maxout.ts): x as [outer, groups, pieces, inner]; each output takes its group's
// first NaN, else its first maximum by ordered key (-0 and +0 tie, the first wins).

@inline
function takesLead4(c: v128, best: v128): v128 {
  return v128.andnot(v128.or(isNan4(c), i32x4.gt_s(keyOf4(c), keyOf4(best))), isNan4(best));
}

@inline
function takesLead(c: i32, best: i32): bool {
  return !isNan(best) && (isNan(c) || keyOf(c) > keyOf(best));
}

/**
 * Maxout over groups of `pieces` entries `inner` apart (x's [outer * groups, pieces, inner]):
 * forward (dy = 0) writes each group's winner to out; backward writes dy to the winner's place in
 * out (x's shape) and +0 to the others'.
 */
export function maxout(x: usize, dy: usize, out: usize, units: i32, pieces: i32, inner: i32, backward: bool): void {
  // Groups of neighbours (pieces along the last axis): four groups a vector, their pieces moved
  // into lanes by shuffles (2 and 4 pieces) or gathered, then the same lead rule.
  let u = 0;
  if (inner == 1) {
    if (pieces == 2) u = maxoutPairs(x, dy, out, units, backward);
    else if (pieces == 4) u = maxoutQuads(x, dy, out, units, backward);
    else u = maxoutGathered(x, dy, out, units, pieces, backward);
  }
  maxoutStrided(x, dy, out, u, units, pieces, inner, backward);
}

/** Groups of 2 neighbours, four groups a step; returns the first group not done. */
function maxoutPairs(x: usize, dy: usize, out: usize, units: i32, backward: bool): i32 {
  let u = 0;
  for (; u + 4 <= units; u += 4) {
    const at = x + (<usize>u << 3);
    const v0 = v128.load(at);
    const v1 = v128.load(at, 16);
    const first = i32x4.shuffle(v0, v1, 0, 2, 4, 6);
    const second = i32x4.shuffle(v0, v1, 1, 3, 5, 7);
    const lead = takesLead4(second, first);
    if (!backward) v128.store(out + (<usize>u << 2), v128.bitselect(second, first, lead));
    else {
      const d = v128.load(dy + (<usize>u << 2));
      const d0 = v128.andnot(d, lead);
      const d1 = v128.and(d, lead);
      const o = out + (<usize>u << 3);
      v128.store(o, i32x4.shuffle(d0, d1, 0, 4, 1, 5));
      v128.store(o, i32x4.shuffle(d0, d1, 2, 6, 3, 7), 16);
    }
  }
  return u;
}

/** Groups of 4 neighbours, four groups a step (a 4x4 transpose each way); returns the first group not done. */
function maxoutQuads(x: usize, dy: usize, out: usize, units: i32, backward: bool): i32 {
  let u = 0;
  for (; u + 4 <= units; u += 4) {
    const at = x + (<usize>u << 4);
    const r0 = v128.load(at);
    const r1 = v128.load(at, 16);
    const r2 = v128.load(at, 32);
    const r3 = v128.load(at, 48);
    const t0 = i32x4.shuffle(r0, r1, 0, 4, 1, 5);
    const t1 = i32x4.shuffle(r0, r1, 2, 6, 3, 7);
    const t2 = i32x4.shuffle(r2, r3, 0, 4, 1, 5);
    const t3 = i32x4.shuffle(r2, r3, 2, 6, 3, 7);
    let best = i32x4.shuffle(t0, t2, 0, 1, 4, 5);
    let win = i32x4.splat(0);
    const c1 = i32x4.shuffle(t0, t2, 2, 3, 6, 7);
    let lead = takesLead4(c1, best);
    best = v128.bitselect(c1, best, lead);
    win = v128.bitselect(i32x4.splat(1), win, lead);
    const c2 = i32x4.shuffle(t1, t3, 0, 1, 4, 5);
    lead = takesLead4(c2, best);
    best = v128.bitselect(c2, best, lead);
    win = v128.bitselect(i32x4.splat(2), win, lead);
    const c3 = i32x4.shuffle(t1, t3, 2, 3, 6, 7);
    lead = takesLead4(c3, best);
    best = v128.bitselect(c3, best, lead);
    win = v128.bitselect(i32x4.splat(3), win, lead);
    if (!backward) v128.store(out + (<usize>u << 2), best);
    else {
      const d = v128.load(dy + (<usize>u << 2));
      // Piece p's gradients for the four groups, transposed back to the groups' order.
      const d0 = v128.and(d, i32x4.eq(win, i32x4.splat(0)));
      const d1 = v128.and(d, i32x4.eq(win, i32x4.splat(1)));
      const d2 = v128.and(d, i32x4.eq(win, i32x4.splat(2)));
      const d3 = v128.and(d, i32x4.eq(win, i32x4.splat(3)));
      const s0 = i32x4.shuffle(d0, d1, 0, 4, 1, 5);
      const s1 = i32x4.shuffle(d0, d1, 2, 6, 3, 7);
      const s2 = i32x4.shuffle(d2, d3, 0, 4, 1, 5);
      const s3 = i32x4.shuffle(d2, d3, 2, 6, 3, 7);
      const o = out + (<usize>u << 4);
      v128.store(o, i32x4.shuffle(s0, s2, 0, 1, 4, 5));
      v128.store(o, i32x4.shuffle(s0, s2, 2, 3, 6, 7), 16);
      v128.store(o, i32x4.shuffle(s1, s3, 0, 1, 4, 5), 32);
      v128.store(o, i32x4.shuffle(s1, s3, 2, 3, 6, 7), 48);
    }
  }
  return u;
}

/** Piece p of four groups of `pieces` neighbours from `at` (the first group's start), one lane a group. */
@inline
function gather4(at: usize, groupBytes: usize, p: i32): v128 {
  const a = at + (<usize>p << 2);
  let v = v128.load32_zero(a);
  v = v128.load32_lane(a + groupBytes, v, 1);
  v = v128.load32_lane(a + groupBytes * 2, v, 2);
  return v128.load32_lane(a + groupBytes * 3, v, 3);
}

/** Groups of any other number of neighbours, four a step, each piece gathered into lanes; returns the first group not done. */
function maxoutGathered(x: usize, dy: usize, out: usize, units: i32, pieces: i32, backward: bool): i32 {
  const groupBytes = <usize>pieces << 2;
  let u = 0;
  for (; u + 4 <= units; u += 4) {
    const at = x + <usize>u * groupBytes;
    let best = gather4(at, groupBytes, 0);
    let win = i32x4.splat(0);
    for (let p = 1; p < pieces; p++) {
      const c = gather4(at, groupBytes, p);
      const lead = takesLead4(c, best);
      best = v128.bitselect(c, best, lead);
      win = v128.bitselect(i32x4.splat(p), win, lead);
    }
    if (!backward) v128.store(out + (<usize>u << 2), best);
    else {
      const d = v128.load(dy + (<usize>u << 2));
      const o = out + <usize>u * groupBytes;
      for (let p = 0; p < pieces; p++) {
        const g = v128.and(d, i32x4.eq(win, i32x4.splat(p)));
        const q = o + (<usize>p << 2);
        v128.store32_lane(q, g, 0);
        v128.store32_lane(q + groupBytes, g, 1);
        v128.store32_lane(q + groupBytes * 2, g, 2);
        v128.store32_lane(q + groupBytes * 3, g, 3);
      }
    }
  }
  return u;
}

/** Groups `from` to `units` of pieces `inner` apart: across inner four at a time, then one by one. */
function maxoutStrided(x: usize, dy: usize, out: usize, from: i32, units: i32, pieces: i32, inner: i32, backward: bool): void {
  const stride = <usize>inner << 2;
  for (let u = from; u < units; u++) {
    const base = x + ((<usize>u * <usize>pieces * <usize>inner) << 2);
    const outBase = backward ? out + (base - x) : out + ((<usize>u * <usize>inner) << 2);
    const dyBase = dy + ((<usize>u * <usize>inner) << 2);
    let j = 0;
    for (; j + 4 <= inner; j += 4) {
      const at = <usize>j << 2;
      let best = v128.load(base + at);
      let win = i32x4.splat(0);
      for (let p = 1; p < pieces; p++) {
        const c = v128.load(base + <usize>p * stride + at);
        const lead = takesLead4(c, best);
        best = v128.bitselect(c, best, lead);
        win = v128.bitselect(i32x4.splat(p), win, lead);
      }
      if (!backward) v128.store(outBase + at, best);
      else {
        const d = v128.load(dyBase + at);
        for (let p = 0; p < pieces; p++) v128.store(outBase + <usize>p * stride + at, v128.and(d, i32x4.eq(win, i32x4.splat(p))));
      }
    }
    for (; j < inner; j++) {
      const at = <usize>j << 2;
      let best = load<i32>(base + at);
      let win = 0;
      for (let p = 1; p < pieces; p++) {
        const c = load<i32>(base + <usize>p * stride + at);
        if (takesLead(c, best)) {
          best = c;
          win = p;
        }
      }
      if (!backward) store<i32>(outBase + at, best);
      else {
        const d = load<i32>(dyBase + at);
        for (let p = 0; p < pieces; p++) store<i32>(outBase + <usize>p * stride + at, p == win ? d : 0);
      }
    }
  }
}

// The exp family (sigmoid, tanh, silu, elu/selu/celu, softplus, gelu, mish). Their JS
// kernels compute in float64 with Math.exp, Math.expm1, Math.log1p and Math.tanh (gelu: erfc by
// series and continued fraction) and round once to f32; these do the same float64 formula in f64x2
// lanes, the transcendentals from exp2v, expm1v, log1pv and erfcv below (about 2^-52 relative, where the engine's are within an ulp of float64), so a
// result differs from the JS kernel's only where the two float64 values straddle an f32 rounding
// boundary: within the op's stated bound, and rarely (test/unit/simd.test.ts measures how rarely).
// What float arithmetic cannot be trusted with is still decided on the bits: a NaN result lane
// takes the first NaN operand's bits (x or y before dy), or 0x7fc00000 when it is made here (Inf *
// 0); the ±Inf limits are the JS kernels' constants. Each kernel steps one v128 (two f64x2 halves,
// independent chains) at a time; the last n % 4 elements go through the same step in a staged
// copy, so there is no scalar twin to keep equal.

const LOG2E: f64 = 1.4426950408889634;
// ln 2 as LN2_HI (its top 21 bits, so k * LN2_HI is exact for |k| < 2^32 / 2^21) + LN2_LO.
const LN2_HI: f64 = 0.6931467056274414;
const LN2_LO: f64 = 4.7493250390316726e-7;
// 1.5 * 2^52: v + SHIFTER rounds v (|v| < 2^51) to an integer k, which the low bits then hold, so
// the bits minus SHIFTER's are k as an i64.
const SHIFTER: f64 = 6755399441055744.0;
const SHIFTER_BITS: i64 = 0x4338000000000000;

const TAIL_A = memory.data(16, 16);
const TAIL_B = memory.data(16, 16);

// count (< 4) f32s from `from` into the 16 bytes at `to`, the rest +0.
@inline
function stage(to: usize, from: usize, count: i32): void {
  v128.store(to, i32x4.splat(0));
  for (let i = 0; i < count; i++) store<i32>(to + (<usize>i << 2), load<i32>(from + (<usize>i << 2)));
}

@inline
function unstage(to: usize, from: usize, count: i32): void {
  for (let i = 0; i < count; i++) store<i32>(to + (<usize>i << 2), load<i32>(from + (<usize>i << 2)));
}

// expm1(r) for |r| <= ln2 / 2 as r + r^2 P(r), P of degree 9 fitted to (expm1(r) - r) / r^2 on
// |r| <= ln2 / 2 + 1e-3 (scripts/fit-polynomials.py: a Chebyshev fit in 120-bit arithmetic; the
// result's relative error, the coefficients rounded to float64, is at most 4.1e-17), evaluated by
// Estrin's scheme in pairs: the kernels are bound by their count of instructions, and a short chain
// of dependent ones lets neighbouring lanes overlap. A tiny r gives r itself, as Math.expm1 does
// (r = -0 gives +0 here: expm1v keeps the sign).
@inline
function expm1Poly(r: v128): v128 {
  const r2 = f64x2.mul(r, r);
  const r4 = f64x2.mul(r2, r2);
  const a0 = f64x2.add(f64x2.splat(0.5000000000000001), f64x2.mul(r, f64x2.splat(0.16666666666666669)));
  const a1 = f64x2.add(f64x2.splat(0.04166666666662317), f64x2.mul(r, f64x2.splat(0.008333333333329989)));
  const a2 = f64x2.add(f64x2.splat(0.0013888888917690603), f64x2.mul(r, f64x2.splat(0.0001984126986342035)));
  const a3 = f64x2.add(f64x2.splat(2.480152055701783e-5), f64x2.mul(r, f64x2.splat(2.755726789174553e-6)));
  const a4 = f64x2.add(f64x2.splat(2.762043894863442e-7), f64x2.mul(r, f64x2.splat(2.510065503606659e-8)));
  const b0 = f64x2.add(a0, f64x2.mul(r2, a1));
  const b1 = f64x2.add(a2, f64x2.mul(r2, a3));
  const p = f64x2.add(b0, f64x2.mul(r4, f64x2.add(b1, f64x2.mul(r4, a4))));
  return f64x2.add(r, f64x2.mul(r2, p));
}

// v + SHIFTER with v rounded to k = round(v / ln 2) in its low bits.
@inline
function shifted(v: v128): v128 {
  return f64x2.add(f64x2.mul(v, f64x2.splat(LOG2E)), f64x2.splat(SHIFTER));
}

// v - k ln 2 in two steps (the first exact), |result| <= ln2 / 2 and a little.
@inline
function reduced(v: v128, kd: v128): v128 {
  return f64x2.sub(f64x2.sub(v, f64x2.mul(kd, f64x2.splat(LN2_HI))), f64x2.mul(kd, f64x2.splat(LN2_LO)));
}

// 2^k for i64 lanes -1022 <= k <= 1023, made on the exponent bits.
@inline
function pow2(k: v128): v128 {
  return i64x2.shl(i64x2.add(k, i64x2.splat(1023)), 52);
}

/**
 * exp(v) on two f64 lanes, about 2^-52 relative: v clamped to ±1000 first (pmin and pmax: one
 * instruction each, where min and max are several; a NaN lane stays NaN), then 2^k applied in two
 * factors, so that results past 2^1024 are Inf and subnormal ones round once (below 2^-1075: 0).
 * Exact at v = 0; a NaN lane gives some NaN.
 */
@inline
function exp2v(v: v128): v128 {
  const c = f64x2.pmin(f64x2.pmax(v, f64x2.splat(-1000.0)), f64x2.splat(1000.0));
  const t = shifted(c);
  const kd = f64x2.sub(t, f64x2.splat(SHIFTER));
  const k = i64x2.sub(t, i64x2.splat(SHIFTER_BITS));
  // k >> 1 as i64: |k| < 2^31, so the high word is all sign bits, and i32x4's shift (native, where
  // i64x2.shr_s is not on x64) shifts the low word and leaves the high one as it is.
  const k1 = i32x4.shr_s(k, 1);
  const p = f64x2.add(expm1Poly(reduced(c, kd)), f64x2.splat(1.0));
  return f64x2.mul(f64x2.mul(p, pow2(k1)), pow2(i64x2.sub(k, k1)));
}

/**
 * expm1(v) on two f64 lanes, about 2^-52 relative: the polynomial alone where |v| < ln2 / 2 (±0
 * kept), else (2^k - 1) + 2^k q. v clamped to [-40, 709] first: -1 below (as in float64),
 * and 8.2e307 for anything above, which an f32 factor then takes to the same f32 as Inf would.
 */
@inline
function expm1v(v: v128): v128 {
  const c = f64x2.pmin(f64x2.pmax(v, f64x2.splat(-40.0)), f64x2.splat(709.0));
  const t = shifted(c);
  const kd = f64x2.sub(t, f64x2.splat(SHIFTER));
  const q = expm1Poly(reduced(c, kd));
  const s = pow2(i64x2.sub(t, i64x2.splat(SHIFTER_BITS)));
  const far = f64x2.add(f64x2.sub(s, f64x2.splat(1.0)), f64x2.mul(s, q));
  const zero = f64x2.splat(0.0);
  return v128.bitselect(c, v128.bitselect(q, far, f64x2.eq(kd, zero)), f64x2.eq(c, zero));
}

/**
 * log1p(u) for 0 <= u <= 1 on two f64 lanes: 2 atanh(s), s = u / (2 + u) <= 1/3, as 2s + 2s z P(z),
 * z = s^2, P of degree 9 fitted to (atanh(s) / s - 1) / z on 0 <= z <= 1/9 (scripts/fit-polynomials.py;
 * relative error at most 7.1e-18 with the coefficients rounded), by Estrin's scheme as expm1Poly.
 */
@inline
function log1pv(u: v128): v128 {
  const s = f64x2.div(u, f64x2.add(u, f64x2.splat(2.0)));
  const z = f64x2.mul(s, s);
  const z2 = f64x2.mul(z, z);
  const z4 = f64x2.mul(z2, z2);
  const a0 = f64x2.add(f64x2.splat(0.3333333333333333), f64x2.mul(z, f64x2.splat(0.20000000000007292)));
  const a1 = f64x2.add(f64x2.splat(0.1428571428355438), f64x2.mul(z, f64x2.splat(0.11111111358713932)));
  const a2 = f64x2.add(f64x2.splat(0.09090894718066429), f64x2.mul(z, f64x2.splat(0.07692785032479312)));
  const a3 = f64x2.add(f64x2.splat(0.06657072104827468), f64x2.mul(z, f64x2.splat(0.06000536404795356)));
  const a4 = f64x2.add(f64x2.splat(0.04400369243072337), f64x2.mul(z, f64x2.splat(0.08082022805971766)));
  const b0 = f64x2.add(a0, f64x2.mul(z2, a1));
  const b1 = f64x2.add(a2, f64x2.mul(z2, a3));
  const p = f64x2.add(b0, f64x2.mul(z4, f64x2.add(b1, f64x2.mul(z4, a4))));
  const s2 = f64x2.add(s, s);
  return f64x2.add(s2, f64x2.mul(s2, f64x2.mul(z, p)));
}

// (v >= 0 ? 1 : e) / (1 + e) with e = exp(-|v|): sigmoid64 (src/ops/sigmoid.ts) given its e.
@inline
function sigmoidOf(v: v128, e: v128): v128 {
  const num = v128.bitselect(f64x2.splat(1.0), e, f64x2.ge(v, f64x2.splat(0.0)));
  return f64x2.div(num, f64x2.add(e, f64x2.splat(1.0)));
}

@inline
function expMinusAbs(v: v128): v128 {
  return exp2v(f64x2.neg(f64x2.abs(v)));
}

// mulExp64 (src/ops/elu.ts) given e = exp(v): m kept where it is infinite and v > -Inf, or zero
// and v < Inf (e overflows to Inf from v = 709.8 on: CELU's x / alpha with alpha < 0).
@inline
function mulExp(m: v128, v: v128, e: v128): v128 {
  const inf = f64x2.splat(Infinity);
  const keepInf = v128.and(f64x2.eq(f64x2.abs(m), inf), f64x2.gt(v, f64x2.neg(inf)));
  const keepZero = v128.and(f64x2.eq(m, f64x2.splat(0.0)), f64x2.lt(v, inf));
  return v128.bitselect(m, f64x2.mul(m, e), v128.or(keepInf, keepZero));
}

// A result's NaN lanes given a's bits where a is NaN, else b's where b is NaN, else 0x7fc00000.
// Most vectors have none: a branch on that (predicted) skips the selects, a third of the time of
// the backward kernels from y.
@inline
function nanFrom(r: v128, a: v128, b: v128): v128 {
  const nan = isNan4(r);
  if (!v128.any_true(nan)) return r;
  const fix = v128.bitselect(a, v128.bitselect(b, i32x4.splat(QUIET_NAN), isNan4(b)), isNan4(a));
  return v128.bitselect(fix, r, nan);
}

const MINUS_INF: i32 = 0xff800000;

@inline
function sigmoid2(v: v128): v128 {
  return sigmoidOf(v, expMinusAbs(v));
}

@inline
function sigmoidForward4(x: usize, y: usize): void {
  const b = v128.load(x);
  v128.store(y, v128.bitselect(b, join32(sigmoid2(low64(b)), sigmoid2(high64(b))), isNan4(b)));
}

/** sigmoid forward: sigmoid64(x) rounded once; a NaN x unchanged. */
export function sigmoid_forward(x: usize, y: usize, n: i32): void {
  const end = <usize>(n >> 2) << 4;
  for (let at: usize = 0; at < end; at += 16) sigmoidForward4(x + at, y + at);
  if (n & 3) {
    stage(TAIL_A, x + end, n & 3);
    sigmoidForward4(TAIL_A, TAIL_A);
    unstage(y + end, TAIL_A, n & 3);
  }
}

// (dy * y) * (1 - y) in float64: the JS kernel's bits (NaNs aside).
@inline
function sigmoidGrad2(y: v128, d: v128): v128 {
  return f64x2.mul(f64x2.mul(d, y), f64x2.sub(f64x2.splat(1.0), y));
}

@inline
function sigmoidBackward4(y: usize, dy: usize, dx: usize): void {
  const b = v128.load(y);
  const d = v128.load(dy);
  const r = join32(sigmoidGrad2(low64(b), low64(d)), sigmoidGrad2(high64(b), high64(d)));
  v128.store(dx, nanFrom(r, b, d));
}

/** sigmoid backward from y: dx = dy * y * (1 - y) in float64, rounded once. */
export function sigmoid_backward(y: usize, dy: usize, dx: usize, n: i32): void {
  const end = <usize>(n >> 2) << 4;
  for (let at: usize = 0; at < end; at += 16) sigmoidBackward4(y + at, dy + at, dx + at);
  if (n & 3) {
    stage(TAIL_A, y + end, n & 3);
    stage(TAIL_B, dy + end, n & 3);
    sigmoidBackward4(TAIL_A, TAIL_B, TAIL_A);
    unstage(dx + end, TAIL_A, n & 3);
  }
}

// tanh |v| = -t / (2 + t), t = expm1(-2|v|) in (-1, 0]: no cancellation anywhere.
@inline
function tanhAbs2(v: v128): v128 {
  const t = expm1v(f64x2.mul(f64x2.abs(v), f64x2.splat(-2.0)));
  return f64x2.div(f64x2.neg(t), f64x2.add(t, f64x2.splat(2.0)));
}

@inline
function tanhForward4(x: usize, y: usize): void {
  const b = v128.load(x);
  const m = join32(tanhAbs2(low64(b)), tanhAbs2(high64(b)));
  v128.store(y, v128.bitselect(b, v128.or(m, v128.and(b, i32x4.splat(SIGN))), isNan4(b)));
}

/** tanh forward: tanh(x) in float64 (odd: the sign is x's), rounded once; a NaN x unchanged. */
export function tanh_forward(x: usize, y: usize, n: i32): void {
  const end = <usize>(n >> 2) << 4;
  for (let at: usize = 0; at < end; at += 16) tanhForward4(x + at, y + at);
  if (n & 3) {
    stage(TAIL_A, x + end, n & 3);
    tanhForward4(TAIL_A, TAIL_A);
    unstage(y + end, TAIL_A, n & 3);
  }
}

@inline
function tanhGrad2(y: v128, d: v128): v128 {
  const one = f64x2.splat(1.0);
  return f64x2.mul(d, f64x2.mul(f64x2.sub(one, y), f64x2.add(one, y)));
}

@inline
function tanhBackward4(y: usize, dy: usize, dx: usize): void {
  const b = v128.load(y);
  const d = v128.load(dy);
  v128.store(dx, nanFrom(join32(tanhGrad2(low64(b), low64(d)), tanhGrad2(high64(b), high64(d))), b, d));
}

/** tanh backward from y: dx = dy * ((1 - y) * (1 + y)) in float64, rounded once. */
export function tanh_backward(y: usize, dy: usize, dx: usize, n: i32): void {
  const end = <usize>(n >> 2) << 4;
  for (let at: usize = 0; at < end; at += 16) tanhBackward4(y + at, dy + at, dx + at);
  if (n & 3) {
    stage(TAIL_A, y + end, n & 3);
    stage(TAIL_B, dy + end, n & 3);
    tanhBackward4(TAIL_A, TAIL_B, TAIL_A);
    unstage(dx + end, TAIL_A, n & 3);
  }
}

@inline
function siluForward2(v: v128): v128 {
  return f64x2.mul(v, sigmoid2(v));
}

@inline
function siluForward4(x: usize, y: usize): void {
  const b = v128.load(x);
  const r = join32(siluForward2(low64(b)), siluForward2(high64(b)));
  // -Inf: -0 (the limit; -Inf * 0 made a NaN); a NaN x unchanged.
  const fixed = v128.bitselect(i32x4.splat(SIGN), r, i32x4.eq(b, i32x4.splat(MINUS_INF)));
  v128.store(y, v128.bitselect(b, fixed, isNan4(b)));
}

/** silu forward: x * sigmoid64(x) in float64, rounded once; -Inf gives -0, a NaN x unchanged. */
export function silu_forward(x: usize, y: usize, n: i32): void {
  const end = <usize>(n >> 2) << 4;
  for (let at: usize = 0; at < end; at += 16) siluForward4(x + at, y + at);
  if (n & 3) {
    stage(TAIL_A, x + end, n & 3);
    siluForward4(TAIL_A, TAIL_A);
    unstage(y + end, TAIL_A, n & 3);
  }
}

// dy * s * (1 + v * (1 - s)), or below -64 mulExp64(dy * (1 + v), v) (exp(v) is e there).
@inline
function siluGrad2(v: v128, d: v128): v128 {
  const one = f64x2.splat(1.0);
  const e = expMinusAbs(v);
  const s = sigmoidOf(v, e);
  const near = f64x2.mul(f64x2.mul(d, s), f64x2.add(one, f64x2.mul(v, f64x2.sub(one, s))));
  const far = mulExp(f64x2.mul(d, f64x2.add(one, v)), v, e);
  return v128.bitselect(far, near, f64x2.lt(v, f64x2.splat(-64.0)));
}

@inline
function siluBackward4(x: usize, dy: usize, dx: usize): void {
  const b = v128.load(x);
  const d = v128.load(dy);
  const r = nanFrom(join32(siluGrad2(low64(b), low64(d)), siluGrad2(high64(b), high64(d))), b, d);
  // +Inf: dy; -Inf: +0.
  const inf = i32x4.eq(v128.and(b, i32x4.splat(ABS)), i32x4.splat(INF));
  v128.store(dx, v128.bitselect(v128.andnot(d, i32x4.shr_s(b, 31)), r, inf));
}

/** silu backward from x (see src/ops/silu.ts), in float64, rounded once. */
export function silu_backward(x: usize, dy: usize, dx: usize, n: i32): void {
  const end = <usize>(n >> 2) << 4;
  for (let at: usize = 0; at < end; at += 16) siluBackward4(x + at, dy + at, dx + at);
  if (n & 3) {
    stage(TAIL_A, x + end, n & 3);
    stage(TAIL_B, dy + end, n & 3);
    siluBackward4(TAIL_A, TAIL_B, TAIL_A);
    unstage(dx + end, TAIL_A, n & 3);
  }
}

// ELU, SELU and CELU share kernels: v <= 0 ? (alpha * expm1(w)) * scale : v * scale forward and
// v <= 0 ? mulExp64((dy * scale) * mAlpha, w) : dy * scale backward, w = v / alpha (CELU, divide)
// or v. elu: scale 1, mAlpha alpha; selu: scale, mAlpha alpha; celu: scale 1, mAlpha 1, divide.
// The factors of 1 and the division by 1 are exact, so each is its JS kernel's float64 formula. A
// NaN x takes the v > 0 side, as the JS kernels' compare does.
@inline
function eluArg(v: v128, a: v128, divide: bool): v128 {
  return divide ? f64x2.div(v, a) : v;
}

@inline
function eluForward2(v: v128, a: v128, s: v128, divide: bool): v128 {
  const neg = f64x2.mul(f64x2.mul(a, expm1v(eluArg(v, a, divide))), s);
  return v128.bitselect(neg, f64x2.mul(v, s), f64x2.le(v, f64x2.splat(0.0)));
}

@inline
function eluForward4(x: usize, y: usize, a: v128, s: v128, divide: bool): void {
  const b = v128.load(x);
  const r = join32(eluForward2(low64(b), a, s, divide), eluForward2(high64(b), a, s, divide));
  v128.store(y, v128.bitselect(b, r, isNan4(b)));
}

/** ELU/SELU/CELU forward (see above); a NaN x unchanged. */
export function elu_forward(x: usize, y: usize, n: i32, alpha: f64, scale: f64, divide: bool): void {
  const a = f64x2.splat(alpha);
  const s = f64x2.splat(scale);
  const end = <usize>(n >> 2) << 4;
  for (let at: usize = 0; at < end; at += 16) eluForward4(x + at, y + at, a, s, divide);
  if (n & 3) {
    stage(TAIL_A, x + end, n & 3);
    eluForward4(TAIL_A, TAIL_A, a, s, divide);
    unstage(y + end, TAIL_A, n & 3);
  }
}

@inline
function eluGrad2(v: v128, d: v128, a: v128, s: v128, ma: v128, divide: bool): v128 {
  const w = eluArg(v, a, divide);
  const ds = f64x2.mul(d, s);
  const neg = mulExp(f64x2.mul(ds, ma), w, exp2v(w));
  return v128.bitselect(neg, ds, f64x2.le(v, f64x2.splat(0.0)));
}

@inline
function eluBackward4(x: usize, dy: usize, dx: usize, a: v128, s: v128, ma: v128, divide: bool): void {
  const b = v128.load(x);
  const d = v128.load(dy);
  const r = join32(eluGrad2(low64(b), low64(d), a, s, ma, divide), eluGrad2(high64(b), high64(d), a, s, ma, divide));
  // A NaN x gave dy * scale: NaN only for a NaN dy, whose bits it then takes.
  v128.store(dx, nanFrom(r, d, d));
}

/** ELU/SELU/CELU backward from x (see above). */
export function elu_backward(x: usize, dy: usize, dx: usize, n: i32, alpha: f64, scale: f64, mAlpha: f64, divide: bool): void {
  const a = f64x2.splat(alpha);
  const s = f64x2.splat(scale);
  const ma = f64x2.splat(mAlpha);
  const end = <usize>(n >> 2) << 4;
  for (let at: usize = 0; at < end; at += 16) eluBackward4(x + at, dy + at, dx + at, a, s, ma, divide);
  if (n & 3) {
    stage(TAIL_A, x + end, n & 3);
    stage(TAIL_B, dy + end, n & 3);
    eluBackward4(TAIL_A, TAIL_B, TAIL_A, a, s, ma, divide);
    unstage(dx + end, TAIL_A, n & 3);
  }
}

// softplus: bx = beta * v (exact); bx > threshold ? v : bx > 0 ? v + log1p(e) / beta :
// log1p(e) / beta, e = exp(-|bx|).
@inline
function softplusForward2(v: v128, beta: v128, th: v128): v128 {
  const bx = f64x2.mul(beta, v);
  const l = f64x2.div(log1pv(expMinusAbs(bx)), beta);
  const low = v128.bitselect(f64x2.add(v, l), l, f64x2.gt(bx, f64x2.splat(0.0)));
  return v128.bitselect(v, low, f64x2.gt(bx, th));
}

@inline
function softplusForward4(x: usize, y: usize, beta: v128, th: v128): void {
  const b = v128.load(x);
  const r = join32(softplusForward2(low64(b), beta, th), softplusForward2(high64(b), beta, th));
  v128.store(y, v128.bitselect(b, r, isNan4(b)));
}

/** softplus forward (see src/ops/softplus.ts) in float64, rounded once; a NaN x unchanged. */
export function softplus_forward(x: usize, y: usize, n: i32, beta: f64, threshold: f64): void {
  const bv = f64x2.splat(beta);
  const th = f64x2.splat(threshold);
  const end = <usize>(n >> 2) << 4;
  for (let at: usize = 0; at < end; at += 16) softplusForward4(x + at, y + at, bv, th);
  if (n & 3) {
    stage(TAIL_A, x + end, n & 3);
    softplusForward4(TAIL_A, TAIL_A, bv, th);
    unstage(y + end, TAIL_A, n & 3);
  }
}

// bx > threshold ? dy : bx < -64 ? mulExp64(dy, bx) : dy * sigmoid64(bx).
@inline
function softplusGrad2(v: v128, d: v128, beta: v128, th: v128): v128 {
  const bx = f64x2.mul(beta, v);
  const e = expMinusAbs(bx);
  const low = v128.bitselect(mulExp(d, bx, e), f64x2.mul(d, sigmoidOf(bx, e)), f64x2.lt(bx, f64x2.splat(-64.0)));
  return v128.bitselect(d, low, f64x2.gt(bx, th));
}

@inline
function softplusBackward4(x: usize, dy: usize, dx: usize, beta: v128, th: v128): void {
  const b = v128.load(x);
  const d = v128.load(dy);
  const r = join32(softplusGrad2(low64(b), low64(d), beta, th), softplusGrad2(high64(b), high64(d), beta, th));
  v128.store(dx, nanFrom(r, b, d));
}

/** softplus backward from x (see src/ops/softplus.ts) in float64, rounded once. */
export function softplus_backward(x: usize, dy: usize, dx: usize, n: i32, beta: f64, threshold: f64): void {
  const bv = f64x2.splat(beta);
  const th = f64x2.splat(threshold);
  const end = <usize>(n >> 2) << 4;
  for (let at: usize = 0; at < end; at += 16) softplusBackward4(x + at, dy + at, dx + at, bv, th);
  if (n & 3) {
    stage(TAIL_A, x + end, n & 3);
    stage(TAIL_B, dy + end, n & 3);
    softplusBackward4(TAIL_A, TAIL_B, TAIL_A, bv, th);
    unstage(dx + end, TAIL_A, n & 3);
  }
}

// gelu's tanh form (src/ops/gelu.ts): u = 2 BETA (x + KAPPA x^3) in the JS kernel's order of
// operations, s = sigmoid(u) and 1 - s from one e = exp(-|u|).
const GELU_BETA: f64 = 0.7978845608028654; // sqrt(2 / pi)
const GELU_KAPPA: f64 = 0.044715;

@inline
function geluU(v: v128): v128 {
  const cube = f64x2.mul(f64x2.mul(f64x2.mul(f64x2.splat(GELU_KAPPA), v), v), v);
  return f64x2.mul(f64x2.splat(2.0 * GELU_BETA), f64x2.add(v, cube));
}

@inline
function geluTanhForward2(v: v128): v128 {
  const u = geluU(v);
  return f64x2.mul(v, sigmoidOf(u, expMinusAbs(u)));
}

@inline
function geluTanhForward4(x: usize, y: usize): void {
  const b = v128.load(x);
  const r = join32(geluTanhForward2(low64(b)), geluTanhForward2(high64(b)));
  const fixed = v128.bitselect(i32x4.splat(SIGN), r, i32x4.eq(b, i32x4.splat(MINUS_INF)));
  v128.store(y, v128.bitselect(b, fixed, isNan4(b)));
}

/** gelu (approximate 'tanh') forward: x * sigmoid(u) in float64, rounded once; -Inf: -0; NaN kept. */
export function gelu_tanh_forward(x: usize, y: usize, n: i32): void {
  const end = <usize>(n >> 2) << 4;
  for (let at: usize = 0; at < end; at += 16) geluTanhForward4(x + at, y + at);
  if (n & 3) {
    stage(TAIL_A, x + end, n & 3);
    geluTanhForward4(TAIL_A, TAIL_A);
    unstage(y + end, TAIL_A, n & 3);
  }
}

// gradTanh then scaleGrad: g = s (where s or 1 - s is 0) or s + 2 BETA x s (1 - s) (1 + 3 KAPPA
// x^2); dy * g, with g = 0 at a finite x taken as -2^-1074.
@inline
function geluTanhGrad2(v: v128, d: v128): v128 {
  const one = f64x2.splat(1.0);
  const u = geluU(v);
  const e = expMinusAbs(u);
  const big = f64x2.div(one, f64x2.add(one, e));
  const small = f64x2.div(e, f64x2.add(one, e));
  const up = f64x2.ge(u, f64x2.splat(0.0));
  const s = v128.bitselect(big, small, up);
  const oms = v128.bitselect(small, big, up);
  const poly = f64x2.add(one, f64x2.mul(f64x2.mul(f64x2.splat(3.0 * GELU_KAPPA), v), v));
  const slope = f64x2.mul(f64x2.mul(f64x2.mul(f64x2.mul(f64x2.splat(2.0 * GELU_BETA), v), s), oms), poly);
  const zero = f64x2.splat(0.0);
  const g = v128.bitselect(s, f64x2.add(s, slope), v128.or(f64x2.eq(s, zero), f64x2.eq(oms, zero)));
  return scaleGrad2(d, g, v);
}

@inline
function geluTanhBackward4(x: usize, dy: usize, dx: usize): void {
  const b = v128.load(x);
  const d = v128.load(dy);
  v128.store(dx, nanFrom(join32(geluTanhGrad2(low64(b), low64(d)), geluTanhGrad2(high64(b), high64(d))), b, d));
}

/** gelu (approximate 'tanh') backward from x, as the JS kernel's gradTanh and scaleGrad, rounded once. */
export function gelu_tanh_backward(x: usize, dy: usize, dx: usize, n: i32): void {
  const end = <usize>(n >> 2) << 4;
  for (let at: usize = 0; at < end; at += 16) geluTanhBackward4(x + at, dy + at, dx + at);
  if (n & 3) {
    stage(TAIL_A, x + end, n & 3);
    stage(TAIL_B, dy + end, n & 3);
    geluTanhBackward4(TAIL_A, TAIL_B, TAIL_A);
    unstage(dx + end, TAIL_A, n & 3);
  }
}

// gelu's approximate 'none' (src/ops/gelu.ts): x Phi(x) and its gradient Phi(x) + x phi(x), Phi
// from erfc as normalCdf does, erfc(t) (t >= 0) on four intervals, each a polynomial fitted by
// scripts/fit-polynomials.py (relative errors at most 1.4e-17, 2.3e-17, 3.9e-17, 5.9e-17 and
// 4.6e-17): 1 - t P(t^2) below 0.75; exp(-t t) G(t - c) up to 4, G(t) = exp(t^2) erfc(t) on
// [0.75, 1.5), [1.5, 2.5), [2.5, 4) (one polynomial, its coefficients picked per lane); exp(-t t)
// H(1 / t^2) / t up to 27, and 0 past it as in the JS kernel. exp(-t t) is the JS kernel's factor,
// rounded as it rounds t t.

// erf(t) / t in w = t^2 on [0, 0.5625], by Estrin's scheme.
@inline
function erfOverT(w: v128): v128 {
  const e0_0 = f64x2.add(f64x2.splat(1.1283791670955126), f64x2.mul(w, f64x2.splat(-0.37612638903183715)));
  const e0_1 = f64x2.add(f64x2.splat(0.11283791670952596), f64x2.mul(w, f64x2.splat(-0.026866170644428485)));
  const e0_2 = f64x2.add(f64x2.splat(0.005223977615420539), f64x2.mul(w, f64x2.splat(-0.0008548326188759752)));
  const e0_3 = f64x2.add(f64x2.splat(0.00012055289567541706), f64x2.mul(w, f64x2.splat(-1.4924196305569617e-05)));
  const e0_4 = f64x2.add(f64x2.splat(1.643068417974155e-06), f64x2.mul(w, f64x2.splat(-1.5940066854661717e-07)));
  const e0_5 = f64x2.splat(1.1472499701094691e-08);
  const ep0 = f64x2.mul(w, w);
  const e1_0 = f64x2.add(e0_0, f64x2.mul(ep0, e0_1));
  const e1_1 = f64x2.add(e0_2, f64x2.mul(ep0, e0_3));
  const e1_2 = f64x2.add(e0_4, f64x2.mul(ep0, e0_5));
  const ep1 = f64x2.mul(ep0, ep0);
  const e2_0 = f64x2.add(e1_0, f64x2.mul(ep1, e1_1));
  const e2_1 = e1_2;
  const ep2 = f64x2.mul(ep1, ep1);
  const e3_0 = f64x2.add(e2_0, f64x2.mul(ep2, e2_1));
  return e3_0;
}

// One of three coefficients by lane: a where m1, b where m2, else c.
@inline
function pick3(m1: v128, m2: v128, a: f64, b: f64, c: f64): v128 {
  return v128.bitselect(f64x2.splat(a), v128.bitselect(f64x2.splat(b), f64x2.splat(c), m2), m1);
}

// G(t) = exp(t^2) erfc(t) for 0.75 <= t < 4 in s = t - c, the interval's coefficients by lane.
@inline
function erfcScaledMid(t: v128): v128 {
  const m1 = f64x2.lt(t, f64x2.splat(1.5));
  const m2 = f64x2.lt(t, f64x2.splat(2.5));
  const s = f64x2.sub(t, pick3(m1, m2, 1.125, 2.0, 3.25));

  const g0_0 = f64x2.add(pick3(m1, m2, 0.3956980795529959, 0.25539567631050575, 0.16633534842682188), f64x2.mul(s, pick3(m1, m2, -0.2380584881012718, -0.1067964618534896, -0.047199402321170376)));
  const g0_1 = f64x2.add(pick3(m1, m2, 0.12788228043906544, 0.041802752603526915, 0.012937290883019195), f64x2.mul(s, pick3(m1, m2, -0.06279394840488244, -0.015460637764291092, -0.00343547130090778)));
  const g0_2 = f64x2.add(pick3(m1, m2, 0.028619544241740444, 0.00544073853744156, 0.0008860045774956012), f64x2.mul(s, pick3(m1, m2, -0.012238784453136366, -0.0018316642757311742, -0.00022238256956078872)));
  const g0_3 = f64x2.add(pick3(m1, m2, 0.004950303913267933, 0.000592469996313369, 5.4420409361290455e-05), f64x2.mul(s, pick3(m1, m2, -0.001905626444626002, -0.00018477836740122568, -1.300464037449519e-05)));
  const g0_4 = f64x2.add(pick3(m1, m2, 0.0007016184676885983, 5.5728299853060465e-05, 3.038828163712848e-06), f64x2.mul(s, pick3(m1, m2, -0.0002480678877666664, -1.6293715542527493e-05, -6.952073077661102e-07)));
  const g0_5 = f64x2.add(pick3(m1, m2, 8.450952807636283e-05, 4.628306339064563e-06, 1.5589558736215798e-07), f64x2.mul(s, pick3(m1, m2, -2.7817747442883267e-05, -1.2795531726707594e-06, -3.429274651638e-08)));
  const g0_6 = f64x2.add(pick3(m1, m2, 8.859766404494316e-06, 3.4423946450209766e-07, 7.3764326362154734e-09), f64x2.mul(s, pick3(m1, m2, -2.7420274199510213e-06, -9.059144499761123e-08, -1.5661289730211835e-09)));
  const g0_7 = f64x2.add(pick3(m1, m2, 8.658328736857381e-07, 2.4838591176738408e-08, 3.605109491407344e-10), f64x2.mul(s, pick3(m1, m2, -2.531970982024236e-07, -6.2369421691116115e-09, -7.384697115742467e-11)));
  const gp0 = f64x2.mul(s, s);
  const g1_0 = f64x2.add(g0_0, f64x2.mul(gp0, g0_1));
  const g1_1 = f64x2.add(g0_2, f64x2.mul(gp0, g0_3));
  const g1_2 = f64x2.add(g0_4, f64x2.mul(gp0, g0_5));
  const g1_3 = f64x2.add(g0_6, f64x2.mul(gp0, g0_7));
  const gp1 = f64x2.mul(gp0, gp0);
  const g2_0 = f64x2.add(g1_0, f64x2.mul(gp1, g1_1));
  const g2_1 = f64x2.add(g1_2, f64x2.mul(gp1, g1_3));
  const gp2 = f64x2.mul(gp1, gp1);
  const g3_0 = f64x2.add(g2_0, f64x2.mul(gp2, g2_1));
  return g3_0;
}

// H(v) = t exp(t^2) erfc(t) in v = 1 / t^2 on [1/729, 1/16] (t from 4 to 27).
@inline
function erfcScaledFar(v: v128): v128 {
  const h0_0 = f64x2.add(f64x2.splat(0.5641895835477561), f64x2.mul(v, f64x2.splat(-0.28209479177355784)));
  const h0_1 = f64x2.add(f64x2.splat(0.4231421874759685), f64x2.mul(v, f64x2.splat(-1.0578554140724354)));
  const h0_2 = f64x2.add(f64x2.splat(3.7024843766165954), f64x2.mul(v, f64x2.splat(-16.660102883320008)));
  const h0_3 = f64x2.add(f64x2.splat(91.548747748835), f64x2.mul(v, f64x2.splat(-590.7317192710819)));
  const h0_4 = f64x2.add(f64x2.splat(4267.4535243909895), f64x2.mul(v, f64x2.splat(-31897.930682427967)));
  const h0_5 = f64x2.add(f64x2.splat(219853.7709911241), f64x2.mul(v, f64x2.splat(-1214955.622260758)));
  const h0_6 = f64x2.add(f64x2.splat(4520088.802708885), f64x2.mul(v, f64x2.splat(-8192161.369243816)));
  const hp0 = f64x2.mul(v, v);
  const h1_0 = f64x2.add(h0_0, f64x2.mul(hp0, h0_1));
  const h1_1 = f64x2.add(h0_2, f64x2.mul(hp0, h0_3));
  const h1_2 = f64x2.add(h0_4, f64x2.mul(hp0, h0_5));
  const h1_3 = h0_6;
  const hp1 = f64x2.mul(hp0, hp0);
  const h2_0 = f64x2.add(h1_0, f64x2.mul(hp1, h1_1));
  const h2_1 = f64x2.add(h1_2, f64x2.mul(hp1, h1_3));
  const hp2 = f64x2.mul(hp1, hp1);
  const h3_0 = f64x2.add(h2_0, f64x2.mul(hp2, h2_1));
  return h3_0;
}

const SQRT_HALF: f64 = 0.7071067811865476;
const INV_SQRT_2PI: f64 = 0.3989422804014327;

// erfc(t) for t >= 0 (a NaN t gives 0: its lane is set on the bits after).
@inline
function erfcv(t: v128): v128 {
  const near = f64x2.sub(f64x2.splat(1.0), f64x2.mul(t, erfOverT(f64x2.mul(t, t))));
  const e = exp2v(f64x2.mul(f64x2.neg(t), t));
  const mid = f64x2.mul(e, erfcScaledMid(t));
  const r = f64x2.div(f64x2.splat(1.0), t);
  const far = f64x2.mul(f64x2.mul(e, erfcScaledFar(f64x2.mul(r, r))), r);
  const v = v128.bitselect(near, v128.bitselect(mid, far, f64x2.lt(t, f64x2.splat(4.0))), f64x2.lt(t, f64x2.splat(0.75)));
  return v128.and(v, f64x2.le(t, f64x2.splat(27.0)));
}

// normalCdf: x >= 0 ? 1 - 0.5 erfc(x / sqrt 2) : 0.5 erfc(-x / sqrt 2).
@inline
function normalCdf2(v: v128): v128 {
  const half = f64x2.mul(f64x2.splat(0.5), erfcv(f64x2.mul(f64x2.abs(v), f64x2.splat(SQRT_HALF))));
  return v128.bitselect(f64x2.sub(f64x2.splat(1.0), half), half, f64x2.ge(v, f64x2.splat(0.0)));
}

@inline
function geluNoneForward2(v: v128): v128 {
  return f64x2.mul(v, normalCdf2(v));
}

@inline
function geluNoneForward4(x: usize, y: usize): void {
  const b = v128.load(x);
  const r = join32(geluNoneForward2(low64(b)), geluNoneForward2(high64(b)));
  const fixed = v128.bitselect(i32x4.splat(SIGN), r, i32x4.eq(b, i32x4.splat(MINUS_INF)));
  v128.store(y, v128.bitselect(b, fixed, isNan4(b)));
}

/** gelu (approximate 'none') forward: x Phi(x) in float64, rounded once; -Inf: -0; a NaN x unchanged. */
export function gelu_none_forward(x: usize, y: usize, n: i32): void {
  const end = <usize>(n >> 2) << 4;
  for (let at: usize = 0; at < end; at += 16) geluNoneForward4(x + at, y + at);
  if (n & 3) {
    stage(TAIL_A, x + end, n & 3);
    geluNoneForward4(TAIL_A, TAIL_A);
    unstage(y + end, TAIL_A, n & 3);
  }
}

// scaleGrad (src/ops/gelu.ts): dy * g, g = 0 at a finite x taken as -2^-1074.
@inline
function scaleGrad2(d: v128, g: v128, v: v128): v128 {
  const finite = f64x2.lt(f64x2.abs(v), f64x2.splat(Infinity));
  return f64x2.mul(d, v128.bitselect(f64x2.splat(-5e-324), g, v128.and(f64x2.eq(g, f64x2.splat(0.0)), finite)));
}

// gradNone: Phi(x) + (x / sqrt(2 pi)) exp(-x x / 2); 1 at +Inf, 0 at -Inf.
@inline
function geluNoneGrad2(v: v128, d: v128): v128 {
  const density = f64x2.mul(f64x2.mul(v, f64x2.splat(INV_SQRT_2PI)), exp2v(f64x2.mul(f64x2.mul(f64x2.splat(-0.5), v), v)));
  const g = f64x2.add(normalCdf2(v), density);
  const limit = v128.and(f64x2.splat(1.0), f64x2.gt(v, f64x2.splat(0.0)));
  return scaleGrad2(d, v128.bitselect(limit, g, f64x2.eq(f64x2.abs(v), f64x2.splat(Infinity))), v);
}

@inline
function geluNoneBackward4(x: usize, dy: usize, dx: usize): void {
  const b = v128.load(x);
  const d = v128.load(dy);
  v128.store(dx, nanFrom(join32(geluNoneGrad2(low64(b), low64(d)), geluNoneGrad2(high64(b), high64(d))), b, d));
}

/** gelu (approximate 'none') backward from x, as the JS kernel's gradNone and scaleGrad, rounded once. */
export function gelu_none_backward(x: usize, dy: usize, dx: usize, n: i32): void {
  const end = <usize>(n >> 2) << 4;
  for (let at: usize = 0; at < end; at += 16) geluNoneBackward4(x + at, dy + at, dx + at);
  if (n & 3) {
    stage(TAIL_A, x + end, n & 3);
    stage(TAIL_B, dy + end, n & 3);
    geluNoneBackward4(TAIL_A, TAIL_B, TAIL_A);
    unstage(dx + end, TAIL_A, n & 3);
  }
}

// mish: e = exp(v), n = e (e + 2); y = v > 20 ? v : v * (n / (n + 2)) (-Inf: -0).
@inline
function mishForward2(v: v128): v128 {
  const e = exp2v(v);
  const nn = f64x2.mul(e, f64x2.add(e, f64x2.splat(2.0)));
  const r = f64x2.mul(v, f64x2.div(nn, f64x2.add(nn, f64x2.splat(2.0))));
  return v128.bitselect(v, r, f64x2.gt(v, f64x2.splat(20.0)));
}

@inline
function mishForward4(x: usize, y: usize): void {
  const b = v128.load(x);
  const r = join32(mishForward2(low64(b)), mishForward2(high64(b)));
  const fixed = v128.bitselect(i32x4.splat(SIGN), r, i32x4.eq(b, i32x4.splat(MINUS_INF)));
  v128.store(y, v128.bitselect(b, fixed, isNan4(b)));
}

/** mish forward (see src/ops/mish.ts) in float64, rounded once; -Inf: -0; a NaN x unchanged. */
export function mish_forward(x: usize, y: usize, n: i32): void {
  const end = <usize>(n >> 2) << 4;
  for (let at: usize = 0; at < end; at += 16) mishForward4(x + at, y + at);
  if (n & 3) {
    stage(TAIL_A, x + end, n & 3);
    mishForward4(TAIL_A, TAIL_A);
    unstage(y + end, TAIL_A, n & 3);
  }
}

// grad = n / m + ((v e) / (1 + e)) ((4 (n + 1)) / (m m)), m = n + 2; dy * grad, dy past 20, and
// below -64 mulExp64(dy * (1 + v), v).
@inline
function mishGrad2(v: v128, d: v128): v128 {
  const one = f64x2.splat(1.0);
  const e = exp2v(v);
  const nn = f64x2.mul(e, f64x2.add(e, f64x2.splat(2.0)));
  const m = f64x2.add(nn, f64x2.splat(2.0));
  const t = f64x2.div(f64x2.mul(f64x2.splat(4.0), f64x2.add(nn, one)), f64x2.mul(m, m));
  const grad = f64x2.add(f64x2.div(nn, m), f64x2.mul(f64x2.div(f64x2.mul(v, e), f64x2.add(one, e)), t));
  const near = v128.bitselect(d, f64x2.mul(d, grad), f64x2.gt(v, f64x2.splat(20.0)));
  const far = mulExp(f64x2.mul(d, f64x2.add(one, v)), v, e);
  return v128.bitselect(far, near, f64x2.lt(v, f64x2.splat(-64.0)));
}

@inline
function mishBackward4(x: usize, dy: usize, dx: usize): void {
  const b = v128.load(x);
  const d = v128.load(dy);
  const r = nanFrom(join32(mishGrad2(low64(b), low64(d)), mishGrad2(high64(b), high64(d))), b, d);
  // +Inf: dy (past 20); -Inf: +0.
  const inf = i32x4.eq(v128.and(b, i32x4.splat(ABS)), i32x4.splat(INF));
  v128.store(dx, v128.bitselect(v128.andnot(d, i32x4.shr_s(b, 31)), r, inf));
}

/** mish backward from x (see src/ops/mish.ts) in float64, rounded once. */
export function mish_backward(x: usize, dy: usize, dx: usize, n: i32): void {
  const end = <usize>(n >> 2) << 4;
  for (let at: usize = 0; at < end; at += 16) mishBackward4(x + at, dy + at, dx + at);
  if (n & 3) {
    stage(TAIL_A, x + end, n & 3);
    stage(TAIL_B, dy + end, n & 3);
    mishBackward4(TAIL_A, TAIL_B, TAIL_A);
    unstage(dx + end, TAIL_A, n & 3);
  }
}

// The gated units' products (src/ops/gated.ts): out = a * b as the JS kernels' product gives it.
// Their float64 product of two f32s is exact, so its one rounding to f32 is IEEE's f32 product; a
// NaN operand comes back quieted (a's if both are), as the engine's multiply and the GPU's give
// it; Inf * 0 gives 0x7fc00000. In place (out = a or b) is fine.
@inline
function quietMul4(a: v128, b: v128): v128 {
  const quiet = i32x4.splat(0x400000);
  const p = f32x4.mul(a, b);
  const r = v128.bitselect(i32x4.splat(QUIET_NAN), p, isNan4(p));
  return v128.bitselect(v128.or(a, quiet), v128.bitselect(v128.or(b, quiet), r, isNan4(b)), isNan4(a));
}

@inline
function quietMul(a: i32, b: i32): i32 {
  if (isNan(a)) return a | 0x400000;
  if (isNan(b)) return b | 0x400000;
  const p = reinterpret<i32>(reinterpret<f32>(a) * reinterpret<f32>(b));
  return isNan(p) ? QUIET_NAN : p;
}

export function mul(a: usize, b: usize, out: usize, n: i32): void {
  let i = 0;
  for (; i + 8 <= n; i += 8) {
    const at = <usize>i << 2;
    const p = quietMul4(v128.load(a + at), v128.load(b + at));
    const q = quietMul4(v128.load(a + at, 16), v128.load(b + at, 16));
    v128.store(out + at, p);
    v128.store(out + at, q, 16);
  }
  for (; i + 4 <= n; i += 4) {
    const at = <usize>i << 2;
    v128.store(out + at, quietMul4(v128.load(a + at), v128.load(b + at)));
  }
  for (; i < n; i++) {
    const at = <usize>i << 2;
    store<i32>(out + at, quietMul(load<i32>(a + at), load<i32>(b + at)));
  }
}

// softsign (src/ops/softsign.ts), its JS kernels' float64 steps on two lanes each: x / (1 + |x|),
// ±1 at ±Inf; backward dy / ((1 + |x|) * (1 + |x|)). NaN lanes on the bits: forward keeps x's,
// backward takes dy's, else x's without its sign (as the JS kernel's |x| carries it), quieted;
// Inf / Inf gives 0x7fc00000.
const ONE_BITS: i32 = 0x3f800000;
const QUIET_BIT: i32 = 0x400000;

@inline
function softsignValue2(v: v128): v128 {
  return f64x2.div(v, f64x2.add(f64x2.splat(1.0), f64x2.abs(v)));
}

@inline
function softsignForward4(x: usize, y: usize): void {
  const b = v128.load(x);
  const r = join32(softsignValue2(low64(b)), softsignValue2(high64(b)));
  const inf = i32x4.eq(v128.and(b, i32x4.splat(~SIGN)), i32x4.splat(INF));
  const ones = v128.or(v128.and(b, i32x4.splat(SIGN)), i32x4.splat(ONE_BITS));
  v128.store(y, v128.bitselect(b, v128.bitselect(ones, r, inf), isNan4(b)));
}

@inline
function softsignForward1(b: i32): i32 {
  if (isNan(b)) return b;
  if ((b & ~SIGN) == INF) return (b & SIGN) | ONE_BITS;
  const v = <f64>reinterpret<f32>(b);
  return reinterpret<i32>(<f32>(v / (1.0 + Math.abs(v))));
}

export function softsign_forward(x: usize, y: usize, n: i32): void {
  let i = 0;
  for (; i + 8 <= n; i += 8) {
    const at = <usize>i << 2;
    softsignForward4(x + at, y + at);
    softsignForward4(x + at + 16, y + at + 16);
  }
  for (; i + 4 <= n; i += 4) softsignForward4(x + (<usize>i << 2), y + (<usize>i << 2));
  for (; i < n; i++) store<i32>(y + (<usize>i << 2), softsignForward1(load<i32>(x + (<usize>i << 2))));
}

@inline
function softsignSlope2(v: v128, d: v128): v128 {
  const s = f64x2.add(f64x2.splat(1.0), f64x2.abs(v));
  return f64x2.div(d, f64x2.mul(s, s));
}

@inline
function softsignBackward4(x: usize, dy: usize, dx: usize): void {
  const b = v128.load(x);
  const g = v128.load(dy);
  const r = join32(softsignSlope2(low64(b), low64(g)), softsignSlope2(high64(b), high64(g)));
  const quiet = i32x4.splat(QUIET_BIT);
  const fromX = v128.or(v128.and(b, i32x4.splat(~SIGN)), quiet);
  const nan = v128.bitselect(i32x4.splat(QUIET_NAN), r, isNan4(r));
  v128.store(dx, v128.bitselect(v128.or(g, quiet), v128.bitselect(fromX, nan, isNan4(b)), isNan4(g)));
}

@inline
function softsignBackward1(b: i32, g: i32): i32 {
  if (isNan(g)) return g | QUIET_BIT;
  if (isNan(b)) return (b & ~SIGN) | QUIET_BIT;
  const s = 1.0 + Math.abs(<f64>reinterpret<f32>(b));
  const r = reinterpret<i32>(<f32>(<f64>reinterpret<f32>(g) / (s * s)));
  return isNan(r) ? QUIET_NAN : r;
}

export function softsign_backward(x: usize, dy: usize, dx: usize, n: i32): void {
  let i = 0;
  for (; i + 8 <= n; i += 8) {
    const at = <usize>i << 2;
    softsignBackward4(x + at, dy + at, dx + at);
    softsignBackward4(x + at + 16, dy + at + 16, dx + at + 16);
  }
  for (; i + 4 <= n; i += 4) softsignBackward4(x + (<usize>i << 2), dy + (<usize>i << 2), dx + (<usize>i << 2));
  for (; i < n; i++) {
    const at = <usize>i << 2;
    store<i32>(dx + at, softsignBackward1(load<i32>(x + at), load<i32>(dy + at)));
  }
}

// linear (src/ops/linear.ts): forward alpha * x + beta in float64 (the product exact), rounded
// once to f32, on two lanes each; a NaN x is kept, any other NaN (Inf - Inf, Inf * 0) is
// 0x7fc00000. Backward dy * alpha as exactMulBits, every lane (it reads no x).
@inline
function linearValue2(v: v128, a: v128, c: v128): v128 {
  return f64x2.add(f64x2.mul(a, v), c);
}

@inline
function linearForward4(x: usize, y: usize, a: v128, c: v128): void {
  const b = v128.load(x);
  const r = join32(linearValue2(low64(b), a, c), linearValue2(high64(b), a, c));
  v128.store(y, v128.bitselect(b, v128.bitselect(i32x4.splat(QUIET_NAN), r, isNan4(r)), isNan4(b)));
}

export function linear_forward(x: usize, y: usize, n: i32, alpha: f64, beta: f64): void {
  const a = f64x2.splat(alpha);
  const c = f64x2.splat(beta);
  let i = 0;
  for (; i + 8 <= n; i += 8) {
    const at = <usize>i << 2;
    linearForward4(x + at, y + at, a, c);
    linearForward4(x + at + 16, y + at + 16, a, c);
  }
  for (; i + 4 <= n; i += 4) linearForward4(x + (<usize>i << 2), y + (<usize>i << 2), a, c);
  for (; i < n; i++) {
    const at = <usize>i << 2;
    const b = load<i32>(x + at);
    const r = reinterpret<i32>(<f32>(alpha * <f64>reinterpret<f32>(b) + beta));
    store<i32>(y + at, isNan(b) ? b : isNan(r) ? QUIET_NAN : r);
  }
}

export function linear_backward(dy: usize, dx: usize, n: i32, alpha: f32): void {
  const av = f32x4.splat(alpha);
  let i = 0;
  for (; i + 8 <= n; i += 8) {
    const at = <usize>i << 2;
    const p = scaled4(v128.load(dy + at), av);
    const q = scaled4(v128.load(dy + at, 16), av);
    v128.store(dx + at, p);
    v128.store(dx + at, q, 16);
  }
  for (; i + 4 <= n; i += 4) {
    const at = <usize>i << 2;
    v128.store(dx + at, scaled4(v128.load(dy + at), av));
  }
  for (; i < n; i++) {
    const at = <usize>i << 2;
    store<i32>(dx + at, scaled(load<i32>(dy + at), alpha));
  }
}

// The training layer's 1-bit masks (src/ops/define.ts, OpDefinition.mask; PReLU's frozen-slope
// layer): bit i of the mask is bit i & 31 of word i >> 5. Forward writes all ceil(n / 32) words,
// the bits past n 0, each full word from eight v128s of x (their lane masks narrowed to 16 bytes,
// two i8x16.bitmask), and for relu, thresholdedRelu and leakyRelu y in the same pass; backward
// reads a word back into eight lane masks (the word splatted, each lane testing its own bit). The
// last n % 32 elements go one at a time.

// Vector k of BIT_LANES (16 bytes from BIT_LANES + 16k) holds bit 4k + j in lane j.
const BIT_LANES = memory.data<i32>([
  1, 2, 4, 8, 0x10, 0x20, 0x40, 0x80, 0x100, 0x200, 0x400, 0x800, 0x1000, 0x2000, 0x4000, 0x8000, 0x10000, 0x20000, 0x40000, 0x80000,
  0x100000, 0x200000, 0x400000, 0x800000, 0x1000000, 0x2000000, 0x4000000, 0x8000000, 0x10000000, 0x20000000, 0x40000000, 0x80000000,
], 16);

// Ordered keys as four lanes compare them here: key(b) for b >= +0, key(b) - 1 below (b ^ ABS
// there: three operations, not four), so -0 comes just below +0, at -1. NaNs fall outside every
// other key: above key(+Inf) or below key(-Inf) - 1. Bounds are moved to match (lowKey, highKey),
// after clamping them to key(-Inf) - 1 and key(+Inf) + 1 (which leaves every test of a key that
// is not a NaN's as it was, and no NaN inside).
@inline
function shiftedKey4(b: v128, absv: v128): v128 {
  return v128.xor(b, v128.and(i32x4.shr_s(b, 31), absv));
}

// key > lo, for shiftedKey4's keys: -0 (at -1) passes wherever +0 does (lo < 0).
@inline
function lowKey(lo: i32): i32 {
  const bound = max(lo, -INF - 1);
  return bound < 0 ? bound - 1 : bound;
}

// key < hi, for shiftedKey4's keys: -0 (at -1) passes wherever +0 does (hi > 0).
@inline
function highKey(hi: i32): i32 {
  const bound = min(max(hi, -INF), INF + 1);
  return bound <= 0 ? bound - 1 : bound;
}

// scaled with alpha given as its bits.
@inline
function scaledBits(b: i32, alphaBits: i32): i32 {
  return scaled(b, reinterpret<f32>(alphaBits));
}

// The forward of four elements b into y given their keep lanes: with `scaled`, b where kept, else
// alpha * b as scaled4 (leakyRelu, whose alpha is never a NaN, so that this is exactMulBits: a NaN
// b is not kept and gives its own bits); without, b where kept, else +0 (relu, thresholdedRelu).
// Nothing where y is 0.
@inline
function keptForward4(b: v128, keep: v128, y: usize, av: v128, scaled: bool): void {
  if (y == 0) return;
  v128.store(y, scaled ? v128.bitselect(b, scaled4(b, av), keep) : v128.and(b, keep));
}

// keep = x is NaN ? nan : lo < key(x) < hi on four lanes, lov and hiv from lowKey and highKey,
// which a NaN's key fails: no test for NaN at all unless NaNs are kept.
@inline
function keep4(b: v128, lov: v128, hiv: v128, absv: v128, infv: v128, nan: bool): v128 {
  const key = shiftedKey4(b, absv);
  const inside = v128.and(i32x4.gt_s(key, lov), i32x4.lt_s(key, hiv));
  return nan ? v128.or(inside, i32x4.gt_s(v128.and(b, absv), infv)) : inside;
}

// Eight elements at x (y as keptForward4): their keep lanes (0 or -1) narrowed with saturation to
// eight i16 lanes of 0 or -1, in element order.
@inline
function keep8(x: usize, y: usize, lov: v128, hiv: v128, absv: v128, infv: v128, nan: bool, av: v128, scaled: bool): v128 {
  const b0 = v128.load(x);
  const m0 = keep4(b0, lov, hiv, absv, infv, nan);
  keptForward4(b0, m0, y, av, scaled);
  const b1 = v128.load(x, 16);
  const m1 = keep4(b1, lov, hiv, absv, infv, nan);
  keptForward4(b1, m1, y ? y + 16 : 0, av, scaled);
  return i16x8.narrow_i32x4_s(m0, m1);
}

// The mask words of n elements of x, and y as keptForward4 unless y is 0 (see mask_inside), `nan`
// a constant where it is inlined. A word is four keep8s narrowed again to 16 bytes twice, then two
// i8x16.bitmask. Every vector constant is made once, before the loop.
@inline
function maskWords(x: usize, y: usize, words: usize, n: i32, lo: i32, hi: i32, nan: bool, alphaBits: i32, scaled: bool): void {
  const lov = i32x4.splat(lowKey(lo));
  const hiv = i32x4.splat(highKey(hi));
  const absv = i32x4.splat(ABS);
  const infv = i32x4.splat(INF);
  const av = i32x4.splat(alphaBits);
  const full = n >> 5;
  for (let w = 0; w < full; w++) {
    const at = <usize>w << 7;
    const xa = x + at;
    const ya = y ? y + at : 0;
    const q0 = keep8(xa, ya, lov, hiv, absv, infv, nan, av, scaled);
    const q1 = keep8(xa + 32, ya ? ya + 32 : 0, lov, hiv, absv, infv, nan, av, scaled);
    const low = i8x16.narrow_i16x8_s(q0, q1);
    const q2 = keep8(xa + 64, ya ? ya + 64 : 0, lov, hiv, absv, infv, nan, av, scaled);
    const q3 = keep8(xa + 96, ya ? ya + 96 : 0, lov, hiv, absv, infv, nan, av, scaled);
    const high = i8x16.narrow_i16x8_s(q2, q3);
    store<i32>(words + (<usize>w << 2), i8x16.bitmask(low) | (i8x16.bitmask(high) << 16));
  }
  if (n & 31) {
    let word = 0;
    for (let i = full << 5; i < n; i++) {
      const at = <usize>i << 2;
      const b = load<i32>(x + at);
      const key = keyOf(b);
      const kept = isNan(b) ? nan : key > lo && key < hi;
      if (kept) word |= 1 << (i & 31);
      if (y) store<i32>(y + at, kept ? b : scaled ? scaledBits(b, alphaBits) : 0);
    }
    store<i32>(words + (<usize>full << 2), word);
  }
}

/**
 * The mask of x: bit i set where x[i] is NaN ? nan : lo < key(x[i]) < hi, lo and hi ordered keys
 * (hi = 0x7fffffff, past every key that is not a NaN's, for no upper bound): relu6 and hardtanh
 * (their bounds' keys, NaN kept) and PReLU (lo = 0, NaN not kept), beside their forward kernels.
 */
export function mask_inside(x: usize, words: usize, n: i32, lo: i32, hi: i32, nan: bool): void {
  if (nan) maskWords(x, 0, words, n, lo, hi, true, 0, false);
  else maskWords(x, 0, words, n, lo, hi, false, 0, false);
}

/**
 * y = keep ? x : +0 and the mask of keep (as mask_inside's) in one pass: relu (lo = 0, NaN kept:
 * relu_forward's y) and thresholdedRelu (lo = theta's key, NaN kept).
 */
export function gate_mask(x: usize, y: usize, words: usize, n: i32, lo: i32, hi: i32, nan: bool): void {
  if (nan) maskWords(x, y, words, n, lo, hi, true, 0, false);
  else maskWords(x, y, words, n, lo, hi, false, 0, false);
}

/**
 * leakyRelu's forward (y = x > 0 or NaN ? x : alpha * x, as exactMulBits; alphaBits: alpha's f32
 * bits) and the mask of x > 0 (a NaN is not kept) in one pass.
 */
export function leaky_mask(x: usize, y: usize, words: usize, n: i32, alphaBits: i32): void {
  maskWords(x, y, words, n, 0, 0x7fffffff, false, alphaBits, true);
}

// Vector k of a word (splatted) as lane masks: lane j all ones where bit 4k + j is set.
@inline
function maskedLanes(word: v128, k: usize): v128 {
  const bit = v128.load(BIT_LANES + (k << 4));
  return i32x4.eq(v128.and(word, bit), bit);
}

/** dx = mask bit i ? dy : +0 (relu, relu6, hardtanh, thresholdedRelu). */
export function masked_select(words: usize, dy: usize, dx: usize, n: i32): void {
  const full = n >> 5;
  for (let w = 0; w < full; w++) {
    const word = i32x4.splat(load<i32>(words + (<usize>w << 2)));
    const at = <usize>w << 7;
    for (let k: usize = 0; k < 8; k++) v128.store(dx + at + (k << 4), v128.and(v128.load(dy + at + (k << 4)), maskedLanes(word, k)));
  }
  if (n & 31) {
    const word = load<i32>(words + (<usize>full << 2));
    for (let i = full << 5; i < n; i++) {
      const at = <usize>i << 2;
      store<i32>(dx + at, (word >>> (i & 31)) & 1 ? load<i32>(dy + at) : 0);
    }
  }
}

/**
 * dx = mask bit i ? dy : alpha * dy, the product as scaled4 (leakyRelu; alphaBits: alpha's f32
 * bits, never a NaN's, so that this is exactMulBits).
 */
export function masked_scaled(words: usize, dy: usize, dx: usize, n: i32, alphaBits: i32): void {
  const av = i32x4.splat(alphaBits);
  const full = n >> 5;
  for (let w = 0; w < full; w++) {
    const word = i32x4.splat(load<i32>(words + (<usize>w << 2)));
    const at = <usize>w << 7;
    for (let k: usize = 0; k < 8; k++) {
      const d = v128.load(dy + at + (k << 4));
      v128.store(dx + at + (k << 4), v128.bitselect(d, scaled4(d, av), maskedLanes(word, k)));
    }
  }
  if (n & 31) {
    const word = load<i32>(words + (<usize>full << 2));
    for (let i = full << 5; i < n; i++) {
      const at = <usize>i << 2;
      const d = load<i32>(dy + at);
      store<i32>(dx + at, (word >>> (i & 31)) & 1 ? d : scaledBits(d, alphaBits));
    }
  }
}

// The mask bits of elements i to i + 3 (any i, the four may straddle two words) as lane masks.
@inline
function maskNibble(words: usize, i: i32): v128 {
  const shift = i & 31;
  let bits = load<u32>(words + (<usize>(i >>> 5) << 2)) >>> shift;
  if (shift > 28) bits |= load<u32>(words + (<usize>((i >>> 5) + 1) << 2)) << (32 - shift);
  const bit = v128.load(BIT_LANES);
  return i32x4.eq(v128.and(i32x4.splat(bits), bit), bit);
}

// A run of len elements from element `first` (PReLU's slopes as channelRun).
@inline
function preluMaskedRun(words: usize, first: i32, alpha: usize, dy: usize, dx: usize, len: i32, step: usize): void {
  const one = i32x4.splat(load<i32>(alpha));
  let i = 0;
  for (; i + 4 <= len; i += 4) {
    const at = <usize>i << 2;
    const d = v128.load(dy + at);
    v128.store(dx + at, v128.bitselect(d, exactMul4(d, step ? v128.load(alpha + at) : one), maskNibble(words, first + i)));
  }
  for (; i < len; i++) {
    const at = <usize>i << 2;
    const e = first + i;
    const d = load<i32>(dy + at);
    const kept = (load<u32>(words + (<usize>(e >>> 5) << 2)) >>> (e & 31)) & 1;
    store<i32>(dx + at, kept ? d : exactMul(d, load<i32>(alpha + (step ? at : 0))));
  }
}

/**
 * PReLU's frozen-slope backward: dx = mask bit i ? dy : alpha * dy (as exactMulBits), the slope
 * of element i (i / inner) % channels, as prelu_forward.
 */
export function prelu_backward_mask(words: usize, alpha: usize, dy: usize, dx: usize, n: i32, channels: i32, inner: i32): void {
  if (inner == 1) {
    for (let o = 0; o < n; o += channels) preluMaskedRun(words, o, alpha, dy + (<usize>o << 2), dx + (<usize>o << 2), channels, 4);
    return;
  }
  const runs = n / inner;
  for (let r = 0; r < runs; r++) {
    const first = r * inner;
    const at = <usize>first << 2;
    preluMaskedRun(words, first, alpha + (<usize>(r % channels) << 2), dy + at, dx + at, inner, 0);
  }
}

// The fused bias of the training layer (CpuBackend.fused): z = x + b[(i / inner) % channels], as
// prelu_forward lays out its slopes. IEEE's f32 sum (the JS loop's float64 sum of two f32s rounds
// once to it); a NaN operand comes back quieted (x's if both are), any other NaN (Inf - Inf) is
// 0x7fc00000, as the JS loop writes them.
@inline
function biasAdd4(a: v128, b: v128): v128 {
  const quiet = i32x4.splat(QUIET_BIT);
  const s = f32x4.add(a, b);
  // A NaN operand makes a NaN sum: without NaN lanes in the sum, it is the answer.
  const nan = isNan4(s);
  if (!v128.any_true(nan)) return s;
  const r = v128.bitselect(i32x4.splat(QUIET_NAN), s, nan);
  return v128.bitselect(v128.or(a, quiet), v128.bitselect(v128.or(b, quiet), r, isNan4(b)), isNan4(a));
}

@inline
function biasAdd1(a: i32, b: i32): i32 {
  if (isNan(a)) return a | QUIET_BIT;
  if (isNan(b)) return b | QUIET_BIT;
  const s = reinterpret<i32>(reinterpret<f32>(a) + reinterpret<f32>(b));
  return isNan(s) ? QUIET_NAN : s;
}

/** z = x + b[(i / inner) % channels] over n elements (see above). */
export function bias_add(x: usize, b: usize, z: usize, n: i32, channels: i32, inner: i32): void {
  channelRuns(x, b, z, n, channels, inner, true);
}

// The same tree sums for rows laid out as a layer's bias gradient reads them: row r's value k is
// at ((k / inner) * rows + r) * inner + k % inner (rows = channels, len = outer * inner), four rows
// a vector (neighbours in memory when inner = 1, gathered inner apart otherwise). In one pass, not
// level by level: value k goes onto a stack of partial sums, and while k has its level's bit set
// the partial below is added on its left (a binary counter), so each sum adds the same two halves
// of the padded tree as treeSumRow; at the end the partials left (len's set bits) are added from
// the smallest up, each on the left. The padding's adds of -0 change no value that is not a NaN,
// and a NaN becomes 0x7fc00000 at its first add either way; len 1 adds the padding, as the tree.
const SUM_STACK = memory.data(33 * 16, 16);

@inline
function gatherRows(at: usize, stride: usize, contiguous: bool): v128 {
  if (contiguous) return v128.load(at);
  let v = v128.load32_zero(at);
  v = v128.load32_lane(at + stride, v, 1);
  v = v128.load32_lane(at + stride * 2, v, 2);
  return v128.load32_lane(at + stride * 3, v, 3);
}

/** Tree sums of `rows` strided rows of len = outer * inner values into out (see above). */
export function strided_tree_sums(values: usize, rows: i32, len: i32, inner: i32, out: usize): void {
  const outer = len / inner;
  const stride = <usize>inner << 2;
  for (let r = 0; r < rows; r += 4) {
    // A last group of fewer than four rows takes the four that end the rows (overlapping the
    // group before, whose sums it writes again, the same); with fewer than four rows in all, the
    // spare lanes repeat the last row (gatherFew) and only the real ones are written.
    const first = r + 4 <= rows ? r : rows - 4;
    const whole = first >= 0;
    const base = values + ((<usize>(whole ? first : 0) * <usize>inner) << 2);
    let k = 0;
    for (let o = 0; o < outer; o++) {
      const row = base + ((<usize>o * <usize>rows * <usize>inner) << 2);
      for (let i = 0; i < inner; i++) {
        let carry = whole ? gatherRows(row + (<usize>i << 2), stride, inner == 1) : gatherFew(row + (<usize>i << 2), stride, rows);
        let level: usize = 0;
        for (let c = k; c & 1; c >>= 1) {
          carry = exactAdd4(v128.load(SUM_STACK + (level << 4)), carry);
          level++;
        }
        v128.store(SUM_STACK + (level << 4), carry);
        k++;
      }
    }
    let sum = i32x4.splat(0);
    let started = false;
    for (let level: usize = 0; level < 32; level++) {
      if (((len >> <i32>level) & 1) == 0) continue;
      const partial = v128.load(SUM_STACK + (level << 4));
      sum = started ? exactAdd4(partial, sum) : partial;
      started = true;
    }
    if (len == 1) sum = exactAdd4(sum, i32x4.splat(<i32>0x80000000));
    if (whole) v128.store(out + (<usize>first << 2), sum);
    else for (let j = 0; j < rows; j++) store<i32>(out + (<usize>j << 2), extractLane(sum, j));
    if (!whole || first != r) break;
  }
}

// Fewer than four rows in all: lane j reads row min(j, rows - 1).
@inline
function gatherFew(at: usize, stride: usize, rows: i32): v128 {
  let v = v128.load32_zero(at);
  v = v128.load32_lane(at + stride * <usize>min(1, rows - 1), v, 1);
  v = v128.load32_lane(at + stride * <usize>min(2, rows - 1), v, 2);
  return v128.load32_lane(at + stride * <usize>min(3, rows - 1), v, 3);
}

@inline
function extractLane(v: v128, j: i32): i32 {
  return j == 0 ? i32x4.extract_lane(v, 0) : j == 1 ? i32x4.extract_lane(v, 1) : j == 2 ? i32x4.extract_lane(v, 2) : i32x4.extract_lane(v, 3);
}
