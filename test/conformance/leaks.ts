// The leak check as a conformance case, so it runs on every WebGPU stack (Dawn and its
// compatibility mode, Chromium, Deno): an instance on the suite's device behind a wrapper that
// counts buffers runs mixed cycles of ops, layers, PReLU/maxout and f16, then is disposed, and
// nothing it made may be left alive. The long runs (100,000 cycles and more) are Node's
// test/gpu/reliability.test.ts; this one is short enough for every stack.
import { createActivations, GpuOperationError, type Activations, type Tensor } from '../../src/index.js';
import { halfToF32Bits } from '../../src/numerics/half.js';
import { poolBucket } from '../../src/gpu/pool.js';
import { FAIL_AT_BYTES, failingDevice } from '../helpers/failing-device.js';
import { assert, expectBits } from '../helpers/compare.js';
import { countingDevice } from '../helpers/counting-device.js';
import { bitsOf, floatsFromBits, rng, uniformFloats } from '../helpers/float.js';
import { reluReference } from '../helpers/reference.js';
import type { ConformanceCase } from './relu.js';

const UNIFORM = 0x40;
const CYCLES = 1500;

async function cycle(acts: Activations, next: () => number, i: number): Promise<void> {
  const rows = 1 + Math.floor(next() * 40);
  const units = 1 + Math.floor(next() * 12);
  const n = rows * units;
  const data = uniformFloats(n, i, 3);
  const x = acts.tensor(data, [rows, units]);
  const dy = acts.tensor(uniformFloats(n, i + 1, 2), [rows, units]);
  switch (i % 6) {
    case 0: {
      const y = acts.forward('relu', x);
      if (i % 60 === 0) expectBits(`cycle ${i}: relu`, await y.read(), reluReference(data), { x: data });
      acts.backward('gelu', { x, dy }).dispose();
      y.dispose();
      break;
    }
    case 1: {
      const layer = acts.layer('relu', {}, { telemetry: true });
      const b = acts.tensor(uniformFloats(units, i + 2, 1));
      layer.forwardBias(x, b).dispose();
      const { dx, db } = layer.backwardBias(dy);
      if (i % 60 === 1) await layer.readActivity();
      for (const t of [dx, db, b]) t.dispose();
      layer.dispose();
      break;
    }
    case 2: {
      const layer = acts.layer('sigmoid');
      layer.forward(x).dispose(); // keeps y: released by dispose without a backward
      layer.dispose();
      const pending = acts.layer('leakyRelu');
      pending.forward(x).dispose(); // a mask left pending: the instance's dispose must free it
      break;
    }
    case 3: {
      const alpha = acts.tensor(uniformFloats(units, i + 3, 0.5));
      const y = acts.prelu(x, alpha, { axis: -1 });
      const { dx, dalpha } = acts.preluBackward({ x, alpha, dy }, { axis: -1 });
      for (const t of [alpha, y, dx, dalpha]) t.dispose();
      break;
    }
    case 4: {
      const m = acts.maxout(x, { pieces: 1 + (units % 2 === 0 ? 1 : 0) });
      const mdy = acts.tensor(uniformFloats(m.length, i + 4, 1), m.shape);
      acts.maxoutBackward({ x, dy: mdy }, { pieces: m.shape[1] === units ? 1 : 2 }).dispose();
      m.dispose();
      mdy.dispose();
      break;
    }
    default: {
      const h = acts.tensor(Uint16Array.from({ length: n }, (_, k) => (k * 2654435761) & 0xffff));
      const y = acts.forward('tanh', h);
      // The dy, slope and prelu output made inline are left to the instance's dispose().
      acts.backward('tanh', { y, dy: acts.tensor(Uint16Array.from({ length: n }, () => 0x3c00)) }).dispose();
      acts.maxout(acts.prelu(h, acts.tensor(new Uint16Array(1).fill(0x3400))), { pieces: 1 }).dispose();
      y.dispose();
      h.dispose();
    }
  }
  x.dispose();
  dy.dispose();
}

/** A tensor's values as f32s: f16 halves widened exactly, to compare with expectBits. */
async function valuesOf(t: Tensor<'f32'> | Tensor<'f16'>): Promise<Float32Array> {
  const v = await t.read();
  return v instanceof Uint16Array ? floatsFromBits(Uint32Array.from(v, halfToF32Bits)) : v;
}

