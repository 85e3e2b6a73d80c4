import type { UnitShape } from '../backend.js';
import { DisposedError, InvalidArgumentError } from '../errors.js';
import type { OpDefinition, OpName } from '../ops/registry.js';
import { checkSameShape, type Runtime } from '../runtime.js';
import type { Tensor } from '../tensor.js';
import { apply } from '../kinds/elementwise.js';
import {
  backwardMasked,
  biasGrad,
  countActive,
  forwardBias,
  forwardMasked,
  layerEncoder,
  layerInput,
  type LayerInput,
  type Mask,
} from './steps.js';

export type { LayerInput, Retained } from './steps.js';

/** x seen as [outer, channels, inner] around the bias (or unit) axis. */
export type BiasShape = UnitShape;

/** The [outer, channels, inner] view of a shape around `axis` (negative counts from the end). */
export function unitShape(shape: readonly number[], axis: number): BiasShape {
  const a = axis < 0 ? axis + shape.length : axis;
  if (a < 0 || a >= shape.length) throw new InvalidArgumentError('options.axis', `an axis of x's ${shape.length} dimensions`, String(axis));
  return {
    outer: shape.slice(0, a).reduce((p, d) => p * d, 1),
    channels: shape[a]!,
    inner: shape.slice(a + 1).reduce((p, d) => p * d, 1),
  };
}

/** What the last forward's mask says about the units along the layer's axis. */
export interface LayerActivity {
  /** Per unit, how many of its outputs in the batch were active (mask set: positive, for relu). */
  readonly active: Uint32Array;
  /** Outputs per unit in the batch. */
  readonly samples: number;
  /** Units with no active output. */
  readonly deadUnits: number;
  /** deadUnits over the number of units. */
  readonly deadFraction: number;
}

/** What a layer keeps between forward and backward. */
interface Kept {
  readonly shape: readonly number[];
  readonly mask?: Mask;
  readonly tensor?: Tensor;
  /** The layer made this tensor (z, or a copy of a view) and disposes it on release. */
  readonly owned?: boolean;
  readonly bias?: BiasShape;
}

/** Options of a layer's forward and backward calls. */
export interface LayerEncodeOptions {
  /** Encode into this encoder and submit nothing; you submit it (WebGPU instances only). */
  readonly encoder?: GPUCommandEncoder;
}

/** Options for `acts.layer()`. */
export interface LayerOptions {
  /**
   * 'auto' (default): a 1-bit mask where the op's gradient needs no more (relu, thresholdedRelu,
   * leakyRelu, relu6, hardtanh and its variants clamp and clip),
   * else the tensor backward reads (x, or y for sigmoid and tanh). 'tensor': always the tensor.
   * Ops whose gradient reads neither (linear) keep nothing either way.
   */
  readonly keep?: 'auto' | 'tensor';
  /** The channel (unit) axis: a bias is broadcast along it, telemetry counts per entry of it (default -1, the last). */
  readonly axis?: number;
  /**
   * Count, after each forward, how many outputs of each unit were active: mask bits set (x > 0 for
   * relu and leakyRelu, x > theta for thresholdedRelu, strictly inside the clip for relu6 and
   * hardtanh). `await layer.readActivity()` gives the counts and the dead fraction.
   */
  readonly telemetry?: boolean;
}

/**
 * An activation as a training layer: `forward(x)` keeps only what `backward(dy)` needs, and
 * backward releases it. For ReLU that is one bit per element (0.125 bytes in f32, against 4 to
 * keep x), and the gradient from the mask equals the gradient from x bit for bit.
 *
 * @example
 * const act = acts.layer('relu');
 * const h = act.forward(z);          // keeps a 1-bit mask, not z
 * z.dispose();                       // fine: backward no longer needs z
 * const dz = act.backward(dh);       // releases the mask
 */
export class Layer {
  readonly #op: OpDefinition;
  readonly #attrs: readonly number[];
  readonly #rt: Runtime;
  readonly #masked: boolean;
  readonly #axis: number;
  readonly #telemetry: boolean;
  #activity: { counts: { read(): Promise<Uint32Array>; release(): void }; samples: number } | undefined;
  #kept: Kept | undefined;
  #disposed = false;

  /** @internal Use `acts.layer()`. */
  constructor(rt: Runtime, op: OpDefinition, attrs: readonly number[], masked: boolean, axis = -1, telemetry = false) {
    this.#axis = axis;
    this.#telemetry = telemetry;
    this.#op = op;
    this.#attrs = attrs;
    this.#masked = masked;
    this.#rt = rt;
  }

  /** The op this layer applies. */
  get op(): OpName {
    return this.#op.name as OpName;
  }

