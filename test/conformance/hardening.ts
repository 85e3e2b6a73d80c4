// Refused calls leave no trace: the state a layer kept is still there after a refused forward,
// and the temporary copies of views a refused layer call made are freed. Runs on every backend.
import { GpuOperationError, InvalidArgumentError, ShapeMismatchError, type Activations } from '../../src/index.js';
import { assert, expectBits, expectError } from '../helpers/compare.js';
import { bitsOf, randomFloats } from '../helpers/float.js';
import { countingDevice } from '../helpers/counting-device.js';
import { readBuffer } from './properties.js';
import type { ConformanceCase } from './relu.js';

const UNIFORM = 0x40;
const STORAGE = 0x80;
const COPY_SRC = 0x04;
const COPY_DST = 0x08;

/**
 * relu from a view of `buffer` (one WebGPU cannot vouch for) into a tensor of 7s: the next read
 * rejects with GpuOperationError, never the stale 7s, and the instance goes on working.
 */
async function expectRefusedView(acts: Activations, buffer: GPUBuffer): Promise<void> {
  const y = acts.tensor([7, 7, 7, 7]);
  acts.forwardInto('relu', { x: { buffer, length: 4 }, y });
  await expectError(() => y.read(), GpuOperationError);
  const z = acts.forward('relu', acts.tensor([-1, 1]));
  const got = [...(await z.read())];
  assert(got.join() === '0,1', `relu after the failed call: ${got.join()}`);
}

