// f16 tensors: every op on every one of the 65536 halves, forward and backward. An f16 op is
// defined as the op's f32 kernel on the exactly widened inputs, rounded once to nearest even;
// each case checks that definition bit for bit against this backend's own f32 op, with an
// independent conversion written from the binary16 format (not the kernels' integer steps), and
// the accuracy against the float64 reference: within 1 f16 ULP (exact ops: equal).
import { InvalidArgumentError, ShapeMismatchError, type OpName, type Tensor } from '../../src/index.js';
import { f32ToHalfBits, halfToF32Bits } from '../../src/numerics/half.js';
import { getOp } from '../../src/ops/registry.js';
import { assert, expectError } from '../helpers/compare.js';
import { bitsOf, fromBits, hex, rng, toBits } from '../helpers/float.js';
import type { AttrValues } from '../ops/op-spec.js';
import { specs } from './ops.js';
import type { ConformanceCase } from './relu.js';

/** The value of the half with bits h, from the format: sign, 5 exponent bits (bias 15), 10 mantissa bits. */
export function decodeHalf(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const m = h & 0x3ff;
  if (e === 31) return m ? NaN : sign * Infinity;
  if (e === 0) return sign * m * 2 ** -24;
  return sign * (1 + m / 1024) * 2 ** (e - 15);
}

function roundHalfEven(t: number): number {
  const f = Math.floor(t);
  const d = t - f;
  return d > 0.5 ? f + 1 : d < 0.5 ? f : f % 2 === 0 ? f : f + 1;
}

/**
 * The bits of the half nearest to v (a non-NaN double), ties to even, from the format: values
 * from 65520 (halfway past 65504) up give Inf.
 */
export function encodeHalf(v: number): number {
  const sign = v < 0 || Object.is(v, -0) ? 0x8000 : 0;
  const a = Math.abs(v);
  if (a >= 65520) return sign | 0x7c00;
  if (a < 2 ** -14) return sign | roundHalfEven(a / 2 ** -24); // 0x400 is the smallest normal
  let e = Math.floor(Math.log2(a));
  while (2 ** e > a) e--;
  while (2 ** (e + 1) <= a) e++;
  const q = roundHalfEven((a / 2 ** e - 1) * 1024);
  return q === 1024 ? sign | ((e + 16) << 10) : sign | ((e + 15) << 10) | q;
}

/** A NaN's f32 bits as a half: its sign, quiet, the top 10 payload bits (the documented rule). */
function nanToHalf(bits: number): number {
  return ((bits >>> 16) & 0x8000) | 0x7e00 | ((bits & 0x7fffff) >>> 13);
}

function halfOfF32(bits: number): number {
  const v = fromBits(bits);
  return Number.isNaN(v) ? nanToHalf(bits) : encodeHalf(v);
}

/** Halves a f16 ULP apart (adjacent bit patterns of one sign), NaN with NaN only. */
function halfUlps(a: number, b: number): number {
  const key = (h: number) => (h & 0x8000 ? -(h & 0x7fff) : h);
  return Math.abs(key(a) - key(b));
}

const ALL = Uint16Array.from({ length: 65536 }, (_, i) => i);

/** dy for the backward sweep: every half again, in another order, mixed with ordinary values. */
function dyHalves(): Uint16Array {
  const next = rng(0xf16);
  return Uint16Array.from({ length: 65536 }, (_, i) => (next() < 0.5 ? (i * 40503) & 0xffff : encodeHalf((next() * 2 - 1) * 4)));
}

async function readHalf(t: Tensor<'f16'>): Promise<Uint16Array> {
  const v = await t.read();
  t.dispose();
  return v;
}

/**
 * Checks halves within maxUlp; NaN must meet NaN, with the same bits when `samePayload` (the
 * exact ops keep NaN payloads; the others promise only a NaN, whose payload engines may change).
 */
