// The public facade: validates arguments, resolves ops and dtypes, and delegates to the op's
// kind (src/kinds/), which calls the instance's backend (src/backend.ts). It never asks which
// backend it holds. src/open.ts chooses the backend; src/runtime.ts keeps the instance's tensors.
import type { BackendName } from './backend.js';
import { DeviceLostError, InvalidArgumentError, describe } from './errors.js';
import type { AdapterSummary } from './gpu/device.js';
import type { GatedName, OpAttrs, OpName, SoftmaxName } from './ops/registry.js';
import { getOp, lookupOp, registryNames } from './ops/registry.js';
import { optionsObject } from './options.js';
import type { GroupedOp, PerChannelOp } from './ops/define.js';
import { resolveAttrs } from './ops/define.js';
import { Runtime } from './runtime.js';
import { type BufferView, type Dtype, type Tensor } from './tensor.js';
import type { Layer, LayerOptions } from './layer/layer.js';
import type { GatedLayer, MaxoutLayer, PreluLayer, SoftmaxLayer } from './layer/param-layers.js';
import { checkShape } from './kinds/common.js';
import { into, savedOperand, type EncodeOptions, type Grads } from './kinds/elementwise.js';
import { groupedBackward, groupedForward, type MaxoutOptions } from './kinds/grouped.js';
import { kindOf } from './kinds/kinds.js';
import type { GatedOpAttrs } from './kinds/gated.js';
import type { SoftmaxOptions } from './kinds/softmax.js';
import { perChannelBackward, perChannelForward, type PreluAttrs, type PreluLayerOptions, type PreluOptions } from './kinds/per-channel.js';
import { openBackend, recover, type CreateOptions, type Opened, type Recovery } from './open.js';

export type { Tuning } from './gpu/limits.js';
export type { AdapterSummary } from './gpu/device.js';
export type { CreateOptions } from './open.js';
export type { EncodeOptions, Grads } from './kinds/elementwise.js';
export type { MaxoutOptions } from './kinds/grouped.js';
export type { GatedOpAttrs, GatedOptions, GegluOptions } from './kinds/gated.js';
export type { SoftmaxOptions } from './kinds/softmax.js';
export type { PreluAttrs, PreluLayerOptions, PreluOptions } from './kinds/per-channel.js';

/** An operand given as one of our tensors or as a range of your GPUBuffer. */
export type Operand = Tensor | BufferView;

/**
 * Creates an instance bound to one backend.
 *
 * @example
 * const acts = await createActivations();            // WebGPU, or CPU with acts.fallbackReason
 * const x = acts.tensor(new Float32Array([-2, 0, 3]));
 * const y = acts.forward('relu', x);
 * console.log(await y.read());                        // Float32Array [0, 0, 3]
 */
export async function createActivations(options: CreateOptions = {}): Promise<Activations> {
  return new Activations(await openBackend(options));
}

/**
 * Runs activations on one backend. Made by {@link createActivations}.
 */
export class Activations {
  readonly #rt: Runtime;
  #fallbackReason: string | undefined;
  #adapterInfo: AdapterSummary | undefined;
  readonly #recovery: Recovery | undefined;
  #ready: Promise<void> = Promise.resolve();

  /** @internal Use {@link createActivations}. */
  constructor(opened: Opened) {
    this.#rt = new Runtime(opened.backend);
    this.#fallbackReason = opened.fallbackReason;
    this.#adapterInfo = opened.adapterInfo;
    this.#recovery = opened.recovery;
    this.#watch();
  }

  /** The backend the kernels run on ('cpu' after 'auto' fell back, at creation or after a loss). */
  get backend(): BackendName {
    return this.#rt.backendName;
  }

  /** Why 'auto' chose the CPU backend; undefined when it did not fall back. */
  get fallbackReason(): string | undefined {
    return this.#fallbackReason;
  }

