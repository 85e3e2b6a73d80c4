// PReLU and maxout: the ops outside the elementwise registry (a tensor of slopes; groups that
// shrink an axis). References are float64, written from the definitions: numpy-style
// broadcasting over x's full shape (not the kernels' merged dimensions), and dalpha as a
// recursive pairwise sum rounded to f32 at each addition.
import fc from 'fast-check';
import { createActivations, type Activations, type Tensor } from '../../src/index.js';
import { assert, expectBits } from '../helpers/compare.js';
import { SPECIAL_BITS, bitsOf, floatsFromBits, fromBits, randomFloats, rng, toBits, uniformFloats } from '../helpers/float.js';
import { pairwiseSum } from '../helpers/reference.js';
import type { ConformanceCase } from './relu.js';

const QUIET_NAN = 0x7fc00000;

/** The bits of the f32 product a * b (given as bits), NaN operands kept (x's first), Inf * 0 quiet. */
function productBits(a: number, b: number): number {
  const va = fromBits(a);
  const vb = fromBits(b);
  if (Number.isNaN(va)) return a;
  if (Number.isNaN(vb)) return b;
  const p = va * vb;
  return Number.isNaN(p) ? QUIET_NAN : toBits(p);
}

/** For each element of x (row-major), the index of its slope, by broadcasting alpha's expanded shape. */
function slopeIndex(xShape: readonly number[], expanded: readonly number[]): number[] {
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

function preluReference(
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

async function checkPrelu(
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

function maxoutReference(x: Float32Array, dy: Float32Array, outer: number, groups: number, pieces: number, inner: number) {
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

async function checkMaxout(
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
function mixed(n: number, seed: number): Float32Array<ArrayBuffer> {
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

async function read(t: Tensor): Promise<number[]> {
  const v = Array.from(await t.read());
  t.dispose();
  return v;
}

export const familyCases: readonly ConformanceCase[] = [
  {
    name: 'prelu: hand-worked values, one slope per channel (PyTorch axis 1), dalpha summed per channel',
    async run({ acts }) {
      // x: [2 batches, 2 channels, 2], slopes 0.25 and -2.
      const x = acts.tensor([-4, 2, -0, 1, NaN, -8, 3, -1], [2, 2, 2]);
      const alpha = acts.tensor([0.25, -2]);
      const dy = acts.tensor([1, 1, 1, 1, 2, 2, 2, 2], [2, 2, 2]);
      const y = await read(acts.prelu(x, alpha));
      assert(
        Object.is(y[0], -1) &&
          y[1] === 2 &&
          Object.is(y[2], 0) &&
          y[3] === 1 &&
          Number.isNaN(y[4]) &&
          y[5] === -2 &&
          y[6] === 3 &&
          y[7] === 2,
        `y = [${y.join(', ')}], expected [-1, 2, 0, 1, NaN, -2, 3, 2]`,
      );
      const { dx, dalpha } = acts.preluBackward({ x, alpha, dy });
      const g = await read(dx);
      // x > 0 ? dy : alpha * dy; at -0 and NaN the slope applies.
      assert(g.join() === [0.25, 1, -2, 1, 0.5, 0.5, 2, -4].join(), `dx = [${g.join(', ')}]`);
      // channel 0: x*dy over x <= 0 = -4*1 + NaN*2 -> NaN; channel 1: -0*1 + 0 + (-1)*2 = -2.
      const da = await read(dalpha);
      assert(Number.isNaN(da[0]) && da[1] === -2, `dalpha = [${da.join(', ')}], expected [NaN, -2]`);
      for (const t of [x, alpha, dy]) t.dispose();
    },
  },
  {
    name: 'prelu: dalpha adds in a fixed binary tree, not left to right ([1e8, 1, -1e8, 1] sums to 0, not 1), the same bits every run',
    async run({ acts }) {
      const x = acts.tensor([-1e8, -1, -1e8, -1]);
      const alpha = acts.tensor([0.5]);
      const dy = acts.tensor([-1, -1, 1, -1]);
      const runs = [];
      for (let r = 0; r < 3; r++) runs.push(await read(acts.preluBackward({ x, alpha, dy }).dalpha));
      assert(
        runs.every((d) => Object.is(d[0], 0)),
        `dalpha = ${runs.map((d) => d[0]).join(', ')}, expected +0 each run`,
      );
      for (const t of [x, alpha, dy]) t.dispose();
    },
  },
  {
    name: 'prelu: broadcasts as PyTorch (1 or C slopes along an axis) and as ONNX (from the right), bit-exact with float64 references',
    async run({ acts }) {
      const xShape = [2, 3, 4, 5];
      const n = 120;
      const layouts: { alpha: number[]; expanded: number[]; axis?: number }[] = [
        { alpha: [1], expanded: [1, 1, 1, 1] },
        { alpha: [3], expanded: [1, 3, 1, 1] },
        { alpha: [5], expanded: [1, 1, 1, 5], axis: -1 },
        { alpha: [4], expanded: [1, 1, 4, 1], axis: 2 },
        { alpha: [2], expanded: [2, 1, 1, 1], axis: 0 },
        { alpha: [3, 1, 1], expanded: [1, 3, 1, 1] },
        { alpha: [4, 5], expanded: [1, 1, 4, 5] },
        { alpha: [3, 1, 5], expanded: [1, 3, 1, 5] },
        { alpha: [2, 1, 4, 1], expanded: [2, 1, 4, 1] },
        { alpha: [1, 5], expanded: [1, 1, 1, 5] },
        { alpha: [2, 3, 4, 5], expanded: [2, 3, 4, 5] },
      ];
      for (const [i, l] of layouts.entries()) {
        const count = l.alpha.reduce((a, b) => a * b, 1);
        const data = { x: mixed(n, 10 + i), alpha: uniformFloats(count, 40 + i, 2), dy: mixed(n, 70 + i) };
        const options = l.axis === undefined ? {} : { axis: l.axis };
        await checkPrelu(
          acts,
          `alpha [${l.alpha.join(', ')}]${l.axis === undefined ? '' : ` axis ${l.axis}`}`,
          xShape,
          l.alpha,
          l.expanded,
          options,
          data,
        );
      }
      // 1-D x: one slope, or one per element along axis 0.
      await checkPrelu(acts, '1-D x, 1 slope', [7], [1], [1], {}, { x: mixed(7, 1), alpha: Float32Array.of(0.1), dy: mixed(7, 2) });
      await checkPrelu(
        acts,
        '1-D x, axis 0',
        [7],
        [7],
        [7],
        { axis: 0 },
        { x: mixed(7, 3), alpha: uniformFloats(7, 4, 1), dy: mixed(7, 5) },
      );
    },
  },
  {
    name: 'prelu: special slopes (NaN, Inf, 0, -0, subnormal) against special inputs',
    async run({ acts }) {
      const xs = SPECIAL_BITS.flatMap((b) => SPECIAL_BITS.map(() => b));
      const dys = SPECIAL_BITS.flatMap(() => SPECIAL_BITS.map((_, j) => SPECIAL_BITS[(j * 7) % SPECIAL_BITS.length]!));
      const k = SPECIAL_BITS.length;
      // x: [k, k], one slope per column (axis 1): every slope meets every x.
      await checkPrelu(
        acts,
        'special',
        [k, k],
        [k],
        [1, k],
        {},
        { x: floatsFromBits(xs), alpha: floatsFromBits(SPECIAL_BITS), dy: floatsFromBits(dys) },
      );
    },
  },
  {
    name: 'prelu: dalpha over long rows (several tree passes) and tiny terms (subnormal partial sums kept)',
    async run({ acts }) {
      // 2 slopes over 20000 elements each: passes of 20000 -> 157 -> 2 -> 1 partial sums.
      const n = 40_000;
      await checkPrelu(
        acts,
        'long rows',
        [2, n / 2],
        [2],
        [2, 1],
        { axis: 0 },
        { x: uniformFloats(n, 5, 3), alpha: Float32Array.of(0.1, 0.2), dy: uniformFloats(n, 6, 3) },
      );
      // Terms x * dy around 1e-40: subnormal products and subnormal sums, which flush-to-zero adds lose.
      const m = 300;
      const tinyX = Float32Array.from({ length: m }, (_, i) => -(1 + (i % 13)) * 1e-20);
      const tinyDy = Float32Array.from({ length: m }, (_, i) => (i % 3 === 0 ? -1 : 1) * (1 + (i % 5)) * 1e-20);
      await checkPrelu(acts, 'subnormal terms', [m], [1], [1], {}, { x: tinyX, alpha: Float32Array.of(0.5), dy: tinyDy });
      // A huge term plus tiny ones, and terms that cancel to exactly zero.
      const edge = Float32Array.of(-3e38, -1e-30, -3e38, -1e-45 * 0, -1, -1, -2, -2);
      const edgeDy = Float32Array.of(1, 1e-15, 1, 1, 1, -1, 2, -2);
      await checkPrelu(acts, 'overflow and cancellation', [8], [1], [1], {}, { x: edge, alpha: Float32Array.of(1), dy: edgeDy });
    },
  },
  {
    name: 'prelu: empty x gives empty y and dx and zero slope gradients',
    async run({ acts }) {
      const x = acts.tensor([], [0, 3]);
      const alpha = acts.tensor([1, 2, 3]);
      const y = acts.prelu(x, alpha);
      const { dx, dalpha } = acts.preluBackward({ x, alpha, dy: acts.tensor([], [0, 3]) });
      const [a, b, c] = [await read(y), await read(dx), await read(dalpha)];
      assert(a.length === 0 && b.length === 0 && c.join() === '0,0,0', `y [${a.join()}], dx [${b.join()}], dalpha [${c.join()}]`);
      x.dispose();
      alpha.dispose();
    },
  },
  {
    name: 'prelu: forward and backward by name equal acts.prelu and preluBackward',
    async run({ acts }) {
      const data = mixed(60, 9);
      const x = acts.tensor(data, [3, 4, 5]);
      const alpha = acts.tensor([0.1, 0.2, 0.3, 0.4]);
      const dy = acts.tensor(mixed(60, 10), [3, 4, 5]);
      const [y1, y2] = [await read(acts.forward('prelu', x, { alpha })), await read(acts.prelu(x, alpha))];
      const [g1, g2] = [await read(acts.backward('prelu', { x, dy }, { alpha })), await read(acts.preluBackward({ x, alpha, dy }).dx)];
      expectBits('forward by name', Float32Array.from(y1), bitsOf(Float32Array.from(y2)), { x: data });
      expectBits('backward by name', Float32Array.from(g1), bitsOf(Float32Array.from(g2)), { x: data });
      for (const t of [x, alpha, dy]) t.dispose();
    },
  },
  {
    name: 'maxout: hand-worked values: the max of each group, NaN wins, ties and -0/+0 go to the first, gradient to the winner',
    async run({ acts }) {
      const x = acts.tensor([1, 3, 3, 2, NaN, 5, -0, 0, -Infinity, -Infinity], [5, 2]);
      const y = acts.maxout(x, { pieces: 2 });
      const got = await read(y);
      assert(
        got[0] === 3 && got[1] === 3 && Number.isNaN(got[2]) && Object.is(got[3], -0) && got[4] === -Infinity,
        `y = [${got.join(', ')}], expected [3, 3, NaN, -0, -Infinity]`,
      );
      const dy = acts.tensor([10, 20, 30, 40, 50], [5, 1]);
      const dx = await read(acts.maxoutBackward({ x, dy }, { pieces: 2 }));
      assert(dx.join() === [0, 10, 20, 0, 30, 0, 40, 0, 50, 0].join(), `dx = [${dx.join(', ')}]`);
      x.dispose();
      dy.dispose();
    },
  },
  {
    name: 'maxout: groups along any axis, bit-exact with a float64 reference, special values included',
    async run({ acts }) {
      await checkMaxout(acts, '[6, 8] pieces 2', [6, 8], 2, undefined, mixed(48, 1));
      await checkMaxout(acts, '[6, 8] pieces 4', [6, 8], 4, -1, mixed(48, 2));
      await checkMaxout(acts, '[2, 6, 5] pieces 3 axis 1', [2, 6, 5], 3, 1, mixed(60, 3));
      await checkMaxout(acts, '[4, 3, 2] pieces 4 axis 0', [4, 3, 2], 4, 0, mixed(24, 4));
      await checkMaxout(acts, '[12] pieces 12', [12], 12, undefined, mixed(12, 5));
      await checkMaxout(acts, '[5, 7] pieces 1', [5, 7], 1, undefined, mixed(35, 6));
      await checkMaxout(acts, '[0, 4] pieces 2', [0, 4], 2, undefined, new Float32Array(0));
      const k = SPECIAL_BITS.length;
      const all = floatsFromBits(SPECIAL_BITS.flatMap((a) => SPECIAL_BITS.map((b) => [a, b]).flat()));
      await checkMaxout(acts, 'every pair of special values', [k * k, 2], 2, undefined, all);
      await checkMaxout(acts, '[300, 512] pieces 4', [300, 512], 4, undefined, mixed(300 * 512, 7));
    },
  },
  {
    name: 'layers: prelu keeps x, returns dx and exposes dalpha; maxout keeps x; both equal the plain calls bit for bit',
    async run({ acts }) {
      const data = mixed(2 * 4 * 6, 21);
      const x = acts.tensor(data, [2, 4, 6]);
      const alpha = acts.tensor([0.1, -0.2, 0.3, 0.05]);
      const dy = acts.tensor(mixed(48, 22), [2, 4, 6]);
      const layer = acts.layer('prelu', { alpha });
      assert(layer.alpha === alpha && layer.dalpha === undefined && layer.keeps === 'x', 'prelu layer exposes alpha, no dalpha yet');
      const y = layer.forward(x);
      assert(layer.retainedBytes === 4 * 48, `prelu layer retains ${layer.retainedBytes} bytes, expected ${4 * 48}`);
      const dx = layer.backward(dy);
      assert(layer.retainedBytes === 0, 'prelu layer released x after backward');
      const plain = acts.preluBackward({ x, alpha, dy });
      expectBits('prelu layer y', await y.read(), bitsOf(await acts.prelu(x, alpha).read()), { x: data });
      expectBits('prelu layer dx', await dx.read(), bitsOf(await plain.dx.read()), { x: data });
      expectBits('prelu layer dalpha', await layer.dalpha!.read(), bitsOf(await plain.dalpha.read()), {});
      layer.dispose();
      assert(layer.dalpha === undefined, 'dispose frees dalpha');
      const mx = acts.layer('maxout', { pieces: 3 });
      const m = mx.forward(x);
      assert(m.shape.join() === '2,4,2', `maxout layer output shape [${m.shape.join(', ')}]`);
      const mdy = acts.tensor(mixed(16, 23), [2, 4, 2]);
      const mdx = mx.backward(mdy);
      expectBits('maxout layer dx', await mdx.read(), bitsOf(await acts.maxoutBackward({ x, dy: mdy }, { pieces: 3 }).read()), { x: data });
      let threw = false;
      try {
        mx.backward(mdy);
      } catch {
        threw = true;
      }
      assert(threw, 'a second backward without forward throws');
      for (const t of [x, alpha, dy, y, dx, plain.dx, plain.dalpha, m, mdy, mdx]) t.dispose();
    },
  },
  {
    name: 'layers: prelu with frozen slopes keeps a 1-bit mask; its dx equals preluBackward bit for bit, special values included',
    async run({ acts }) {
      for (const [xShape, alphaShape, options] of [
        [[3, 4, 70], [4], {}],
        [[37, 5], [5], { axis: -1 }],
        [[33], [1], {}],
        [[2, 3, 5], [3, 1], {}],
      ] as const) {
        const n = xShape.reduce((a: number, b: number) => a * b, 1);
        const data = mixed(n, n);
        const x = acts.tensor(data, [...xShape]);
        const alpha = acts.tensor(
          mixed(
            alphaShape.reduce((a: number, b: number) => a * b, 1),
            n + 1,
          ),
          [...alphaShape],
        );
        const dy = acts.tensor(mixed(n, n + 2), [...xShape]);
        const layer = acts.layer('prelu', { alpha, ...options }, { learnAlpha: false });
        const label = `x [${xShape.join(', ')}], alpha [${alphaShape.join(', ')}]`;
        assert(layer.keeps === 'mask' && layer.retainedBytesPerElement === 0.125, `${label}: the frozen layer keeps ${layer.keeps}`);
        const y = layer.forward(x);
        assert(layer.retainedBytes === Math.ceil(n / 32) * 4, `${label}: retains ${layer.retainedBytes} bytes`);
        x.dispose(); // the mask is all backward needs
        const dx = layer.backward(dy);
        assert(layer.retainedBytes === 0 && layer.dalpha === undefined, `${label}: released the mask, no dalpha`);
        const x2 = acts.tensor(data, [...xShape]);
        const ref = acts.preluBackward({ x: x2, alpha, dy }, options);
        expectBits(`${label}: frozen layer y`, await y.read(), bitsOf(await acts.prelu(x2, alpha, options).read()), { x: data });
        expectBits(`${label}: frozen layer dx from the mask`, await dx.read(), bitsOf(await ref.dx.read()), { x: data });
        for (const t of [alpha, dy, y, dx, x2, ref.dx, ref.dalpha]) t.dispose();
        layer.dispose();
      }
    },
  },
  {
    name: 'prelu and maxout: GPU equals CPU bit for bit over random shapes, broadcasts, axes, pieces and values (fast-check)',
    gpuOnly: true,
    async run({ acts }) {
      const cpu = await createActivations({ backend: 'cpu' });
      const shapeArb = fc.array(fc.integer({ min: 1, max: 7 }), { minLength: 1, maxLength: 4 });
      const arb = fc.record({
        shape: shapeArb,
        big: fc.nat({ max: 3 }), // which dimension grows to a few hundred (3: none)
        follow: fc.array(fc.boolean(), { minLength: 4, maxLength: 4 }), // ONNX: which dimensions alpha keeps
        mode: fc.constantFrom('scalar', 'axis', 'onnx'),
        axisPick: fc.nat(),
        piecesPick: fc.nat(),
        seed: fc.nat(),
      });
      await fc.assert(
        fc.asyncProperty(arb, async (c) => {
          const shape = c.shape.map((d, i) => (i === c.big ? d * 53 : d));
          const n = shape.reduce((a, b) => a * b, 1);
          const rank = shape.length;
          const axis = c.axisPick % rank;
          const alphaShape =
            c.mode === 'scalar'
              ? [1]
              : c.mode === 'axis'
                ? [shape[axis]!]
                : shape.slice(rank - Math.max(2, rank)).map((d, i) => (c.follow[i] ? d : 1));
          if (c.mode === 'onnx' && alphaShape.length < 2) return; // a 1-D x has no 2-D alpha
          const options = c.mode === 'axis' ? { axis } : {};
          const x = mixed(n, c.seed);
          const dy = mixed(n, c.seed + 1);
          const alpha = uniformFloats(
            alphaShape.reduce((a, b) => a * b, 1),
            c.seed + 2,
            2,
          );
          const divisors = Array.from({ length: shape[axis]! }, (_, i) => i + 1).filter((p) => shape[axis]! % p === 0);
          const pieces = divisors[c.piecesPick % divisors.length]!;
          const results: Float32Array[][] = [];
          for (const a of [acts, cpu]) {
            const tx = a.tensor(x, shape);
            const talpha = a.tensor(alpha, alphaShape);
            const tdy = a.tensor(dy, shape);
            const y = a.prelu(tx, talpha, options);
            const { dx, dalpha } = a.preluBackward({ x: tx, alpha: talpha, dy: tdy }, options);
            const m = a.maxout(tx, { pieces, axis });
            const mdy = a.tensor(dy.subarray(0, m.length), m.shape);
            const mdx = a.maxoutBackward({ x: tx, dy: mdy }, { pieces, axis });
            const out: Float32Array[] = [];
            for (const t of [y, dx, dalpha, m, mdx]) out.push(await t.read());
            for (const t of [tx, talpha, tdy, y, dx, dalpha, m, mdy, mdx]) t.dispose();
            results.push(out);
          }
          const label = `x [${shape.join(', ')}], alpha [${alphaShape.join(', ')}] ${c.mode}, maxout pieces ${pieces} axis ${axis}`;
          ['prelu y', 'prelu dx', 'prelu dalpha', 'maxout y', 'maxout dx'].forEach((what, i) =>
            expectBits(`${label}: ${what}, GPU vs CPU`, results[0]![i]!, bitsOf(results[1]![i]!), {}),
          );
        }),
        { numRuns: 25, seed: 20261125 },
      );
      cpu.dispose();
    },
  },
];
