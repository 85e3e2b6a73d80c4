// The CPU backend's WebAssembly SIMD kernels, in AssemblyScript (compiled by scripts/build-wasm.mjs
// into kernels.generated.ts). They are the fast twins of the JS kernels in src/ops/*.ts, which stay
// the reference: test/unit/simd.test.ts holds the two equal bit for bit.
//
// Every decision is made on the f32 bits with integer lanes, as the WGSL does: WebAssembly lets a
// float operation return any NaN payload, so no NaN ever passes through float arithmetic here.
// Pointers are byte addresses of f32 arrays in this module's memory; n is the element count. Four
// elements per v128, the last n % 4 one at a time.

const ABS: i32 = 0x7fffffff;
const INF: i32 = 0x7f800000;
const QUIET_NAN: i32 = 0x7fc00000;

/** Blocks for tensors: AssemblyScript's TLSF allocator, 16-byte aligned. */
export function alloc(bytes: usize): usize {
  return heap.alloc(bytes);
}

export function free(ptr: usize): void {
  heap.free(ptr);
}

// A key that orders non-NaN f32 bit patterns like their values under a signed compare: negative
// numbers map to minus their magnitude, so -0 and +0 both map to 0.
@inline
function keyOf(b: i32): i32 {
  const m = b & ABS;
  return b < 0 ? -m : m;
}

@inline
function isNan(b: i32): bool {
  return (b & ABS) > INF;
}

// The same, four lanes at a time: sign is all ones for negative lanes, and (m ^ sign) - sign
// negates exactly those.
@inline
function keyOf4(b: v128): v128 {
  const sign = i32x4.shr_s(b, 31);
  return i32x4.sub(v128.xor(v128.and(b, i32x4.splat(ABS)), sign), sign);
}

@inline
function isNan4(b: v128): v128 {
  return i32x4.gt_s(v128.and(b, i32x4.splat(ABS)), i32x4.splat(INF));
}

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
  const fixed = v128.bitselect(i32x4.splat(QUIET_NAN), p, isNan4(p));
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
  const r = v128.bitselect(i32x4.splat(QUIET_NAN), p, isNan4(p));
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

// A run of len elements: one slope (step 0) or slopes alongside (step 4 bytes an element).
@inline
function preluForwardRun(x: usize, alpha: usize, y: usize, len: i32, step: usize): void {
  const one = i32x4.splat(load<i32>(alpha));
  let i = 0;
  for (; i + 4 <= len; i += 4) {
    const at = <usize>i << 2;
    v128.store(y + at, preluForward4(v128.load(x + at), step ? v128.load(alpha + at) : one));
  }
  for (; i < len; i++) {
    const at = <usize>i << 2;
    store<i32>(y + at, preluForward1(load<i32>(x + at), load<i32>(alpha + (step ? at : 0))));
  }
}

/** PReLU forward over n elements, slope (i / inner) % channels. */
export function prelu_forward(x: usize, alpha: usize, y: usize, n: i32, channels: i32, inner: i32): void {
  if (inner == 1) {
    for (let o = 0; o < n; o += channels) preluForwardRun(x + (<usize>o << 2), alpha, y + (<usize>o << 2), channels, 4);
    return;
  }
  const runs = n / inner;
  for (let r = 0; r < runs; r++) {
    const at = (<usize>r * <usize>inner) << 2;
    preluForwardRun(x + at, alpha + (<usize>(r % channels) << 2), y + at, inner, 0);
  }
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
 * PReLU backward, slopes as prelu_forward: dx = x > 0 ? dy : alpha * dy, and each element's term
 * of dalpha (x > 0 ? +0 : x * dy) at terms[slope * (n / channels) + k], k its place among its
 * slope's elements, for the tree sums.
 */
export function prelu_backward(x: usize, alpha: usize, dy: usize, dx: usize, terms: usize, n: i32, channels: i32, inner: i32): void {
  const perParam = <usize>(n / channels);
  if (inner == 1) {
    // Element (o, c): term c * perParam + o, a stride of perParam between neighbours.
    for (let o = 0; o < n; o += channels) {
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
  const s = f32x4.add(a, b);
  return v128.bitselect(i32x4.splat(QUIET_NAN), s, v128.or(isNan4(s), v128.or(isNan4(a), isNan4(b))));
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
  const stride = <usize>inner << 2;
  for (let u = 0; u < units; u++) {
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
