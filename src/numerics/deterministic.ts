// The CPU twins of shaders/lib/deterministic.wgsl: the same sequence of operations, each the
// float64 result rounded once to f32 (Math.fround), which for +, -, * and / of f32 operands is
// the correctly rounded f32 result, as the WGSL computes it. So the bits agree with every
// adapter's. NaN operands give NaN (the kernels' callers write the quiet NaN's bits for them).
import { f32Bits, f32FromBits } from './bits.js';

const f = Math.fround;
const add = (a: number, b: number) => f(a + b);
const sub = (a: number, b: number) => f(a - b);
const mul = (a: number, b: number) => f(a * b);

const LOG2E = f(Math.LOG2E);
const LN2_HI = 0.693145751953125; // 0x3f317200
const LN2_LO = f(Math.LN2 - LN2_HI); // 0x35bfbe8e
const C8 = f(1 / 40320);
const C7 = f(1 / 5040);
const C6 = f(1 / 720);
const C5 = f(1 / 120);
const C4 = f(1 / 24);
const C3 = f(1 / 6);
const P11 = f(1 / 11);
const P9 = f(1 / 9);
const P7 = f(1 / 7);
const P5 = f(1 / 5);
const P3 = f(1 / 3);

/** 2^k for k in [-126, 127]. */
const pow2 = (k: number) => 2 ** k;

/** a / b correctly rounded, as det_div (the same for every f32 operands here). */
export function detDiv(a: number, b: number): number {
  return f(a / b);
}

/** exp(x), as det_exp. */
export function detExp(x: number): number {
  return detExpLo(x, 0);
}

/** exp(x + lo), as det_exp_lo. */
export function detExpLo(x: number, lo: number): number {
  if (Number.isNaN(x)) return NaN;
  if (x < -104) return 0;
  if (x > 89) return Infinity;
  const half = x < 0 || Object.is(x, -0) ? -0.5 : 0.5;
  const k = Math.trunc(add(mul(x, LOG2E), half));
  const r = add(sub(sub(x, mul(k, LN2_HI)), mul(k, LN2_LO)), lo);
  let q = add(mul(r, C8), C7);
  q = add(mul(r, q), C6);
  q = add(mul(r, q), C5);
  q = add(mul(r, q), C4);
  q = add(mul(r, q), C3);
  q = add(mul(r, q), 0.5);
  const p = add(1, add(mul(mul(r, r), q), r));
  const k1 = k >> 1;
  return mul(mul(p, pow2(k1)), pow2(k - k1));
}

/** log(s) for s in [1, 2^32), as det_log. */
export function detLog(s: number): number {
  const sb = f32Bits(s);
  let e = ((sb >>> 23) & 0xff) - 127;
  let mb = (sb & 0x7fffff) | 0x3f800000;
  if (mb > 0x3fb504f3) {
    mb -= 0x00800000;
    e += 1;
  }
  const m = f32FromBits(mb);
  const u = detDiv(sub(m, 1), add(m, 1));
  const w = mul(u, u);
  let p = add(mul(w, P11), P9);
  p = add(mul(w, p), P7);
  p = add(mul(w, p), P5);
  p = add(mul(w, p), P3);
  const u2 = add(u, u);
  const lm = add(u2, mul(mul(u2, w), p));
  return add(mul(e, LN2_HI), add(mul(e, LN2_LO), lm));
}

/** A sum as hi + lo, as DetSum. */
export interface DetSum {
  hi: number;
  lo: number;
}

/** -0 + -0: the identity of a sum. */
export const detSumZero = (): DetSum => ({ hi: -0, lo: -0 });

/** a + b as hi + lo exactly (Knuth's TwoSum), as det_two_sum. */
export function twoSum(a: number, b: number): DetSum {
  const s = add(a, b);
  const bv = sub(s, a);
  const av = sub(s, bv);
  return { hi: s, lo: add(sub(a, av), sub(b, bv)) };
}

/** acc + v, as det_sum_add. */
export function detSumAdd(acc: DetSum, v: number): DetSum {
  const t = twoSum(acc.hi, v);
  return { hi: t.hi, lo: add(acc.lo, t.lo) };
}

/** a + b, as det_sum_merge. */
export function detSumMerge(a: DetSum, b: DetSum): DetSum {
  const t = twoSum(a.hi, b.hi);
  return { hi: t.hi, lo: add(add(a.lo, b.lo), t.lo) };
}

/** hi + lo renormalised (Fast2Sum), as det_sum_normalize. */
export function detSumNormalize(acc: DetSum): DetSum {
  if (!Number.isFinite(acc.hi)) return { hi: acc.hi, lo: 0 };
  const s = add(acc.hi, acc.lo);
  return { hi: s, lo: sub(acc.lo, sub(s, acc.hi)) };
}

/** hi + lo, as det_sum_value. */
export function detSumValue(acc: DetSum): number {
  return Number.isFinite(acc.hi) ? add(acc.hi, acc.lo) : acc.hi;
}
