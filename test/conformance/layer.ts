// The training layer: what forward keeps, and that backward from it equals backward from x.
import { InvalidArgumentError, ShapeMismatchError, type Activations, type OpName } from '../../src/index.js';
import { assert, expectBits, expectError } from '../helpers/compare.js';
import { SPECIAL_BITS, bitsOf, floatsFromBits, randomFloats } from '../helpers/float.js';
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
];
