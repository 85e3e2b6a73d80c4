// The ReLU conformance suite. One list of cases; the CPU runner, the Node/Dawn runner and the
// headless-Chromium page all run it, so every backend meets the same spec.
import {
  DeviceLostError,
  DisposedError,
  ForeignTensorError,
  InvalidArgumentError,
  ShapeMismatchError,
  UnknownOpError,
  type Activations,
  type Tuning,
} from '../../src/index.js';
import { assert, expectBits, expectError } from '../helpers/compare.js';
import { SPECIAL_BITS, bitsOf, floatsFromBits, randomFloats, uniformFloats } from '../helpers/float.js';
import { reluGradReference, reluReference } from '../helpers/reference.js';

export interface ConformanceContext {
  readonly kind: 'cpu' | 'webgpu';
  /** An instance shared by the cases that need nothing special. */
  readonly acts: Activations;
  /** A fresh instance; tuning and device apply to WebGPU. */
  readonly create: (options?: { tuning?: Tuning; device?: GPUDevice }) => Promise<Activations>;
  /** WebGPU only: where to request extra devices. */
  readonly gpu?: GPU;
}

export interface ConformanceCase {
  readonly name: string;
  /** Needs GPU buffers or devices: WebGPU runners only. */
  readonly gpuOnly?: boolean;
  /** About the CPU backend alone: the CPU runner only. */
  readonly cpuOnly?: boolean;
  run(ctx: ConformanceContext): Promise<void>;
}

const STORAGE = 0x80;
const COPY_SRC = 0x04;
const COPY_DST = 0x08;
const MAP_READ = 0x01;

async function checkForward(acts: Activations, x: Float32Array, label: string): Promise<void> {
  const tx = acts.tensor(x);
  const y = acts.forward('relu', tx);
  expectBits(`${label} forward`, await y.read(), reluReference(x), { x });
  tx.dispose();
  y.dispose();
}

async function checkBackward(acts: Activations, x: Float32Array, dy: Float32Array, label: string): Promise<void> {
  const tx = acts.tensor(x);
  const tdy = acts.tensor(dy);
  const dx = acts.backward('relu', { x: tx, dy: tdy });
  expectBits(`${label} backward`, await dx.read(), reluGradReference(x, dy), { x, dy });
  for (const t of [tx, tdy, dx]) t.dispose();
}

/** Reads a caller's buffer range through our own staging copy. */
async function readBuffer(device: GPUDevice, buffer: GPUBuffer, bytes: number): Promise<Float32Array> {
  const staging = device.createBuffer({ size: bytes, usage: MAP_READ | COPY_DST });
  const enc = device.createCommandEncoder();
  enc.copyBufferToBuffer(buffer, 0, staging, 0, bytes);
  device.queue.submit([enc.finish()]);
  await staging.mapAsync(1);
  const out = new Float32Array(staging.getMappedRange().slice(0));
  staging.unmap();
  staging.destroy();
  return out;
}

const LENGTHS = [0, 1, 3, 4, 5, 255, 256, 257];
const MANY_GROUPS = 65535 * 64 + 1;

