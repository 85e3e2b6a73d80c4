// PReLU, the per-channel kind: the conformance cases every backend runs (test/conformance/ops.ts
// collects them with the elementwise specs), against float64 references
// (test/helpers/family-reference.ts).
import { ShapeMismatchError } from '../../src/index.js';
import { assert, expectBits } from '../helpers/compare.js';
import { SPECIAL_BITS, bitsOf, floatsFromBits, uniformFloats } from '../helpers/float.js';
import type { ConformanceCase } from '../conformance/relu.js';
import { checkPrelu, mixed, read } from '../helpers/family-reference.js';

export const cases: readonly ConformanceCase[] = [
  {
    name: 'prelu: hand-worked values, one slope per channel (PyTorch axis 1), dalpha summed per channel',
    async run({ acts }) {
      // x: [2 batches, 2 channels, 2], slopes 0.25 and -2 along axis 1.
      const x = acts.tensor([-4, 2, -0, 1, NaN, -8, 3, -1], [2, 2, 2]);
      const alpha = acts.tensor([0.25, -2]);
      const dy = acts.tensor([1, 1, 1, 1, 2, 2, 2, 2], [2, 2, 2]);
      const y = await read(acts.prelu(x, alpha, { axis: 1 }));
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
      const { dx, dalpha } = acts.preluBackward({ x, alpha, dy }, { axis: 1 });
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
    name: "prelu: broadcasts from the right by default, as WebNN, ONNX and TensorFlow.js (x[4] with slope[4], x[3,4,5] with slope[5] or [4,1]); PyTorch's layout with { axis: 1 }",
    async run({ acts }) {
      // TensorFlow.js's basic prelu test: x [0, 1, -2, -4], alpha [0.15, 0.2, 0.25, 0.15], one
      // slope per element: [0, 1, -2 * 0.25, -4 * 0.15] (fround(0.15) * 4 is fround(0.6)).
      const x1 = acts.tensor([0, 1, -2, -4]);
      const a1 = acts.tensor([0.15, 0.2, 0.25, 0.15]);
      const y1 = await read(acts.prelu(x1, a1));
      assert(
        y1.join() === [0, 1, -0.5, Math.fround(-0.6)].join(),
        `prelu(x[4], slope[4]) = [${y1.join(', ')}], expected [0, 1, -0.5, -0.6]`,
      );
      // x [2, 3, 2] (3 is the middle axis, 2 the last): a [2] slope runs along the last axis.
      const data = [-1, -1, -2, -2, -3, -3, -4, -4, -5, -5, -6, -6];
      const x = acts.tensor(data, [2, 3, 2]);
      const last = await read(acts.prelu(x, acts.tensor([0.5, 2])));
      assert(
        last.join() === [-0.5, -2, -1, -4, -1.5, -6, -2, -8, -2.5, -10, -3, -12].join(),
        `slope [0.5, 2] from the right over [2, 3, 2]: [${last.join(', ')}]`,
      );
      // [3, 1] from the right: one slope per entry of the middle axis, shared along the last.
      const middle = await read(acts.prelu(x, acts.tensor([0.5, 2, 4], [3, 1])));
      assert(
        middle.join() === [-0.5, -0.5, -4, -4, -12, -12, -2, -2, -10, -10, -24, -24].join(),
        `slope [3, 1] over [2, 3, 2]: [${middle.join(', ')}]`,
      );
      // The same slopes as PyTorch's channels: a 1-D [3] with { axis: 1 } gives the same.
      const torch = await read(acts.prelu(x, acts.tensor([0.5, 2, 4]), { axis: 1 }));
      assert(torch.join() === middle.join(), `slope [3] along axis 1: [${torch.join(', ')}]`);
      // A [3] slope without an axis does not broadcast to [2, 3, 2] from the right: refused, not guessed.
      let refused: unknown;
      try {
        acts.prelu(x, acts.tensor([0.5, 2, 4]));
      } catch (e) {
        refused = e;
      }
      assert(
        refused instanceof ShapeMismatchError && refused.argument === 'alpha',
        `slope [3] over [2, 3, 2] without an axis: expected a ShapeMismatchError naming alpha, got ${String(refused)}`,
      );
      for (const t of [x1, a1, x]) t.dispose();
      // ONNX's prelu_broadcast (x [3, 4, 5], slope [5]) and its [4, 1], bit-exact against float64.
      for (const [i, slope] of [[5], [4, 1], [1, 5], [3, 4, 5]].entries()) {
        const count = slope.reduce((a, b) => a * b, 1);
        const expanded = [...Array<number>(3 - slope.length).fill(1), ...slope];
        await checkPrelu(
          acts,
          `x [3, 4, 5], slope [${slope.join(', ')}]`,
          [3, 4, 5],
          slope,
          expanded,
          {},
          {
            x: mixed(60, 80 + i),
            alpha: uniformFloats(count, 90 + i, 2),
            dy: mixed(60, 100 + i),
          },
        );
      }
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
    name: 'prelu: broadcasts as ONNX (from the right, the default) and as PyTorch (1 or C slopes along an axis), bit-exact with float64 references',
    async run({ acts }) {
      const xShape = [2, 3, 4, 5];
      const n = 120;
      const layouts: { alpha: number[]; expanded: number[]; axis?: number }[] = [
        { alpha: [1], expanded: [1, 1, 1, 1] },
        { alpha: [3], expanded: [1, 3, 1, 1], axis: 1 },
        { alpha: [5], expanded: [1, 1, 1, 5] },
        { alpha: [5], expanded: [1, 1, 1, 5], axis: -1 },
        { alpha: [4, 1], expanded: [1, 1, 4, 1] },
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
      // 1-D x: one slope, or one per element (from the right, or along axis 0).
      await checkPrelu(acts, '1-D x, 1 slope', [7], [1], [1], {}, { x: mixed(7, 1), alpha: Float32Array.of(0.1), dy: mixed(7, 2) });
      await checkPrelu(acts, '1-D x, 7 slopes', [7], [7], [7], {}, { x: mixed(7, 6), alpha: uniformFloats(7, 7, 1), dy: mixed(7, 8) });
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
      const last = acts.tensor([0.1, 0.2, 0.3, 0.4, 0.5]);
      const dy = acts.tensor(mixed(60, 10), [3, 4, 5]);
      for (const [label, attrs, options] of [
        ['axis 1', { alpha, axis: 1 }, { axis: 1 }],
        ['from the right', { alpha: last }, {}],
      ] as const) {
        const slopes = attrs.alpha;
        const [y1, y2] = [await read(acts.forward('prelu', x, attrs)), await read(acts.prelu(x, slopes, options))];
        const [g1, g2] = [
          await read(acts.backward('prelu', { x, dy }, attrs)),
          await read(acts.preluBackward({ x, alpha: slopes, dy }, options).dx),
        ];
        expectBits(`forward by name, ${label}`, Float32Array.from(y1), bitsOf(Float32Array.from(y2)), { x: data });
        expectBits(`backward by name, ${label}`, Float32Array.from(g1), bitsOf(Float32Array.from(g2)), { x: data });
      }
      for (const t of [x, alpha, last, dy]) t.dispose();
    },
  },
  {
    name: 'layers: prelu with frozen slopes keeps a 1-bit mask; its dx equals preluBackward bit for bit, special values included',
    async run({ acts }) {
      for (const [xShape, alphaShape, options] of [
        [[3, 4, 70], [4], { axis: 1 }],
        [[3, 4, 70], [70], {}],
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
