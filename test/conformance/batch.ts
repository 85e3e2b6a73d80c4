// acts.batch(fn): everything fn runs is encoded into one command encoder (one compute pass where
// it can) and submitted once when fn returns. Results must equal unbatched work bit for bit, reads
// must see what was encoded before them, and buffers freed inside must not be reused before the
// submit (a write of new data would land before the batch's work that still reads them).
import { InvalidArgumentError, type Activations, type Tensor } from '../../src/index.js';
import { assert, expectBits, expectError } from '../helpers/compare.js';
import { countingDevice } from '../helpers/counting-device.js';
import { bitsOf, randomFloats, uniformFloats } from '../helpers/float.js';
import { readBuffer } from './properties.js';
import type { ConformanceCase } from './relu.js';

const STORAGE_COPY = 0x80 | 0x04 | 0x08; // STORAGE | COPY_SRC | COPY_DST

/** A chain of `steps` elementwise ops from x, each freeing the one before unless `keep` gathers them. */
function chain(acts: Activations, x: Tensor, steps: number, between?: () => void, keep?: Tensor[]): Tensor {
  let t = acts.forward('relu', x);
  between?.();
  for (let i = 1; i < steps; i++) {
    const next = acts.forward(i % 3 === 0 ? 'tanh' : i % 3 === 1 ? 'leakyRelu' : 'hardtanh', t);
    if (keep) keep.push(t);
    else t.dispose();
    t = next;
    between?.();
  }
  return t;
}

/** A chain of mixed work: ops, a masked layer, the fused bias, prelu, maxout, f16, in place. */
function mixedWork(acts: Activations, x: Tensor, dy: Tensor, b: Tensor, alpha: Tensor): Tensor[] {
  const out: Tensor[] = [];
  const y = acts.forward('gelu', x);
  out.push(y, acts.backward('gelu', { x, dy }));
  const layer = acts.layer('relu');
  const z = layer.forwardBias(y, b);
  const { dx, db } = layer.backwardBias(dy);
  out.push(z, dx, db);
  layer.dispose();
  out.push(acts.prelu(x, alpha, { axis: -1 }));
  out.push(acts.maxout(x, { pieces: 2 }));
  const t = acts.forward('leakyRelu', x, { alpha: 0.25 });
  acts.forwardInto('relu6', { x: t, y: t });
  out.push(t);
  return out;
}

