// Checks for softmax and logSoftmax, shared by their specs in test/ops/: float64 references
// written from the definitions (the row's max subtracted exactly, log s as log1p of the terms
// other than the max's, so a row dominated by one logit keeps its tiny part), the accuracy bounds
// the ops doc states, and the bits of the CPU twin (src/ops/softmax.ts), which every backend must
// give: the rows' reductions run in a fixed order, so the bits are the same everywhere.
import type { Activations, SoftmaxName } from '../../src/index.js';
import { lookupOp, type RowOp } from '../../src/ops/registry.js';
import { rowLayout } from '../../src/ops/softmax.js';
import { halfToF32Bits } from '../../src/numerics/half.js';
import type { ConformanceCase } from '../conformance/relu.js';
import { assert, expectBits, expectRoundedHalves } from './compare.js';
import { checkLayerEncoder } from './layer-encoder.js';
import { bitsOf, fromBits, randomFloats, rng } from './float.js';

/** f32's ULP at |v| (2^-149 at and below the subnormals). */
const ulp = (v: number) => (v === 0 || !Number.isFinite(v) ? 2 ** -149 : 2 ** Math.max(Math.floor(Math.log2(Math.abs(v))) - 23, -149));

/** The element indices of each row of x along `axis`. */
function rowsOf(shape: readonly number[], axis: number): number[][] {
  const { rows, len, inner } = rowLayout(shape, axis);
  return Array.from({ length: rows }, (_, r) => {
    const o = Math.floor(r / inner);
    const i = r % inner;
    return Array.from({ length: len }, (_, k) => (o * len + k) * inner + i);
  });
}

/** float64 softmax, logSoftmax and, per element, logSoftmax's scale max(|x - max|, log s). */
export function rowReference(row: readonly number[]): { y: number[]; logY: number[]; scale: number[] } {
  if (row.some(Number.isNaN)) return { y: row.map(() => NaN), logY: row.map(() => NaN), scale: row.map(() => 1) };
  const m = Math.max(...row);
  if (!Number.isFinite(m)) return { y: row.map(() => NaN), logY: row.map(() => NaN), scale: row.map(() => 1) };
  const top = row.indexOf(m);
  const e = row.map((v) => Math.exp(v - m));
  const rest = e.reduce((a, b, i) => (i === top ? a : a + b), 0);
  const log = Math.log1p(rest);
  return {
    y: e.map((v) => v / (1 + rest)),
    logY: row.map((v) => v - m - log),
    scale: row.map((v) => Math.max(Math.abs(v - m), log)),
  };
}

/**
 * Runs `name` forward and backward on x (shape, axis) with dy, and checks y against float64
 * (softmax within the stated ULP of y; logSoftmax within the stated ULP of max(|x - max|, log s))
 * and dx against float64 from the backend's own y (within the stated ULP of the terms' scale,
 * plus what rounding the row sum's terms can cost under cancellation, see docs/ops.md), and both
 * against the CPU twin's bits.
 */
export async function checkRows(
  acts: Activations,
  name: SoftmaxName,
  label: string,
  shape: readonly number[],
  axis: number | undefined,
  x: Float32Array<ArrayBuffer>,
  dyValues: Float32Array<ArrayBuffer>,
): Promise<void> {
  const op = lookupOp(name) as RowOp;
  const attrs = axis === undefined ? {} : { axis };
  const tx = acts.tensor(x, shape);
  const ty = acts.forward(name, tx, attrs);
  const tdy = acts.tensor(dyValues, shape);
  const tdx = acts.backward(name, { y: ty, dy: tdy }, attrs);
  const [y, dx] = [await ty.read(), await tdx.read()];
  for (const t of [tx, ty, tdy, tdx]) t.dispose();
  // The CPU twin's bits: every backend gives them.
  const layout = rowLayout(shape, axis ?? -1);
  const twinY = new Float32Array(x.length);
  op.cpu.forward(x, layout, twinY);
  expectBits(`${label}: y against the CPU twin`, y, bitsOf(twinY), { x });
  const twinDx = new Float32Array(x.length);
  op.cpu.backward(y, dyValues, layout, twinDx);
  expectBits(`${label}: dx against the CPU twin`, dx, bitsOf(twinDx), { y, dy: dyValues });
  // float64.
  const bound = op.accuracy;
  const bad: string[] = [];
  for (const row of rowsOf(shape, axis ?? -1)) {
    const ref = rowReference(row.map((i) => x[i]!));
    let sum = 0;
    let magnitude = 0;
    for (const i of row) {
      const term = name === 'softmax' ? dyValues[i]! * y[i]! : dyValues[i]!;
      sum += term;
      magnitude += Math.abs(term);
    }
    row.forEach((i, k) => {
      const want = name === 'softmax' ? ref.y[k]! : ref.logY[k]!;
      const got = y[i]!;
      const yOk = Number.isNaN(want)
        ? Number.isNaN(got)
        : got === Math.fround(want) || Math.abs(got - want) <= bound.forward * ulp(name === 'softmax' ? want : ref.scale[k]!);
      if (!yOk && bad.length < 8) bad.push(`y[${i}]: x=${x[i]} got ${got}, float64 ${want}`);
      if (Number.isNaN(got) || Number.isNaN(sum)) return;
      const d = dyValues[i]!;
      const yi = y[i]!;
      const wantDx = name === 'softmax' ? yi * (d - sum) : d - Math.exp(yi) * sum;
      const scale = name === 'softmax' ? Math.abs(yi) * (Math.abs(d) + Math.abs(sum)) : Math.abs(d) + Math.exp(yi) * Math.abs(sum);
      // The row sum's terms: softmax's products dy * y round before they are summed (2^-24 of
      // each, first order under cancellation); logSoftmax's dy are summed as they are, the pair
      // sum leaving (len + 8) * 2^-48 of their magnitude; exp(y) below the normal range is good
      // to 2^-150 absolute, times the sum.
      const slack =
        name === 'softmax'
          ? Math.abs(yi) * magnitude * 2 ** -23
          : Math.exp(yi) * magnitude * (row.length + 8) * 2 ** -47 + (Math.abs(sum) + 1) * 2 ** -148;
      const dxOk = Number.isNaN(wantDx)
        ? Number.isNaN(dx[i]!)
        : Math.abs(dx[i]! - wantDx) <= bound.backward * ulp(scale) + slack || dx[i] === wantDx;
      if (!dxOk && bad.length < 8) bad.push(`dx[${i}]: y=${yi} dy=${d} row sum ${sum}: got ${dx[i]}, float64 ${wantDx}`);
    });
  }
  assert(bad.length === 0, `${label}: outside the stated bounds\n  ${bad.join('\n  ')}`);
}

