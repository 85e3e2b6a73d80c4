// PReLU and maxout together: their layers beside the plain calls, and GPU against CPU as
// properties. Each op's own cases are its spec (test/ops/prelu.spec.ts, maxout.spec.ts).
import fc from 'fast-check';
import { createActivations } from '../../src/index.js';
import { assert, expectBits } from '../helpers/compare.js';
import { bitsOf, uniformFloats } from '../helpers/float.js';
import type { ConformanceCase } from './relu.js';
import { mixed } from '../helpers/family-reference.js';

export const familyCases: readonly ConformanceCase[] = [
  {
    name: 'layers: prelu keeps x, returns dx and exposes dalpha; maxout keeps x; both equal the plain calls bit for bit',
    async run({ acts }) {
      const data = mixed(2 * 4 * 6, 21);
      const x = acts.tensor(data, [2, 4, 6]);
      const alpha = acts.tensor([0.1, -0.2, 0.3, 0.05]);
      const dy = acts.tensor(mixed(48, 22), [2, 4, 6]);
      const layer = acts.layer('prelu', { alpha, axis: 1 });
      assert(layer.alpha === alpha && layer.dalpha === undefined && layer.keeps === 'x', 'prelu layer exposes alpha, no dalpha yet');
      const y = layer.forward(x);
      assert(layer.retainedBytes === 4 * 48, `prelu layer retains ${layer.retainedBytes} bytes, expected ${4 * 48}`);
      const dx = layer.backward(dy);
      assert(layer.retainedBytes === 0, 'prelu layer released x after backward');
      const plain = acts.preluBackward({ x, alpha, dy }, { axis: 1 });
      expectBits('prelu layer y', await y.read(), bitsOf(await acts.prelu(x, alpha, { axis: 1 }).read()), { x: data });
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
  {
    name: "warmup: compiles a model's ops (every op by default, f16 too) and the calls after it give the same bits as before it",
    async run({ acts }) {
      const x = acts.tensor(mixed(64, 41), [8, 8]);
      const before = await acts.forward('swiglu', x).read();
      await acts.warmup(['gelu', 'swiglu', 'logSoftmax', 'prelu', 'clamp'], { f16: true, layers: true });
      await acts.warmup();
      expectBits('swiglu after warmup', await acts.forward('swiglu', x).read(), bitsOf(before), { x: mixed(64, 41) });
      const y = await acts.forward('logSoftmax', x).read();
      assert(y.length === 64 && y.every((v) => v <= 0 || Number.isNaN(v)), 'logSoftmax after warmup gives log-probabilities');
      x.dispose();
    },
  },
];