function compare(
  label: string,
  got: Uint16Array,
  expected: Uint16Array,
  x: Uint16Array,
  maxUlp: number,
  samePayload = maxUlp === 0,
): number {
  let worst = 0;
  const rows: string[] = [];
  let bad = 0;
  for (let i = 0; i < got.length; i++) {
    const g = got[i]!;
    const e = expected[i]!;
    const gNaN = (g & 0x7fff) > 0x7c00;
    const eNaN = (e & 0x7fff) > 0x7c00;
    const d = gNaN || eNaN ? (gNaN === eNaN && (!samePayload || g === e) ? 0 : Infinity) : halfUlps(g, e);
    worst = Math.max(worst, d === Infinity ? 0 : d);
    if (d > maxUlp) {
      bad++;
      if (rows.length < 8)
        rows.push(
          `  ${i}: x = ${hex(x[i]!)} (${decodeHalf(x[i]!)}): expected ${hex(e)} (${decodeHalf(e)}), got ${hex(g)} (${decodeHalf(g)})`,
        );
    }
  }
  if (bad) throw new Error(`${label}: ${bad} of ${got.length} halves differ beyond ${maxUlp} ulp\n${rows.join('\n')}`);
  return worst;
}

function halfCase(op: OpName, attrs: AttrValues): ConformanceCase {
  const spec = specs.find((s) => s.op === op)!;
  const def = getOp(op);
  const fromY = def.backwardFrom === 'y';
  const exact = def.accuracy.kind === 'exact';
  return {
    name: `f16: ${op} forward and backward on all 65536 halves: the f32 op rounded once, ${exact ? 'exact' : 'within 1 f16 ulp of float64'}`,
    async run({ acts, kind }) {
      const dyh = dyHalves();
      const x = acts.tensor(ALL);
      const dy = acts.tensor(dyh);
      assert(x.dtype === 'f16' && x.length === 65536, `acts.tensor(Uint16Array) gave a ${x.dtype} tensor of ${x.length}`);
      const y = acts.forward(op, x, attrs as never);
      const yh = await y.read();
      const dx = await readHalf(acts.backward(op, fromY ? { y, dy } : { x, dy }, attrs as never));
      // The definition: this backend's f32 op on the widened halves (decoded from the format),
      // rounded to the nearest half.
      const wide = (h: Uint16Array) => Float32Array.from(h, (v) => decodeHalf(v));
      const xf = acts.tensor(wide(ALL));
      const dyf = acts.tensor(wide(dyh));
      const yf = acts.forward(op, xf, attrs as never);
      const yff = fromY ? acts.tensor(wide(yh)) : undefined;
      const dxf = acts.backward(op, fromY ? { y: yff!, dy: dyf } : { x: xf, dy: dyf }, attrs as never);
      // NaN inputs: a widened NaN keeps its payload (the format's decode gives a plain NaN, so
      // those lanes take the f32 op's bits on the kernels' own widening).
      const xw = acts.tensor(new Float32Array(Uint32Array.from(ALL, (h) => halfToF32Bits(h)).buffer));
      const dyw = acts.tensor(new Float32Array(Uint32Array.from(dyh, (h) => halfToF32Bits(h)).buffer));
      const yw = acts.forward(op, xw, attrs as never);
      const ywh = fromY ? acts.tensor(new Float32Array(Uint32Array.from(yh, (h) => halfToF32Bits(h)).buffer)) : undefined;
      const dxw = acts.backward(op, fromY ? { y: ywh!, dy: dyw } : { x: xw, dy: dyw }, attrs as never);
      const [yfv, dxfv, ywv, dxwv] = [await yf.read(), await dxf.read(), await yw.read(), await dxw.read()];
      for (const t of [x, dy, y, xf, dyf, yf, dxf, xw, dyw, yw, dxw, ...(yff ? [yff] : []), ...(ywh ? [ywh] : [])]) t.dispose();
      const pick = (a: Float32Array, w: Float32Array) => {
        const ab = bitsOf(a);
        const wb = bitsOf(w);
        return Uint16Array.from(ab, (b, i) => (Number.isNaN(a[i]!) ? nanToHalf(wb[i]!) : halfOfF32(b)));
      };
      const label = `${op} (${
        Object.entries(attrs)
          .map(([k, v]) => `${k}=${v}`)
          .join(',') || 'defaults'
      }) f16 on ${kind}`;
      compare(`${label} forward vs the f32 op rounded`, yh, pick(yfv, ywv), ALL, 0, exact);
      compare(`${label} backward vs the f32 op rounded`, dx, pick(dxfv, dxwv), ALL, 0, exact);
      // Accuracy: the float64 reference on the same inputs, rounded to a half.
      const ref = (v: number) => (Number.isNaN(v) ? 0x7e00 : encodeHalf(v));
      const y64 = Uint16Array.from(ALL, (h) => ref(spec.forward(decodeHalf(h), attrs)));
      const saved = fromY ? Array.from(yh, (h) => decodeHalf(h)) : Array.from(ALL, (h) => decodeHalf(h));
      const dx64 = Uint16Array.from(saved, (s, i) => ref(spec.backward(s, decodeHalf(dyh[i]!), attrs)));
      const fw = compare(`${label} forward vs float64`, yh, y64, ALL, 1);
      const bw = compare(`${label} backward vs float64`, dx, dx64, ALL, 1);
      console.log(`[ulp] ${label}: forward max ${fw} ulp, backward max ${bw} ulp over 65536 halves`);
    },
  };
}