  /**
   * What the layer keeps between forward and backward: 'mask' (1 bit an element), the tensor, or
   * 'nothing' (linear, whose gradient alpha * dy reads neither).
   */
  get keeps(): 'mask' | 'x' | 'y' | 'nothing' {
    if (this.#masked) return 'mask';
    return this.#op.backwardIgnoresSaved ? 'nothing' : this.#op.backwardFrom;
  }

  /** Bytes kept per element between forward and backward: 0.125 with a mask, 4 with an f32 tensor, 0 with nothing. */
  get retainedBytesPerElement(): number {
    const keeps = this.keeps;
    return keeps === 'mask' ? 1 / 8 : keeps === 'nothing' ? 0 : 4;
  }

  /** Bytes held right now for the next backward (0 before forward and after backward). */
  get retainedBytes(): number {
    const kept = this.#kept;
    if (!kept) return 0;
    return kept.mask ? kept.mask.bytes : 4 * (kept.tensor?.length ?? 0);
  }

  /**
   * y = op(x), keeping what backward needs (a second forward replaces what the first kept). With
   * a mask, x may be disposed at once; when the layer keeps x (or y), keep it alive until backward.
   *
   * With `options.encoder`, the work is encoded there and nothing is submitted (as the `*Into`
   * calls): keep x alive until you submit, and submit before this layer's next forward or dispose.
   */
  forward(input: LayerInput, options: LayerEncodeOptions = {}): Tensor {
    this.#checkLive();
    const encoder = layerEncoder(this.#rt, options);
    const { tensor: x, temporary } = layerInput(this.#rt, input, 'x', encoder);
    // A refused forward leaves the last forward's state as it was and frees its own copy.
    const r = this.#refusable([temporary ? x : undefined], (): { y: Tensor; kept: Kept; shape?: BiasShape | undefined } => {
      if (this.#masked) {
        const shape = this.#telemetry ? unitShape(x.shape, this.#axis) : undefined;
        const { y, mask } = forwardMasked(this.#rt, this.#op, x, this.#attrs, encoder);
        return { y, kept: { shape: x.shape, mask }, shape };
      }
      // Layers take f32 tensors (storage() refuses f16 with a clear error).
      this.#rt.storage(x, 'x');
      const y = apply(this.#rt, this.#op, 'forward', [['x', x]], this.#attrs, encoder) as Tensor;
      const keeps = this.keeps;
      if (keeps === 'nothing') return { y, kept: { shape: x.shape } };
      const keepsX = keeps === 'x';
      return { y, kept: { shape: x.shape, tensor: keepsX ? x : y, ...(temporary && keepsX ? { owned: true } : {}) } };
    });
    this.#keep(r.kept, r.shape, encoder);
    if (temporary && r.kept.tensor !== x) this.#free(x, r.y, encoder);
    return r.y;
  }

  /**
   * y = op(x + b) in one pass, b broadcast along the layer's channel axis (`options.axis`,
   * default the last): how a dense or conv layer's output reaches its activation, without
   * writing and reading x + b. Keeps what backwardBias needs, as forward does.
   *
   * @example
   * const act = acts.layer('relu');                // axis -1: x is [batch, units], b is [units]
   * const h = act.forwardBias(xw, b);
   * const { dx, db } = act.backwardBias(dh);
   */
  forwardBias(input: LayerInput, bias: LayerInput, options: LayerEncodeOptions = {}): Tensor {
    this.#checkLive();
    const encoder = layerEncoder(this.#rt, options);
    const { tensor: x, temporary } = layerInput(this.#rt, input, 'x', encoder);
    const r = this.#refusable([temporary ? x : undefined], () => {
      const { tensor: b, temporary: bTemporary } = layerInput(this.#rt, bias, 'b', encoder);
      return this.#refusable([bTemporary ? b : undefined], () => {
        const keep = this.keeps;
        const shape = unitShape(x.shape, this.#axis);
        const f = forwardBias(this.#rt, this.#op, x, b, shape, this.#attrs, keep, encoder);
        const kept: Kept = {
          shape: x.shape,
          bias: shape,
          ...(f.mask ? { mask: f.mask } : {}),
          ...(f.z ? { tensor: f.z, owned: true } : keep === 'y' ? { tensor: f.y } : {}),
        };
        return { y: f.y, kept, shape: f.mask && this.#telemetry ? shape : undefined, b: bTemporary ? b : undefined };
      });
    });
    this.#keep(r.kept, r.shape, encoder);
    if (temporary) this.#free(x, r.y, encoder);
    if (r.b) this.#free(r.b, r.y, encoder);
    return r.y;
  }

  /** dx and db (the bias gradient, summed over each channel in a fixed order) after forwardBias. */
  backwardBias(
    dy: LayerInput,
    options: LayerEncodeOptions = {},
  ): {
    /** The input gradient, x's shape. */
    dx: Tensor;
    /** The bias gradient: one sum per channel, shape [channels]. */
    db: Tensor;
  } {
    this.#checkLive();
    const encoder = layerEncoder(this.#rt, options);
    const bias = this.#kept?.bias;
    if (!bias) throw new InvalidArgumentError('layer', 'forwardBias(x, b) before backwardBias(dy)', 'no bias forward state kept');
    const dx = this.backward(dy, options);
    return { dx, db: biasGrad(this.#rt, this.#op, dx, bias, encoder) };
  }

  /**
   * dx from dy and what forward kept, which it then releases. With `options.encoder`, what the
   * encoded work still reads (the mask, or z) is released when you dispose dx instead.
   */
  backward(gradient: LayerInput, options: LayerEncodeOptions = {}): Tensor {
    this.#checkLive();
    const encoder = layerEncoder(this.#rt, options);
    const kept = this.#kept;
    if (!kept) throw new InvalidArgumentError('layer', 'forward(x) before backward(dy)', 'a backward with no forward state kept');
    const { tensor: dy, temporary } = layerInput(this.#rt, gradient, 'dy', encoder, kept.shape);
    let dx: Tensor;
    try {
      dx = this.#backward(kept, dy, encoder);
    } catch (e) {
      if (temporary) dy.dispose(); // nothing was encoded
      throw e;
    }
    if (temporary) this.#free(dy, dx, encoder);
    return dx;
  }

  /** Frees a temporary copy now, or, when work in the caller's encoder still reads it, with `output`. */
  #free(temporary: Tensor, output: Tensor, encoder: GPUCommandEncoder | undefined): void {
    if (encoder) this.#rt.releaseWith(output, () => temporary.dispose());
    else temporary.dispose();
  }

  #backward(kept: Kept, dy: Tensor, encoder: GPUCommandEncoder | undefined): Tensor {
    checkSameShape('dy', dy, kept.shape, "the shape of forward's x");
    const dx = kept.mask
      ? backwardMasked(this.#rt, this.#op, kept.mask, dy, this.#attrs, encoder)
      : this.#backwardFrom(kept.tensor ?? dy, dy, encoder); // nothing kept: the kernel reads no saved operand
    if (encoder) {
      // The encoded backward reads the mask (or z) when the caller submits: free it with dx.
      const mask = kept.mask;
      const z = kept.owned ? kept.tensor : undefined;
      this.#rt.releaseWith(dx, () => {
        mask?.release();
        z?.dispose();
      });
      this.#kept = undefined;
    } else {
      this.#release();
    }
    return dx;
  }

  /**
   * Per unit along the layer's axis, how many outputs of the last forward were active, and the
   * fraction of dead units (none active). Needs `{ telemetry: true }`; counted on the device from
   * the mask right after forward, so reading it is the only extra cost.
   *
   * @example
   * const act = acts.layer('relu', {}, { telemetry: true });
   * act.forward(h);
   * const { deadFraction } = await act.readActivity();
   */
  async readActivity(): Promise<LayerActivity> {
    this.#checkLive();
    if (!this.#telemetry) throw new InvalidArgumentError('layer', 'a layer made with { telemetry: true }', 'one without telemetry');
    const activity = this.#activity;
    if (!activity) throw new InvalidArgumentError('layer', 'a forward before readActivity()', 'no forward yet');
    const active = await activity.counts.read();
    const deadUnits = active.reduce((n, c) => n + (c === 0 ? 1 : 0), 0);
    return { active, samples: activity.samples, deadUnits, deadFraction: active.length ? deadUnits / active.length : 0 };
  }

  /** Releases anything kept (`acts.dispose()` does this for every layer it made). Calling it again does nothing. */
  dispose(): void {
    if (this.#disposed) return;
    this.#release();
    this.#activity?.counts.release();
    this.#activity = undefined;
    this.#disposed = true;
    this.#rt.untrack(this);
  }

  /** Runs `step`; if it throws, disposes the temporary copies it was given and nothing else changes. */
  #refusable<T>(temporaries: readonly (Tensor | undefined)[], step: () => T): T {
    try {
      return step();
    } catch (e) {
      for (const t of temporaries) t?.dispose();
      throw e;
    }
  }

  /** Replaces what the last forward kept with `kept`, and counts active units when asked. */
  #keep(kept: Kept, shape: BiasShape | undefined, encoder: GPUCommandEncoder | undefined): void {
    this.#release();
    this.#kept = kept;
    if (shape && kept.mask) this.#count(kept.mask, shape, encoder);
  }

  #backwardFrom(saved: Tensor, dy: Tensor, encoder: GPUCommandEncoder | undefined): Tensor {
    this.#rt.storage(dy, 'dy');
    const inputs = [
      [this.#op.backwardFrom, saved],
      ['dy', dy],
    ] as const;
    return apply(this.#rt, this.#op, 'backward', inputs, this.#attrs, encoder) as Tensor;
  }

  #count(mask: Mask, shape: BiasShape, encoder?: GPUCommandEncoder): void {
    this.#activity?.counts.release();
    this.#activity = { counts: countActive(this.#rt, mask, shape, encoder), samples: shape.outer * shape.inner };
  }

  #release(): void {
    this.#kept?.mask?.release();
    if (this.#kept?.owned) this.#kept.tensor?.dispose();
    this.#kept = undefined;
  }

  #checkLive(): void {
    if (this.#disposed) throw new DisposedError('layer');
  }
}