/** Random logits, over a moderate range so the rows are interesting (every exponent in the small ones). */
function logits(n: number, seed: number, range = 30): Float32Array<ArrayBuffer> {
  return Float32Array.from(randomFloats(n, seed, range), (v) => (Number.isFinite(v) ? Math.max(-120, Math.min(120, v)) : 0));
}

/** One hand-worked row. */
export interface RowExample {
  readonly x: readonly number[];
  readonly y: readonly number[];
  /** dx for dy = [1, 0, 0, ...]. */
  readonly dx?: readonly number[];
}

/**
 * softmax's or logSoftmax's cases: hand-worked rows; float64 over shapes and axes; the rows the
 * issue names as adversarial; determinism (the CPU twin's bits, repeated runs); f16; the layer.
 */
export function rowCases(name: SoftmaxName, examples: readonly RowExample[]): ConformanceCase[] {
  const op = lookupOp(name) as RowOp;
  const dyFor = (n: number, seed: number) => logits(n, seed, 4);
  return [
    {
      name: `${name}: hand-worked rows, y and dx for dy = [1, 0, ...]`,
      async run({ acts }) {
        for (const ex of examples) {
          const x = acts.tensor([...ex.x]);
          const y = acts.forward(name, x);
          const got = await y.read();
          const label = `${name}([${ex.x.join(', ')}])`;
          ex.y.forEach((want, k) => {
            const ok = Number.isNaN(want)
              ? Number.isNaN(got[k]!)
              : got[k] === Math.fround(want) || Math.abs(got[k]! - want) <= op.accuracy.forward * ulp(want || 1);
            assert(ok, `${label}[${k}] = ${got[k]}, expected ${want}`);
          });
          if (ex.dx) {
            const dy = acts.tensor(ex.x.map((_, k) => (k === 0 ? 1 : 0)));
            const dx = await acts.backward(name, { y, dy }).read();
            ex.dx.forEach((want, k) =>
              assert(Math.abs(dx[k]! - want) <= 4 * ulp(want || 1), `${label} dx[${k}] = ${dx[k]}, expected ${want}`),
            );
            dy.dispose();
          }
          x.dispose();
          y.dispose();
        }
      },
    },
    {
      name: `${name}: rows along any axis against float64 and the CPU twin's bits`,
      async run({ acts }) {
        let seed = 300;
        for (const [shape, axis] of [
          [[20, 7], undefined],
          [[3, 64, 5], 1],
          [[100, 3], 0],
          [[2, 1000], -1],
          [[4, 1], -1],
          [[5, 0], -1],
          [[0, 5], -1],
          [[6, 130], undefined],
        ] as const) {
          const n = (shape as readonly number[]).reduce((a, b) => a * b, 1);
          await checkRows(acts, name, `[${shape.join(', ')}] axis ${axis ?? -1}`, shape, axis, logits(n, seed++), dyFor(n, seed++));
        }
      },
    },
    {
      name: `${name}: adversarial rows (one huge logit, all equal, -Inf entries, NaN, +Inf, lengths 1 and 100,000, 70,000 rows)`,
      async run({ acts }) {
        const rows = (values: readonly (readonly number[])[]) => Float32Array.from(values.flat());
        const big = 3.4028234663852886e38;
        await checkRows(
          acts,
          name,
          'one huge logit',
          [3, 4],
          -1,
          rows([
            [big, 0, -big, 1],
            [1e30, 1e30, -1e30, 0],
            [88, -88, 0, 89],
          ]),
          dyFor(12, 1),
        );
        const equal = new Float32Array(4096).fill(7.5);
        await checkRows(acts, name, 'all equal', [4, 1024], -1, equal, dyFor(4096, 2));
        const inf = -Infinity;
        await checkRows(
          acts,
          name,
          '-Inf entries',
          [3, 4],
          -1,
          rows([
            [inf, 0, inf, 1],
            [inf, inf, inf, 2],
            [inf, inf, inf, inf],
          ]),
          dyFor(12, 3),
        );
        await checkRows(
          acts,
          name,
          'a NaN, +Inf',
          [3, 3],
          -1,
          rows([
            [NaN, 0, 1],
            [Infinity, 0, 1],
            [Infinity, Infinity, 0],
          ]),
          dyFor(9, 4),
        );
        await checkRows(acts, name, 'rows of length 1', [5, 1], -1, rows([[3], [-Infinity], [big], [-0], [1e-45]]), dyFor(5, 5));
        await checkRows(acts, name, 'one row of 100,000', [1, 100_000], -1, logits(100_000, 6), dyFor(100_000, 7));
        await checkRows(acts, name, '70,000 rows of 2 (a 2-D grid of workgroups)', [70_000, 2], -1, logits(140_000, 8), dyFor(140_000, 9));
      },
    },
    {
      name: `${name}: deterministic: the same bits on repeated runs`,
      async run({ acts }) {
        const x = acts.tensor(logits(64 * 300, 20), [64, 300]);
        const dy = acts.tensor(dyFor(64 * 300, 21), [64, 300]);
        const first = acts.forward(name, x);
        const dx0 = await acts.backward(name, { y: first, dy }).read();
        const y0 = await first.read();
        for (let run = 0; run < 3; run++) {
          const y = acts.forward(name, x);
          expectBits(`${name} run ${run + 2}: y`, await y.read(), bitsOf(y0), {});
          expectBits(`${name} run ${run + 2}: dx`, await acts.backward(name, { y, dy }).read(), bitsOf(dx0), {});
          y.dispose();
        }
        for (const t of [x, dy, first]) t.dispose();
      },
    },
    {
      name: `${name}: f16 is the f32 op on the widened halves, rounded once, forward and backward`,
      async run({ acts }) {
        const shape = [12, 40];
        const n = 12 * 40;
        const pick = rng(123);
        const halves = Uint16Array.from({ length: n }, () =>
          pick() < 0.05 ? 0xfc00 : Math.floor(pick() * 0x4c00) | (pick() < 0.5 ? 0x8000 : 0),
        );
        const dyHalves = Uint16Array.from({ length: n }, () => Math.floor(pick() * 0x3c00) | (pick() < 0.5 ? 0x8000 : 0));
        const hx = acts.tensor(halves, shape);
        const hdy = acts.tensor(dyHalves, shape);
        const hy = acts.forward(name, hx);
        const hdx = acts.backward(name, { y: hy, dy: hdy });
        assert(hy.dtype === 'f16' && hdx.dtype === 'f16', `dtypes ${hy.dtype} and ${hdx.dtype}, expected f16`);
        const wide = (h: Uint16Array) => Float32Array.from(h, (v) => fromBits(halfToF32Bits(v)));
        const hyBits = await hy.read();
        const wy = acts.tensor(wide(hyBits), shape);
        const y32 = await acts.forward(name, acts.tensor(wide(halves), shape)).read();
        const dx32 = await acts.backward(name, { y: wy, dy: acts.tensor(wide(dyHalves), shape) }).read();
        expectRoundedHalves(`${name} f16 y`, hyBits, y32);
        expectRoundedHalves(`${name} f16 dx`, await hdx.read(), dx32);
        for (const t of [hx, hdy, hy, hdx, wy]) t.dispose();
      },
    },
    {
      name: `${name}: as a layer, forward keeps y and backward gives the same bits as the calls`,
      async run({ acts }) {
        const x = acts.tensor(logits(96, 31), [4, 6, 4]);
        const dy = acts.tensor(dyFor(96, 32), [4, 6, 4]);
        const layer = acts.layer(name, { axis: 1 });
        assert(layer.op === name && layer.keeps === 'y', `layer.op ${layer.op}, keeps ${layer.keeps}`);
        const y = layer.forward(x);
        assert(layer.retainedBytes === 96 * 4, `retainedBytes ${layer.retainedBytes}, expected ${96 * 4}`);
        const dx = layer.backward(dy);
        assert(layer.retainedBytes === 0, `retainedBytes after backward ${layer.retainedBytes}, expected 0`);
        const yCall = acts.forward(name, x, { axis: 1 });
        const dxCall = acts.backward(name, { y: yCall, dy }, { axis: 1 });
        expectBits(`${name} layer y`, await y.read(), bitsOf(await yCall.read()), {});
        expectBits(`${name} layer dx`, await dx.read(), bitsOf(await dxCall.read()), {});
        await checkLayerEncoder(acts, name, layer, x, dy, yCall, dxCall);
        layer.dispose();
        for (const t of [x, dy, y, dx, yCall, dxCall]) t.dispose();
      },
    },
  ];
}
