// The family suite: every test/ops/*.spec.ts becomes conformance cases that run on every
// backend (CPU, Dawn in Node, Chromium), next to the engine cases in relu.ts.
import { InvalidArgumentError, opVariants, type Activations, type OpName } from '../../src/index.js';
import { getOp } from '../../src/ops/registry.js';
import type { OpDefinition } from '../../src/ops/define.js';
import { assert, expectBits, expectError } from '../helpers/compare.js';
import { bitsOf, fromBits, hex, SPECIAL_BITS, toBits, ulpDistance, uniformFloats, rng } from '../helpers/float.js';
import type { AttrValues, OpSpec } from '../ops/op-spec.js';
import type { ConformanceCase } from './relu.js';

/** What a test/ops/*.spec.ts exports: an elementwise op's spec, or an op of another kind's cases. */
interface SpecModule {
  readonly spec?: OpSpec;
  readonly cases?: readonly ConformanceCase[];
}

const modules = import.meta.glob<SpecModule>('../ops/*.spec.ts', { eager: true });

/** The ops with a spec file, by file name (kebab-case, as the WGSL files). */
export const specFiles: readonly string[] = Object.keys(modules).map((path) => /([\w-]+)\.spec\.ts$/.exec(path)![1]!);

/** Every elementwise op's spec, from test/ops/*.spec.ts. */
export const specs = Object.values(modules)
  .flatMap((m) => (m.spec ? [m.spec] : []))
  .sort((a, b) => a.op.localeCompare(b.op));

/** Every sign and biased exponent (subnormals too), several mantissas each, and the special values. */
export function sweepInputs(extra: readonly number[] = []): Float32Array<ArrayBuffer> {
  const next = rng(0x5eed);
  const out: number[] = [...SPECIAL_BITS];
  for (const sign of [0, 0x80000000]) {
    for (let e = 0; e < 255; e++) {
      for (const m of [0, 1, 0x2aaaaa, 0x400000, 0x555555, 0x7fffff, Math.floor(next() * 0x800000), Math.floor(next() * 0x800000)]) {
        out.push((sign | (e << 23) | m) >>> 0);
      }
    }
  }
  for (const v of extra) out.push(toBits(v), toBits(-v));
  return new Float32Array(Uint32Array.from(out).buffer);
}

const SMALLEST_NORMAL = 2 ** -126;

/**
 * Compares `got` with float64 reference values. Exact ops: the same bits, and a NaN result must
 * be the input NaN (`nanBits`). ULP ops: within `maxUlp`, NaN for NaN, and results below the
 * smallest normal may be flushed (|error| <= 2^-126). Returns the largest ULP distance seen.
 */
export function check(
  label: string,
  got: Float32Array,
  reference: readonly number[],
  nanBits: Uint32Array,
  inputs: Readonly<Record<string, Float32Array>>,
  maxUlp: number | 'exact',
): number {
  const g = bitsOf(got);
  let worst = 0;
  const rows: string[] = [];
  let bad = 0;
  for (let i = 0; i < g.length; i++) {
    const ref = reference[i]!;
    const expected = Number.isNaN(ref) ? (maxUlp === 'exact' ? nanBits[i]! : 0x7fc00000) : toBits(ref);
    const a = g[i]!;
    let ok: boolean;
    let d = 0;
    if (maxUlp === 'exact') ok = a === expected;
    else if (Number.isNaN(ref)) ok = Number.isNaN(got[i]!);
    else {
      d = ulpDistance(a, expected);
      const flushed = Math.abs(ref) < SMALLEST_NORMAL && Math.abs(got[i]! - Math.fround(ref)) <= SMALLEST_NORMAL;
      ok = d <= maxUlp || flushed;
      if (!flushed && d !== Infinity) worst = Math.max(worst, d);
    }
    if (!ok) {
      bad++;
      if (rows.length < 12) {
        const ins = Object.entries(inputs).map(([k, v]) => `${k}=${fromBits(bitsOf(v)[i]!)} (${hex(bitsOf(v)[i]!)})`);
        rows.push(
          `  ${String(i).padStart(6)} | ${ins.join(' ')} | expected ${ref} (${hex(expected)}) | got ${got[i]} (${hex(a)}) | ulp ${d}`,
        );
      }
    }
  }
  if (bad > 0) {
    const bound = maxUlp === 'exact' ? 'bit-exact' : `${maxUlp} ulp`;
    throw new Error(
      `${label}: ${bad} of ${g.length} elements outside ${bound}\n  index | inputs | expected | got | ulp\n${rows.join('\n')}`,
    );
  }
  return worst;
}

