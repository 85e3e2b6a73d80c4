// The catalogue of bad inputs: each row is one input the library must refuse, the typed error it
// gets and the argument that error names. Every row runs as a conformance case on every backend
// it applies to, and docs/reliability.md's "Bad inputs" table must list exactly these rows
// (test/unit/catalogue.test.ts).
import {
  createActivations,
  DisposedError,
  ForeignTensorError,
  InvalidArgumentError,
  ShapeMismatchError,
  Tensor,
  UnknownOpError,
  wgslFunctions,
  type Activations,
  type OpName,
} from '../../src/index.js';
import { assert, expectError } from '../helpers/compare.js';
import type { ConformanceCase, ConformanceContext } from './relu.js';

export interface BadInput {
  /** What is wrong, as the table in docs/reliability.md says it. */
  readonly what: string;
  readonly error: abstract new (...args: never[]) => Error;
  readonly argument: string;
  /** Needs GPU buffers (WebGPU backends only) or the CPU backend only. */
  readonly only?: 'webgpu' | 'cpu';
  /** Makes the bad call; throws (or rejects) with the error. */
  call(acts: Activations, ctx: ConformanceContext): unknown;
  /** Further checks on the error. */
  check?(error: Error): void;
}

const STORAGE = 0x80;
const COPY_DST = 0x08;

function buffer(acts: Activations, usage: number, size = 64): GPUBuffer {
  return acts.device!.createBuffer({ size, usage });
}

