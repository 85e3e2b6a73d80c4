// The front end of the gated units (glu, reglu, geglu, swiglu): checks the axis and the gate's
// attributes, allocates outputs and calls the backend's gated kernels. f16 runs through exact
// widening to f32, as the grouped kind's.
import { InvalidArgumentError, describe } from '../errors.js';
import { resolveAttrs, type GatedOp } from '../ops/define.js';
import { gating } from '../ops/gated.js';
import type { GatedName } from '../ops/registry.js';
import { optionsObject } from '../options.js';
import { checkSameShape, type Runtime } from '../runtime.js';
import type { Dtype, Tensor } from '../tensor.js';
import { GatedLayer } from '../layer/param-layers.js';
import { attrsObject, isHalf, produce, viaF32 } from './common.js';

/** The attributes every gated unit takes. */
export interface GatedOptions {
  /** The axis split into halves a (first) and b (second): default -1, the last; negative counts from the end. */
  readonly axis?: number;
}

/** geglu's attributes: the axis, and gelu's form. */
export interface GegluOptions extends GatedOptions {
  /** gelu's form: 'none' (x·Φ(x), the default) or 'tanh' (its tanh approximation). */
  readonly approximate?: 'none' | 'tanh';
}

/** A gated unit's attributes: the axis, and for geglu gelu's `approximate` ('none', the default, or 'tanh'). */
export type GatedOpAttrs<N extends GatedName> = N extends 'geglu' ? GegluOptions : GatedOptions;

/** A gated op's attributes: `axis` (default -1, the last) and its gate's, checked; `argument` names attrs. */
export interface GatedAttrs {
  readonly axis: number;
  /** The gate's attribute values, in slot order, as f32. */
  readonly values: readonly number[];
}

/** Checks a gated op's attrs object: `axis` and the gate's own attributes, nothing else. */
export function gatedAttrs(op: GatedOp, attrs: unknown): GatedAttrs {
  const given = attrsObject(attrs ?? {}, op.name, ['axis', ...Object.keys(op.gate.attrs)]);
  const { axis = -1, ...rest } = given;
  if (typeof axis !== 'number' || !Number.isInteger(axis)) {
    throw new InvalidArgumentError('attrs.axis', 'an integer axis of x (negative counts from the end)', describe(axis));
  }
  return { axis, values: resolveAttrs(op.gate, rest) };
}

/** y: x's shape with the axis halved, a * gate(b). */
export function gatedForward(rt: Runtime, op: GatedOp, x: Tensor<Dtype>, attrs: GatedAttrs, encoder?: GPUCommandEncoder): Tensor<Dtype> {
  rt.checkLive();
  if (isHalf(x)) return viaF32(rt, encoder, [['x', x]], ([wx]) => gatedForward(rt, op, wx!, attrs));
  const xs = rt.storage(x, 'x');
  const g = gating(x.shape, attrs.axis);
  const count = g.outer * g.half * g.inner;
  return rt.adopt(
    produce(rt, count, 'f32', `${op.name}.forward`, (out) => rt.backend.gated(op, 'forward', { x: xs, out }, g, attrs.values, encoder)),
    g.outShape,
  );
}

/** dx (x's shape) from x and dy (y's shape): both halves' gradients in one pass. */
export function gatedBackward(rt: Runtime, op: GatedOp, grads: unknown, attrs: GatedAttrs, encoder?: GPUCommandEncoder): Tensor<Dtype> {
  rt.checkLive();
  if (typeof grads !== 'object' || grads === null) throw new InvalidArgumentError('grads', 'an object { x, dy }', describe(grads));
  const { x, dy } = grads as { x: Tensor<Dtype>; dy: Tensor<Dtype> };
  if (isHalf(x)) {
    const names = [
      ['grads.x', x],
      ['grads.dy', dy],
    ] as const;
    return viaF32(rt, encoder, names, ([wx, wdy]) => gatedBackward(rt, op, { x: wx, dy: wdy }, attrs));
  }
  const xs = rt.storage(x, 'grads.x');
  const ds = rt.storage(dy, 'grads.dy');
  const g = gating(x.shape, attrs.axis);
  checkSameShape('grads.dy', dy, g.outShape, `${op.name}'s output for x`);
  return rt.adopt(
    produce(rt, x.length, 'f32', `${op.name}.backward`, (out) =>
      rt.backend.gated(op, 'backward', { x: xs, dy: ds, out }, g, attrs.values, encoder),
    ),
    x.shape,
  );
}

/** forward/backward/layer by name for a gated op: attrs `{ axis?, ...the gate's }`. */
export const gatedKind = {
  forward(rt: Runtime, op: GatedOp, x: Tensor<Dtype>, attrs: unknown): Tensor<Dtype> {
    return gatedForward(rt, op, x, gatedAttrs(op, attrs));
  },
  backward(rt: Runtime, op: GatedOp, grads: unknown, attrs: unknown): Tensor<Dtype> {
    return gatedBackward(rt, op, grads, gatedAttrs(op, attrs));
  },
  layer(rt: Runtime, op: GatedOp, attrs: unknown, options: unknown): GatedLayer {
    optionsObject(options, 'options', []); // a gated layer takes no layer options: refuse any, not ignore them
    const made = new GatedLayer(rt, op, gatedAttrs(op, attrs));
    rt.track(made);
    return made;
  },
};
