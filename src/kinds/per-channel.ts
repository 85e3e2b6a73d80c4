// The front end of per-channel ops (a tensor parameter broadcast over x: PReLU's slopes): checks
// the broadcast, allocates outputs and calls the backend's per-channel kernels; the parameter's
// gradient is summed by the backend's rowSums. f16 runs through exact widening to f32.
import type { StorageRef } from '../backend.js';
import { InvalidArgumentError, describe } from '../errors.js';
import type { PerChannelOp } from '../ops/define.js';
import { preluBroadcast } from '../ops/prelu.js';
import { checkSameShape, type Runtime } from '../runtime.js';
import type { Dtype, Tensor } from '../tensor.js';
import { PreluLayer } from '../layer/param-layers.js';
import { maskStorage, withMask, type Mask } from '../layer/steps.js';
import { optionsObject } from '../options.js';
import { attrsObject, isHalf, narrow, produce, refuseHalfEncoder, viaF32, widened } from './common.js';

/** Where PReLU's slopes go: see Activations.prelu. */
export interface PreluOptions {
  /**
   * For a 1-D alpha: x's axis its slopes run along (PyTorch's layout: 1 for [N, C, H, W]).
   * Without it alpha broadcasts to x from the right (WebNN, ONNX, TensorFlow.js), so a [C]
   * alpha runs along the last axis.
   */
  readonly axis?: number;
}

/** PReLU's operands for forward/backward/layer by name. */
export interface PreluAttrs extends PreluOptions {
  /** The slopes, as in {@link Activations.prelu}: broadcast to x from the right, or along `axis`. */
  readonly alpha: Tensor;
}

/** Options of `acts.layer('prelu', { alpha }, options)`. */
export interface PreluLayerOptions {
  /**
   * true (default): the layer computes the slopes' gradient (`layer.dalpha`), keeping x. false:
   * the slopes are frozen, and the layer keeps a 1-bit mask of x > 0 instead (0.125 bytes an element).
   */
  readonly learnAlpha?: boolean;
}

/** y = op(x, alpha), x's shape. */
export function perChannelForward(
  rt: Runtime,
  op: PerChannelOp,
  x: Tensor<Dtype>,
  alpha: Tensor<Dtype>,
  options: unknown,
  encoder?: GPUCommandEncoder,
): Tensor<Dtype> {
  rt.checkLive();
  if (isHalf(x)) {
    const names = [
      ['x', x],
      ['alpha', alpha],
    ] as const;
    return viaF32(rt, encoder, names, ([wx, wa]) => perChannelForward(rt, op, wx!, wa!, options));
  }
  const xs = rt.storage(x, 'x');
  const param = rt.storage(alpha, 'alpha');
  const b = preluBroadcast(x.shape, alpha.shape, optionsObject(options, 'options', ['axis']).axis);
  const n = x.length;
  return rt.adopt(
    produce(rt, n, 'f32', `${op.name}.forward`, (out) => rt.backend.perChannel(op, 'forward', { x: xs, param, out }, n, b, encoder)),
    x.shape,
  );
}

/**
 * dx (x's shape) and the parameter's gradient (alpha's shape): each element's term, summed per
 * parameter in a fixed binary tree (the same bits on every run and backend).
 */
export function perChannelBackward(
  rt: Runtime,
  op: PerChannelOp,
  grads: unknown,
  options: unknown,
  encoder?: GPUCommandEncoder,
): { dx: Tensor<Dtype>; dalpha: Tensor<Dtype> } {
  rt.checkLive();
  if (typeof grads !== 'object' || grads === null) throw new InvalidArgumentError('grads', 'an object { x, alpha, dy }', describe(grads));
  const g = grads as { x: Tensor<Dtype>; alpha: Tensor<Dtype>; dy: Tensor<Dtype> };
  if (isHalf(g.x)) {
    refuseHalfEncoder(encoder);
    const names = [
      ['grads.x', g.x],
      ['grads.alpha', g.alpha],
      ['grads.dy', g.dy],
    ] as const;
    return widened(rt, names, ([x, alpha, dy]) => {
      const r = perChannelBackward(rt, op, { x, alpha, dy }, options);
      return { dx: narrow(rt, r.dx as Tensor), dalpha: narrow(rt, r.dalpha as Tensor) };
    });
  }
  const xs = rt.storage(g.x, 'grads.x');
  const param = rt.storage(g.alpha, 'grads.alpha');
  const ds = rt.storage(g.dy, 'grads.dy');
  checkSameShape('grads.dy', g.dy, g.x.shape, 'the shape of x');
  const b = preluBroadcast(g.x.shape, g.alpha.shape, optionsObject(options, 'options', ['axis']).axis);
  const n = g.x.length;
  const terms = rt.backend.allocate(n, 'f32', `${op.name}.dalpha.terms`, 'x');
  // What the caller's encoder still reads when they submit: freed with dalpha, which it writes last.
  let pending: readonly StorageRef[] = [terms];
  try {
    const dx = produce(rt, n, 'f32', `${op.name}.backward`, (out) => {
      rt.backend.perChannel(op, 'backward', { x: xs, param, dy: ds, out, terms }, n, b, encoder);
    });
    let sums: { readonly sums: StorageRef; readonly pending: readonly StorageRef[] };
    try {
      sums = rt.backend.rowSums(terms, b.params, b.perParam, b.perParam, `${op.name}.dalpha`, encoder);
    } catch (e) {
      rt.backend.release(dx);
      throw e;
    }
    const dalpha = rt.adopt(sums.sums, g.alpha.shape);
    if (encoder) {
      const backend = rt.backend;
      const held = [terms, ...sums.pending];
      rt.releaseWith(dalpha, () => held.forEach((s) => backend.release(s)));
      pending = [];
    }
    return { dx: rt.adopt(dx, g.x.shape), dalpha };
  } finally {
    for (const s of pending) rt.backend.release(s);
  }
}

