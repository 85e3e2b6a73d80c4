// acts.batch(fn): everything fn runs is encoded into one command encoder (one compute pass where
// it can) and submitted once when fn returns. Results must equal unbatched work bit for bit, reads
// must see what was encoded before them, and buffers freed inside must not be reused before the
// submit (a write of new data would land before the batch's work that still reads them).
import { InvalidArgumentError, type Activations, type Tensor } from '../../src/index.js';
import { assert, expectBits, expectError } from '../helpers/compare.js';
import { countingDevice } from '../helpers/counting-device.js';
import { bitsOf, randomFloats, uniformFloats } from '../helpers/float.js';
import type { ConformanceCase } from './relu.js';

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
