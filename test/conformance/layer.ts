// The training layer: what forward keeps, and that backward from it equals backward from x.
import { InvalidArgumentError, ShapeMismatchError, opNames, opVariants, type Activations, type OpName } from '../../src/index.js';
import { assert, expectBits, expectError } from '../helpers/compare.js';
import { pairwiseSum } from '../helpers/reference.js';
import { SPECIAL_BITS, bitsOf, floatsFromBits, fromBits, randomFloats, uniformFloats } from '../helpers/float.js';
import type { ConformanceCase } from './relu.js';

/** Backward through a layer (from what it kept) and straight from x must agree bit for bit. */
async function maskEqualsX(
  acts: Activations,
  op: OpName,
  attrs: Record<string, number>,
  x: Float32Array<ArrayBuffer>,
  dy: Float32Array<ArrayBuffer>,
  label: string,
) {
  const layer = acts.layer(op, attrs as never);
  const tx = acts.tensor(x);
  const tdy = acts.tensor(dy);
  const y = layer.forward(tx);
  assert(layer.keeps === 'mask', `${op} should keep a mask`);
  const expectedRetained = Math.ceil(x.length / 32) * 4;
  assert(layer.retainedBytes === expectedRetained, `${label}: retains ${layer.retainedBytes} bytes, expected ${expectedRetained}`);
  const fromMask = layer.backward(tdy);
  assert(layer.retainedBytes === 0, `${label}: still retains ${layer.retainedBytes} bytes after backward`);
  const fromX = acts.backward(op, { x: tx, dy: tdy }, attrs as never);
  const yDirect = acts.forward(op, tx, attrs as never);
  const [a, b, c, d] = await Promise.all([fromMask.read(), fromX.read(), y.read(), yDirect.read()]);
  expectBits(`${label}: backward from the mask vs from x`, a, bitsOf(b), { x, dy });
  expectBits(`${label}: the layer's forward vs forward`, c, bitsOf(d), { x });
  for (const t of [tx, tdy, y, fromMask, fromX, yDirect]) t.dispose();
}

function pairs(): { x: Float32Array<ArrayBuffer>; dy: Float32Array<ArrayBuffer> } {
  const xb: number[] = [];
  const db: number[] = [];
  for (const a of SPECIAL_BITS) {
    for (const b of SPECIAL_BITS) {
      xb.push(a);
      db.push(b);
    }
  }
  return { x: floatsFromBits(xb), dy: floatsFromBits(db) };
}