export const leakCases: readonly ConformanceCase[] = [
  {
    name: 'pool: tensors of near sizes reuse one pooled buffer (size classes under 25% apart); each reads back its own length, equal to the CPU backend',
    gpuOnly: true,
    async run({ acts: shared, create }) {
      const { device, counts } = countingDevice(shared.device!);
      const acts = await create({ device });
      const cpu = await createActivations({ backend: 'cpu' });
      const pooled = () => counts.live().filter((b) => !(b.usage & UNIFORM));
      let groups = 0;
      // 3585 to 4096 bytes are one class (897 to 1024 f32s), 1,048,577 to 1,310,720 bytes another.
      for (const { sizes, bytes } of [
        { sizes: [1000, 990, 1023, 900, 1017, 961], bytes: 4096 },
        { sizes: [300_000, 262_200, 327_680, 290_001], bytes: 1_310_720 },
      ]) {
        for (const n of sizes) {
          const data = uniformFloats(n, n, 3);
          const x = acts.tensor(data);
          const y = acts.forward('relu', x);
          const want = cpu.forward('relu', cpu.tensor(data));
          expectBits(`relu over ${n} elements`, await y.read(), bitsOf(await want.read()), { x: data });
          assert(y.length === n && x.gpuBuffer.length === n, `tensor lengths ${x.gpuBuffer.length}, ${y.length}: expected ${n}`);
          for (const t of [x, y, want]) t.dispose();
        }
        // x, y and the readback's staging buffer were made for the first size; every later size
        // took those three from the pool again, and nothing else waits there.
        const classes = pooled().map((b) => b.size);
        assert(
          classes.filter((size) => size === bytes).length === 3 && classes.length === 3 * ++groups && counts.destroyed === 0,
          `after ${sizes.join(', ')} elements the pool holds buffers of ${classes.join(', ')} bytes (${counts.destroyed} destroyed), not 3 more of ${bytes}`,
        );
      }
      // Kernels that bind our buffers whole (PReLU, maxout, f16) on pooled buffers larger than
      // their tensors, whose bytes past the end hold NaNs left by a tensor of the whole class.
      for (const [rows, units] of [
        [97, 10],
        [31, 33],
        [250, 4],
      ] as const) {
        const n = rows * units;
        for (let k = 0; k < 2; k++) {
          acts.tensor(new Float32Array(poolBucket(4 * n) / 4).fill(NaN)).dispose();
          acts.tensor(new Uint16Array(poolBucket(4 * Math.ceil(n / 2)) / 2).fill(0x7e01)).dispose();
        }
        const data = uniformFloats(n, n, 4);
        const slopes = uniformFloats(units, n + 1, 0.5);
        const halves = Uint16Array.from({ length: n }, (_, k) => (k * 2654435761) & 0xffff);
        const run = (a: Activations) => {
          const x = a.tensor(data, [rows, units]);
          const alpha = a.tensor(slopes);
          const h = a.tensor(halves);
          const outputs = [a.prelu(x, alpha, { axis: -1 }), a.maxout(x, { pieces: units % 2 === 0 ? 2 : 1 }), a.forward('relu', h)];
          return { outputs, all: [x, alpha, h, ...outputs] };
        };
        const gpu = run(acts);
        const ref = run(cpu);
        for (const [k, name] of ['prelu', 'maxout', 'f16 relu'].entries()) {
          const want = bitsOf(await valuesOf(ref.outputs[k]!));
          expectBits(`${name} [${rows}, ${units}] on pooled buffers`, await valuesOf(gpu.outputs[k]!), want, { x: data });
        }
        for (const t of [...gpu.all, ...ref.all]) t.dispose();
      }
      acts.dispose();
      cpu.dispose();
      assert(pooled().length === 0, `${pooled().length} buffers left alive after dispose`);
    },
  },
  {
    name: `leaks: ${CYCLES} mixed cycles (ops, layers with masks and telemetry, fused bias, prelu, maxout, f16) leave nothing alive after dispose`,
    gpuOnly: true,
    async run({ acts: shared, create }) {
      const { device, counts } = countingDevice(shared.device!);
      const acts = await create({ device });
      const next = rng(0x1ea5);
      for (let i = 0; i < CYCLES; i++) await cycle(acts, next, i);
      const before = counts.live().filter((b) => !(b.usage & UNIFORM)).length;
      acts.dispose();
      await shared.device!.queue.onSubmittedWorkDone();
      const left = counts.live().filter((b) => !(b.usage & UNIFORM));
      console.log(
        `[leaks] ${CYCLES} cycles: ${counts.created} buffers created, ${before} non-uniform live before dispose, ${left.length} after`,
      );
      assert(left.length === 0, `buffers left alive after dispose: ${left.map((b) => b.label).join(', ')}`);
      assert(counts.live().length <= 1024, `${counts.live().length} uniforms live, more than the params cache's 1024`);
      // Thousands of tensors were made; the pool reuses most buffers, but the wrapper saw them made.
      assert(counts.created > CYCLES, `only ${counts.created} buffers were created: the wrapper did not see the allocations`);
    },
  },
  {
    name: 'out of memory: an allocation the device cannot make rejects the next read with GpuOperationError (kind out-of-memory) naming it, then work goes on',
    gpuOnly: true,
    async run({ acts: shared, create }) {
      const acts = await create({ device: failingDevice(shared.device!) });
      const big = acts.tensor(new Float32Array(FAIL_AT_BYTES / 4)); // exactly the failing size
      const small = acts.tensor([1, -2, 3]);
      const y = acts.forward('relu', small);
      const error = await y.read().then(
        () => undefined,
        (e: unknown) => e,
      );
      assert(error instanceof GpuOperationError, `expected a GpuOperationError, got ${String(error)}`);
      assert(error.kind === 'out-of-memory', `kind ${error.kind}`);
      assert(error.label.includes(`allocating ${FAIL_AT_BYTES} bytes`), `label ${error.label}`);
      assert(error.message.includes('out of memory'), error.message);
      const again = Array.from(await y.read());
      assert(again.join() === '1,0,3', `after the error, relu([1, -2, 3]) reads ${again.join()}`);
      const x = acts.tensor(new Float32Array(FAIL_AT_BYTES / 8).fill(-1)); // half: fine
      const ok = acts.forward('relu', x);
      assert(
        (await ok.read()).every((v) => v === 0),
        'relu of -1s',
      );
      const big2 = acts.forward('relu', acts.tensor(new Float32Array(FAIL_AT_BYTES / 4 + 4))); // input and output fail
      let rejected = false;
      await ok.read().catch((e: unknown) => (rejected = e instanceof GpuOperationError));
      assert(rejected, 'the failed allocations inside an op reject the next read');
      assert(
        (await ok.read()).every((v) => v === 0),
        'no stale or partial data after the error',
      );
      for (const t of [big, small, y, x, ok, big2]) t.dispose();
      acts.dispose();
    },
  },
];
