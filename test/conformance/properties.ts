// GPU equals CPU, as properties over random ops, attributes, lengths (0 to a few million), byte
// offsets into caller buffers, buffer sizes that are not multiples of 16, and inputs that mix in
// special values: bit for bit for the exact ops, within the stated ULP bound for the others.
// A conformance case, so it runs on every WebGPU stack (the CPU side is an in-page CPU instance).
// Shrunk failures go to test/gpu/property-regressions.ts, which runs first every time.
import fc from 'fast-check';
import { createActivations, type Activations, type OpName } from '../../src/index.js';
import { getOp } from '../../src/ops/registry.js';
import { assert } from '../helpers/compare.js';
import { bitsOf, rng, SPECIAL_BITS } from '../helpers/float.js';
import type { AttrValues } from '../ops/op-spec.js';
import { regressions, type PropertyCase } from '../gpu/property-regressions.js';
import { bound, check, specs } from './ops.js';
import type { ConformanceCase } from './relu.js';

// In Node: PROPERTY_RUNS sets the generated cases per run, PROPERTY_OPS=relu,sigmoid narrows the
// ops while debugging one, PROPERTY_SEED replays a run. Browsers and Deno use the defaults.
const env = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env ?? {};
/** Generated cases per run and stack. */
const RUNS = Number(env.PROPERTY_RUNS ?? 40);
const only = env.PROPERTY_OPS?.split(',');
const SEED = Number(env.PROPERTY_SEED ?? 20261124);

const STORAGE = 0x80;
const COPY_SRC = 0x04;
const COPY_DST = 0x08;

const arbCase: fc.Arbitrary<PropertyCase> = fc.record({
  op: fc.constantFrom(...specs.map((s) => s.op).filter((op) => !only || only.includes(op))),
  attrSet: fc.nat({ max: 7 }),
  length: fc.oneof(
    { weight: 8, arbitrary: fc.integer({ min: 0, max: 5000 }) },
    { weight: 1, arbitrary: fc.integer({ min: 0, max: 3_000_000 }) },
  ),
  offsets: fc.tuple(fc.nat({ max: 300 }), fc.nat({ max: 300 }), fc.nat({ max: 300 })),
  slack: fc.nat({ max: 7 }),
  seed: fc.nat(),
  specialRate: fc.double({ min: 0, max: 0.5, noNaN: true }),
});

function inputs(n: number, seed: number, specialRate: number): Float32Array<ArrayBuffer> {
  const next = rng(seed);
  const bits = new Uint32Array(n);
  const f = new Float32Array(bits.buffer);
  for (let i = 0; i < n; i++) {
    if (next() < specialRate) bits[i] = SPECIAL_BITS[Math.floor(next() * SPECIAL_BITS.length)]!;
    else if (next() < 0.5) f[i] = (next() * 2 - 1) * 20;
    else bits[i] = Math.floor(next() * 4294967296);
  }
  return f;
}

/** Reads n f32s of a caller's buffer from a byte offset (a staging copy of our own). */
export async function readBuffer(device: GPUDevice, buffer: GPUBuffer, offset: number, n: number): Promise<Float32Array> {
  if (n === 0) return new Float32Array(0);
  const staging = device.createBuffer({ size: 4 * n, usage: 0x01 | COPY_DST });
  const enc = device.createCommandEncoder();
  enc.copyBufferToBuffer(buffer, offset, staging, 0, 4 * n);
  device.queue.submit([enc.finish()]);
  await staging.mapAsync(1);
  const out = new Float32Array(staging.getMappedRange().slice(0));
  staging.destroy();
  return out;
}

/** A caller's buffer holding `data` at byte `offset`, with `slack` spare bytes after it. */
function callerBuffer(device: GPUDevice, data: Float32Array<ArrayBuffer>, offset: number, slack: number): GPUBuffer {
  const buffer = device.createBuffer({ size: Math.max(4, offset + data.byteLength + slack), usage: STORAGE | COPY_SRC | COPY_DST });
  if (data.length > 0) device.queue.writeBuffer(buffer, offset, data);
  return buffer;
}