export const hardeningCases: readonly ConformanceCase[] = [
  {
    name: "refused: a layer's second forward that is refused keeps the first forward's mask for backward",
    async run({ acts }) {
      const layer = acts.layer('relu');
      const x = acts.tensor([-1, 2, -3, 4]);
      const y = layer.forward(x);
      await expectError(() => layer.forward(acts.tensor(new Uint16Array([0x3c00])) as never), InvalidArgumentError, 'x');
      const dx = layer.backward(acts.tensor([10, 20, 30, 40]));
      const got = [...(await dx.read())];
      assert(got.join() === '0,20,0,40', `dx after a refused forward: ${got.join()}, expected 0,20,0,40`);
      const fused = acts.layer('relu');
      const h = fused.forwardBias(acts.tensor([1, -5, 3, -7], [2, 2]), acts.tensor([0.5, 1]));
      await expectError(() => fused.forwardBias(acts.tensor([1, 2, 3, 4], [2, 2]), acts.tensor([1, 2, 3])), ShapeMismatchError, 'b');
      const { dx: dz, db } = fused.backwardBias(acts.tensor([1, 1, 1, 1], [2, 2]));
      const [dzv, dbv] = [[...(await dz.read())], [...(await db.read())]];
      assert(dzv.join() === '1,0,1,0' && dbv.join() === '2,0', `after a refused forwardBias: dz ${dzv.join()}, db ${dbv.join()}`);
      for (const t of [x, y, dx, h, dz, db]) t.dispose();
      layer.dispose();
      fused.dispose();
    },
  },
  {
    name: 'refused: a layer call whose bias is refused after its view was copied leaves no copy alive',
    gpuOnly: true,
    async run({ acts: shared, create }) {
      const { device, counts } = countingDevice(shared.device!);
      // No pool: a freed copy is destroyed at once, so every buffer alive is one still held.
      const acts = await create({ device, tuning: { poolBytes: 0 } });
      const live = () => counts.live().filter((b) => !(b.usage & UNIFORM)).length;
      const buffer = device.createBuffer({ size: 64, usage: STORAGE | COPY_SRC | COPY_DST });
      const layer = acts.layer('relu');
      const before = live();
      await expectError(() => layer.forwardBias({ buffer, length: 4, shape: [2, 2] }, acts.tensor([1, 2, 3])), ShapeMismatchError, 'b');
      await expectError(
        () => layer.forwardBias({ buffer, length: 4, shape: [2, 2] }, { buffer, length: 3, offset: 2 }),
        InvalidArgumentError,
        'b.offset',
      );
      await expectError(() => layer.forward({ buffer, length: 4, shape: [3, 3] }), ShapeMismatchError, 'x.shape');
      await device.queue.onSubmittedWorkDone();
      // The bias tensor [1, 2, 3] of the first call is the one buffer the calls left.
      assert(live() === before + 1, `${live() - before - 1} buffers left alive by refused layer calls`);
      layer.dispose();
      buffer.destroy();
      acts.dispose();
    },
  },
  {
    name: "layers: prelu (learnt and frozen slopes) and maxout encode into the caller's encoder: nothing runs before submit, the same bits as submitted by us",
    gpuOnly: true,
    async run({ acts }) {
      const device = acts.device!;
      const shape = [300, 4]; // dalpha sums 300 values a slope: two tree passes kept for the encoder
      const n = 1200;
      const x = acts.tensor(randomFloats(n, 41, 4), shape);
      const dy = acts.tensor(randomFloats(n, 42, 3), shape);
      // Other slopes each round: a pooled buffer y reuses then cannot already hold this round's y.
      for (const [learnAlpha, slopes] of [
        [true, [0.25, -0.5, 2, 0.1]],
        [false, [-3, 0.75, 0.5, 4]],
      ] as const) {
        const alpha = acts.tensor([...slopes]);
        const ref = acts.layer('prelu', { alpha, axis: -1 }, { learnAlpha });
        const yRef = ref.forward(x);
        const dxRef = ref.backward(dy);
        const layer = acts.layer('prelu', { alpha, axis: -1 }, { learnAlpha });
        const encoder = device.createCommandEncoder();
        const y = layer.forward(x, { encoder });
        const dx = layer.backward(dy, { encoder });
        const before = bitsOf(await y.read());
        device.queue.submit([encoder.finish()]);
        const result = await y.read();
        const after = bitsOf(result);
        assert(
          before.some((v, i) => v !== after[i]),
          `prelu (learnAlpha ${learnAlpha}): y held the results before the submit`,
        );
        expectBits(`prelu (learnAlpha ${learnAlpha}) encoded forward`, result, bitsOf(await yRef.read()), {});
        expectBits(`prelu (learnAlpha ${learnAlpha}) encoded dx`, await dx.read(), bitsOf(await dxRef.read()), {});
        if (learnAlpha) expectBits('prelu encoded dalpha', await layer.dalpha!.read(), bitsOf(await ref.dalpha!.read()), {});
        for (const t of [yRef, dxRef, y, dx, alpha]) t.dispose();
        ref.dispose();
        layer.dispose();
      }
      const ref = acts.layer('maxout', { pieces: 2 });
      const mRef = ref.forward(x);
      const mdy = acts.tensor(randomFloats(n / 2, 43, 3), [300, 2]);
      const mdxRef = ref.backward(mdy);
      const layer = acts.layer('maxout', { pieces: 2 });
      const encoder = device.createCommandEncoder();
      const m = layer.forward(x, { encoder });
      const mdx = layer.backward(mdy, { encoder });
      device.queue.submit([encoder.finish()]);
      expectBits('maxout encoded forward', await m.read(), bitsOf(await mRef.read()), {});
      expectBits('maxout encoded backward', await mdx.read(), bitsOf(await mdxRef.read()), {});
      for (const t of [x, dy, mRef, mdy, mdxRef, m, mdx]) t.dispose();
      ref.dispose();
      layer.dispose();
    },
  },
  {
    name: 'data in a SharedArrayBuffer (f32 and f16) makes a tensor like any other',
    async run({ acts }) {
      if (typeof SharedArrayBuffer === 'undefined') return; // pages that are not cross-origin isolated have none
      const f = new Float32Array(new SharedArrayBuffer(16));
      f.set([-1, 2, -0, 3]);
      const h = new Uint16Array(new SharedArrayBuffer(6));
      h.set([0xbc00, 0x3c00, 0x4000]);
      const y = acts.forward('relu', acts.tensor(f));
      const hy = acts.forward('relu', acts.tensor(h));
      const [yv, hv] = [[...(await y.read())], [...(await hy.read())]];
      assert(yv.join() === '0,2,0,3' && hv.join() === `0,${0x3c00},${0x4000}`, `relu of shared data: ${yv.join()} / ${hv.join()}`);
    },
  },
  {
    name: 'caller buffers: views of one buffer whose ranges do not overlap (0 and 256 bytes apart, any order), out of place and in an encoder',
    gpuOnly: true,
    async run({ acts }) {
      const device = acts.device!;
      const read = (buffer: GPUBuffer, offset: number, n: number) => readBuffer(device, buffer, offset, n);
      for (const n of [37, 64, 1000]) {
        const x = randomFloats(n, n, 4);
        const dy = randomFloats(n, n + 1, 3);
        for (const op of ['relu', 'gelu'] as const) {
          // The reference: the same op on tensors of our own.
          const tx = acts.tensor(x);
          const tdy = acts.tensor(dy);
          const yRef = bitsOf(await acts.forward(op, tx).read());
          const dxRef = bitsOf(await acts.backward(op, { x: tx, dy: tdy }).read());
          for (const gap of [0, 256, 4]) {
            // Three ranges of one buffer, in the order [a][gap][b][gap][c]; each role takes each slot.
            const slot = (k: number) => k * (4 * n + gap);
            const size = slot(3);
            for (const [xs, ys, ds] of [
              [0, 1, 2],
              [2, 0, 1],
              [1, 2, 0],
            ] as const) {
              const buffer = device.createBuffer({ size, usage: STORAGE | COPY_SRC | COPY_DST });
              device.queue.writeBuffer(buffer, slot(xs), x);
              device.queue.writeBuffer(buffer, slot(ds), dy);
              const view = (k: number) => ({ buffer, offset: slot(k), length: n });
              const label = `${op} n=${n} gap ${gap} slots x${xs} y${ys} dy${ds}`;
              acts.forwardInto(op, { x: view(xs), y: view(ys) });
              expectBits(`${label}: y in x's buffer`, await read(buffer, slot(ys), n), yRef, { x });
              // dx in the buffer of x and dy (all three share it).
              acts.backwardInto(op, { x: view(xs), dy: view(ds), dx: view(ys) });
              expectBits(`${label}: dx in the buffer of x and dy`, await read(buffer, slot(ys), n), dxRef, { x, dy });
              // x in dx's buffer, dy in a tensor; dy in dx's buffer, x in a tensor; in an encoder.
              const encoder = device.createCommandEncoder();
              acts.backwardInto(op, { x: view(xs), dy: tdy, dx: view(ys) }, {}, { encoder });
              device.queue.submit([encoder.finish()]);
              expectBits(`${label}: dx in x's buffer (encoded)`, await read(buffer, slot(ys), n), dxRef, { x, dy });
              acts.backwardInto(op, { x: tx, dy: view(ds), dx: view(ys) });
              expectBits(`${label}: dx in dy's buffer`, await read(buffer, slot(ys), n), dxRef, { x, dy });
              buffer.destroy();
            }
          }
          tx.dispose();
          tdy.dispose();
        }
      }
    },
  },
  {
    name: 'a view of a destroyed buffer: WebGPU cannot be asked, so the work fails validation and the next read rejects (no stale data)',
    gpuOnly: true,
    async run({ acts }) {
      const device = acts.device!;
      const buffer = device.createBuffer({ size: 64, usage: STORAGE | COPY_SRC | COPY_DST });
      buffer.destroy();
      await expectRefusedView(acts, buffer);
    },
  },
  {
    name: 'a view of a buffer made on another device: WebGPU cannot be asked, so the work fails validation and the next read rejects (no stale data)',
    gpuOnly: true,
    async run({ acts, gpu }) {
      assert(gpu, 'the WebGPU runner gives the cases its GPU');
      // A second adapter: Dawn gives one device per adapter.
      const adapter = await gpu.requestAdapter();
      assert(adapter, 'no second adapter');
      const other = await adapter.requestDevice();
      try {
        const buffer = other.createBuffer({ size: 64, usage: STORAGE | COPY_SRC | COPY_DST });
        other.queue.writeBuffer(buffer, 0, new Float32Array([-1, 2, -3, 4]));
        await expectRefusedView(acts, buffer);
      } finally {
        other.destroy();
      }
    },
  },
];