export const batchCases: readonly ConformanceCase[] = [
  {
    name: 'pending work: ops on own tensors outside a batch go out in one submit at the end of the task (or at 256 ops, or flush()), with the bits of a submit each',
    gpuOnly: true,
    async run({ acts: shared, create }) {
      const { device, counts } = countingDevice(shared.device!);
      const acts = await create({ device });
      const data = uniformFloats(3000, 21, 3);
      const x = acts.tensor(data);
      // Compiled first, so that nothing below waits on a pipeline.
      chain(acts, x, 3).dispose();
      await acts.forward('relu', x).read();
      // One by one, flushed after each: a submit each (the reference bits).
      let before = counts.submits;
      const each = chain(acts, x, 20, () => acts.flush());
      assert(counts.submits === before + 20, `flush() after each of 20 ops made ${counts.submits - before} submits, expected 20`);
      // The same ops left alone: nothing is submitted before the task ends, then one submit.
      before = counts.submits;
      const pending = chain(acts, x, 20);
      assert(counts.submits === before, `20 ops made ${counts.submits - before} submits before the task ended, expected 0`);
      await Promise.resolve();
      assert(counts.submits === before + 1, `20 ops made ${counts.submits - before} submits by the end of the task, expected 1`);
      expectBits('20 pending ops', await pending.read(), bitsOf(await each.read()), { x: data });
      // flush() submits at once; with nothing pending it submits nothing.
      before = counts.submits;
      const flushed = acts.forward('relu', x);
      acts.flush();
      acts.flush();
      assert(counts.submits === before + 1, `forward then flush() twice made ${counts.submits - before} submits, expected 1`);
      // 600 ops in one task keeping every tensor: a submit every 256 ops, the rest at the end.
      before = counts.submits;
      const kept: Tensor[] = [];
      const long = chain(acts, x, 600, undefined, kept);
      assert(counts.submits === before + 2, `600 ops made ${counts.submits - before} submits within the task, expected 2`);
      const longEach = chain(acts, x, 600, () => acts.flush());
      expectBits('600 pending ops', await long.read(), bitsOf(await longEach.read()), { x: data });
      // Freeing each input instead: a submit every 128 freed buffers (so they return to the
      // pool and are reused), 4 within the task (after ops 129, 257, 385 and 513).
      before = counts.submits;
      const made = counts.created;
      const freeing = chain(acts, x, 600);
      assert(
        counts.submits === before + 4,
        `600 ops freeing their inputs made ${counts.submits - before} submits within the task, expected 4`,
      );
      await Promise.resolve();
      const createdNow = counts.created - made;
      assert(createdNow <= 140, `600 ops freeing their inputs created ${createdNow} buffers, expected at most 140 (the rest reused)`);
      expectBits('600 pending ops freeing their inputs', await freeing.read(), bitsOf(await longEach.read()), { x: data });
      for (const t of [x, each, pending, flushed, long, longEach, freeing, ...kept]) t.dispose();
      acts.dispose();
    },
  },
  {
    name: 'pending work: your buffers, a handed-out gpuBuffer and your encoder each submit what is pending first, so your own writes and submits come after the calls made before them',
    gpuOnly: true,
    async run({ acts: shared, create }) {
      const { device, counts } = countingDevice(shared.device!);
      const acts = await create({ device });
      const n = 1024;
      const a = uniformFloats(n, 22, 4);
      const b = uniformFloats(n, 23, 4);
      const reluOf = (v: Float32Array) => acts.forward('relu', acts.tensor(v));
      const [wantA, wantB] = [await reluOf(a).read(), await reluOf(b).read()];
      // forwardInto on your buffers is submitted before it returns: your writeBuffer right after
      // it (of other data into x) lands after it.
      const xBuf = device.createBuffer({ size: n * 4, usage: STORAGE_COPY });
      const yBuf = device.createBuffer({ size: n * 4, usage: STORAGE_COPY });
      device.queue.writeBuffer(xBuf, 0, a);
      let before = counts.submits;
      acts.forwardInto('relu', { x: { buffer: xBuf, length: n }, y: { buffer: yBuf, length: n } });
      assert(
        counts.submits === before + 1,
        `forwardInto on your buffers made ${counts.submits - before} submits before returning, expected 1`,
      );
      device.queue.writeBuffer(xBuf, 0, b);
      expectBits('y of forwardInto, x rewritten after the call', await readBuffer(device, yBuf, 0, n), bitsOf(wantA), { x: a });
      // A pending op on own tensors, then its gpuBuffer handed out: submitted then, so your
      // encoder copying from it, submitted at once, reads the op's result.
      const x = acts.tensor(a);
      const y = acts.forward('relu', x);
      before = counts.submits;
      const { buffer } = y.gpuBuffer;
      assert(counts.submits === before + 1, `handing out gpuBuffer made ${counts.submits - before} submits, expected 1`);
      const copied = device.createBuffer({ size: n * 4, usage: STORAGE_COPY });
      let enc = device.createCommandEncoder();
      enc.copyBufferToBuffer(buffer, 0, copied, 0, n * 4);
      device.queue.submit([enc.finish()]);
      expectBits('your copy of a handed-out result', await readBuffer(device, copied, 0, n), bitsOf(wantA), { x: a });
      // An op writing into that exposed tensor is submitted before it returns: your copy
      // submitted right after it sees the new values.
      const xb = acts.tensor(b);
      acts.forwardInto('relu', { x: xb, y });
      enc = device.createCommandEncoder();
      enc.copyBufferToBuffer(buffer, 0, copied, 0, n * 4);
      device.queue.submit([enc.finish()]);
      expectBits('your copy after forwardInto wrote the exposed tensor', await readBuffer(device, copied, 0, n), bitsOf(wantB), { x: b });
      // Work given your encoder: what is pending goes first (your encoder reads its result).
      const pendingY = acts.forward('leakyRelu', x, { alpha: 0.5 });
      before = counts.submits;
      enc = device.createCommandEncoder();
      const z = acts.tensor(new Float32Array(n));
      acts.forwardInto('relu', { x: pendingY, y: z }, {}, { encoder: enc });
      assert(counts.submits === before + 1, `work in your encoder submitted ${counts.submits - before} pending submits first, expected 1`);
      device.queue.submit([enc.finish()]);
      expectBits('relu(leakyRelu(x)) in your encoder after pending work', await z.read(), bitsOf(wantA), { x: a });
      for (const t of [x, y, xb, pendingY, z]) t.dispose();
      for (const buf of [xBuf, yBuf, copied]) buf.destroy();
      // Disposing with work pending drops it: nothing is submitted afterwards.
      const left = acts.forward('relu', acts.tensor(a));
      void left;
      before = counts.submits;
      acts.dispose();
      await Promise.resolve();
      await new Promise((r) => setTimeout(r, 0));
      assert(counts.submits === before, `dispose with work pending made ${counts.submits - before} submits, expected 0`);
    },
  },
  {
    name: 'batch: mixed work (ops, masked layer with fused bias, prelu, maxout, in place) equals the same work unbatched, bit for bit, in one submit',
    gpuOnly: true,
    async run({ acts: shared, create }) {
      const { device, counts } = countingDevice(shared.device!);
      const acts = await create({ device });
      const rows = 37;
      const units = 12;
      const xs = randomFloats(rows * units, 3);
      const dys = randomFloats(rows * units, 4);
      const inputs = (a: Activations) => [
        a.tensor(xs, [rows, units]),
        a.tensor(dys, [rows, units]),
        a.tensor(uniformFloats(units, 5, 1)),
        a.tensor(uniformFloats(units, 6, 0.5)),
      ];
      const [x, dy, b, alpha] = inputs(acts);
      const plain = mixedWork(acts, x!, dy!, b!, alpha!);
      await plain[0]!.read();
      const before = counts.submits;
      const batched = acts.batch(() => mixedWork(acts, x!, dy!, b!, alpha!));
      assert(counts.submits === before + 1, `the batch made ${counts.submits - before} submits, expected 1`);
      for (const [i, t] of batched.entries()) {
        expectBits(`batched result ${i}`, await t.read(), bitsOf(await plain[i]!.read()), { x: xs });
      }
      // Nested batches join the outer one; the CPU backend runs fn at once.
      const n0 = counts.submits;
      const nested = acts.batch(() => acts.batch(() => acts.forward('relu', x!)));
      assert(counts.submits === n0 + 1, `nested batches made ${counts.submits - n0} submits, expected 1`);
      expectBits('nested batch', await nested.read(), bitsOf(await plain[0]!.read().then(() => acts.forward('relu', x!).read())), {
        x: xs,
      });
      acts.dispose();
    },
  },
  {
    name: 'batch: a read inside sees the work encoded before it; buffers freed inside are not reused before the submit',
    async run({ acts }) {
      const data = uniformFloats(4096, 7, 4);
      const other = uniformFloats(4096, 8, 4);
      const x = acts.tensor(data);
      let early: Promise<Float32Array> | undefined;
      let chained: Tensor | undefined;
      let fresh: Tensor | undefined;
      acts.batch(() => {
        const t = acts.forward('tanh', x);
        early = t.read();
        chained = acts.forward('relu', t);
        // t's buffer is free now; a new tensor of the same size must not get it before the
        // submit, or its upload would replace t's values under the relu encoded above.
        t.dispose();
        fresh = acts.tensor(other);
      });
      const tanh = acts.forward('tanh', x);
      const reluTanh = acts.forward('relu', tanh);
      expectBits('read inside the batch', await early!, bitsOf(await tanh.read()), { x: data });
      expectBits('relu(tanh(x)) after its input was freed in the batch', await chained!.read(), bitsOf(await reluTanh.read()), { x: data });
      expectBits('the tensor made in the batch', await fresh!.read(), bitsOf(other), { x: other });
      for (const t of [x, chained!, fresh!, tanh, reluTanh]) t.dispose();
    },
  },
  {
    name: 'batch: 700 chained ops (submitted in slices as the batch grows) give the unbatched result',
    async run({ acts }) {
      const data = uniformFloats(1000, 9, 2);
      const x = acts.tensor(data);
      const chain = (steps: number) => {
        let t = acts.forward('relu', x);
        for (let i = 1; i < steps; i++) {
          const next = acts.forward(i % 2 ? 'hardtanh' : 'leakyRelu', t);
          t.dispose();
          t = next;
        }
        return t;
      };
      const batched = acts.batch(() => chain(700));
      const plain = chain(700);
      expectBits('700 ops in a batch', await batched.read(), bitsOf(await plain.read()), { x: data });
      for (const t of [x, batched, plain]) t.dispose();
    },
  },
  {
    name: 'batch: what fn encoded before it threw is submitted and readable; the error comes through',
    async run({ acts }) {
      const data = uniformFloats(64, 10, 3);
      const x = acts.tensor(data);
      let y: Tensor | undefined;
      await expectError(
        () =>
          acts.batch(() => {
            y = acts.forward('relu', x);
            acts.forward('nope' as 'relu', x);
          }),
        InvalidArgumentError,
        'op',
      );
      const want = acts.forward('relu', x);
      expectBits('work encoded before the throw', await y!.read(), bitsOf(await want.read()), { x: data });
      // The instance is not left batching: a later op is submitted on its own and read back.
      const z = acts.forward('relu', x);
      expectBits('an op after the failed batch', await z.read(), bitsOf(await want.read()), { x: data });
      for (const t of [x, y!, want, z]) t.dispose();
    },
  },
];
