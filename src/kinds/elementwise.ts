// The front end of elementwise ops (the registry's usual kind): checks operands, allocates the
// output and calls the backend's elementwise kernels, on new tensors or on the caller's buffers.
import type { Direction, Region, StorageRef } from '../backend.js';
import { InvalidArgumentError, ShapeMismatchError, describe } from '../errors.js';
import { resolveAttrs, type ElementwiseOp } from '../ops/define.js';
import { maskedOpNames } from '../ops/registry.js';
import { checkSameShape, type Runtime } from '../runtime.js';
import { Tensor, type Dtype } from '../tensor.js';
import { Layer, type LayerOptions } from '../layer/layer.js';
import { optionsObject } from '../options.js';
import { produce } from './common.js';

/** What backward takes: dy, and x (most ops) or y (ops whose gradient comes from the output). */
export interface Grads<D extends Dtype = 'f32'> {
  /** The forward input, for ops whose gradient comes from x (all but sigmoid and tanh). */
  readonly x?: Tensor<D>;
  /** The forward output, for ops whose gradient comes from y (sigmoid and tanh). */
  readonly y?: Tensor<D>;
  /** The gradient of the loss with respect to the forward output, y's shape. */
  readonly dy: Tensor<D>;
}

/** Options for the `*Into` calls that run on your buffers. */
export interface EncodeOptions {
  /** Encode into this encoder and submit nothing; you submit it. Without it we submit. */
  readonly encoder?: GPUCommandEncoder;
}

/**
 * A new tensor: y = op(x) forward, dx from [saved, dy] backward, all one shape. f16 inputs give
 * an f16 result (the op's f32 kernel between an exact widening and one rounding).
 */
export function apply(
  rt: Runtime,
  op: ElementwiseOp,
  direction: Direction,
  inputs: readonly (readonly [string, Tensor<Dtype>])[],
  attrs: readonly number[],
  encoder?: GPUCommandEncoder,
): Tensor<Dtype> {
  rt.checkLive();
  const [first, x] = inputs[0]!;
  const half = x instanceof Tensor && x.dtype === 'f16';
  const storages = inputs.map(([name, t]) => {
    const s = half ? rt.anyStorage(t, name) : rt.storage(t, name);
    if (half && t.dtype !== 'f16') throw new InvalidArgumentError(name, `an f16 tensor (as ${first} is)`, `an ${t.dtype} tensor`);
    if (t !== x) checkSameShape(name, t, x.shape, `the shape of ${first}`);
    return s;
  });
  const n = x.length;
  if (half) {
    const out = produce(rt, n, 'f16', `${op.name}.f16.${direction}`, (o) =>
      rt.backend.elementwiseHalf(op, direction, [...storages, o], n, attrs),
    );
    return rt.adopt(out, x.shape, 'f16');
  }
  const out = produce(rt, n, 'f32', `${op.name}.${direction}`, (o) =>
    rt.backend.elementwise(
      op,
      direction,
      [...storages, o].map((s) => ({ storage: s, offset: 0, length: n })),
      attrs,
      encoder,
    ),
  );
  return rt.adopt(out, x.shape);
}

/** forward by name: y = op(x). */
export function forward(rt: Runtime, op: ElementwiseOp, x: Tensor<Dtype>, attrs: unknown): Tensor<Dtype> {
  return apply(rt, op, 'forward', [['x', x]], resolveAttrs(op, attrs));
}

/** backward by name: dx from dy and x (or y). */
export function backward(rt: Runtime, op: ElementwiseOp, grads: unknown, attrs: unknown): Tensor<Dtype> {
  const [name, saved] = savedOperand(op, grads, 'grads');
  const dy = (grads as Grads<Dtype>).dy;
  return apply(
    rt,
    op,
    'backward',
    [
      [name, saved as Tensor<Dtype>],
      ['dy', dy],
    ],
    resolveAttrs(op, attrs),
  );
}

/**
 * The op over operands that are our tensors or ranges of the caller's buffers (`names`: the
 * inputs, then the output), in the caller's encoder when given.
 */
