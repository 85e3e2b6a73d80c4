// Checks for the gated units (glu, reglu, geglu, swiglu), shared by their specs in test/ops/:
// against float64 references built from the gate's own spec (y = a * gate(b); da = dy * gate(b);
// db = gate'(b) * dy * a), and bit for bit against this backend's own elementwise gate, which the
// gated kernels must reproduce (a = 1 gives forward(gate, b); dy = 1 gives it again as da; a = 1
// gives backward(gate, b, dy) as db).
import type { Activations, GatedName, OpName } from '../../src/index.js';
import { getOp, lookupOp, type GatedOp } from '../../src/ops/registry.js';
import { check } from '../conformance/ops.js';
import type { AttrValues, OpSpec } from '../ops/op-spec.js';
import { assert, expectBits, expectRoundedHalves } from './compare.js';
import { checkLayerEncoder } from './layer-encoder.js';
import { SPECIAL_BITS, bitsOf, floatsFromBits, fromBits, randomFloats, rng } from './float.js';
import { halfToF32Bits } from '../../src/numerics/half.js';
import type { ConformanceCase } from '../conformance/relu.js';

const SMALLEST_NORMAL = 2 ** -126;

/** x's halves a and b for each output element, in output order, for x of `shape` split along `axis`. */
export function splitHalves(
  x: Float32Array,
  shape: readonly number[],
  axis: number,
): { a: number[]; b: number[]; at: number[]; step: number } {
  const at0 = axis < 0 ? axis + shape.length : axis;
  const inner = shape.slice(at0 + 1).reduce((p, d) => p * d, 1);
  const half = shape[at0]! / 2;
  const outer = shape.slice(0, at0).reduce((p, d) => p * d, 1);
  const a: number[] = [];
  const b: number[] = [];
  const at: number[] = [];
  for (let o = 0; o < outer; o++) {
    for (let h = 0; h < half; h++) {
      for (let i = 0; i < inner; i++) {
        const index = (o * 2 * half + h) * inner + i;
        at.push(index);
        a.push(x[index]!);
        b.push(x[index + half * inner]!);
      }
    }
  }
  return { a, b, at, step: half * inner };
}

/** The gate's accuracy bound (ULP) for a direction, plus one rounding of the product around it. */
function gatedBound(gate: OpName, direction: 'forward' | 'backward'): number {
  const a = getOp(gate).accuracy;
  return a.kind === 'exact' ? 0 : a[direction] + 1;
}

/**
 * Checks a product u * g computed in f32 from the gate's f32 result g against float64: within
 * `maxUlp` of u * g64 where g64 is normal; where g64 lies below the normal range the gate's f32
 * result may be subnormal, rounded or flushed (the ops' accuracy statement), so the product may
 * be off by (|u| + |g|) * 2^-126 there, and NaN where u is infinite and g underflowed to 0; a subnormal
 * u may be flushed to 0 (WGSL allows it; SwiftShader does).
 */
function checkProduct(
  label: string,
  got: Float32Array,
  u: readonly number[],
  g64: readonly number[],
  inputs: Readonly<Record<string, Float32Array>>,
  maxUlp: number,
): void {
  const tiny = g64.map((g, i) => subnormal(g) || subnormal(u[i]!));
  const rows: string[] = [];
  for (let i = 0; i < got.length; i++) {
    if (!tiny[i]) continue;
    // A subnormal u may be flushed to 0 first: then the product is 0, or NaN for an infinite g.
    if (subnormal(u[i]!) && (got[i] === 0 || Number.isNaN(got[i]!))) continue;
    const ref = u[i]! * g64[i]!;
    const slack = (Math.abs(u[i]!) + Math.abs(g64[i]!)) * SMALLEST_NORMAL;
    const ok = got[i] === ref || (Number.isFinite(u[i]!) ? Math.abs(got[i]! - ref) <= slack : Number.isNaN(got[i]!));
    if (!ok && rows.length < 10) rows.push(`  ${i} | u=${u[i]} g64=${g64[i]} | expected ${ref} within ${slack} | got ${got[i]}`);
  }
  if (rows.length) throw new Error(`${label}: products of a gate value below the normal range out of bounds\n${rows.join('\n')}`);
  // The rest within maxUlp of the float64 product.
  const pick = (values: ArrayLike<number>) => Float32Array.from(Array.from(values).filter((_, i) => !tiny[i]));
  const reference = u.map((v, i) => v * g64[i]!).filter((_, i) => !tiny[i]);
  const picked = Object.fromEntries(Object.entries(inputs).map(([k, v]) => [k, pick(v)]));
  check(label, pick(got), reference, new Uint32Array(reference.length), picked, maxUlp);
}