export const halfCases: readonly ConformanceCase[] = [
  {
    name: 'f16: conversions agree with the binary16 format on every half and on every rounding boundary',
    cpuOnly: true,
    run() {
      for (let h = 0; h < 65536; h++) {
        const v = decodeHalf(h);
        const b = halfToF32Bits(h);
        if (Number.isNaN(v)) {
          assert(Number.isNaN(fromBits(b)) && (b & 0x7fffff) >>> 13 === (h & 0x3ff), `NaN ${hex(h)} widens to ${hex(b)}`);
          assert(f32ToHalfBits(b) === (h | 0x200), `NaN ${hex(h)} comes back as ${hex(f32ToHalfBits(b))}`);
        } else {
          assert(b === toBits(v), `${hex(h)} widens to ${hex(b)}, expected ${hex(toBits(v))} (${v})`);
          assert(f32ToHalfBits(b) === h, `${hex(h)} does not come back from f32: ${hex(f32ToHalfBits(b))}`);
        }
      }
      // Around each midpoint between neighbouring halves (and past the largest): the midpoint
      // itself and the f32 neighbours on each side.
      for (let h = 0; h < 0x7c00; h++) {
        const lo = decodeHalf(h);
        const hi = h === 0x7bff ? 65536 : decodeHalf(h + 1);
        const mid = toBits((lo + hi) / 2);
        for (const bits of [mid - 1, mid, mid + 1, (mid | 0x80000000) >>> 0]) {
          const expected = encodeHalf(fromBits(bits));
          assert(
            f32ToHalfBits(bits) === expected,
            `${fromBits(bits)} (${hex(bits)}) rounds to ${hex(f32ToHalfBits(bits))}, expected ${hex(expected)}`,
          );
        }
      }
      for (const v of [1e-10, -1e-10, 2 ** -25, 3 * 2 ** -26, 1e30, -1e30, Infinity, -Infinity, 0, -0]) {
        assert(f32ToHalfBits(toBits(v)) === encodeHalf(Math.fround(v)), `${v} rounds to ${hex(f32ToHalfBits(toBits(v)))}`);
      }
      return Promise.resolve();
    },
  },
  {
    name: 'f16: rounding on this backend at ties, subnormals, underflow and overflow: leakyRelu on all halves with slopes that make them',
    async run({ acts }) {
      // Products of a half and these slopes are exact in f32, so the only rounding is to f16:
      // 1.5 leaves one bit too many (a tie for every odd significand), powers of two move
      // normals into the subnormals (ties there) and below 2^-25 (to zero), 3000 past 65520 (Inf).
      const x = acts.tensor(ALL);
      for (const alpha of [1.5, 2 ** -5, 2 ** -13, 2 ** -20, 3000]) {
        const got = await readHalf(acts.forward('leakyRelu', x, { alpha }));
        let ties = 0;
        for (let h = 0; h < 65536; h++) {
          const v = decodeHalf(h);
          const product = v * alpha;
          const expected = Number.isNaN(v) ? h | 0x200 : v > 0 ? h : encodeHalf(product);
          if (!Number.isNaN(v) && v <= 0 && encodeHalf(product) !== encodeHalf(Math.fround(product))) {
            throw new Error(`test setup: ${v} * ${alpha} is not exact in f32`);
          }
          const q = Math.abs(product) / 2 ** Math.max(-24, Math.floor(Math.log2(Math.abs(product))) - 10);
          if (v < 0 && Number.isFinite(q) && q % 1 === 0.5) ties++;
          assert(got[h] === expected, `leakyRelu(${hex(h)} = ${v}, alpha ${alpha}) gave ${hex(got[h]!)}, expected ${hex(expected)}`);
        }
        if (alpha === 1.5 || alpha === 2 ** -13) assert(ties > 500, `alpha ${alpha}: only ${ties} ties were tried`);
      }
      x.dispose();
    },
  },
  {
    name: 'f16: hand-worked values, and Float16Array where the runtime has it',
    async run({ acts }) {
      // relu(-1, 0.5, 65504, -0) and leakyRelu(-2) = -0.02 rounded to the half 0xa51f.
      const x = acts.tensor(Uint16Array.of(0xbc00, 0x3800, 0x7bff, 0x8000, 0xc000), [5]);
      const y = await readHalf(acts.forward('relu', x));
      assert(
        [...y].map(hex).join() === ['0x00000000', '0x00003800', '0x00007bff', '0x00000000', '0x00000000'].join(),
        `relu: ${[...y].map(hex).join(', ')}`,
      );
      const l = await readHalf(acts.forward('leakyRelu', x));
      assert(l[4] === encodeHalf(Math.fround(-0.02)) && l[4] === 0xa51f, `leakyRelu(-2) = ${hex(l[4]!)}, expected 0xa51f`);
      const F16 = (globalThis as { Float16Array?: new (values: number[]) => ArrayBufferView }).Float16Array;
      if (F16) {
        const t = acts.tensor(new F16([1.5, -3]) as Uint16Array);
        assert(t.dtype === 'f16', `a Float16Array makes a ${t.dtype} tensor`);
        const r = await readHalf(acts.forward('relu', t));
        assert(r[0] === 0x3e00 && r[1] === 0, `relu of Float16Array [1.5, -3]: ${[...r].map(hex).join(', ')}`);
      }
      x.dispose();
    },
  },
  {
    name: 'f16: mixing f16 and f32 tensors, and f16 where only f32 is taken (layers, your buffers), are refused by name',
    async run({ acts }) {
      const h = acts.tensor(Uint16Array.of(1, 2, 3));
      const f = acts.tensor([1, 2, 3]);
      await expectError(() => acts.backward('relu', { x: h, dy: f as never }), InvalidArgumentError, 'dy');
      await expectError(() => acts.backward('relu', { x: h, dy: acts.tensor(Uint16Array.of(1, 2)) }), ShapeMismatchError, 'dy');
      await expectError(() => acts.layer('relu').forward(h as never), InvalidArgumentError, 'x');
      await expectError(() => acts.prelu(h, f as never), InvalidArgumentError, 'alpha');
      await expectError(() => acts.forwardInto('relu', { x: h as never, y: f }), InvalidArgumentError, 'x');
      h.dispose();
      f.dispose();
    },
  },
  {
    name: 'f16: prelu (dx, dalpha) and maxout on all 65536 halves: their f32 kernels on the widened values, rounded once, bit for bit',
    async run({ acts, kind }) {
      const wideTensor = (h: Uint16Array, shape: number[]) =>
        acts.tensor(new Float32Array(Uint32Array.from(h, (v) => halfToF32Bits(v)).buffer), shape);
      const narrowed = (f: Float32Array) => {
        const b = bitsOf(f);
        return Uint16Array.from(b, (v, i) => (Number.isNaN(f[i]!) ? nanToHalf(v) : halfOfF32(v)));
      };
      const dyh = dyHalves();
      const alphaH = Uint16Array.from({ length: 256 }, (_, i) => encodeHalf((i - 128) / 64));
      const x = acts.tensor(ALL, [256, 256]);
      const alpha = acts.tensor(alphaH);
      const dy = acts.tensor(dyh, [256, 256]);
      const y = await readHalf(acts.prelu(x, alpha));
      const g = acts.preluBackward({ x, alpha, dy });
      const [dx, dalpha] = [await readHalf(g.dx), await readHalf(g.dalpha)];
      const xw = wideTensor(ALL, [256, 256]);
      const aw = wideTensor(alphaH, [256]);
      const dyw = wideTensor(dyh, [256, 256]);
      const yw = await acts.prelu(xw, aw).read();
      const gw = acts.preluBackward({ x: xw, alpha: aw, dy: dyw });
      compare(`prelu f16 forward on ${kind}`, y, narrowed(yw), ALL, 0);
      compare(`prelu f16 dx on ${kind}`, dx, narrowed(await gw.dx.read()), ALL, 0);
      compare(`prelu f16 dalpha on ${kind}`, dalpha, narrowed(await gw.dalpha.read()), alphaH, 0);
      const mx = acts.tensor(ALL, [32768, 2]);
      const mdy = acts.tensor(dyh.subarray(0, 32768), [32768, 1]);
      const m = await readHalf(acts.maxout(mx, { pieces: 2 }));
      const mdx = await readHalf(acts.maxoutBackward({ x: mx, dy: mdy }, { pieces: 2 }));
      const mxw = wideTensor(ALL, [32768, 2]);
      const mdyw = wideTensor(dyh.subarray(0, 32768), [32768, 1]);
      compare(`maxout f16 forward on ${kind}`, m, narrowed(await acts.maxout(mxw, { pieces: 2 }).read()), ALL, 0);
      compare(
        `maxout f16 backward on ${kind}`,
        mdx,
        narrowed(await acts.maxoutBackward({ x: mxw, dy: mdyw }, { pieces: 2 }).read()),
        ALL,
        0,
      );
      for (const t of [x, alpha, dy, xw, aw, dyw, gw.dx, gw.dalpha, mx, mdy, mxw, mdyw]) t.dispose();
    },
  },
  {
    name: "f16: read({ f16: 'values' }) gives a Float16Array where the runtime has one (a typed error elsewhere); 'bits' and the default give the bits",
    async run({ acts }) {
      const bits = Uint16Array.of(0xbc00, 0x3800, 0x0001, 0x7c00); // -1, 0.5, the smallest subnormal, +Inf
      const t = acts.tensor(bits);
      const plain = await t.read();
      const asBits = await t.read({ f16: 'bits' });
      assert([...plain].join() === [...bits].join() && [...asBits].join() === [...bits].join(), `bits read back ${[...plain].join()}`);
      const has = typeof (globalThis as { Float16Array?: unknown }).Float16Array === 'function';
      if (has) {
        const values = await t.read({ f16: 'values' });
        assert(
          values.constructor.name === 'Float16Array' && [...values].join() === [-1, 0.5, 2 ** -24, Infinity].join(),
          `values read back: ${values.constructor.name} ${[...values].join()}`,
        );
      } else {
        await expectError(() => t.read({ f16: 'values' }), InvalidArgumentError, 'options.f16');
      }
      // f32 tensors ignore the option; junk options are refused.
      const f = acts.tensor([1.5]);
      assert((await f.read({ f16: 'values' }))[0] === 1.5, 'an f32 tensor read with f16: values');
      await expectError(() => t.read({ f16: 'floats' } as never), InvalidArgumentError, 'options.f16');
      await expectError(() => t.read({ f61: 'values' } as never), InvalidArgumentError, 'options.f61');
      t.dispose();
      f.dispose();
    },
  },
  ...specs.map((s) => halfCase(s.op, s.attrSets[s.attrSets.length - 1]!)),
];
