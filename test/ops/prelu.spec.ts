// PReLU, the per-channel kind: the conformance cases every backend runs (test/conformance/ops.ts
// collects them with the elementwise specs), against float64 references
// (test/helpers/family-reference.ts).
import { assert, expectBits } from '../helpers/compare.js';
import { SPECIAL_BITS, bitsOf, floatsFromBits, uniformFloats } from '../helpers/float.js';
import type { ConformanceCase } from '../conformance/relu.js';
import { checkPrelu, mixed, read } from '../helpers/family-reference.js';

export const cases: readonly ConformanceCase[] = [
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
];