  /**
   * The CPU backend's kernels: 'wasm-simd' (WebAssembly SIMD for the ops that have them, JS for
   * the rest) or 'js'; undefined while the instance runs on WebGPU. See `options.cpuKernels`.
   */
  get cpuKernels(): 'wasm-simd' | 'js' | undefined {
    return this.#rt.backend.cpuKernels;
  }

  /** @internal The SIMD heap's bytes in live tensors and in its WebAssembly memory (leak tests watch them). */
  get cpuHeapStats(): { readonly live: number; readonly memory: number } {
    return this.#rt.backend.heapStats ?? { live: 0, memory: 0 };
  }

  /** Why the CPU backend runs plain JS kernels; undefined when it runs WebAssembly SIMD or WebGPU. */
  get cpuKernelsReason(): string | undefined {
    return this.#rt.backend.cpuKernelsReason;
  }

  /** The adapter behind the device, when the runtime says. */
  get adapterInfo(): AdapterSummary | undefined {
    return this.#adapterInfo;
  }

  /**
   * Resolves when the instance can take work: at once, or once it has recovered from a lost
   * device. An instance that requested its own device requests a new one as soon as the old is
   * lost (with 'auto', it falls back to the CPU if none can be had, and says so in
   * `fallbackReason`); until then calls throw DeviceLostError. Rejects with DeviceLostError when
   * the lost device was yours (we never replace a borrowed device) or no new one can be had.
   *
   * @example
   * try { y = acts.forward('relu', x); }
   * catch (e) { if (e instanceof DeviceLostError) { await acts.ready(); x = acts.tensor(data); } }
   */
  ready(): Promise<void> {
    return this.#ready;
  }

  /** Watches the backend for a lost device: we recover a device we requested, never a borrowed one. */
  #watch(): void {
    const backend = this.#rt.backend;
    backend.onLost = (info) => {
      if (this.#rt.disposed || this.#rt.backend !== backend) return;
      const lost = new DeviceLostError(info.reason ?? 'unknown', info.message);
      this.#ready = this.#recovery ? this.#recover(this.#recovery, lost) : Promise.reject(lost);
      this.#ready.catch(() => undefined);
    };
  }