export const reluCases: readonly ConformanceCase[] = [
  {
    name: 'forward: special values are bit-exact (NaN payloads, -0 -> +0, subnormals, infinities)',
    async run({ acts }) {
      await checkForward(acts, floatsFromBits(SPECIAL_BITS), 'special values');
    },
  },
  {
    name: 'backward: every special x against every special dy (gradient 0 at x = 0, dy at NaN)',
    async run({ acts }) {
      const n = SPECIAL_BITS.length;
      const xb: number[] = [];
      const db: number[] = [];
      for (const a of SPECIAL_BITS) {
        for (const b of SPECIAL_BITS) {
          xb.push(a);
          db.push(b);
        }
      }
      assert(xb.length === n * n, 'pairs');
      await checkBackward(acts, floatsFromBits(xb), floatsFromBits(db), 'special pairs');
    },
  },
  {
    name: `lengths ${LENGTHS.join(', ')}: forward and backward against the float64 reference`,
    async run({ acts }) {
      for (const n of LENGTHS) {
        await checkForward(acts, randomFloats(n, 100 + n), `length ${n}`);
        await checkBackward(acts, randomFloats(n, 200 + n), randomFloats(n, 300 + n), `length ${n}`);
      }
    },
  },
  {
    name: 'random values over every exponent (100003 elements), forward and backward',
    async run({ acts }) {
      await checkForward(acts, randomFloats(100003, 7), 'random');
      await checkBackward(acts, randomFloats(100003, 8), randomFloats(100003, 9), 'random');
    },
  },
  {
    name: `length 65535 * 64 + 1 (${MANY_GROUPS}) with the default kernels`,
    async run({ acts }) {
      await checkForward(acts, randomFloats(MANY_GROUPS, 11), 'long');
      await checkBackward(acts, randomFloats(MANY_GROUPS, 12), randomFloats(MANY_GROUPS, 13), 'long');
    },
  },
  {
    name: 'gradient equals a central finite difference away from the kink',
    async run({ acts }) {
      const n = 4096;
      const x = uniformFloats(n, 21, 5).map((v) => (Math.abs(v) > 1e-3 ? v : 0.5));
      const dy = uniformFloats(n, 22, 3);
      const tx = acts.tensor(x);
      const tdy = acts.tensor(dy);
      const dx = await acts.backward('relu', { x: tx, dy: tdy }).read();
      const f = (v: number) => (v > 0 ? v : 0);
      const h = 1e-4;
      for (let i = 0; i < n; i++) {
        const numeric = ((f(x[i]! + h) - f(x[i]! - h)) / (2 * h)) * dy[i]!;
        assert(
          Math.abs(dx[i]! - numeric) <= 1e-6 * Math.max(1, Math.abs(numeric)),
          `x=${x[i]} dy=${dy[i]}: dx ${dx[i]}, finite difference ${numeric}`,
        );
      }
      tx.dispose();
      tdy.dispose();
    },
  },
  {
    name: 'tensors keep their shape; dispose twice is a no-op; read after dispose rejects',
    async run({ acts }) {
      const x = acts.tensor([-1, 2, -3, 4, 5, -6], [2, 3]);
      const y = acts.forward('relu', x);
      assert(y.shape.join() === '2,3' && y.length === 6 && y.dtype === 'f32', `shape ${y.shape.join()}`);
      assert(y.backend === acts.backend, 'backend');
      assert([...(await y.read())].join() === '0,2,0,4,5,0', 'values');
      y.dispose();
      y.dispose();
      assert(y.disposed, 'disposed flag');
      await expectError(() => y.read(), DisposedError, 'tensor');
      x.dispose();
    },
  },
  {
    name: 'bad input: typed errors that name the argument',
    async run({ acts, create }) {
      const x = acts.tensor([1, 2, 3, 4, 5, 6], [2, 3]);
      const unknown = (await expectError(() => acts.forward('rleu' as 'relu', x), UnknownOpError, 'op')) as UnknownOpError;
      assert(unknown.validNames.includes('relu') && unknown.message.includes("'relu'"), unknown.message);
      const dy = acts.tensor([1, 2, 3, 4, 5, 6], [3, 2]);
      await expectError(() => acts.backward('relu', { x, dy }), ShapeMismatchError, 'dy');
      const short = acts.tensor([1, 2, 3]);
      await expectError(() => acts.backward('relu', { x, dy: short }), ShapeMismatchError, 'dy');
      await expectError(() => acts.forward('relu', [1, 2] as never), InvalidArgumentError, 'x');
      for (const [shape, arg] of [
        [[2, Number.NaN], 'shape[1]'],
        [[-2, -3], 'shape[0]'],
        [[1.5, 4], 'shape[0]'],
        [[2, Infinity], 'shape[1]'],
        [[4, 2], 'shape'],
      ] as const) {
        await expectError(() => acts.tensor([1, 2, 3, 4, 5, 6], shape), InvalidArgumentError, arg);
      }
      await expectError(() => acts.tensor('123' as never), InvalidArgumentError, 'data');
      const other = await create();
      const foreign = other.tensor([1, 2, 3, 4, 5, 6], [2, 3]);
      await expectError(() => acts.forward('relu', foreign), ForeignTensorError, 'x');
      await expectError(() => acts.backward('relu', { x, dy: foreign }), ForeignTensorError, 'dy');
      other.dispose();
      await expectError(() => other.forward('relu', foreign), DisposedError, 'acts');
      await expectError(() => foreign.read(), DisposedError, 'tensor');
      const gone = acts.tensor([1]);
      gone.dispose();
      await expectError(() => acts.forward('relu', gone), DisposedError, 'x');
      for (const t of [x, dy, short]) t.dispose();
    },
  },
  {
    name: 'a CPU tensor given to a WebGPU instance is refused',
    gpuOnly: true,
    async run({ acts }) {
      const { createActivations } = await import('../../src/index.js');
      const cpu = await createActivations({ backend: 'cpu' });
      const t = cpu.tensor([1, 2]);
      const e = await expectError(() => acts.forward('relu', t), ForeignTensorError, 'x');
      assert(e.message.includes('cpu'), e.message);
      cpu.dispose();
    },
  },
  {
    name: "caller's buffers at byte offsets, encoded into the caller's encoder: nothing runs until they submit",
    gpuOnly: true,
    async run({ acts }) {
      const device = acts.device!;
      const n = 1001;
      const x = randomFloats(n, 31);
      // x starts 20 bytes into its buffer, y 8 bytes into a buffer filled with a sentinel.
      const xBuf = device.createBuffer({ size: 20 + 4 * n + 12, usage: STORAGE | COPY_DST });
      device.queue.writeBuffer(xBuf, 20, x);
      const ySize = 8 + 4 * n + 8;
      const yBuf = device.createBuffer({ size: ySize, usage: STORAGE | COPY_SRC | COPY_DST });
      const sentinel = new Float32Array(ySize / 4).fill(-7.25);
      device.queue.writeBuffer(yBuf, 0, sentinel);
      const enc = device.createCommandEncoder();
      acts.forwardInto(
        'relu',
        { x: { buffer: xBuf, offset: 20, length: n }, y: { buffer: yBuf, offset: 8, length: n } },
        {},
        { encoder: enc },
      );
      const before = await readBuffer(device, yBuf, ySize);
      assert(
        before.every((v) => v === -7.25),
        'the output changed before the caller submitted: work was submitted by us',
      );
      device.queue.submit([enc.finish()]);
      const after = await readBuffer(device, yBuf, ySize);
      expectBits('caller buffers', after.subarray(2, 2 + n), reluReference(x), { x });
      assert(
        after[0] === -7.25 && after[1] === -7.25 && after[n + 2] === -7.25 && after[n + 3] === -7.25,
        'bytes outside the view were written',
      );
      // The same without an encoder: we submit.
      const dy = randomFloats(n, 32);
      const dyBuf = device.createBuffer({ size: 4 * n + 4, usage: STORAGE | COPY_DST });
      device.queue.writeBuffer(dyBuf, 4, dy);
      const dx = acts.tensor(new Float32Array(n));
      acts.backwardInto('relu', { x: { buffer: xBuf, offset: 20, length: n }, dy: { buffer: dyBuf, offset: 4, length: n }, dx });
      expectBits('caller buffers backward', await dx.read(), reluGradReference(x, dy), { x, dy });
      for (const b of [xBuf, yBuf, dyBuf]) b.destroy();
      dx.dispose();
    },
  },
  {
    name: 'bad caller buffers: no STORAGE usage, unaligned offset, past the end, overlapping output',
    gpuOnly: true,
    async run({ acts }) {
      const device = acts.device!;
      const plain = device.createBuffer({ size: 64, usage: COPY_DST });
      const good = device.createBuffer({ size: 64, usage: STORAGE | COPY_DST });
      const y = { buffer: good, offset: 0, length: 4 };
      await expectError(() => acts.forwardInto('relu', { x: { buffer: plain, length: 4 }, y }), InvalidArgumentError, 'x.buffer');
      await expectError(() => acts.forwardInto('relu', { x: { buffer: good, offset: 2, length: 4 }, y }), InvalidArgumentError, 'x.offset');
      await expectError(
        () => acts.forwardInto('relu', { x: { buffer: good, offset: 56, length: 4 }, y }),
        InvalidArgumentError,
        'x.length',
      );
      await expectError(() => acts.forwardInto('relu', { x: { buffer: good, offset: 8, length: 4 }, y }), InvalidArgumentError, 'y');
      await expectError(() => acts.forwardInto('relu', { x: { buffer: good, offset: 16, length: 3 }, y }), ShapeMismatchError, 'y');
      await expectError(
        () => acts.forwardInto('relu', { x: { buffer: good, offset: 16, length: 4 }, y }, {}, { encoder: {} as GPUCommandEncoder }),
        InvalidArgumentError,
        'options.encoder',
      );
      plain.destroy();
      good.destroy();
    },
  },
  {
    name: 'more than 65535 workgroups: the 2-D grid (scalar kernel, 64 per workgroup)',
    gpuOnly: true,
    async run({ create }) {
      const acts = await create({ tuning: { workgroupSize: 64, vectorize: false } });
      assert(Math.ceil(MANY_GROUPS / 64) > acts.device!.limits.maxComputeWorkgroupsPerDimension, 'the case must exceed one dimension');
      await checkForward(acts, randomFloats(MANY_GROUPS, 41), '2-D grid');
      await checkBackward(acts, randomFloats(MANY_GROUPS, 42), randomFloats(MANY_GROUPS, 43), '2-D grid');
      acts.dispose();
    },
  },
  {
    name: 'chunks: operands longer than one binding (lowered to 4 KiB), at misaligned offsets',
    gpuOnly: true,
    async run({ create }) {
      const acts = await create({ tuning: { maxBindingBytes: 4096 } });
      const device = acts.device!;
      for (const [n, xOff, yOff] of [
        [5003, 0, 0],
        [5003, 16, 48],
        [4999, 4, 12],
      ] as const) {
        const x = randomFloats(n, n + xOff);
        const dy = randomFloats(n, n + yOff);
        const xBuf = device.createBuffer({ size: xOff + 4 * n, usage: STORAGE | COPY_DST });
        device.queue.writeBuffer(xBuf, xOff, x);
        const tdy = acts.tensor(dy);
        const y = acts.tensor(new Float32Array(n + yOff / 4));
        const view = { buffer: y.gpuBuffer.buffer, offset: yOff, length: n };
        acts.forwardInto('relu', { x: { buffer: xBuf, offset: xOff, length: n }, y: view });
        expectBits(`chunked forward n=${n} offsets ${xOff}/${yOff}`, (await y.read()).subarray(yOff / 4), reluReference(x), { x });
        acts.backwardInto('relu', { x: { buffer: xBuf, offset: xOff, length: n }, dy: tdy, dx: view });
        expectBits(`chunked backward n=${n} offsets ${xOff}/${yOff}`, (await y.read()).subarray(yOff / 4), reluGradReference(x, dy), {
          x,
          dy,
        });
        xBuf.destroy();
      }
      acts.dispose();
    },
  },
  {
    name: "crosses the device's real maxStorageBufferBindingSize (a device with default limits)",
    gpuOnly: true,
    async run({ gpu, create }) {
      const adapter = await gpu!.requestAdapter();
      assert(adapter, 'no adapter');
      const device = await adapter.requestDevice();
      const limit = device.limits.maxStorageBufferBindingSize;
      const n = limit / 4 + 4099;
      assert(4 * n <= device.limits.maxBufferSize, `n=${n} does not fit maxBufferSize`);
      const acts = await create({ device });
      const x = randomFloats(n, 51);
      const tx = acts.tensor(x);
      const y = acts.forward('relu', tx);
      expectBits(`beyond ${limit} bytes forward`, await y.read(), reluReference(x), { x });
      y.dispose();
      const dx = acts.backward('relu', { x: tx, dy: tx });
      expectBits(`beyond ${limit} bytes backward`, await dx.read(), reluGradReference(x, x), { x });
      acts.dispose();
      device.destroy();
    },
  },
  {
    name: 'a borrowed device is never destroyed by dispose()',
    gpuOnly: true,
    async run({ gpu, create }) {
      const device = await (await gpu!.requestAdapter())!.requestDevice();
      const first = await create({ device });
      first.tensor([1, 2]);
      first.dispose();
      const second = await create({ device });
      await checkForward(second, floatsFromBits(SPECIAL_BITS), 'after a borrowed dispose');
      let lost = false;
      void device.lost.then(() => (lost = true));
      await new Promise((r) => setTimeout(r, 10));
      assert(!lost, 'the borrowed device was destroyed');
      second.dispose();
      device.destroy();
    },
  },
  {
    name: 'device loss: a read in flight and later calls reject with DeviceLostError',
    gpuOnly: true,
    async run({ create }) {
      const acts = await create();
      const x = acts.tensor(randomFloats(4096, 61));
      const y = acts.forward('relu', x);
      const pending = y.read();
      acts.device!.destroy();
      await expectError(() => pending, DeviceLostError);
      await new Promise((r) => setTimeout(r, 0));
      await expectError(() => acts.forward('relu', x), DeviceLostError);
      await expectError(() => x.read(), DeviceLostError);
      acts.dispose();
    },
  },
  {
    name: 'device loss: an instance that owns its device recovers with a new one; old tensors fail clearly',
    gpuOnly: true,
    async run({ create }) {
      const acts = await create();
      const lostDevice = acts.device!;
      const old = acts.tensor([1, -2, 3]);
      lostDevice.destroy();
      await lostDevice.lost;
      await acts.ready();
      assert(acts.backend === 'webgpu' && acts.device !== lostDevice, 'no new device after the loss');
      await expectError(() => acts.forward('relu', old), DeviceLostError);
      await expectError(() => old.read(), DeviceLostError);
      await checkForward(acts, floatsFromBits(SPECIAL_BITS), 'after recovery');
      acts.dispose();
    },
  },
  {
    name: 'device loss: a borrowed device is reported, never replaced',
    gpuOnly: true,
    async run({ gpu, create }) {
      const device = await (await gpu!.requestAdapter())!.requestDevice();
      const acts = await create({ device });
      device.destroy();
      await device.lost;
      await expectError(() => acts.ready(), DeviceLostError);
      assert(acts.device === device, 'a borrowed device was replaced');
      await expectError(() => acts.tensor([1]), DeviceLostError);
      acts.dispose();
    },
  },
  {
    name: 'in place: y over exactly x, dx over exactly dy, equal to out of place; partial overlaps refused',
    async run({ acts }) {
      for (const op of ['relu', 'sigmoid'] as const) {
        const x = randomFloats(5003, 71);
        const dy = randomFloats(5003, 72);
        const expectedY = await acts.forward(op, acts.tensor(x)).read();
        const t = acts.tensor(x);
        acts.forwardInto(op, { x: t, y: t });
        expectBits(`${op} forward in place`, await t.read(), bitsOf(expectedY), { x });
        const saved = op === 'relu' ? { x: acts.tensor(x) } : { y: acts.tensor(expectedY) };
        const expectedDx = await acts.backward(op, { ...saved, dy: acts.tensor(dy) }).read();
        const g = acts.tensor(dy);
        acts.backwardInto(op, { ...saved, dy: g, dx: g });
        expectBits(`${op} backward in place`, await g.read(), bitsOf(expectedDx), { x, dy });
        await expectError(
          () => acts.backwardInto(op, { ...saved, dy: acts.tensor(dy), dx: Object.values(saved)[0]! }),
          InvalidArgumentError,
          'dx',
        );
      }
    },
  },
  {
    name: "in place on a caller's buffer at an unaligned offset, in the caller's encoder",
    gpuOnly: true,
    async run({ acts }) {
      const device = acts.device!;
      const n = 1027;
      const x = randomFloats(n, 73);
      const buffer = device.createBuffer({ size: 4 * (n + 3), usage: STORAGE | COPY_SRC | COPY_DST });
      device.queue.writeBuffer(buffer, 12, x);
      const view = { buffer, offset: 12, length: n };
      const enc = device.createCommandEncoder();
      acts.forwardInto('relu', { x: view, y: view }, {}, { encoder: enc });
      device.queue.submit([enc.finish()]);
      const all = await readBuffer(device, buffer, 4 * (n + 3));
      expectBits('in place at offset 12', all.subarray(3), reluReference(x), { x });
      buffer.destroy();
    },
  },
];