/** Mixed inputs: random values over many exponents, with the special values in every few places. */
export function gatedInputs(n: number, seed: number): Float32Array<ArrayBuffer> {
  const x = randomFloats(n, seed, 12);
  const pick = rng(seed + 1);
  for (let i = 0; i < n; i += 7) x[i] = floatsFromBits([SPECIAL_BITS[Math.floor(pick() * SPECIAL_BITS.length)]!])[0]!;
  return x;
}

/**
 * Runs `name` forward and backward on x (shape, axis, attrs) with dy, and checks y and dx against
 * float64 references from the gate's spec within the gate's bound plus one rounding.
 */
export async function checkGated(
  acts: Activations,
  name: GatedName,
  gateSpec: OpSpec,
  label: string,
  shape: readonly number[],
  axis: number | undefined,
  attrs: { approximate?: 'none' | 'tanh' },
  x: Float32Array<ArrayBuffer>,
  seed: number,
): Promise<void> {
  const op = lookupOp(name) as GatedOp;
  const gate = op.gate.name as OpName;
  const given = axis === undefined ? { ...attrs } : { ...attrs, axis };
  const { a, b, at, step } = splitHalves(x, shape, axis ?? -1);
  const dyValues = randomFloats(a.length, seed, 4);
  const at0 = (axis ?? -1) < 0 ? (axis ?? -1) + shape.length : axis!;
  const outShape = shape.map((d, i) => (i === at0 ? d / 2 : d));
  const tx = acts.tensor(x, shape);
  const ty = acts.forward(name, tx, given as never);
  const tdy = acts.tensor(dyValues, outShape);
  const tdx = acts.backward(name, { x: tx, dy: tdy }, given as never);
  const [y, dx] = [await ty.read(), await tdx.read()];
  assert(ty.shape.join() === outShape.join(), `${label}: y's shape [${ty.shape.join(', ')}], expected [${outShape.join(', ')}]`);
  for (const t of [tx, ty, tdy, tdx]) t.dispose();
  // The spec's attributes by name (geglu's approximate is gelu's, given as the choice's name).
  const specAttrs = { ...attrs } as AttrValues;
  const g64 = b.map((v) => gateSpec.forward(v, specAttrs));
  // A gradient computed from y reads this backend's y, as the elementwise specs do.
  let saved: readonly number[] = b;
  if (op.gate.backwardFrom === 'y') {
    const tb = acts.tensor(Float32Array.from(b));
    const tg = acts.forward(gate, tb, attrs as never);
    saved = Array.from(await tg.read());
    tb.dispose();
    tg.dispose();
  }
  const dy = Array.from(dyValues);
  const inputs = { a: Float32Array.from(a), b: Float32Array.from(b) };
  checkProduct(`${label}: y`, y, a, g64, inputs, gatedBound(gate, 'forward'));
  const da = Float32Array.from(at, (i) => dx[i]!);
  const db = Float32Array.from(at, (i) => dx[i + step]!);
  const withDy = { ...inputs, dy: dyValues };
  checkProduct(`${label}: da`, da, dy, g64, withDy, gatedBound(gate, 'forward'));
  // The kernels hand the gate's backward dy * a rounded to f32 (as PyTorch's composition does):
  // that product can overflow where the exact db would be finite, so the reference rounds it
  // too. Where it is subnormal (or dy or a is) a GPU may flush it, and db is then a zero (NaN
  // for an infinite a times a flushed dy).
  const dg = dy.map((d, i) => Math.fround(d * a[i]!));
  const flushed = dg.map((g, i) => (subnormal(g) || subnormal(dy[i]!) || subnormal(a[i]!)) && (db[i] === 0 || Number.isNaN(db[i]!)));
  const keep = (values: ArrayLike<number>) => Float32Array.from(Array.from(values).filter((_, i) => !flushed[i]));
  check(
    `${label}: db`,
    keep(db),
    dg.map((g, i) => gateSpec.backward(saved[i]!, g, specAttrs)).filter((_, i) => !flushed[i]),
    new Uint32Array(db.length - flushed.filter(Boolean).length),
    Object.fromEntries(Object.entries(withDy).map(([k, v]) => [k, keep(v)])),
    gatedBound(gate, 'backward') - (getOp(gate).accuracy.kind === 'exact' ? 0 : 1),
  );
}