/** A frozen-parameter layer's forward: y and the 1-bit mask of what dx needs. */
export function perChannelForwardMask(
  rt: Runtime,
  op: PerChannelOp,
  x: Tensor,
  alpha: Tensor,
  axis: number | undefined,
  encoder?: GPUCommandEncoder,
): { y: Tensor; mask: Mask } {
  rt.checkLive();
  const xs = rt.storage(x, 'x');
  const param = rt.storage(alpha, 'alpha');
  const b = preluBroadcast(x.shape, alpha.shape, axis);
  const n = x.length;
  return withMask(rt, n, `${op.name}.mask`, (mask) => {
    const y = produce(rt, n, 'f32', `${op.name}.forward`, (out) =>
      rt.backend.perChannel(op, 'forward_mask', { x: xs, param, out, mask: mask.storage }, n, b, encoder),
    );
    return { y: rt.adopt(y, x.shape), mask };
  });
}

/** A frozen-parameter layer's backward: dx from the mask, the parameter and dy. */
export function perChannelBackwardMask(
  rt: Runtime,
  op: PerChannelOp,
  mask: Mask,
  alpha: Tensor,
  dy: Tensor,
  axis: number | undefined,
  encoder?: GPUCommandEncoder,
): Tensor {
  rt.checkLive();
  const ds = rt.storage(dy, 'dy');
  const param = rt.storage(alpha, 'alpha');
  const b = preluBroadcast(dy.shape, alpha.shape, axis);
  const m = maskStorage(rt, mask);
  const n = dy.length;
  return rt.adopt(
    produce(rt, n, 'f32', `${op.name}.backward`, (out) =>
      rt.backend.perChannel(op, 'backward_mask', { param, dy: ds, out, mask: m }, n, b, encoder),
    ),
    dy.shape,
  );
}

/** forward/backward/layer by name for a per-channel op: attrs `{ alpha, axis? }`. */
export const perChannelKind = {
  forward(rt: Runtime, op: PerChannelOp, x: Tensor<Dtype>, attrs: unknown): Tensor<Dtype> {
    const { alpha, ...options } = attrsObject(attrs, op.name, ['alpha', 'axis']);
    return perChannelForward(rt, op, x, alpha as Tensor, options);
  },
  backward(rt: Runtime, op: PerChannelOp, grads: unknown, attrs: unknown): Tensor<Dtype> {
    const { alpha, ...options } = attrsObject(attrs, op.name, ['alpha', 'axis']);
    const { dx, dalpha } = perChannelBackward(rt, op, { ...(grads as object), alpha }, options);
    dalpha.dispose();
    return dx;
  },
  layer(rt: Runtime, op: PerChannelOp, attrs: unknown, options: unknown): PreluLayer {
    const { alpha, ...rest } = attrsObject(attrs, op.name, ['alpha', 'axis']) as { alpha?: Tensor; axis?: number };
    rt.storage(alpha, 'attrs.alpha');
    if (rest.axis !== undefined && !Number.isInteger(rest.axis)) {
      throw new InvalidArgumentError('attrs.axis', 'an integer axis of x (negative counts from the end)', describe(rest.axis));
    }
    const learn = optionsObject(options, 'options', ['learnAlpha']).learnAlpha ?? true;
    if (typeof learn !== 'boolean') throw new InvalidArgumentError('options.learnAlpha', 'true or false', describe(learn));
    const made = new PreluLayer(rt, op, alpha!, rest, !learn);
    rt.track(made);
    return made;
  },
};
