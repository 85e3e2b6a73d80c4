// The front end of the row-normalising ops (softmax, logSoftmax): checks the axis, allocates
// outputs and calls the backend's row kernels. f16 runs through exact widening to f32, as the
// other kinds'. Backward reads y, the forward's output, not x.
import { InvalidArgumentError, describe } from '../errors.js';
import type { RowOp } from '../ops/define.js';
import { rowLayout } from '../ops/softmax.js';
import { optionsObject } from '../options.js';
import { checkSameShape, type Runtime } from '../runtime.js';
import type { Dtype, Tensor } from '../tensor.js';
import { SoftmaxLayer } from '../layer/param-layers.js';
import { attrsObject, isHalf, produce, viaF32 } from './common.js';

/** The attributes softmax and logSoftmax take. */
export interface SoftmaxOptions {
  /** The axis normalised over: default -1, the last; negative counts from the end. */
  readonly axis?: number;
}

/** The axis of a softmax attrs object (default -1), checked as an integer; its range is checked against x. */
export function softmaxAxis(op: RowOp, attrs: unknown): number {
  const { axis = -1 } = attrsObject(attrs ?? {}, op.name, ['axis']);
  if (typeof axis !== 'number' || !Number.isInteger(axis)) {
    throw new InvalidArgumentError('attrs.axis', 'an integer axis of x (negative counts from the end)', describe(axis));
  }
  return axis;
}

/** y, x's shape: each row along the axis normalised. */
export function rowForward(rt: Runtime, op: RowOp, x: Tensor<Dtype>, axis: number, encoder?: GPUCommandEncoder): Tensor<Dtype> {
  rt.checkLive();
  if (isHalf(x)) return viaF32(rt, encoder, [['x', x]], ([wx]) => rowForward(rt, op, wx!, axis));
  const xs = rt.storage(x, 'x');
  const layout = rowLayout(x.shape, axis);
  return rt.adopt(
    produce(rt, x.length, 'f32', `${op.name}.forward`, (out) => rt.backend.rowwise(op, 'forward', { input: xs, out }, layout, encoder)),
    x.shape,
  );
}

/** dx from y (the forward's output) and dy, all of one shape. */
export function rowBackward(rt: Runtime, op: RowOp, grads: unknown, axis: number, encoder?: GPUCommandEncoder): Tensor<Dtype> {
  rt.checkLive();
  if (typeof grads !== 'object' || grads === null) throw new InvalidArgumentError('grads', 'an object { y, dy }', describe(grads));
  const given = grads as { y?: Tensor<Dtype>; x?: unknown; dy: Tensor<Dtype> };
  if (given.y === undefined) {
    const hint = given.x !== undefined ? ` (${op.name}'s gradient is computed from its output y, not x)` : '';
    throw new InvalidArgumentError('grads.y', `the forward's output y${hint}`, describe(given.y));
  }
  const { y, dy } = given as { y: Tensor<Dtype>; dy: Tensor<Dtype> };
  if (isHalf(y)) {
    const names = [
      ['grads.y', y],
      ['grads.dy', dy],
    ] as const;
    return viaF32(rt, encoder, names, ([wy, wdy]) => rowBackward(rt, op, { y: wy, dy: wdy }, axis));
  }
  const ys = rt.storage(y, 'grads.y');
  const ds = rt.storage(dy, 'grads.dy');
  checkSameShape('grads.dy', dy, y.shape, 'the shape of y');
  const layout = rowLayout(y.shape, axis);
  return rt.adopt(
    produce(rt, y.length, 'f32', `${op.name}.backward`, (out) =>
      rt.backend.rowwise(op, 'backward', { input: ys, dy: ds, out }, layout, encoder),
    ),
    y.shape,
  );
}

/** forward/backward/layer by name for softmax and logSoftmax: attrs `{ axis? }`. */
export const softmaxKind = {
  forward(rt: Runtime, op: RowOp, x: Tensor<Dtype>, attrs: unknown): Tensor<Dtype> {
    return rowForward(rt, op, x, softmaxAxis(op, attrs));
  },
  backward(rt: Runtime, op: RowOp, grads: unknown, attrs: unknown): Tensor<Dtype> {
    return rowBackward(rt, op, grads, softmaxAxis(op, attrs));
  },
  layer(rt: Runtime, op: RowOp, attrs: unknown, options: unknown): SoftmaxLayer {
    optionsObject(options, 'options', []); // no layer options: refuse any, not ignore them
    const made = new SoftmaxLayer(rt, op, softmaxAxis(op, attrs));
    rt.track(made);
    return made;
  },
};