export function into(
  rt: Runtime,
  op: ElementwiseOp,
  direction: Direction,
  given: unknown,
  names: readonly string[],
  attrs: readonly number[],
  options: EncodeOptions,
): void {
  rt.checkLive();
  if (typeof given !== 'object' || given === null) {
    throw new InvalidArgumentError('operands', `an object { ${names.join(', ')} }`, describe(given));
  }
  const record = given as Record<string, unknown>;
  const regions = names.map((n): Region<StorageRef> => {
    const value = record[n];
    if (value instanceof Tensor) return { storage: rt.storage(value, n), offset: 0, length: (value as Tensor).length };
    return rt.backend.view(value, n);
  });
  regions.forEach((r, i) => {
    if (r.length !== regions[0]!.length) {
      throw new ShapeMismatchError(names[i]!, `${regions[0]!.length} elements (the length of ${names[0]})`, `${r.length}`);
    }
  });
  const inPlace = inPlaceInput(direction, regions, names);
  const encoder = rt.backend.encoder(optionsObject(options, 'options', ['encoder']).encoder, 'options.encoder');
  const out = regions[regions.length - 1]!;
  if (inPlace === undefined) rt.backend.elementwise(op, direction, regions, attrs, encoder);
  else if (direction === 'forward') rt.backend.elementwise(op, 'forward_inplace', [out], attrs, encoder);
  else rt.backend.elementwise(op, 'backward_inplace', [regions[0]!, out], attrs, encoder);
}

/** The op as a training layer (see Layer). */
export function layer(rt: Runtime, op: ElementwiseOp, attrs: unknown, given: unknown): Layer {
  const resolved = resolveAttrs(op, attrs);
  const options = optionsObject(given, 'options', ['keep', 'axis', 'telemetry']) as LayerOptions;
  const keep = options.keep ?? 'auto';
  if (keep !== 'auto' && keep !== 'tensor') throw new InvalidArgumentError('options.keep', "'auto' or 'tensor'", describe(keep));
  const axis = options.axis ?? -1;
  if (!Number.isInteger(axis))
    throw new InvalidArgumentError('options.axis', 'an integer axis (negative counts from the end)', describe(axis));
  const masked = keep === 'auto' && op.mask !== undefined;
  const telemetry = options.telemetry ?? false;
  if (telemetry && !masked) {
    const kept = op.backwardIgnoresSaved ? 'nothing' : keep === 'tensor' ? 'the tensor' : op.backwardFrom;
    throw new InvalidArgumentError(
      'options.telemetry',
      `a layer that keeps a 1-bit mask (${maskedOpNames.join(', ')}; keep: auto)`,
      `${op.name} keeping ${kept}`,
    );
  }
  const made = new Layer(rt, op, resolved, masked, axis, telemetry);
  rt.track(made);
  return made;
}

/**
 * Which input the output is written over, if any. Forward may write y over exactly x's range and
 * backward dx over exactly dy's (in place); any other overlap is refused.
 */
function inPlaceInput(direction: Direction, regions: readonly Region<StorageRef>[], names: readonly string[]): number | undefined {
  const out = regions[regions.length - 1]!;
  const allowed = direction === 'forward' ? 0 : 1;
  let inPlace: number | undefined;
  regions.slice(0, -1).forEach((v, i) => {
    if (v.storage !== out.storage || v.length === 0 || out.length === 0) return;
    if (v.offset === out.offset && v.length === out.length && i === allowed) {
      inPlace = i;
    } else if (v.offset < out.offset + 4 * out.length && out.offset < v.offset + 4 * v.length) {
      const what = direction === 'forward' ? 'exactly x (in place)' : 'exactly dy (in place)';
      throw new InvalidArgumentError(
        names[names.length - 1]!,
        `a range that does not overlap ${names[i]!}, or ${what}`,
        'an overlapping range',
      );
    }
  });
  return inPlace;
}

/** The operand backward reads besides dy: x, or y for ops whose gradient comes from the output. */
export function savedOperand(op: ElementwiseOp, given: unknown, argument: string): ['x' | 'y', unknown] {
  if (typeof given !== 'object' || given === null) {
    throw new InvalidArgumentError(argument, `an object { ${op.backwardFrom}, dy }`, describe(given));
  }
  const name = op.backwardFrom;
  const value = (given as Record<string, unknown>)[name];
  if (value === undefined) {
    const other = name === 'x' ? 'y' : 'x';
    const hint = (given as Record<string, unknown>)[other] !== undefined ? `; it was given ${other}` : '';
    throw new InvalidArgumentError(
      `${argument}.${name}`,
      `the ${name === 'x' ? 'input x' : 'forward output y'} (${op.name}'s gradient is computed from ${name}${hint})`,
      'nothing',
    );
  }
  return [name, value];
}