async function holds(gpu: Activations, cpu: Activations, c: PropertyCase): Promise<void> {
  const spec = specs.find((s) => s.op === c.op)!;
  const def = getOp(c.op);
  const attrs: AttrValues = spec.attrSets[c.attrSet % spec.attrSets.length]!;
  const op = c.op as OpName;
  const x = inputs(c.length, c.seed, c.specialRate);
  const dy = inputs(c.length, c.seed + 1, c.specialRate);
  const [xo, yo, dyo] = c.offsets.map((o) => o * 4) as [number, number, number];
  const slack = c.slack * 4;
  const device = gpu.device!;
  const n = c.length;

  // CPU backend.
  const cx = cpu.tensor(x);
  const cy = cpu.forward(op, cx, attrs as never);
  const cdy = cpu.tensor(dy);
  const cdx = cpu.backward(op, { ...(def.backwardFrom === 'y' ? { y: cy } : { x: cx }), dy: cdy }, attrs as never);
  const [yCpu, dxCpu] = await Promise.all([cy.read(), cdx.read()]);

  // GPU, on caller buffers at the given offsets.
  const xBuf = callerBuffer(device, x, xo, slack);
  const dyBuf = callerBuffer(device, dy, dyo, slack);
  const yBuf = callerBuffer(device, new Float32Array(n), yo, slack);
  const dxBuf = callerBuffer(device, new Float32Array(n), yo, slack);
  const view = (buffer: GPUBuffer, offset: number) => ({ buffer, offset, length: n });
  gpu.forwardInto(op, { x: view(xBuf, xo), y: view(yBuf, yo) }, attrs as never);
  const saved = def.backwardFrom === 'y' ? { y: view(yBuf, yo) } : { x: view(xBuf, xo) };
  gpu.backwardInto(op, { ...saved, dy: view(dyBuf, dyo), dx: view(dxBuf, yo) }, attrs as never);
  const [yGpu, dxGpu] = await Promise.all([readBuffer(device, yBuf, yo, n), readBuffer(device, dxBuf, yo, n)]);
  for (const b of [xBuf, dyBuf, yBuf, dxBuf]) b.destroy();

  const label = `${op} n=${n} offsets ${xo}/${yo}/${dyo}`;
  const fw = bound(op, 'forward');
  const bw = bound(op, 'backward');
  if (fw === 'exact' && bw === 'exact') {
    check(`${label} forward: GPU vs CPU`, yGpu, Array.from(yCpu), bitsOf(yCpu), { x }, 'exact');
    check(`${label} backward: GPU vs CPU`, dxGpu, Array.from(dxCpu), bitsOf(dxCpu), { x, dy }, 'exact');
  } else {
    const y64 = Array.from(x, (v) => spec.forward(v, attrs));
    check(`${label} forward (GPU)`, yGpu, y64, bitsOf(x), { x }, fw);
    check(`${label} forward (CPU)`, yCpu, y64, bitsOf(x), { x }, fw);
    const grad = (saved: Float32Array) => Array.from(saved, (s, i) => spec.backward(s, dy[i]!, attrs));
    check(`${label} backward (GPU)`, dxGpu, grad(def.backwardFrom === 'y' ? yGpu : x), bitsOf(dy), { x, dy }, bw);
    check(`${label} backward (CPU)`, dxCpu, grad(def.backwardFrom === 'y' ? yCpu : x), bitsOf(dy), { x, dy }, bw);
  }
  for (const t of [cx, cy, cdy, cdx]) t.dispose();
}

export const propertyCases: readonly ConformanceCase[] = [
  {
    name: 'GPU equals CPU as properties: random ops, attributes, lengths, offsets and values (fast-check)',
    gpuOnly: true,
    async run({ acts }) {
      const cpu = await createActivations({ backend: 'cpu' });
      for (const c of regressions) await holds(acts, cpu, c);
      let ran = 0;
      let longest = 0;
      await fc.assert(
        fc.asyncProperty(arbCase, async (c) => {
          ran++;
          longest = Math.max(longest, c.length);
          await holds(acts, cpu, c);
        }),
        { numRuns: RUNS, seed: SEED, endOnFailure: false },
      );
      console.log(`[property] ${regressions.length} regressions + ${ran} generated cases, longest ${longest} elements`);
      assert(ran >= RUNS, `only ${ran} cases ran`);
      cpu.dispose();
    },
  },
];