export const layerCases: readonly ConformanceCase[] = [
  {
    name: 'layer: relu keeps a 1-bit mask (0.125 bytes an element); backward from it equals backward from x bit for bit, NaN included',
    async run({ acts }) {
      assert(acts.layer('relu').retainedBytesPerElement === 0.125, 'relu should keep 1/8 byte an element');
      const { x, dy } = pairs();
      await maskEqualsX(acts, 'relu', {}, x, dy, 'special pairs');
      for (const n of [0, 1, 31, 32, 33, 2047, 2048, 2049, 100_003]) {
        await maskEqualsX(acts, 'relu', {}, randomFloats(n, n), randomFloats(n, n + 1), `length ${n}`);
      }
    },
  },
  {
    name: 'layer: thresholdedRelu keeps a mask too, for each theta',
    async run({ acts }) {
      const { x, dy } = pairs();
      for (const theta of [1, 0, -2.5, 1e-40]) await maskEqualsX(acts, 'thresholdedRelu', { theta }, x, dy, `theta ${theta}`);
    },
  },
  {
    name: 'layer: leakyRelu, relu6 and hardtanh keep a 1-bit mask too; backward from it equals backward from x bit for bit',
    async run({ acts }) {
      const { x, dy } = pairs();
      for (const alpha of [0.01, 0.2, -1.5, 1e-40]) await maskEqualsX(acts, 'leakyRelu', { alpha }, x, dy, `leakyRelu alpha ${alpha}`);
      await maskEqualsX(acts, 'relu6', {}, x, dy, 'relu6');
      for (const [min, max] of [
        [-1, 1],
        [0, 6],
        [-0, 1e-40],
        [-3e38, 3e38],
      ] as const) {
        await maskEqualsX(acts, 'hardtanh', { min, max }, x, dy, `hardtanh [${min}, ${max}]`);
      }
      for (const n of [33, 2049]) {
        const rx = uniformFloats(n, n, 8);
        const rdy = randomFloats(n, n + 2);
        for (const op of ['leakyRelu', 'relu6', 'hardtanh'] as const) await maskEqualsX(acts, op, {}, rx, rdy, `${op} length ${n}`);
      }
    },
  },
  {
    name: 'layer: ops without a mask keep x (or y), and backward equals the plain backward',
    async run({ acts }) {
      const x = randomFloats(1000, 3);
      const dy = randomFloats(1000, 4);
      const tx = acts.tensor(x);
      const tdy = acts.tensor(dy);
      const keepX = acts.layer('relu', {}, { keep: 'tensor' });
      assert(keepX.keeps === 'x' && keepX.retainedBytesPerElement === 4, `relu with keep 'tensor' keeps ${keepX.keeps}`);
      const a = keepX.backward((keepX.forward(tx), tdy));
      expectBits("keep: 'tensor'", await a.read(), bitsOf(await acts.backward('relu', { x: tx, dy: tdy }).read()), { x, dy });
      const sig = acts.layer('sigmoid');
      assert(sig.keeps === 'y', `sigmoid keeps ${sig.keeps}`);
      const y = sig.forward(tx);
      const b = sig.backward(tdy);
      expectBits('sigmoid layer', await b.read(), bitsOf(await acts.backward('sigmoid', { y, dy: tdy }).read()), { x, dy });
      tx.dispose();
      tdy.dispose();
    },
  },
  {
    name: 'layer: linear keeps nothing (dx = alpha * dy reads no x): x may be disposed after forward, dx is alpha * dy, fused bias included',
    async run({ acts }) {
      const special = SPECIAL_BITS.filter((b) => !Number.isNaN(fromBits(b)));
      const dyValues = new Float32Array([...floatsFromBits(special), ...randomFloats(999 - special.length, 11)]); // 999: 333 rows of 3
      const n = dyValues.length;
      const shape = [n / 3, 3];
      for (const alpha of [2.5, -0.75, 1]) {
        // Correctly rounded: the double product of two f32 values is exact, fround rounds once.
        const expected = bitsOf(dyValues.map((d) => Math.fround(alpha * d)));
        const layer = acts.layer('linear', { alpha, beta: 0.5 });
        assert(layer.keeps === 'nothing' && layer.retainedBytesPerElement === 0, `linear keeps ${layer.keeps}`);
        const tx = acts.tensor(randomFloats(n, 12), shape);
        const y = layer.forward(tx);
        assert(layer.retainedBytes === 0, `linear: retains ${layer.retainedBytes} bytes after forward, expected 0`);
        tx.dispose(); // backward must not read it
        const dy = acts.tensor(dyValues, shape);
        const dx = layer.backward(dy);
        expectBits(`linear layer alpha ${alpha}: dx`, await dx.read(), expected, { dy: dyValues });
        await expectError(() => layer.backward(dy), InvalidArgumentError, 'layer');
        // The fused bias: no z = x + b kept either; db sums dx per channel.
        const tx2 = acts.tensor(randomFloats(n, 13), shape);
        const b = acts.tensor([1, -2, 3]);
        const y2 = layer.forwardBias(tx2, b);
        assert(layer.retainedBytes === 0, `linear: retains ${layer.retainedBytes} bytes after forwardBias, expected 0`);
        tx2.dispose();
        const { dx: dx2, db } = layer.backwardBias(dy);
        expectBits(`linear layer alpha ${alpha}: dx after forwardBias`, await dx2.read(), expected, { dy: dyValues });
        const sums = await db.read();
        const got = await dx2.read();
        for (let c = 0; c < 3; c++) {
          let sum = 0;
          for (let i = c; i < n; i += 3) sum += got[i]!;
          const close = Object.is(sums[c], sum) || Math.abs(sums[c]! - sum) <= 1e-4 * Math.max(1, Math.abs(sum)); // NaN where ±Inf meet
          assert(close, `db[${c}] ${sums[c]} vs ${sum}`);
        }
        for (const t of [y, dy, dx, b, y2, dx2, db]) t.dispose();
        layer.dispose();
      }
    },
  },
  {
    name: 'layer: releases what it kept; misuse gets typed errors',
    async run({ acts }) {
      const layer = acts.layer('relu');
      const x = acts.tensor([1, -2, 3, -4], [2, 2]);
      await expectError(() => layer.backward(x), InvalidArgumentError, 'layer');
      layer.forward(x);
      x.dispose(); // the mask is all backward needs
      const dy = acts.tensor([1, 1, 1, 1], [2, 2]);
      await expectError(() => layer.backward(acts.tensor([1, 1, 1, 1])), ShapeMismatchError, 'dy');
      assert([...(await layer.backward(dy).read())].join() === '1,0,1,0', 'gradient through the mask');
      await expectError(() => layer.backward(dy), InvalidArgumentError, 'layer');
      layer.forward(dy);
      assert(layer.retainedBytes > 0, 'forward kept nothing');
      layer.dispose();
      assert(layer.retainedBytes === 0, 'dispose kept the mask');
      await expectError(() => layer.forward(dy), InvalidArgumentError, 'layer');
      await expectError(() => acts.layer('relu', {}, { keep: 'x' as 'auto' }), InvalidArgumentError, 'options.keep');
    },
  },
  {
    name: 'layer: mask kernels split tensors longer than one binding into aligned chunks',
    gpuOnly: true,
    async run({ create }) {
      const acts = await create({ tuning: { maxBindingBytes: 16384 } });
      for (const n of [4096, 4097, 10_001])
        await maskEqualsX(acts, 'relu', {}, randomFloats(n, 5 + n), randomFloats(n, 6 + n), `chunked ${n}`);
      acts.dispose();
    },
  },
  {
    name: 'layer: forwardBias equals the unfused x + b then op; backwardBias gives dx and a deterministic db',
    async run({ acts }) {
      const layouts = [
        { shape: [37, 19], axis: -1 }, // dense: [batch, units]
        { shape: [2, 3, 5, 7], axis: 1 }, // NCHW: bias per channel
        { shape: [3000], axis: 0 },
        { shape: [20000, 3], axis: -1 }, // a long batch: db takes two tree passes, strided rows
      ];
      for (const op of ['relu', 'sigmoid'] as const) {
        for (const keep of ['auto', 'tensor'] as const) {
          for (const { shape, axis } of layouts) {
            const n = shape.reduce((p, d) => p * d, 1);
            const a = axis < 0 ? axis + shape.length : axis;
            const channels = shape[a]!;
            const inner = shape.slice(a + 1).reduce((p, d) => p * d, 1);
            const outer = n / channels / inner;
            const x = randomFloats(n, n + channels, 4);
            const b = randomFloats(channels, 7, 2);
            const dy = randomFloats(n, n + 1, 3);
            // The unfused pair, written out: z = x + b (f32), then the op.
            const z = Float32Array.from(x, (v, i) => v + b[Math.floor(i / inner) % channels]!);
            const label = `${op} keep ${keep} shape [${shape.join(',')}] axis ${axis}`;
            const layer = acts.layer(op, {}, { keep, axis });
            const tx = acts.tensor(x, shape);
            const tb = acts.tensor(b);
            const y = layer.forwardBias(tx, tb);
            const tz = acts.tensor(z, shape);
            const yRef = acts.forward(op, tz);
            expectBits(`${label}: y`, await y.read(), bitsOf(await yRef.read()), { x });
            const tdy = acts.tensor(dy, shape);
            const { dx, db } = layer.backwardBias(tdy);
            const dxRef = acts.backward(op, { ...(op === 'sigmoid' ? { y: yRef } : { x: tz }), dy: tdy });
            const dxv = await dx.read();
            expectBits(`${label}: dx`, dxv, bitsOf(await dxRef.read()), { x, dy });
            // db: each channel's dz, in index order (outer, then inner), summed in a binary tree.
            const dxb = bitsOf(dxv);
            const dbRef = Uint32Array.from({ length: channels }, (_, c) =>
              pairwiseSum(
                Array.from({ length: outer * inner }, (_, k) => dxb[(Math.floor(k / inner) * channels + c) * inner + (k % inner)]!),
              ),
            );
            assert(db.shape.join() === String(channels), `db shape ${db.shape.join()}`);
            const dbv = await db.read();
            expectBits(`${label}: db`, dbv, dbRef, {});
            // Deterministic: the same inputs give the same bits again.
            const y2 = layer.forwardBias(tx, tb); // for sigmoid the layer keeps y: alive until backward
            const again = layer.backwardBias(tdy);
            expectBits(`${label}: db run twice`, await again.db.read(), bitsOf(dbv), {});
            for (const t of [y2, again.dx, again.db]) t.dispose();
            assert(layer.retainedBytes === 0, `${label}: kept ${layer.retainedBytes} bytes after backward`);
            for (const t of [tx, tb, y, tz, yRef, tdy, dx, db, dxRef]) t.dispose();
          }
        }
      }
    },
  },
  {
    name: 'layer: forwardBias refuses a bias of the wrong length or an axis x does not have',
    async run({ acts }) {
      const x = acts.tensor(new Float32Array(12), [3, 4]);
      await expectError(() => acts.layer('relu').forwardBias(x, acts.tensor([1, 2, 3])), ShapeMismatchError, 'b');
      await expectError(
        () => acts.layer('relu', {}, { axis: 2 }).forwardBias(x, acts.tensor([1, 2, 3])),
        InvalidArgumentError,
        'options.axis',
      );
      await expectError(() => acts.layer('relu', {}, { axis: 0.5 }), InvalidArgumentError, 'options.axis');
      const plain = acts.layer('relu');
      plain.forward(x);
      await expectError(() => plain.backwardBias(x), InvalidArgumentError, 'layer');
    },
  },
  {
    name: 'layer telemetry: per-unit active counts and the dead fraction, counted from the mask',
    async run({ acts }) {
      for (const { shape, axis } of [
        { shape: [50, 40], axis: -1 }, // dense: units along the last axis
        { shape: [2, 5, 7, 9], axis: 1 }, // NCHW: 63-element runs per channel, whole words and ragged ends
        { shape: [3, 64, 33], axis: 1 },
      ]) {
        const n = shape.reduce((p, d) => p * d, 1);
        const a = axis < 0 ? axis + shape.length : axis;
        const units = shape[a]!;
        const inner = shape.slice(a + 1).reduce((p, d) => p * d, 1);
        const x = uniformFloats(n, n, 3);
        // Every third unit dead: all its inputs negative (and one NaN in unit 1, which counts as active).
        const unit = (i: number) => Math.floor(i / inner) % units;
        for (let i = 0; i < n; i++) if (unit(i) % 3 === 0) x[i] = -Math.abs(x[i]!) - 1;
        x[inner] = Number.NaN;
        const expected = new Uint32Array(units);
        x.forEach((v, i) => {
          if (v > 0 || Number.isNaN(v)) expected[unit(i)]!++;
        });
        const layer = acts.layer('relu', {}, { axis, telemetry: true });
        const y = layer.forward(acts.tensor(x, shape));
        const activity = await layer.readActivity();
        const label = `shape [${shape.join(',')}] axis ${axis}`;
        assert(
          [...activity.active].join() === [...expected].join(),
          `${label}: counts ${[...activity.active].join()} vs ${[...expected].join()}`,
        );
        const dead = expected.filter((c) => c === 0).length;
        assert(
          dead >= Math.floor(units / 3) && activity.deadUnits === dead,
          `${label}: ${activity.deadUnits} dead units, expected ${dead}`,
        );
        assert(activity.deadFraction === dead / units && activity.samples === n / units, `${label}: fraction or samples`);
        // The fused path counts the mask of x + b.
        const b = new Float32Array(units).fill(100);
        layer.forwardBias(acts.tensor(x, shape), acts.tensor(b)).dispose();
        const all = await layer.readActivity();
        assert(all.deadUnits === 0 && all.active.every((c) => c === n / units), `${label}: with a bias of 100 every unit is active`);
        y.dispose();
        layer.dispose();
      }
      await expectError(() => acts.layer('sigmoid', {}, { telemetry: true }), InvalidArgumentError, 'options.telemetry');
      await expectError(() => acts.layer('relu').readActivity(), InvalidArgumentError, 'layer');
      await expectError(() => acts.layer('relu', {}, { telemetry: true }).readActivity(), InvalidArgumentError, 'layer');
    },
  },
  {
    name: 'layer telemetry: the refusal lists exactly the ops whose layer takes it, clamp and clip included',
    async run({ acts }) {
      const names = [...opNames, ...Object.keys(opVariants)] as OpName[];
      const takes = names.filter((op) => {
        try {
          acts.layer(op, {}, { telemetry: true }).dispose();
          return true;
        } catch (e) {
          if (!(e instanceof InvalidArgumentError) || e.argument !== 'options.telemetry') throw e;
          return false;
        }
      });
      const refused = await expectError(() => acts.layer('sigmoid', {}, { telemetry: true }), InvalidArgumentError, 'options.telemetry');
      const listed = /keeps a 1-bit mask \(([^;)]*); keep: auto\)/.exec(refused.message)?.[1]?.split(', ');
      assert(listed !== undefined, `the refusal should list the ops that take telemetry: ${refused.message}`);
      assert(takes.includes('clamp') && takes.includes('clip') && takes.includes('relu'), `telemetry layers: ${takes.join()}`);
      assert(listed.join() === takes.join(), `the refusal lists ${listed.join()}; the ops that take telemetry are ${takes.join()}`);
    },
  },
  {
    name: "layer: forward, backward and the fused bias encoded into the caller's encoder: nothing runs before submit, results equal the submitted path bit for bit",
    gpuOnly: true,
    async run({ acts }) {
      const device = acts.device!;
      const shape = [300, 7]; // db sums 300 values a unit: two tree passes, partial sums kept for the encoder
      const n = 2100;
      const x = randomFloats(n, 31, 4);
      const b = randomFloats(7, 32, 2);
      const dy = randomFloats(n, 33, 3);
      for (const op of ['relu', 'sigmoid', 'gelu'] as const) {
        const options = op === 'relu' ? { telemetry: true } : {};
        const [tx, tb, tdy] = [acts.tensor(x, shape), acts.tensor(b), acts.tensor(dy, shape)];
        // The reference: the same layer calls, each submitted by us.
        const ref = acts.layer(op, {}, options);
        const yRef = ref.forwardBias(tx, tb);
        const gRef = ref.backwardBias(tdy);
        const plain = acts.layer(op, {}, options);
        const hRef = plain.forward(tx);
        const dhRef = plain.backward(tdy);
        // Encoded: forwardBias + backwardBias in one encoder, forward + backward in another.
        const layer = acts.layer(op, {}, options);
        const encoder = device.createCommandEncoder();
        const y = layer.forwardBias(tx, tb, { encoder });
        const g = layer.backwardBias(tdy, { encoder });
        assert(layer.retainedBytes === 0, `${op}: the layer still counts ${layer.retainedBytes} bytes after an encoded backward`);
        const before = bitsOf(await y.read());
        device.queue.submit([encoder.finish()]);
        // Nothing ran before the submit: what y held then (zeros, or a reused buffer's old
        // contents) is not the result.
        const after = bitsOf(await y.read());
        assert(
          before.some((v, i) => v !== after[i]),
          `${op}: y already held the results before the encoder was submitted`,
        );
        expectBits(`${op} encoded forwardBias`, await y.read(), bitsOf(await yRef.read()), { x });
        expectBits(`${op} encoded backwardBias dx`, await g.dx.read(), bitsOf(await gRef.dx.read()), { x, dy });
        expectBits(`${op} encoded backwardBias db`, await g.db.read(), bitsOf(await gRef.db.read()), {});
        if (op === 'relu') {
          const a = await layer.readActivity();
          const r = await ref.readActivity();
          assert(a.active.join() === r.active.join(), `relu: encoded telemetry ${a.active.join()} vs ${r.active.join()}`);
        }
        const second = device.createCommandEncoder();
        const h = layer.forward(tx, { encoder: second });
        const dh = layer.backward(tdy, { encoder: second });
        device.queue.submit([second.finish()]);
        expectBits(`${op} encoded forward`, await h.read(), bitsOf(await hRef.read()), { x });
        expectBits(`${op} encoded backward`, await dh.read(), bitsOf(await dhRef.read()), { x, dy });
        for (const t of [tx, tb, tdy, yRef, gRef.dx, gRef.db, hRef, dhRef, y, g.dx, g.db, h, dh]) t.dispose();
        for (const l of [ref, plain, layer]) l.dispose();
      }
    },
  },
  {
    name: 'a read in flight is not affected by disposing its tensor, or its layer, before it resolves',
    async run({ acts }) {
      const x = randomFloats(5000, 41);
      const tx = acts.tensor(x);
      const y = acts.forward('relu', tx);
      const pending = y.read();
      y.dispose();
      const ref = acts.forward('relu', tx);
      expectBits('read, then dispose', await pending, bitsOf(await ref.read()), { x });
      const layer = acts.layer('relu', {}, { telemetry: true });
      const h = layer.forward(tx);
      const activity = layer.readActivity();
      const dy = acts.tensor(x);
      const dx = layer.backward(dy);
      const dxPending = dx.read();
      dx.dispose();
      layer.dispose();
      const counts = await activity;
      const positives = x.reduce((n, v) => n + (v > 0 || Number.isNaN(v) ? 1 : 0), 0);
      const total = counts.active.reduce((n, c) => n + c, 0);
      assert(total === positives, `telemetry read after dispose: ${total} active, expected ${positives}`);
      expectBits('dx read, then dispose', await dxPending, bitsOf(await acts.backward('relu', { x: tx, dy }).read()), { x });
      for (const t of [tx, ref, h, dy]) t.dispose();
    },
  },
  {
    name: 'layers take views of your buffers (at any 4-byte offset, with a shape), copied into tensors of their own, with or without an encoder',
    gpuOnly: true,
    async run({ acts }) {
      const device = acts.device!;
      const shape = [50, 6];
      const n = 300;
      const x = randomFloats(n, 51, 4);
      const dy = randomFloats(n, 52, 2);
      const b = uniformFloats(6, 53, 1);
      // One caller buffer: x at byte 268 (not 256-aligned), dy after it, b at the end.
      const buffer = device.createBuffer({ size: 268 + 4 * (2 * n + 6) + 20, usage: 0x80 | 0x04 | 0x08 });
      device.queue.writeBuffer(buffer, 268, x);
      device.queue.writeBuffer(buffer, 268 + 4 * n, dy);
      device.queue.writeBuffer(buffer, 268 + 8 * n, b);
      const xv = { buffer, offset: 268, length: n, shape };
      const dyv = { buffer, offset: 268 + 4 * n, length: n }; // shape: forward's x, by default
      const bv = { buffer, offset: 268 + 8 * n, length: 6 };
      const [tx, tdy, tb] = [acts.tensor(x, shape), acts.tensor(dy, shape), acts.tensor(b)];
      for (const op of ['relu', 'gelu', 'sigmoid'] as const) {
        for (const encoded of [false, true]) {
          const label = `${op}${encoded ? ' in an encoder' : ''}`;
          const encoder = encoded ? device.createCommandEncoder() : undefined;
          const options = encoder ? { encoder } : {};
          const layer = acts.layer(op);
          const y = layer.forward(xv, options);
          assert(y.shape.join() === shape.join(), `${label}: y has shape [${y.shape.join(', ')}]`);
          const dx = layer.backward(dyv, options);
          const fused = acts.layer(op);
          const yb = fused.forwardBias(xv, bv, options);
          const g = fused.backwardBias(dyv, options);
          if (encoder) device.queue.submit([encoder.finish()]);
          const ref = acts.layer(op);
          const yRef = ref.forward(tx);
          const dxRef = ref.backward(tdy);
          const refB = acts.layer(op);
          const ybRef = refB.forwardBias(tx, tb);
          const gRef = refB.backwardBias(tdy);
          expectBits(`${label}: forward from a view`, await y.read(), bitsOf(await yRef.read()), { x });
          expectBits(`${label}: backward from a view`, await dx.read(), bitsOf(await dxRef.read()), { x, dy });
          expectBits(`${label}: forwardBias from views`, await yb.read(), bitsOf(await ybRef.read()), { x });
          expectBits(`${label}: backwardBias dx`, await g.dx.read(), bitsOf(await gRef.dx.read()), { x, dy });
          expectBits(`${label}: backwardBias db`, await g.db.read(), bitsOf(await gRef.db.read()), {});
          for (const t of [y, dx, yb, g.dx, g.db, yRef, dxRef, ybRef, gRef.dx, gRef.db]) t.dispose();
          for (const l of [layer, fused, ref, refB]) l.dispose();
        }
      }
      for (const t of [tx, tdy, tb]) t.dispose();
      buffer.destroy();
    },
  },
];
