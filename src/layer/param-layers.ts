import { DisposedError, InvalidArgumentError } from '../errors.js';
import type { GatedOp, GroupedOp, PerChannelOp, RowOp } from '../ops/define.js';
import { checkSameShape, type Runtime } from '../runtime.js';
import type { Tensor } from '../tensor.js';
import { groupedBackward, groupedForward } from '../kinds/grouped.js';
import { gatedBackward, gatedForward, type GatedAttrs } from '../kinds/gated.js';
import { rowBackward, rowForward } from '../kinds/softmax.js';
import { perChannelBackward, perChannelBackwardMask, perChannelForward, perChannelForwardMask } from '../kinds/per-channel.js';
import type { LayerEncodeOptions } from './layer.js';
import { layerEncoder, type Mask } from './steps.js';

/** Shared state of the layers that keep x (a reference: keep it alive until backward). */
abstract class KeepsX {
  protected kept: Tensor | undefined;
  #disposed = false;

  /** What the layer keeps between forward and backward: x itself. */
  get keeps(): 'x' | 'mask' | 'y' {
    return 'x';
  }

  /** Bytes kept per element between forward and backward (x, f32). */
  get retainedBytesPerElement(): number {
    return 4;
  }

  /** Bytes held right now for the next backward (0 before forward and after backward). */
  get retainedBytes(): number {
    return 4 * (this.kept?.length ?? 0);
  }

  protected checkLive(): void {
    if (this.#disposed) throw new DisposedError('layer');
  }

  protected takeKept(dy: Tensor, expected: (x: Tensor) => readonly number[]): Tensor {
    this.checkLive();
    this.rt.storage(dy, 'dy');
    const x = this.kept;
    if (!x) throw new InvalidArgumentError('layer', 'forward(x) before backward(dy)', 'a backward with no forward state kept');
    checkSameShape('dy', dy, expected(x), "the shape of forward's output");
    this.kept = undefined;
    return x;
  }

  /** Drops what it keeps. Calling it again does nothing. */
  dispose(): void {
    this.kept = undefined;
    this.#disposed = true;
    this.rt.untrack(this);
  }

  constructor(protected readonly rt: Runtime) {}
}

/**
 * PReLU as a training layer with its slopes as a parameter. `forward(x)` keeps x (dalpha needs its
 * values, not only its sign); `backward(dy)` returns dx and leaves the slopes' gradient in
 * `dalpha`, which the layer owns: the next backward or `dispose()` frees it. `alpha` is your
 * tensor: update it between steps as your optimiser does. With `{ learnAlpha: false }` the slopes
 * are frozen: forward keeps a 1-bit mask of x > 0 instead of x (0.125 bytes an element), backward
 * gives dx alone and `dalpha` stays undefined.
 *
 * @example
 * const act = acts.layer('prelu', { alpha: acts.tensor([0.25, 0.25, 0.25]) }); // 3 channels, the last axis ({ alpha, axis: 1 } for [N, C, H, W])
 * const h = act.forward(z);
 * const dz = act.backward(dh);
 * const grad = await act.dalpha!.read();
 */
export class PreluLayer extends KeepsX {
  /** The op this layer applies. */
  readonly op = 'prelu';
  readonly #def: PerChannelOp;
  #dalpha: Tensor | undefined;
  #mask: { readonly mask: Mask; readonly shape: readonly number[] } | undefined;

  /** @internal Use `acts.layer('prelu', { alpha })`. */
  constructor(
    rt: Runtime,
    def: PerChannelOp,
    /** The slopes (yours). */
    readonly alpha: Tensor,
    private readonly options: { readonly axis?: number },
    /** true for frozen slopes: the layer keeps a mask. */
    private readonly masked = false,
  ) {
    super(rt);
    this.#def = def;
  }

  /** The slopes' gradient from the last backward (alpha's shape), or undefined before one (always, with frozen slopes). */
  get dalpha(): Tensor | undefined {
    return this.#dalpha;
  }