export const badInputs: readonly BadInput[] = [
  {
    what: 'unknown op name',
    error: UnknownOpError,
    argument: 'op',
    call: (a) => a.forward('rleu' as OpName, a.tensor([1])),
    check: (e) =>
      assert((e as UnknownOpError).validNames.includes('relu') && e.message.includes("'relu'"), `lists the valid names: ${e.message}`),
  },
  {
    what: 'op name that is not a string',
    error: UnknownOpError,
    argument: 'op',
    call: (a) => a.forward(42 as unknown as OpName, a.tensor([1])),
  },
  {
    what: 'op name that cannot become a string (Object.create(null))',
    error: UnknownOpError,
    argument: 'op',
    call: (a) => a.forward(Object.create(null) as OpName, a.tensor([1])),
  },
  {
    what: 'f16 data with a shape that does not fit it',
    error: ShapeMismatchError,
    argument: 'shape',
    call: (a) => a.tensor(new Uint16Array([0x3c00]), [2, 2]),
  },
  { what: 'x is not a Tensor (an array)', error: InvalidArgumentError, argument: 'x', call: (a) => a.forward('relu', [1, 2] as never) },
  {
    what: 'x was disposed',
    error: DisposedError,
    argument: 'x',
    call: (a) => {
      const t = a.tensor([1]);
      t.dispose();
      return a.forward('relu', t);
    },
  },
  {
    what: 'x was made by another instance',
    error: ForeignTensorError,
    argument: 'x',
    call: async (a, ctx) => {
      const other = await ctx.create();
      try {
        return a.forward('relu', other.tensor([1]));
      } finally {
        other.dispose();
      }
    },
  },
  {
    what: 'x is a CPU tensor given to a WebGPU instance',
    error: ForeignTensorError,
    argument: 'x',
    only: 'webgpu',
    call: async (a) => a.forward('relu', (await createActivations({ backend: 'cpu' })).tensor([1])),
  },
  {
    what: 'dy has another shape than x',
    error: ShapeMismatchError,
    argument: 'dy',
    call: (a) => a.backward('relu', { x: a.tensor([1, 2, 3, 4, 5, 6], [2, 3]), dy: a.tensor([1, 2, 3, 4, 5, 6], [3, 2]) }),
  },
  {
    what: 'dy has another length than x',
    error: ShapeMismatchError,
    argument: 'dy',
    call: (a) => a.backward('relu', { x: a.tensor([1, 2, 3]), dy: a.tensor([1, 2]) }),
  },
  { what: 'backward without x', error: InvalidArgumentError, argument: 'grads.x', call: (a) => a.backward('relu', { dy: a.tensor([1]) }) },
  {
    what: 'backward given x for an op whose gradient comes from y (sigmoid)',
    error: InvalidArgumentError,
    argument: 'grads.y',
    call: (a) => a.backward('sigmoid', { x: a.tensor([1]), dy: a.tensor([1]) }),
  },
  { what: 'grads is not an object', error: InvalidArgumentError, argument: 'grads', call: (a) => a.backward('relu', null as never) },
  { what: 'a shape entry is NaN', error: InvalidArgumentError, argument: 'shape[1]', call: (a) => a.tensor([1, 2], [2, Number.NaN]) },
  { what: 'a shape entry is negative', error: InvalidArgumentError, argument: 'shape[0]', call: (a) => a.tensor([1, 2], [-2, -1]) },
  { what: 'a shape entry is fractional', error: InvalidArgumentError, argument: 'shape[0]', call: (a) => a.tensor([1, 2], [1.5, 2]) },
  { what: 'a shape entry is infinite', error: InvalidArgumentError, argument: 'shape[1]', call: (a) => a.tensor([1, 2], [2, Infinity]) },
  {
    what: "the shape's product is not the data's length",
    error: ShapeMismatchError,
    argument: 'shape',
    call: (a) => a.tensor([1, 2, 3], [2, 2]),
  },
  {
    what: 'data is neither a Float32Array nor an array',
    error: InvalidArgumentError,
    argument: 'data',
    call: (a) => a.tensor('123' as never),
  },
  {
    what: 'an attribute the op does not take',
    error: InvalidArgumentError,
    argument: 'attrs.alpha',
    call: (a) => a.forward('relu', a.tensor([1]), { alpha: 1 } as never),
  },
  {
    what: 'an attribute is NaN',
    error: InvalidArgumentError,
    argument: 'attrs.theta',
    call: (a) => a.forward('thresholdedRelu', a.tensor([1]), { theta: Number.NaN }),
  },
  {
    what: 'an attribute is infinite',
    error: InvalidArgumentError,
    argument: 'attrs.theta',
    call: (a) => a.forward('thresholdedRelu', a.tensor([1]), { theta: -Infinity }),
  },
  {
    what: 'an infinite bound for hardtanh (only clamp and clip take ±Infinity)',
    error: InvalidArgumentError,
    argument: 'attrs.max',
    call: (a) => a.forward('hardtanh', a.tensor([1]), { max: Infinity }),
  },
  {
    what: 'clamp: minValue above maxValue (WebNN throws a TypeError)',
    error: InvalidArgumentError,
    argument: 'attrs.minValue',
    call: (a) => a.forward('clamp', a.tensor([1]), { minValue: 6, maxValue: 0 }),
    check: (e) => assert(e.message.includes('minValue <= maxValue'), `says what is expected: ${e.message}`),
  },
  {
    what: 'clamp: a NaN bound',
    error: InvalidArgumentError,
    argument: 'attrs.maxValue',
    call: (a) => a.forward('clamp', a.tensor([1]), { maxValue: Number.NaN }),
  },
  {
    what: "clamp given hardtanh's and ONNX's name (min) for minValue",
    error: InvalidArgumentError,
    argument: 'attrs.min',
    call: (a) => a.forward('clamp', a.tensor([1]), { min: 0 } as never),
    check: (e) => assert(e.message.includes("'minValue'"), `names clamp's attributes: ${e.message}`),
  },
  {
    what: "clip given WebNN's name (maxValue) for max",
    error: InvalidArgumentError,
    argument: 'attrs.maxValue',
    call: (a) => a.backward('clip', { x: a.tensor([1]), dy: a.tensor([1]) }, { maxValue: 6 } as never),
  },
  {
    what: 'hardSigmoid: alpha 0',
    error: InvalidArgumentError,
    argument: 'attrs.alpha',
    call: (a) => a.layer('hardSigmoid', { alpha: 0 }),
  },
  {
    what: 'linear: an infinite alpha',
    error: InvalidArgumentError,
    argument: 'attrs.alpha',
    call: (a) => a.forwardInto('linear', { x: a.tensor([1]), y: a.tensor([0]) }, { alpha: Infinity }),
  },
  {
    what: 'an attribute is not a number',
    error: InvalidArgumentError,
    argument: 'attrs.theta',
    call: (a) => a.forward('thresholdedRelu', a.tensor([1]), { theta: '1' as never }),
  },
  {
    what: 'attrs is not an object',
    error: InvalidArgumentError,
    argument: 'attrs',
    call: (a) => a.forward('thresholdedRelu', a.tensor([1]), 3 as never),
  },
  {
    what: 'a GPUBuffer without STORAGE usage',
    error: InvalidArgumentError,
    argument: 'x.buffer',
    only: 'webgpu',
    call: (a) => a.forwardInto('relu', { x: { buffer: buffer(a, COPY_DST), length: 4 }, y: { buffer: buffer(a, STORAGE), length: 4 } }),
  },
  {
    what: 'a view whose buffer is not a GPUBuffer',
    error: InvalidArgumentError,
    argument: 'x.buffer',
    only: 'webgpu',
    call: (a) => a.forwardInto('relu', { x: { buffer: {} as GPUBuffer, length: 4 }, y: { buffer: buffer(a, STORAGE), length: 4 } }),
  },
  {
    what: 'a byte offset that is not a multiple of 4',
    error: InvalidArgumentError,
    argument: 'x.offset',
    only: 'webgpu',
    call: (a) =>
      a.forwardInto('relu', { x: { buffer: buffer(a, STORAGE), offset: 2, length: 4 }, y: { buffer: buffer(a, STORAGE), length: 4 } }),
  },
  {
    what: 'a negative byte offset',
    error: InvalidArgumentError,
    argument: 'x.offset',
    only: 'webgpu',
    call: (a) =>
      a.forwardInto('relu', { x: { buffer: buffer(a, STORAGE), offset: -4, length: 4 }, y: { buffer: buffer(a, STORAGE), length: 4 } }),
  },
  {
    what: 'a view that runs past the end of its buffer',
    error: InvalidArgumentError,
    argument: 'x.length',
    only: 'webgpu',
    call: (a) =>
      a.forwardInto('relu', { x: { buffer: buffer(a, STORAGE), offset: 56, length: 4 }, y: { buffer: buffer(a, STORAGE), length: 4 } }),
  },
  {
    what: 'a huge view length (2^40 elements)',
    error: InvalidArgumentError,
    argument: 'x.length',
    only: 'webgpu',
    call: (a) =>
      a.forwardInto('relu', { x: { buffer: buffer(a, STORAGE), length: 2 ** 40 }, y: { buffer: buffer(a, STORAGE), length: 2 ** 40 } }),
  },
  {
    what: 'a negative or fractional view length',
    error: InvalidArgumentError,
    argument: 'x.length',
    only: 'webgpu',
    call: (a) => a.forwardInto('relu', { x: { buffer: buffer(a, STORAGE), length: 1.5 }, y: { buffer: buffer(a, STORAGE), length: 1.5 } }),
  },
  {
    what: 'an output range that partly overlaps an input',
    error: InvalidArgumentError,
    argument: 'y',
    only: 'webgpu',
    call: (a) => {
      const b = buffer(a, STORAGE);
      return a.forwardInto('relu', { x: { buffer: b, offset: 8, length: 4 }, y: { buffer: b, offset: 0, length: 4 } });
    },
  },
  {
    what: 'dx written over x instead of dy',
    error: InvalidArgumentError,
    argument: 'dx',
    call: (a) => {
      const x = a.tensor([1, 2]);
      return a.backwardInto('relu', { x, dy: a.tensor([1, 1]), dx: x });
    },
  },
  {
    what: 'output and input lengths differ',
    error: ShapeMismatchError,
    argument: 'y',
    call: (a) => a.forwardInto('relu', { x: a.tensor([1, 2, 3]), y: a.tensor([0, 0]) }),
  },
  {
    what: 'an encoder that is not a GPUCommandEncoder',
    error: InvalidArgumentError,
    argument: 'options.encoder',
    only: 'webgpu',
    call: (a) => a.forwardInto('relu', { x: a.tensor([1]), y: a.tensor([0]) }, {}, { encoder: {} as GPUCommandEncoder }),
  },
  {
    what: 'an encoder given to the CPU backend',
    error: InvalidArgumentError,
    argument: 'options.encoder',
    only: 'cpu',
    call: (a) => a.forwardInto('relu', { x: a.tensor([1]), y: a.tensor([0]) }, {}, { encoder: {} as GPUCommandEncoder }),
  },
  {
    what: 'the instance was disposed',
    error: DisposedError,
    argument: 'acts',
    call: async (_, ctx) => {
      const other = await ctx.create();
      other.dispose();
      return other.tensor([1]);
    },
  },
  {
    what: 'a tensor read after dispose',
    error: DisposedError,
    argument: 'tensor',
    call: (a) => {
      const t = a.tensor([1]);
      t.dispose();
      return t.read();
    },
  },
  {
    what: 'layer backward before forward',
    error: InvalidArgumentError,
    argument: 'layer',
    call: (a) => a.layer('relu').backward(a.tensor([1])),
  },
  {
    what: "layer backward with dy of another shape than forward's x",
    error: ShapeMismatchError,
    argument: 'dy',
    call: (a) => {
      const l = a.layer('relu');
      l.forward(a.tensor([1, 2]));
      return l.backward(a.tensor([1, 2, 3]));
    },
  },
  {
    what: 'an unknown layer keep option',
    error: InvalidArgumentError,
    argument: 'options.keep',
    call: (a) => a.layer('relu', {}, { keep: 'x' as never }),
  },
  {
    what: 'an unknown backend name',
    error: InvalidArgumentError,
    argument: 'options.backend',
    call: () => createActivations({ backend: 'cuda' as 'cpu' }),
  },
  {
    what: 'batch: fn not a function',
    error: InvalidArgumentError,
    argument: 'fn',
    call: (a) => a.batch(42 as unknown as () => void),
  },
  {
    what: 'batch: fn returns a promise',
    error: InvalidArgumentError,
    argument: 'fn',
    call: (a) => a.batch(() => Promise.resolve()),
  },
  {
    what: 'tuning: a workgroup size past the device limit',
    error: InvalidArgumentError,
    argument: 'tuning.workgroupSize',
    only: 'webgpu',
    call: (_, ctx) => ctx.create({ tuning: { workgroupSize: 1 << 20 } }),
  },
  {
    what: 'an unknown CPU kernel choice',
    error: InvalidArgumentError,
    argument: 'options.cpuKernels',
    call: () => createActivations({ backend: 'cpu', cpuKernels: 'simd' as 'js' }),
  },
  {
    what: 'a device that is not a GPUDevice',
    error: InvalidArgumentError,
    argument: 'options.device',
    call: () => createActivations({ device: {} as GPUDevice }),
  },
  {
    what: 'prelu: alpha of the wrong length for its axis',
    error: ShapeMismatchError,
    argument: 'alpha',
    call: (a) => a.prelu(a.tensor(new Float32Array(24), [2, 3, 4]), a.tensor([0.1, 0.2]), { axis: 1 }),
    check: (e) => assert(e.message.includes('1 or 3 slopes'), `says how many slopes: ${e.message}`),
  },
  {
    what: "prelu: a 1-D alpha that fits x's channel axis but not from the right, and no axis",
    error: ShapeMismatchError,
    argument: 'alpha',
    call: (a) => a.prelu(a.tensor(new Float32Array(24), [2, 3, 4]), a.tensor([0.1, 0.2, 0.3])),
    check: (e) => assert(e.message.includes('from the right') && e.message.includes('axis 1'), `names both layouts: ${e.message}`),
  },
  {
    what: 'prelu layer: a 1-D alpha that does not broadcast from the right, and no axis',
    error: ShapeMismatchError,
    argument: 'alpha',
    call: (a) => a.layer('prelu', { alpha: a.tensor([0.1, 0.2, 0.3]) }).forward(a.tensor(new Float32Array(24), [2, 3, 4])),
  },
  {
    what: 'prelu: an alpha that does not broadcast to x from the right',
    error: ShapeMismatchError,
    argument: 'alpha',
    call: (a) => a.prelu(a.tensor(new Float32Array(24), [2, 3, 4]), a.tensor(new Float32Array(6), [3, 2])),
  },
  {
    what: 'prelu: an axis given with an alpha of 2 dimensions',
    error: InvalidArgumentError,
    argument: 'options.axis',
    call: (a) => a.prelu(a.tensor(new Float32Array(24), [2, 3, 4]), a.tensor(new Float32Array(4), [1, 4]), { axis: 2 }),
  },
  {
    what: 'prelu: an axis out of range',
    error: InvalidArgumentError,
    argument: 'options.axis',
    call: (a) => a.prelu(a.tensor(new Float32Array(24), [2, 3, 4]), a.tensor([1, 2, 3]), { axis: 3 }),
  },
  {
    what: 'prelu by name without alpha',
    error: InvalidArgumentError,
    argument: 'alpha',
    call: (a) => a.forward('prelu', a.tensor([1, 2]), {} as never),
  },
  {
    what: 'prelu backward: dy of another shape than x',
    error: ShapeMismatchError,
    argument: 'grads.dy',
    call: (a) => a.preluBackward({ x: a.tensor([1, 2, 3, 4], [2, 2]), alpha: a.tensor([1]), dy: a.tensor([1, 2, 3, 4]) }),
  },
  {
    what: 'maxout: pieces that do not divide the axis',
    error: InvalidArgumentError,
    argument: 'options.pieces',
    call: (a) => a.maxout(a.tensor(new Float32Array(10), [2, 5]), { pieces: 2 }),
    check: (e) => assert(e.message.includes('divisor'), `says pieces must divide the axis: ${e.message}`),
  },
  {
    what: 'maxout: pieces that is not a positive integer',
    error: InvalidArgumentError,
    argument: 'options.pieces',
    call: (a) => a.maxout(a.tensor(new Float32Array(4), [2, 2]), { pieces: 0 }),
  },
  {
    what: 'maxout: an axis out of range',
    error: InvalidArgumentError,
    argument: 'options.axis',
    call: (a) => a.maxout(a.tensor(new Float32Array(4), [2, 2]), { pieces: 2, axis: -3 }),
  },
  {
    what: "maxout backward: dy not of maxout's output shape",
    error: ShapeMismatchError,
    argument: 'grads.dy',
    call: (a) => a.maxoutBackward({ x: a.tensor(new Float32Array(8), [2, 4]), dy: a.tensor(new Float32Array(8), [2, 4]) }, { pieces: 2 }),
  },
  {
    what: 'gated unit: an odd size along the axis split into halves',
    error: InvalidArgumentError,
    argument: 'x',
    call: (a) => a.forward('swiglu', a.tensor(new Float32Array(6), [2, 3])),
    check: (e) => assert(e.message.includes('even size along axis 1'), `says the axis must be even: ${e.message}`),
  },
  {
    what: 'gated unit: an axis out of range',
    error: InvalidArgumentError,
    argument: 'attrs.axis',
    call: (a) => a.forward('glu', a.tensor(new Float32Array(4), [2, 2]), { axis: 2 }),
  },
  {
    what: 'gated unit: an axis that is not an integer',
    error: InvalidArgumentError,
    argument: 'attrs.axis',
    call: (a) => a.forward('reglu', a.tensor(new Float32Array(4), [2, 2]), { axis: 0.5 }),
  },
  {
    what: "gated unit: an attribute its gate does not take (swiglu's alpha)",
    error: InvalidArgumentError,
    argument: 'attrs.alpha',
    call: (a) => a.forward('swiglu', a.tensor(new Float32Array(4)), { alpha: 1 } as never),
    check: (e) => assert(e.message.includes("'axis'"), `lists the attributes swiglu takes: ${e.message}`),
  },
  {
    what: "geglu: an approximate that is not 'none' or 'tanh'",
    error: InvalidArgumentError,
    argument: 'attrs.approximate',
    call: (a) => a.forward('geglu', a.tensor(new Float32Array(4)), { approximate: 'fast' as 'tanh' }),
  },
  {
    what: "gated unit backward: dy not of the output's shape (x's with the axis halved)",
    error: ShapeMismatchError,
    argument: 'grads.dy',
    call: (a) => a.backward('geglu', { x: a.tensor(new Float32Array(8), [2, 4]), dy: a.tensor(new Float32Array(8), [2, 4]) }),
  },
  {
    what: 'gated unit layer: layer options, which it does not take',
    error: InvalidArgumentError,
    argument: 'options.telemetry',
    call: (a) => (a.layer as (op: string, attrs: object, options: object) => unknown)('swiglu', {}, { telemetry: true }),
  },
  {
    what: 'gated unit given to an elementwise-only call (backwardInto)',
    error: InvalidArgumentError,
    argument: 'op',
    call: (a) => a.backwardInto('glu' as OpName, { x: a.tensor([1, 2]), dy: a.tensor([1]), dx: a.tensor([1, 2]) }),
  },
  {
    what: 'warmup: an op name it does not know',
    error: InvalidArgumentError,
    argument: 'ops[1]',
    call: (a) => a.warmup(['relu', 'rleu']),
  },
  {
    what: 'warmup: ops that is not an array',
    error: InvalidArgumentError,
    argument: 'ops',
    call: (a) => a.warmup('relu' as never),
  },
  {
    what: 'warmup: an f16 option that is not a boolean',
    error: InvalidArgumentError,
    argument: 'options.f16',
    call: (a) => a.warmup(['relu'], { f16: 'yes' as never }),
  },
  {
    what: 'prelu given to an elementwise-only call (forwardInto)',
    error: InvalidArgumentError,
    argument: 'op',
    call: (a) => a.forwardInto('prelu' as OpName, { x: a.tensor([1]), y: a.tensor([1]) }),
  },
  {
    what: 'a layer given an encoder that is not a GPUCommandEncoder',
    error: InvalidArgumentError,
    argument: 'options.encoder',
    only: 'webgpu',
    call: (a) => a.layer('relu').forward(a.tensor([1]), { encoder: {} as GPUCommandEncoder }),
  },
  {
    what: 'a layer given a view of a buffer without COPY_SRC usage',
    error: InvalidArgumentError,
    argument: 'x.buffer',
    only: 'webgpu',
    call: (a) => a.layer('relu').forward({ buffer: buffer(a, STORAGE | COPY_DST), length: 4 }),
  },
  {
    what: 'a layer given a view on the CPU backend',
    error: InvalidArgumentError,
    argument: 'x',
    only: 'cpu',
    call: (a) => a.layer('relu').forward({ buffer: {} as GPUBuffer, length: 4 }),
  },
  {
    what: 'a layer given an encoder on the CPU backend',
    error: InvalidArgumentError,
    argument: 'options.encoder',
    only: 'cpu',
    call: (a) => a.layer('relu').forward(a.tensor([1]), { encoder: {} as GPUCommandEncoder }),
  },
  {
    what: 'an attribute finite as a double but infinite as f32 (leakyRelu alpha 1e39)',
    error: InvalidArgumentError,
    argument: 'attrs.alpha',
    call: (a) => a.forward('leakyRelu', a.tensor([0, -1]), { alpha: 1e39 }),
  },
  {
    what: 'an attribute given as null (not taken as the default)',
    error: InvalidArgumentError,
    argument: 'attrs.alpha',
    call: (a) => a.forward('leakyRelu', a.tensor([-1]), { alpha: null as unknown as number }),
  },
  {
    what: 'prelu: a misspelt option key (axes)',
    error: InvalidArgumentError,
    argument: 'options.axes',
    call: (a) => a.prelu(a.tensor(new Float32Array(6), [2, 3]), a.tensor([0.1, 0.2, 0.3]), { axes: 1 } as never),
  },
  {
    what: 'prelu by name: a misspelt attribute key (axes)',
    error: InvalidArgumentError,
    argument: 'attrs.axes',
    call: (a) => a.forward('prelu', a.tensor(new Float32Array(6), [2, 3]), { alpha: a.tensor([0.1, 0.2, 0.3]), axes: 1 } as never),
  },
  {
    what: 'prelu: an option inherited, not own (Object.create({ axis }))',
    error: InvalidArgumentError,
    argument: 'options.axis',
    call: (a) => a.prelu(a.tensor(new Float32Array(6), [2, 3]), a.tensor([0.1, 0.2, 0.3]), Object.create({ axis: 1 }) as never),
  },
  {
    what: 'maxout: a misspelt option key (axes)',
    error: InvalidArgumentError,
    argument: 'options.axes',
    call: (a) => a.maxout(a.tensor(new Float32Array(4)), { pieces: 2, axes: 0 } as never),
  },
  {
    what: 'a shape with a hole ([, 3])',
    error: InvalidArgumentError,
    argument: 'shape[0]',
    // eslint-disable-next-line no-sparse-arrays
    call: (a) => a.tensor(new Float32Array(3), [, 3] as never),
  },
  {
    what: 'array data holding a string',
    error: InvalidArgumentError,
    argument: 'data[1]',
    call: (a) => a.tensor([1, '2', 3] as never),
  },
  {
    what: 'array data holding a BigInt',
    error: InvalidArgumentError,
    argument: 'data[0]',
    call: (a) => a.tensor([1n] as never),
  },
  {
    what: "createActivations('cpu'): options that are not an object",
    error: InvalidArgumentError,
    argument: 'options',
    call: () => createActivations('cpu' as never),
  },
  {
    what: 'createActivations with a misspelt option key (backends)',
    error: InvalidArgumentError,
    argument: 'options.backends',
    call: () => createActivations({ backends: 'cpu' } as never),
  },
  {
    what: 'forwardInto with null options',
    error: InvalidArgumentError,
    argument: 'options',
    call: (a) => a.forwardInto('relu', { x: a.tensor([1]), y: a.tensor([1]) }, {}, null as never),
  },
  {
    what: 'a layer call with null options',
    error: InvalidArgumentError,
    argument: 'options',
    call: (a) => a.layer('relu').forward(a.tensor([1]), null as never),
  },
  {
    what: 'a prelu layer backward given no dy',
    error: InvalidArgumentError,
    argument: 'dy',
    call: (a) => {
      const layer = a.layer('prelu', { alpha: a.tensor([0.25]) });
      layer.forward(a.tensor([-1, 2]));
      return layer.backward(undefined as never);
    },
  },
  {
    what: 'a maxout layer backward given no dy',
    error: InvalidArgumentError,
    argument: 'dy',
    call: (a) => {
      const layer = a.layer('maxout', { pieces: 2 });
      layer.forward(a.tensor([-1, 2]));
      return layer.backward(undefined as never);
    },
  },
  {
    what: 'a tensor forged from the prototype (Object.create(Tensor.prototype))',
    error: InvalidArgumentError,
    argument: 'x',
    call: (a) => a.forward('relu', Object.create(Tensor.prototype) as Tensor),
  },
  {
    what: 'an async batch function (refused, its rejection handled)',
    error: InvalidArgumentError,
    argument: 'fn',
    call: (a) =>
      a.batch(async () => {
        await Promise.resolve();
        throw new Error('inside the refused batch');
      }),
  },
  {
    what: 'a prelu layer given an encoder on the CPU backend',
    error: InvalidArgumentError,
    argument: 'options.encoder',
    only: 'cpu',
    call: (a) => a.layer('prelu', { alpha: a.tensor([0.25]) }).forward(a.tensor([1]), { encoder: {} as GPUCommandEncoder }),
  },
  {
    what: 'a maxout layer given an encoder that is not a GPUCommandEncoder',
    error: InvalidArgumentError,
    argument: 'options.encoder',
    only: 'webgpu',
    call: (a) => a.layer('maxout', { pieces: 1 }).forward(a.tensor([1]), { encoder: {} as GPUCommandEncoder }),
  },
  {
    what: 'a maxout layer given an encoder with f16 tensors',
    error: InvalidArgumentError,
    argument: 'options.encoder',
    only: 'webgpu',
    call: (a) =>
      a.layer('maxout', { pieces: 1 }).forward(a.tensor(new Uint16Array([0x3c00])) as never, { encoder: a.device!.createCommandEncoder() }),
  },
  {
    what: 'wgslFunctions: an unknown op name',
    error: UnknownOpError,
    argument: 'op',
    call: () => wgslFunctions('rleu' as OpName),
  },
  {
    what: 'wgslFunctions: prelu, which is not an elementwise op',
    error: InvalidArgumentError,
    argument: 'op',
    call: () => wgslFunctions('prelu' as OpName),
  },
  {
    what: 'wgslFunctions: a prefix that is not a WGSL identifier (1a)',
    error: InvalidArgumentError,
    argument: 'options.prefix',
    call: () => wgslFunctions('relu', { prefix: '1a' }),
  },
  {
    what: 'wgslFunctions: an attribute the op refuses (leakyRelu alpha NaN)',
    error: InvalidArgumentError,
    argument: 'attrs.alpha',
    call: () => wgslFunctions('leakyRelu', { attrs: { alpha: Number.NaN } }),
  },
  {
    what: 'wgslFunctions: a dtype other than f32 or f16 (f64)',
    error: InvalidArgumentError,
    argument: 'options.dtype',
    call: () => wgslFunctions('relu', { dtype: 'f64' as never }),
  },
  {
    what: 'wgslFunctions: a width other than 1 or 4 (2)',
    error: InvalidArgumentError,
    argument: 'options.width',
    call: () => wgslFunctions('relu', { width: 2 as never }),
  },
  {
    what: 'wgslFunctions: a misspelt option key (widht)',
    error: InvalidArgumentError,
    argument: 'options.widht',
    call: () => wgslFunctions('relu', { widht: 4 } as never),
  },
];

export const badInputCases: readonly ConformanceCase[] = badInputs.map((row) => ({
  name: `bad input: ${row.what} -> ${row.error.name} naming ${row.argument}`,
  ...(row.only === 'webgpu' ? { gpuOnly: true } : row.only === 'cpu' ? { cpuOnly: true } : {}),
  async run(ctx) {
    const error = await expectError(() => row.call(ctx.acts, ctx), row.error, row.argument);
    row.check?.(error);
  },
}));
