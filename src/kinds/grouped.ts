// The front end of grouped ops (groups of neighbouring entries along an axis: maxout): checks the
// grouping, allocates outputs and calls the backend's grouped kernels. f16 runs through exact
// widening to f32.
import { InvalidArgumentError, describe } from '../errors.js';
import type { GroupedOp } from '../ops/define.js';
import { maxoutGrouping } from '../ops/maxout.js';
import { optionsObject } from '../options.js';
import { checkSameShape, type Runtime } from '../runtime.js';
import type { Dtype, Tensor } from '../tensor.js';
import { MaxoutLayer } from '../layer/param-layers.js';
import { attrsObject, isHalf, produce, viaF32 } from './common.js';

/** Maxout's grouping: see Activations.maxout. */
export interface MaxoutOptions {
  /** Entries per group; it must divide x's size along the axis. */
  readonly pieces: number;
  /** The axis grouped (default -1, the last; negative counts from the end). */
  readonly axis?: number;
}

/** y: each group's winner; the axis shrinks by `pieces`. */
export function groupedForward(rt: Runtime, op: GroupedOp, x: Tensor<Dtype>, options: unknown, encoder?: GPUCommandEncoder): Tensor<Dtype> {
  rt.checkLive();
  if (isHalf(x)) return viaF32(rt, encoder, [['x', x]], ([wx]) => groupedForward(rt, op, wx!, options));
  const xs = rt.storage(x, 'x');
  const g = maxoutGrouping(x.shape, options);
  const count = x.length / Math.max(1, g.pieces);
  return rt.adopt(
    produce(rt, count, 'f32', `${op.name}.forward`, (out) => rt.backend.grouped(op, 'forward', { x: xs, out }, g, encoder)),
    g.outShape,
  );
}

/** dx (x's shape) from x and dy (y's shape): each group's dy to its winner. */
export function groupedBackward(rt: Runtime, op: GroupedOp, grads: unknown, options: unknown, encoder?: GPUCommandEncoder): Tensor<Dtype> {
  rt.checkLive();
  if (typeof grads !== 'object' || grads === null) throw new InvalidArgumentError('grads', 'an object { x, dy }', describe(grads));
  const { x, dy } = grads as { x: Tensor<Dtype>; dy: Tensor<Dtype> };
  if (isHalf(x)) {
    const names = [
      ['grads.x', x],
      ['grads.dy', dy],
    ] as const;
    return viaF32(rt, encoder, names, ([wx, wdy]) => groupedBackward(rt, op, { x: wx, dy: wdy }, options));
  }
  const xs = rt.storage(x, 'grads.x');
  const ds = rt.storage(dy, 'grads.dy');
  const g = maxoutGrouping(x.shape, options);
  checkSameShape('grads.dy', dy, g.outShape, "maxout's output for x");
  const n = x.length;
  return rt.adopt(
    produce(rt, n, 'f32', `${op.name}.backward`, (out) => rt.backend.grouped(op, 'backward', { x: xs, dy: ds, out }, g, encoder)),
    x.shape,
  );
}

/** forward/backward/layer by name for a grouped op: attrs `{ pieces, axis? }`. */
export const groupedKind = {
  forward(rt: Runtime, op: GroupedOp, x: Tensor<Dtype>, attrs: unknown): Tensor<Dtype> {
    return groupedForward(rt, op, x, attrsObject(attrs, op.name, ['pieces', 'axis']));
  },
  backward(rt: Runtime, op: GroupedOp, grads: unknown, attrs: unknown): Tensor<Dtype> {
    return groupedBackward(rt, op, grads, attrsObject(attrs, op.name, ['pieces', 'axis']));
  },
  layer(rt: Runtime, op: GroupedOp, attrs: unknown, options: unknown): MaxoutLayer {
    optionsObject(options, 'options', []); // maxout's layer takes no layer options: refuse any, not ignore them
    const given = attrsObject(attrs, op.name, ['pieces', 'axis']) as Partial<MaxoutOptions>;
    if (typeof given.pieces !== 'number' || !Number.isInteger(given.pieces) || given.pieces < 1) {
      throw new InvalidArgumentError('attrs.pieces', 'a positive integer (entries per group)', describe(given.pieces));
    }
    const made = new MaxoutLayer(rt, op, given as MaxoutOptions);
    rt.track(made);
    return made;
  },
};