/**
 * The gate inside a gated unit is the library's own op: with a = 1, y is forward(gate, b) bit for
 * bit; with dy = 1, da is too; and db is backward(gate, b or gate(b), dy) bit for bit. NaNs
 * stay NaN, but their payload may be quieted by the product.
 */
/**
 * The same bits, except that where `expected` is a NaN any NaN will do (a product quiets a
 * signalling NaN), and where it or `factor` (a multiplicand) is subnormal a zero will do (WGSL
 * lets a GPU flush subnormal operands and results of a multiply; SwiftShader does).
 */
function expectBitsUpToNan(
  label: string,
  got: Float32Array,
  expected: Float32Array,
  inputs: Readonly<Record<string, Float32Array>>,
  factor?: Float32Array,
): void {
  const want = bitsOf(expected).slice();
  const g = bitsOf(got);
  for (let i = 0; i < want.length; i++) {
    if (Number.isNaN(expected[i]!) && Number.isNaN(got[i]!)) want[i] = g[i]!;
    if ((subnormal(expected[i]!) || (factor && subnormal(factor[i]!))) && got[i] === 0) want[i] = g[i]!;
  }
  expectBits(label, got, want, inputs);
}

/** A nonzero value below f32's smallest normal. */
function subnormal(v: number): boolean {
  return v !== 0 && Math.abs(v) < SMALLEST_NORMAL;
}

export async function checkSameBitsAsGate(
  acts: Activations,
  name: GatedName,
  attrs: { approximate?: 'none' | 'tanh' },
  seed: number,
): Promise<void> {
  const op = lookupOp(name) as GatedOp;
  const gate = op.gate.name as OpName;
  const n = 4096;
  const b = gatedInputs(n, seed);
  const x = new Float32Array(2 * n);
  x.fill(1, 0, n);
  x.set(b, n);
  const tx = acts.tensor(x, [2 * n]);
  const tb = acts.tensor(b);
  const dyValues = gatedInputs(n, seed + 2);
  const tdy = acts.tensor(dyValues);
  const ones = acts.tensor(new Float32Array(n).fill(1));
  const y = await acts.forward(name, tx, attrs as never).read();
  const tg = acts.forward(gate, tb, attrs as never);
  const g = await tg.read();
  expectBitsUpToNan(`${name}: y for a = 1 against forward('${gate}', b)`, y, g, { b });
  const dxOnes = await acts.backward(name, { x: tx, dy: ones }, attrs as never).read();
  expectBitsUpToNan(`${name}: da for dy = 1 against forward('${gate}', b)`, dxOnes.subarray(0, n), g, { b });
  const dx = await acts.backward(name, { x: tx, dy: tdy }, attrs as never).read();
  const saved = op.gate.backwardFrom === 'y' ? { y: tg } : { x: tb };
  const db = await acts.backward(gate, { ...saved, dy: tdy }, attrs as never).read();
  expectBitsUpToNan(`${name}: db for a = 1 against backward('${gate}', b, dy)`, dx.subarray(n), db, { b, dy: dyValues }, dyValues);
  for (const t of [tx, tb, tdy, ones, tg]) t.dispose();
}