  async #recover(recovery: Recovery, lost: DeviceLostError): Promise<void> {
    const opened = await recover(recovery, lost);
    if (this.#rt.disposed) {
      opened.backend.dispose();
      return;
    }
    this.#rt.replace(opened.backend);
    this.#adapterInfo = opened.adapterInfo;
    if (opened.fallbackReason !== undefined) this.#fallbackReason = opened.fallbackReason;
    this.#watch();
  }

  /**
   * Compiles the kernels that `ops` (default: every op) run forward and backward, in parallel and
   * off the calling thread where the platform can (`createComputePipelineAsync`), so a model's
   * first step does not wait for them; `{ f16: true }` adds the f16 kernels, `{ layers: true }`
   * the training layers' 1-bit-mask kernels. Resolves when they are ready; rejects with a
   * {@link ShaderCompileError} if one fails. A no-op on the CPU backend.
   * Calls made meanwhile still work (they compile what they need themselves).
   *
   * @example
   * await acts.warmup(['gelu', 'swiglu', 'logSoftmax']);
   */
  async warmup(ops?: readonly string[], options?: { readonly f16?: boolean; readonly layers?: boolean }): Promise<void> {
    this.#rt.checkLive();
    const { f16 = false, layers = false } = optionsObject(options, 'options', ['f16', 'layers']);
    if (typeof f16 !== 'boolean') throw new InvalidArgumentError('options.f16', 'true or false', describe(f16));
    if (typeof layers !== 'boolean') throw new InvalidArgumentError('options.layers', 'true or false', describe(layers));
    if (ops !== undefined && !Array.isArray(ops)) throw new InvalidArgumentError('ops', 'an array of op names', describe(ops));
    const names: readonly unknown[] = ops ?? registryNames;
    const defs = names.map((name, i) => {
      try {
        return lookupOp(name);
      } catch (e) {
        if (e instanceof InvalidArgumentError) throw new InvalidArgumentError(`ops[${i}]`, e.expected, e.got);
        throw e;
      }
    });
    await this.#rt.backend.warmup(defs, { f16, layers });
  }

  /**
   * Runs `fn` (synchronous) and submits everything it encoded once, when it returns: its ops,
   * layers and copies go into one command encoder, in one compute pass where they can, under one
   * error scope, instead of a submit (and a scope, a round trip in browsers) each. Results are the
   * same bits. A `read()` inside submits what was encoded so far; buffers freed inside are reused
   * only after the submit; very long batches are submitted in slices of 256 ops. Work given your
   * `{ encoder }` still goes there. Nested batches join the outer one. On the CPU backend `fn`
   * just runs. Returns what `fn` returns; if `fn` throws, what it encoded is still submitted.
   *
   * @example
   * const y = acts.batch(() => {
   *   const h = layer1.forwardBias(x, b1);
   *   return layer2.forwardBias(h, b2);
   * });
   */
  batch<T>(fn: () => T): T {
    this.#rt.checkLive();
    if (typeof fn !== 'function') throw new InvalidArgumentError('fn', 'a function', describe(fn));
    const result = this.#rt.backend.batch(fn);
    if (typeof (result as { then?: unknown } | null)?.then === 'function') {
      // Refused, so nobody awaits it: keep its rejection from being unhandled (Node exits on one).
      (result as PromiseLike<unknown>).then(undefined, () => undefined);
      throw new InvalidArgumentError(
        'fn',
        'a synchronous function (the batch is submitted when it returns)',
        'one that returned a promise',
      );
    }
    return result;
  }

  /**
   * Submits now the work encoded and not yet submitted. Ops on the library's own tensors, called
   * without an `{ encoder }`, are not submitted one by one: they wait in one command encoder and
   * go out together with the next `read()`, a tensor's `gpuBuffer` being handed out, work given
   * your `{ encoder }` (before it is encoded there), an op on one of your buffers (before that
   * call returns), 256 ops, or at the end of the current task (a microtask), whichever is first.
   * So your own submits and `writeBuffer`s always come after what you called before them, except
   * for one thing: `device.queue.onSubmittedWorkDone()` called in the same task as the ops does
   * not wait for them. Call `flush()` first where you need that (a timing loop). On the CPU
   * backend it does nothing.
   *
   * @example
   * const y = acts.forward('relu', x);
   * acts.flush();
   * await device.queue.onSubmittedWorkDone(); // y's work is done
   */
  flush(): void {
    this.#rt.checkLive();
    this.#rt.backend.flush();
  }

  /**
   * Released tensor buffers wait in a bounded pool (`tuning.poolBytes`, default 64 MiB) for reuse,
   * so steady work allocates nothing; this destroys them now (we also do on an out-of-memory
   * error). Returns the bytes freed.
   *
   * @example
   * acts.trimPool(); // before a phase that needs the GPU memory elsewhere
   */
  trimPool(): number {
    return this.#rt.backend.trim();
  }

  /** The GPUDevice in use (yours or ours), or undefined on the CPU backend. */
  get device(): GPUDevice | undefined {
    return this.#rt.backend.device;
  }

  /**
   * A tensor holding a copy of `data`. `shape` defaults to `[data.length]`; its product must
   * equal the data's length. A Uint16Array (the bits of IEEE binary16 values) or a Float16Array
   * (where the runtime has one) makes an f16 tensor.
   *
   * @example
   * const h = acts.tensor(new Uint16Array([0x3c00, 0xbc00])); // f16 [1, -1]
   */
  tensor(data: Uint16Array | Float16ArrayLike, shape?: readonly number[]): Tensor<'f16'>;
  tensor(data: Float32Array | readonly number[], shape?: readonly number[]): Tensor;
  tensor(data: Float32Array | readonly number[] | Uint16Array | Float16ArrayLike, shape?: readonly number[]): Tensor<Dtype> {
    this.#rt.checkLive();
    const half = halfBits(data);
    if (half) {
      const dims = checkShape(shape ?? [half.length], half.length); // before anything is made
      return this.#rt.adopt(this.#rt.backend.upload(half, 'tensor'), dims, 'f16');
    }
    if (!(data instanceof Float32Array) && !Array.isArray(data)) {
      throw new InvalidArgumentError(
        'data',
        'a Float32Array, an array of numbers, or f16 data (Uint16Array, Float16Array)',
        describe(data),
      );
    }
    if (Array.isArray(data)) {
      // Float32Array.from would make NaN of a string and throw a raw TypeError on a BigInt.
      for (let i = 0; i < data.length; i++) {
        if (typeof data[i] !== 'number') throw new InvalidArgumentError(`data[${i}]`, 'a number', describe(data[i]));
      }
    }
    const values = data instanceof Float32Array ? data : Float32Array.from(data as readonly number[]);
    const dims = checkShape(shape ?? [values.length], values.length);
    return this.#rt.adopt(this.#rt.backend.upload(values, 'tensor'), dims);
  }

  /**
   * `y = op(x)`, as a new tensor on this backend. `attrs` sets the op's attributes; the rest
   * keep their defaults.
   *
   * @example
   * const y = acts.forward('thresholdedRelu', x, { theta: 0.5 });
   */
  forward(op: 'prelu', x: Tensor, attrs: PreluAttrs): Tensor;
  forward(op: 'maxout', x: Tensor, attrs: MaxoutOptions): Tensor;
  forward<N extends GatedName, D extends Dtype = 'f32'>(op: N, x: Tensor<D>, attrs?: GatedOpAttrs<N>): Tensor<D>;
  forward<D extends Dtype = 'f32'>(op: SoftmaxName, x: Tensor<D>, attrs?: SoftmaxOptions): Tensor<D>;
  forward<N extends OpName, D extends Dtype = 'f32'>(op: N, x: Tensor<D>, attrs?: OpAttrs<N>): Tensor<D>;
  forward(op: string, x: Tensor<Dtype>, attrs?: object): Tensor<Dtype> {
    const def = lookupOp(op);
    return kindOf(def).forward(this.#rt, def, x, attrs);
  }

  /**
   * The input gradient `dx` from the output gradient `dy` and what the op's gradient needs:
   * the input `x` for most ops, the output `y` for sigmoid and tanh. All share one shape.
   *
   * @example
   * const dx = acts.backward('relu', { x, dy });
   * const ds = acts.backward('sigmoid', { y: acts.forward('sigmoid', x), dy });
   */
  backward(op: 'prelu', grads: { readonly x: Tensor; readonly dy: Tensor }, attrs: PreluAttrs): Tensor;
  backward(op: 'maxout', grads: { readonly x: Tensor; readonly dy: Tensor }, attrs: MaxoutOptions): Tensor;
  backward<N extends GatedName, D extends Dtype = 'f32'>(
    op: N,
    grads: { readonly x: Tensor<D>; readonly dy: Tensor<D> },
    attrs?: GatedOpAttrs<N>,
  ): Tensor<D>;
  backward<D extends Dtype = 'f32'>(
    op: SoftmaxName,
    grads: { readonly y: Tensor<D>; readonly dy: Tensor<D> },
    attrs?: SoftmaxOptions,
  ): Tensor<D>;
  backward<N extends OpName, D extends Dtype = 'f32'>(op: N, grads: Grads<D>, attrs?: OpAttrs<N>): Tensor<D>;
  backward(op: string, grads: Grads<Dtype>, attrs?: object): Tensor<Dtype> {
    const def = lookupOp(op);
    return kindOf(def).backward(this.#rt, def, grads, attrs);
  }

  /**
   * PReLU, `x > 0 ? x : alpha * x`, with learnable slopes `alpha`. By default alpha broadcasts
   * to x from the right, as WebNN's, ONNX's and TensorFlow.js's prelu: its shape lines up with
   * x's trailing dimensions, each 1 or x's size there (so a [C] alpha runs along x's last axis,
   * as in [N, H, W, C]). `options.axis` gives PyTorch's layout instead: a 1-D alpha with one
   * slope per entry of x along that axis (axis 1 for [N, C, H, W]). A shape that fits neither
   * is refused with a ShapeMismatchError. Bit-exact on every backend.
   *
   * @example
   * const alpha = acts.tensor([0.25, 0.1, 0.05]);          // one slope per channel
   * const y = acts.prelu(x, alpha);                         // x: [N, H, W, 3] (channels last)
   * const z = acts.prelu(t, alpha, { axis: 1 });            // t: [N, 3, H, W] (PyTorch)
   */
  prelu<D extends Dtype = 'f32'>(x: Tensor<D>, alpha: Tensor<D>, options?: PreluOptions): Tensor<D>;
  prelu(x: Tensor<Dtype>, alpha: Tensor<Dtype>, options: PreluOptions = {}): Tensor<Dtype> {
    return perChannelForward(this.#rt, lookupOp('prelu') as PerChannelOp, x, alpha, options);
  }

  /**
   * PReLU's gradients: `dx = x > 0 ? dy : alpha * dy` (x's shape) and `dalpha` (alpha's shape),
   * each slope's sum of `x > 0 ? 0 : x * dy` over the elements it applies to, added in a fixed
   * binary tree (no float atomics): the same bits on every run and every backend.
   *
   * @example
   * const { dx, dalpha } = acts.preluBackward({ x, alpha, dy });
   */
  preluBackward<D extends Dtype = 'f32'>(
    grads: { readonly x: Tensor<D>; readonly alpha: Tensor<D>; readonly dy: Tensor<D> },
    options?: PreluOptions,
  ): {
    /** The input gradient, x's shape. */
    dx: Tensor<D>;
    /** The slopes' gradient, alpha's shape. */
    dalpha: Tensor<D>;
  };
  preluBackward(
    grads: { readonly x: Tensor<Dtype>; readonly alpha: Tensor<Dtype>; readonly dy: Tensor<Dtype> },
    options: PreluOptions = {},
  ): { dx: Tensor<Dtype>; dalpha: Tensor<Dtype> } {
    return perChannelBackward(this.#rt, lookupOp('prelu') as PerChannelOp, grads, options);
  }

  /**
   * Maxout: the maximum of each group of `pieces` neighbouring entries along `axis` (default the
   * last), so that axis shrinks by `pieces`. A NaN in a group wins, as torch.max; ties go to the
   * first maximum. Bit-exact on every backend.
   *
   * @example
   * const y = acts.maxout(x, { pieces: 4 });                // x: [batch, 256] -> y: [batch, 64]
   */
  maxout<D extends Dtype = 'f32'>(x: Tensor<D>, options: MaxoutOptions): Tensor<D>;
  maxout(x: Tensor<Dtype>, options: MaxoutOptions): Tensor<Dtype> {
    return groupedForward(this.#rt, lookupOp('maxout') as GroupedOp, x, options);
  }

  /**
   * Maxout's input gradient, x's shape: each group's `dy` goes to the entry that won the forward
   * max (the first maximum, or the first NaN), +0 to the others.
   *
   * @example
   * const dx = acts.maxoutBackward({ x, dy }, { pieces: 4 });
   */
  maxoutBackward<D extends Dtype = 'f32'>(grads: { readonly x: Tensor<D>; readonly dy: Tensor<D> }, options: MaxoutOptions): Tensor<D>;
  maxoutBackward(grads: { readonly x: Tensor<Dtype>; readonly dy: Tensor<Dtype> }, options: MaxoutOptions): Tensor<Dtype> {
    return groupedBackward(this.#rt, lookupOp('maxout') as GroupedOp, grads, options);
  }

  /**
   * Writes `op(x)` into `y`; each may be one of our tensors or a range of your GPUBuffer.
   * With `options.encoder` the work is encoded there and nothing is submitted.
   *
   * @example
   * const enc = device.createCommandEncoder();
   * acts.forwardInto('relu', { x: { buffer: a, offset: 256, length: n }, y: { buffer: b, length: n } }, {}, { encoder: enc });
   * device.queue.submit([enc.finish()]);
   */
  forwardInto<N extends OpName>(
    op: N,
    operands: { readonly x: Operand; readonly y: Operand },
    attrs?: OpAttrs<N>,
    options: EncodeOptions = {},
  ): void {
    const def = getOp(op);
    into(this.#rt, def, 'forward', operands, ['x', 'y'], resolveAttrs(def, attrs), options);
  }

  /**
   * Writes the input gradient into `dx`, from `dy` and `x` (or `y` for sigmoid and tanh); see
   * {@link Activations.forwardInto}.
   */
  backwardInto<N extends OpName>(
    op: N,
    operands: { readonly x?: Operand; readonly y?: Operand; readonly dy: Operand; readonly dx: Operand },
    attrs?: OpAttrs<N>,
    options: EncodeOptions = {},
  ): void {
    const def = getOp(op);
    const [name] = savedOperand(def, operands, 'operands');
    into(this.#rt, def, 'backward', operands, [name, 'dy', 'dx'], resolveAttrs(def, attrs), options);
  }

  /**
   * The op as a training layer whose forward keeps only what backward needs: a 1-bit mask for
   * relu, thresholdedRelu, leakyRelu, relu6 and hardtanh, else the tensor the gradient reads. See {@link Layer}.
   *
   * @example
   * const act = acts.layer('relu');
   * const h = act.forward(z);
   * const dz = act.backward(dh);
   */
  layer(op: 'prelu', attrs: PreluAttrs, options?: PreluLayerOptions): PreluLayer;
  layer(op: 'maxout', attrs: MaxoutOptions): MaxoutLayer;
  layer<N extends GatedName>(op: N, attrs?: GatedOpAttrs<N>): GatedLayer;
  layer(op: SoftmaxName, attrs?: SoftmaxOptions): SoftmaxLayer;
  layer<N extends OpName>(op: N, attrs?: OpAttrs<N>, options?: LayerOptions): Layer;
  layer(
    op: string,
    attrs?: object,
    options?: LayerOptions & PreluLayerOptions,
  ): Layer | PreluLayer | MaxoutLayer | GatedLayer | SoftmaxLayer {
    this.#rt.checkLive();
    const def = lookupOp(op);
    return kindOf(def).layer(this.#rt, def, attrs, options) as Layer | PreluLayer | MaxoutLayer | GatedLayer | SoftmaxLayer;
  }

  /** Frees every tensor and layer this instance made and, if we requested the device, the device. */
  dispose(): void {
    this.#rt.dispose();
  }
}

/** A Float16Array (ES2025), where the runtime has one: 2 bytes an element. */
export interface Float16ArrayLike extends ArrayBufferView {
  /** Number of elements. */
  readonly length: number;
  /** Always 2: what tells it apart from the other typed arrays here. */
  readonly BYTES_PER_ELEMENT: 2;
}

/** f16 data as its bits: a Uint16Array as it is, a Float16Array viewed as one; else undefined. */
function halfBits(data: unknown): Uint16Array | undefined {
  if (data instanceof Uint16Array) return data;
  const ctor = (globalThis as { Float16Array?: new (...args: never[]) => ArrayBufferView }).Float16Array;
  if (ctor && data instanceof ctor) {
    const view = data as ArrayBufferView & { length: number };
    return new Uint16Array(view.buffer, view.byteOffset, view.length);
  }
  return undefined;
}