export function bound(op: OpName, direction: 'forward' | 'backward'): number | 'exact' {
  const a = getOp(op).accuracy;
  return a.kind === 'exact' ? 'exact' : a[direction];
}

/** Whether the op's attribute takes ±Infinity as a value (declared `infinite`). */
function infinite(def: OpDefinition, name: string): boolean {
  const spec = def.attrs[name];
  return spec !== undefined && 'infinite' in spec && spec.infinite === true;
}

function describeAttrs(attrs: AttrValues): string {
  const entries = Object.entries(attrs);
  return entries.length ? entries.map(([k, v]) => `${k}=${v}`).join(',') : 'defaults';
}

async function run(acts: Activations, spec: OpSpec, attrs: AttrValues, x: Float32Array<ArrayBuffer>, dy: Float32Array<ArrayBuffer>) {
  const op = spec.op;
  const def = getOp(op);
  const tx = acts.tensor(x);
  const ty = acts.forward(op, tx, attrs as never);
  const y = await ty.read();
  const tdy = acts.tensor(dy);
  const saved = def.backwardFrom === 'y' ? { y: ty } : { x: tx };
  const tdx = acts.backward(op, { ...saved, dy: tdy }, attrs as never);
  const dx = await tdx.read();
  for (const t of [tx, ty, tdy, tdx]) t.dispose();
  return { y, dx };
}

function casesFor(spec: OpSpec): ConformanceCase[] {
  const op = spec.op;
  const def = getOp(op);
  return [
    {
      name: `${op}: hand-worked values`,
      async run({ acts }) {
        for (const ex of spec.examples) {
          const attrs = ex.attrs ?? {};
          const x = Float32Array.of(ex.x);
          const { y, dx } = await run(acts, spec, attrs, x, Float32Array.of(1));
          const label = `${op}(${ex.x}; ${describeAttrs(attrs)})`;
          check(`${label} forward`, y, [ex.y], bitsOf(x), { x }, bound(op, 'forward'));
          if (ex.grad === undefined) continue;
          if (def.backwardFrom === 'x') {
            check(`${label} gradient`, dx, [ex.grad], bitsOf(x), { x }, bound(op, 'backward'));
          } else {
            // From y: judged on the y this backend produced (its error propagates), and close to
            // the hand-worked value.
            check(`${label} gradient`, dx, [spec.backward(y[0]!, 1, attrs)], bitsOf(x), { x, y }, bound(op, 'backward'));
            const close = dx[0] === ex.grad || Math.abs(dx[0]! - ex.grad) <= 1e-6 * Math.abs(ex.grad);
            assert(close, `${label} gradient: ${dx[0]} is not within 1e-6 of the hand-worked ${ex.grad}`);
          }
        }
      },
    },
    {
      name: `${op}: forward and backward over every exponent and sign, against float64`,
      async run({ acts, kind }) {
        const x = sweepInputs(spec.points);
        const dy = uniformFloats(x.length, 77, 2);
        for (const attrs of spec.attrSets) {
          const { y, dx } = await run(acts, spec, attrs, x, dy);
          const y64 = Array.from(x, (v) => spec.forward(v, attrs));
          // Backward is judged on the inputs it was given: for ops whose gradient comes from y,
          // that is the y this backend produced.
          const saved = def.backwardFrom === 'y' ? Array.from(y) : Array.from(x);
          const dx64 = saved.map((s, i) => spec.backward(s, dy[i]!, attrs));
          const label = `${op} (${describeAttrs(attrs)}) on ${kind}`;
          const fw = check(`${label} forward`, y, y64, bitsOf(x), { x }, bound(op, 'forward'));
          const bw = check(`${label} backward`, dx, dx64, bitsOf(dy), { x, dy }, bound(op, 'backward'));
          if (def.accuracy.kind === 'ulp')
            console.log(`[ulp] ${label}: forward max ${fw} ulp, backward max ${bw} ulp over ${x.length} inputs`);
        }
      },
    },
    {
      name: `${op}: refuses bad attributes, naming them`,
      async run({ acts }) {
        const x = acts.tensor([1, 2]);
        const names = Object.keys(def.attrs);
        const cases = [
          ...(spec.badAttrs ?? []),
          { attrs: { notAnAttribute: 1 }, argument: 'attrs.notAnAttribute' },
          // NaN is refused everywhere; Infinity wherever the attribute does not declare it a value
          // (clamp's and clip's bounds do, and the spec's examples use it there).
          ...names.flatMap((n) => [
            { attrs: { [n]: Number.NaN }, argument: `attrs.${n}` },
            ...(infinite(def, n) ? [] : [{ attrs: { [n]: Infinity }, argument: `attrs.${n}` }]),
          ]),
        ];
        for (const c of cases) await expectError(() => acts.forward(op, x, c.attrs as never), InvalidArgumentError, c.argument);
        assert(cases.length > 0, 'no bad attributes tried');
        x.dispose();
      },
    },
  ];
}