/** One hand-worked row: x = [a..., b...] along the last axis, y and dx (for dy = 1) from a person's arithmetic. */
export interface GatedExample {
  readonly x: readonly number[];
  readonly y: readonly number[];
  readonly dx: readonly number[];
  readonly attrs?: { approximate?: 'none' | 'tanh' };
}

/**
 * A gated unit's cases: its hand-worked rows; the float64 sweep over shapes and axes (the last,
 * the first, a middle one, 0 rows, a size that needs many workgroups); the bit-for-bit check
 * against its gate; f16 as the f32 op on widened inputs, rounded once; the layer.
 */
export function gatedCases(
  name: GatedName,
  gateSpec: OpSpec,
  examples: readonly GatedExample[],
  attrSets: readonly { approximate?: 'none' | 'tanh' }[] = [{}],
): ConformanceCase[] {
  const op = lookupOp(name) as GatedOp;
  const bound = (direction: 'forward' | 'backward') => gatedBound(op.gate.name as OpName, direction);
  return [
    {
      name: `${name}: hand-worked values (x = [a | b] along the last axis), y and dx for dy = 1`,
      async run({ acts }) {
        for (const ex of examples) {
          const x = acts.tensor([...ex.x], [1, ex.x.length]);
          const dy = acts.tensor(new Float32Array(ex.y.length).fill(1), [1, ex.y.length]);
          const y = await acts.forward(name, x, (ex.attrs ?? {}) as never).read();
          const dx = await acts.backward(name, { x, dy }, (ex.attrs ?? {}) as never).read();
          const label = `${name}(${ex.x.join(', ')}${ex.attrs?.approximate ? `, ${ex.attrs.approximate}` : ''})`;
          check(
            `${label}: y`,
            y,
            ex.y,
            new Uint32Array(ex.y.length),
            { x: Float32Array.from(ex.x.slice(0, ex.y.length)) },
            bound('forward'),
          );
          check(
            `${label}: dx`,
            dx,
            ex.dx,
            new Uint32Array(ex.dx.length),
            { x: Float32Array.from(ex.x) },
            Math.max(bound('forward'), bound('backward')),
          );
          x.dispose();
          dy.dispose();
        }
      },
    },
    {
      name: `${name}: along any axis against float64, special values included (${attrSets.length} attribute set${attrSets.length > 1 ? 's' : ''})`,
      async run({ acts }) {
        let seed = 11;
        for (const attrs of attrSets) {
          const tag = attrs.approximate ? ` ${attrs.approximate}` : '';
          await checkGated(acts, name, gateSpec, `[6, 8]${tag}`, [6, 8], undefined, attrs, gatedInputs(48, seed++), seed++);
          await checkGated(acts, name, gateSpec, `[4, 3, 5] axis 0${tag}`, [4, 3, 5], 0, attrs, gatedInputs(60, seed++), seed++);
          await checkGated(acts, name, gateSpec, `[3, 6, 5] axis 1${tag}`, [3, 6, 5], 1, attrs, gatedInputs(90, seed++), seed++);
          await checkGated(acts, name, gateSpec, `[2, 7, 4] axis -1${tag}`, [2, 7, 4], -1, attrs, gatedInputs(56, seed++), seed++);
          await checkGated(acts, name, gateSpec, `[0, 4]${tag}`, [0, 4], undefined, attrs, new Float32Array(0), seed++);
          await checkGated(acts, name, gateSpec, `[2]${tag}`, [2], undefined, attrs, gatedInputs(2, seed++), seed++);
        }
        await checkGated(
          acts,
          name,
          gateSpec,
          '[257, 1024]',
          [257, 1024],
          undefined,
          attrSets[0]!,
          gatedInputs(257 * 1024, seed++),
          seed++,
        );
      },
    },
    {
      name: `${name}: the gate is the library's own ${op.gate.name}, bit for bit (y and da against forward, db against backward)`,
      async run({ acts }) {
        let seed = 40;
        for (const attrs of attrSets) await checkSameBitsAsGate(acts, name, attrs, seed++);
      },
    },
    {
      name: `${name}: f16 is the f32 op on the widened halves, rounded once, forward and backward`,
      async run({ acts }) {
        const shape = [24, 16];
        const n = 24 * 16;
        const pick = rng(77);
        const halves = Uint16Array.from({ length: n }, () =>
          pick() < 0.1
            ? [0x7c00, 0xfc00, 0x7e00, 0x8000, 0][Math.floor(pick() * 5)]!
            : Math.floor(pick() * 0x7c00) | (pick() < 0.5 ? 0x8000 : 0),
        );
        const dyHalves = Uint16Array.from({ length: n / 2 }, () => Math.floor(pick() * 0x4c00) | (pick() < 0.5 ? 0x8000 : 0));
        const attrs = attrSets[attrSets.length - 1]!;
        const hx = acts.tensor(halves, shape);
        const hdy = acts.tensor(dyHalves, [24, 8]);
        const hy = acts.forward(name, hx, attrs as never);
        const hdx = acts.backward(name, { x: hx, dy: hdy }, attrs as never);
        assert(hy.dtype === 'f16' && hdx.dtype === 'f16', `dtypes ${hy.dtype} and ${hdx.dtype}, expected f16`);
        const wx = acts.tensor(
          Float32Array.from(halves, (h) => fromHalf(h)),
          shape,
        );
        const wdy = acts.tensor(
          Float32Array.from(dyHalves, (h) => fromHalf(h)),
          [24, 8],
        );
        const y32 = await acts.forward(name, wx, attrs as never).read();
        const dx32 = await acts.backward(name, { x: wx, dy: wdy }, attrs as never).read();
        expectRoundedHalves(`${name} f16 y`, await hy.read(), y32);
        expectRoundedHalves(`${name} f16 dx`, await hdx.read(), dx32);
        for (const t of [hx, hdy, hy, hdx, wx, wdy]) t.dispose();
      },
    },
    {
      name: `${name}: as a layer, forward keeps x and backward gives the same bits as the calls`,
      async run({ acts }) {
        const attrs = attrSets[attrSets.length - 1]!;
        const x = acts.tensor(gatedInputs(96, 91), [4, 6, 4]);
        const dy = acts.tensor(gatedInputs(48, 92), [4, 3, 4]);
        const layer = acts.layer(name, { ...attrs, axis: 1 } as never);
        assert(layer.op === name && layer.keeps === 'x', `layer.op ${layer.op}, keeps ${layer.keeps}`);
        const y = layer.forward(x);
        assert(layer.retainedBytes === 96 * 4, `retainedBytes ${layer.retainedBytes}, expected ${96 * 4}`);
        const dx = layer.backward(dy);
        assert(layer.retainedBytes === 0, `retainedBytes after backward ${layer.retainedBytes}, expected 0`);
        const yCall = acts.forward(name, x, { ...attrs, axis: 1 } as never);
        const dxCall = acts.backward(name, { x, dy }, { ...attrs, axis: 1 } as never);
        expectBits(`${name} layer y`, await y.read(), bitsOf(await yCall.read()), {});
        expectBits(`${name} layer dx`, await dx.read(), bitsOf(await dxCall.read()), {});
        await checkLayerEncoder(acts, name, layer, x, dy, yCall, dxCall);
        layer.dispose();
        for (const t of [x, dy, y, dx, yCall, dxCall]) t.dispose();
      },
    },
  ];
}

function fromHalf(h: number): number {
  return fromBits(halfToF32Bits(h));
}