  /** What the layer keeps between forward and backward: x, or a 1-bit mask with frozen slopes. */
  override get keeps(): 'x' | 'mask' {
    return this.masked ? 'mask' : 'x';
  }

  override get retainedBytesPerElement(): number {
    return this.masked ? 1 / 8 : 4;
  }

  override get retainedBytes(): number {
    return this.#mask ? this.#mask.mask.bytes : super.retainedBytes;
  }

  /**
   * y = prelu(x, alpha), keeping x (or, with frozen slopes, its mask) for backward. With
   * `options.encoder` the work goes into your encoder and nothing is submitted.
   */
  forward(x: Tensor, options: LayerEncodeOptions = {}): Tensor {
    this.checkLive();
    const encoder = layerEncoder(this.rt, options);
    if (this.masked) {
      const { y, mask } = perChannelForwardMask(this.rt, this.#def, x, this.alpha, this.options.axis, encoder);
      this.#mask?.mask.release();
      this.#mask = { mask, shape: x.shape };
      return y;
    }
    const y = perChannelForward(this.rt, this.#def, x, this.alpha, this.options, encoder) as Tensor;
    this.kept = x;
    return y;
  }

  /** dx from dy and what forward kept; with learnable slopes their gradient goes to `dalpha`. */
  backward(dy: Tensor, options: LayerEncodeOptions = {}): Tensor {
    const encoder = layerEncoder(this.rt, options);
    if (this.masked) {
      this.checkLive();
      this.rt.storage(dy, 'dy');
      const kept = this.#mask;
      if (!kept) throw new InvalidArgumentError('layer', 'forward(x) before backward(dy)', 'a backward with no forward state kept');
      checkSameShape('dy', dy, kept.shape, "the shape of forward's output");
      const dx = perChannelBackwardMask(this.rt, this.#def, kept.mask, this.alpha, dy, this.options.axis, encoder);
      // Encoded work reads the mask when you submit: it goes with dx then.
      if (encoder) this.rt.releaseWith(dx, () => kept.mask.release());
      else kept.mask.release();
      this.#mask = undefined;
      return dx;
    }
    const x = this.takeKept(dy, (t) => t.shape);
    const { dx, dalpha } = perChannelBackward(this.rt, this.#def, { x, alpha: this.alpha, dy }, this.options, encoder) as {
      dx: Tensor;
      dalpha: Tensor;
    };
    this.#dalpha?.dispose();
    this.#dalpha = dalpha;
    return dx;
  }

  override dispose(): void {
    this.#dalpha?.dispose();
    this.#dalpha = undefined;
    this.#mask?.mask.release();
    this.#mask = undefined;
    super.dispose();
  }
}

/**
 * Maxout as a training layer: `forward(x)` keeps x, `backward(dy)` sends each group's gradient to
 * the entry that won.
 *
 * @example
 * const act = acts.layer('maxout', { pieces: 4 });
 * const h = act.forward(z);           // [batch, 256] -> [batch, 64]
 * const dz = act.backward(dh);        // [batch, 256]
 */
export class MaxoutLayer extends KeepsX {
  /** The op this layer applies. */
  readonly op = 'maxout';
  readonly #def: GroupedOp;

  /** @internal Use `acts.layer('maxout', { pieces })`. */
  constructor(
    rt: Runtime,
    def: GroupedOp,
    private readonly options: { readonly pieces: number; readonly axis?: number },
  ) {
    super(rt);
    this.#def = def;
  }

  /** y = maxout(x), keeping x for backward. */
  forward(x: Tensor, options: LayerEncodeOptions = {}): Tensor {
    this.checkLive();
    const y = groupedForward(this.rt, this.#def, x, this.options, layerEncoder(this.rt, options)) as Tensor;
    this.kept = x;
    return y;
  }

  /** dx (x's shape) from dy (y's shape) and the kept x. */
  backward(dy: Tensor, options: LayerEncodeOptions = {}): Tensor {
    const encoder = layerEncoder(this.rt, options);
    const pieces = this.options.pieces;
    const axis = this.options.axis ?? -1;
    const x = this.takeKept(dy, (t) => t.shape.map((d, i) => (i === (axis < 0 ? axis + t.shape.length : axis) ? d / pieces : d)));
    return groupedBackward(this.rt, this.#def, { x, dy }, this.options, encoder) as Tensor;
  }
}

/**
 * A gated unit (glu, reglu, geglu, swiglu) as a training layer: `forward(x)` keeps x (both
 * halves' gradients need a and b), `backward(dy)` gives dx, x's shape, in one pass.
 *
 * @example
 * const act = acts.layer('swiglu');                        // the last axis splits into a and b
 * const h = act.forward(z);                                // z: [tokens, 2 * hidden] -> h: [tokens, hidden]
 * const dz = act.backward(dh);
 */
export class GatedLayer extends KeepsX {
  /** The op this layer applies. */
  readonly op: string;
  readonly #def: GatedOp;

  /** @internal Use `acts.layer('swiglu')` (or glu, reglu, geglu). */
  constructor(
    rt: Runtime,
    def: GatedOp,
    private readonly attrs: GatedAttrs,
  ) {
    super(rt);
    this.#def = def;
    this.op = def.name;
  }

  /** y = a * gate(b), keeping x for backward. */
  forward(x: Tensor, options: LayerEncodeOptions = {}): Tensor {
    this.checkLive();
    const y = gatedForward(this.rt, this.#def, x, this.attrs, layerEncoder(this.rt, options)) as Tensor;
    this.kept = x;
    return y;
  }

  /** dx (x's shape) from dy (y's shape) and the kept x. */
  backward(dy: Tensor, options: LayerEncodeOptions = {}): Tensor {
    const encoder = layerEncoder(this.rt, options);
    const axis = this.attrs.axis;
    const x = this.takeKept(dy, (t) => t.shape.map((d, i) => (i === (axis < 0 ? axis + t.shape.length : axis) ? d / 2 : d)));
    return gatedBackward(this.rt, this.#def, { x, dy }, this.attrs, encoder) as Tensor;
  }
}

/**
 * softmax or logSoftmax as a training layer: `forward(x)` keeps y, its own output (the gradient
 * is computed from y: keep the y it returned alive until backward), `backward(dy)` gives dx.
 *
 * @example
 * const head = acts.layer('logSoftmax');                  // over the last axis
 * const logp = head.forward(logits);                       // logits: [batch, classes]
 * const dlogits = head.backward(dlogp);
 */
export class SoftmaxLayer extends KeepsX {
  /** The op this layer applies. */
  readonly op: string;
  readonly #def: RowOp;

  /** What the layer keeps between forward and backward: its output y. */
  override get keeps(): 'x' | 'mask' | 'y' {
    return 'y';
  }

  /** @internal Use `acts.layer('softmax')` or `acts.layer('logSoftmax')`. */
  constructor(
    rt: Runtime,
    def: RowOp,
    private readonly axis: number,
  ) {
    super(rt);
    this.#def = def;
    this.op = def.name;
  }

  /** y = op(x) along the axis, keeping y for backward. */
  forward(x: Tensor, options: LayerEncodeOptions = {}): Tensor {
    this.checkLive();
    const y = rowForward(this.rt, this.#def, x, this.axis, layerEncoder(this.rt, options)) as Tensor;
    this.kept = y;
    return y;
  }

  /** dx from dy (y's shape) and the kept y. */
  backward(dy: Tensor, options: LayerEncodeOptions = {}): Tensor {
    const encoder = layerEncoder(this.rt, options);
    const y = this.takeKept(dy, (t) => t.shape);
    return rowBackward(this.rt, this.#def, { y, dy }, this.axis, encoder) as Tensor;
  }
}
