// Float64 references for the per-channel and grouped ops (PReLU, maxout), written from the
// definitions: numpy-style broadcasting over x's full shape (not the kernels' merged dimensions),
// and dalpha as a recursive pairwise sum rounded to f32 at each addition; with the checks the
// specs in test/ops/prelu.spec.ts and maxout.spec.ts and the shared cases in
// test/conformance/family.ts run.
import type { Activations, Tensor } from '../../src/index.js';
import { assert, expectBits } from './compare.js';
import { SPECIAL_BITS, bitsOf, fromBits, randomFloats, rng, toBits } from './float.js';
import { pairwiseSum } from './reference.js';

const QUIET_NAN = 0x7fc00000;

/** The bits of the f32 product a * b (given as bits), NaN operands kept (x's first), Inf * 0 quiet. */
export function productBits(a: number, b: number): number {
  const va = fromBits(a);
  const vb = fromBits(b);
  if (Number.isNaN(va)) return a;
  if (Number.isNaN(vb)) return b;
  const p = va * vb;
  return Number.isNaN(p) ? QUIET_NAN : toBits(p);
}

/** For each element of x (row-major), the index of its slope, by broadcasting alpha's expanded shape. */
export function slopeIndex(xShape: readonly number[], expanded: readonly number[]): number[] {
  const n = xShape.reduce((a, b) => a * b, 1);
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    let rest = i;
    let index = 0;
    let stride = 1;
    for (let d = xShape.length - 1; d >= 0; d--) {
      const c = rest % xShape[d]!;
      rest = Math.floor(rest / xShape[d]!);
      if (expanded[d] !== 1) index += c * stride;
      stride *= expanded[d]!;
    }
    out.push(index);
  }
  return out;
}

interface PreluRef {
  y: Uint32Array;
  dx: Uint32Array;
  dalpha: Uint32Array;
}

export function preluReference(
  x: Float32Array,
  alpha: Float32Array,
  dy: Float32Array,
  xShape: readonly number[],
  expanded: readonly number[],
): PreluRef {
  const xb = bitsOf(x);
  const ab = bitsOf(alpha);
  const db = bitsOf(dy);
  const slope = slopeIndex(xShape, expanded);
  const y = new Uint32Array(x.length);
  const dx = new Uint32Array(x.length);
  const terms: number[][] = Array.from(alpha, () => []);
  for (let i = 0; i < x.length; i++) {
    const s = slope[i]!;
    const positive = x[i]! > 0;
    y[i] = positive || Number.isNaN(x[i]!) ? xb[i]! : productBits(xb[i]!, ab[s]!);
    dx[i] = positive ? db[i]! : productBits(db[i]!, ab[s]!);
    terms[s]!.push(positive ? 0 : productBits(xb[i]!, db[i]!));
  }
  return { y, dx, dalpha: Uint32Array.from(terms, (t) => pairwiseSum(t)) };
}

export async function checkPrelu(
  acts: Activations,
  label: string,
  xShape: number[],
  alphaShape: number[],
  expanded: number[],
  options: { axis?: number },
  data: { x: Float32Array<ArrayBuffer>; alpha: Float32Array<ArrayBuffer>; dy: Float32Array<ArrayBuffer> },
): Promise<void> {
  const x = acts.tensor(data.x, xShape);
  const alpha = acts.tensor(data.alpha, alphaShape);
  const dy = acts.tensor(data.dy, xShape);
  const y = acts.prelu(x, alpha, options);
  const { dx, dalpha } = acts.preluBackward({ x, alpha, dy }, options);
  assert(dalpha.shape.join() === alphaShape.join(), `${label}: dalpha has shape [${dalpha.shape.join(', ')}], not alpha's`);
  const ref = preluReference(data.x, data.alpha, data.dy, xShape, expanded);
  expectBits(`${label}: y`, await y.read(), ref.y, { x: data.x });
  expectBits(`${label}: dx`, await dx.read(), ref.dx, { x: data.x, dy: data.dy });
  expectBits(`${label}: dalpha`, await dalpha.read(), ref.dalpha, { alpha: data.alpha });
  for (const t of [x, alpha, dy, y, dx, dalpha]) t.dispose();
}

export function maxoutReference(x: Float32Array, dy: Float32Array, outer: number, groups: number, pieces: number, inner: number) {
  const xb = bitsOf(x);
  const db = bitsOf(dy);
  const y = new Uint32Array(outer * groups * inner);
  const dx = new Uint32Array(x.length);
  let o = 0;
  for (let a = 0; a < outer; a++) {
    for (let g = 0; g < groups; g++) {
      for (let i = 0; i < inner; i++, o++) {
        const index = (p: number) => ((a * groups + g) * pieces + p) * inner + i;
        let win = 0;
        for (let p = 0; p < pieces; p++) {
          const v = x[index(p)]!;
          if (Number.isNaN(v)) {
            win = p;
            break;
          }
          if (v > x[index(win)]!) win = p;
        }
        y[o] = xb[index(win)]!;
        dx[index(win)] = db[o]!;
      }
    }
  }
  return { y, dx };
}

export async function checkMaxout(
  acts: Activations,
  label: string,
  xShape: number[],
  pieces: number,
  axis: number | undefined,
  x: Float32Array<ArrayBuffer>,
) {
  const rank = xShape.length;
  const at = axis === undefined ? rank - 1 : axis < 0 ? axis + rank : axis;
  const outer = xShape.slice(0, at).reduce((a, b) => a * b, 1);
  const inner = xShape.slice(at + 1).reduce((a, b) => a * b, 1);
  const groups = xShape[at]! / pieces;
  const outShape = xShape.map((d, i) => (i === at ? groups : d));
  const dyData = randomFloats(outer * groups * inner, x.length + 7);
  const options = axis === undefined ? { pieces } : { pieces, axis };
  const tx = acts.tensor(x, xShape);
  const tdy = acts.tensor(dyData, outShape);
  const y = acts.maxout(tx, options);
  assert(y.shape.join() === outShape.join(), `${label}: y has shape [${y.shape.join(', ')}], expected [${outShape.join(', ')}]`);
  const dx = acts.maxoutBackward({ x: tx, dy: tdy }, options);
  const ref = maxoutReference(x, dyData, outer, groups, pieces, inner);
  expectBits(`${label}: y`, await y.read(), ref.y, {});
  expectBits(`${label}: dx`, await dx.read(), ref.dx, { x });
  for (const t of [tx, tdy, y, dx]) t.dispose();
}

/** Floats with every special value mixed in among ordinary ones and subnormal-producing ones. */
export function mixed(n: number, seed: number): Float32Array<ArrayBuffer> {
  const next = rng(seed);
  const out = randomFloats(n, seed);
  const b = bitsOf(out);
  for (let i = 0; i < n; i++) {
    const r = next();
    if (r < 0.15) b[i] = SPECIAL_BITS[Math.floor(next() * SPECIAL_BITS.length)]!;
    else if (r < 0.25) out[i] = (next() - 0.5) * 1e-20;
  }
  return out;
}

export async function read(t: Tensor): Promise<number[]> {
  const v = Array.from(await t.read());
  t.dispose();
  return v;
}