/**
 * Each variant with attributes given under its own names, and the same call to its base op
 * with those values under the base's names (clamp {minValue, maxValue} is hardtanh {min, max}).
 */
const variantCalls: Readonly<Record<keyof typeof opVariants, { attrs: AttrValues; base: AttrValues }>> = {
  hardSigmoid: { attrs: { alpha: 0.25 }, base: { alpha: 0.25, beta: 0.5 } },
  hardSwish: { attrs: {}, base: {} },
  clamp: { attrs: { minValue: -0.5, maxValue: 0.75 }, base: { min: -0.5, max: 0.75 } },
  // hardtanh takes no infinite bound: 3e38 is beyond every input here.
  clip: { attrs: { min: -2 }, base: { min: -2, max: 3e38 } },
};

const variantCase: ConformanceCase = {
  name: 'variants: every entry point takes the name (forward, backward, forwardInto, backwardInto, layer) with the same bits as the base op',
  async run({ acts }) {
    const data = uniformFloats(37, 5, 3);
    const dyData = uniformFloats(37, 6, 2);
    for (const [name, base] of Object.entries(opVariants) as [OpName, OpName][]) {
      const { attrs, base: baseAttrs } = variantCalls[name as keyof typeof opVariants];
      const x = acts.tensor(data);
      const dy = acts.tensor(dyData);
      const by = acts.forward(base, x, baseAttrs as never);
      const bdx = acts.backward(base, { x, dy }, baseAttrs as never);
      const want = { y: bitsOf(await by.read()), dx: bitsOf(await bdx.read()) };
      const y = acts.forward(name, x, attrs as never);
      const dx = acts.backward(name, { x, dy }, attrs as never);
      expectBits(`${name} forward`, await y.read(), want.y, { x: data });
      expectBits(`${name} backward`, await dx.read(), want.dx, { x: data, dy: dyData });
      const yInto = acts.tensor(new Float32Array(data.length));
      const dxInto = acts.tensor(new Float32Array(data.length));
      acts.forwardInto(name, { x, y: yInto }, attrs as never);
      acts.backwardInto(name, { x, dy, dx: dxInto }, attrs as never);
      expectBits(`${name} forwardInto`, await yInto.read(), want.y, { x: data });
      expectBits(`${name} backwardInto`, await dxInto.read(), want.dx, { x: data, dy: dyData });
      const layer = acts.layer(name, attrs as never);
      assert(layer.op === name, `acts.layer('${name}').op is '${layer.op}'`);
      const ly = layer.forward(x);
      const ldx = layer.backward(dy);
      expectBits(`${name} layer forward`, await ly.read(), want.y, { x: data });
      expectBits(`${name} layer backward`, await ldx.read(), want.dx, { x: data, dy: dyData });
      layer.dispose();
      for (const t of [x, dy, by, bdx, y, dx, yInto, dxInto, ly, ldx]) t.dispose();
    }
  },
};

/** Every op spec's cases, in op order, then the cases of the ops of other kinds (prelu, maxout). */
export const opCases: readonly ConformanceCase[] = [
  ...specs.flatMap(casesFor),
  variantCase,
  ...Object.values(modules).flatMap((m) => m.cases ?? []),
];

/** The ops that have a spec, so a test can insist every registered op has one. */
export const specifiedOps: readonly OpName[] = specs.map((s) => s.op);
