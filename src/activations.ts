import { runCpu, runCpuOp, type CpuStorage } from './cpu/cpu-backend.js';
import { HeapBlock, createSimdHeap, type SimdHeap } from './cpu/simd.js';
import { treeSumBits } from './cpu/exact.js';
import {
  ActivationsError,
  DeviceLostError,
  DisposedError,
  InvalidArgumentError,
  ShapeMismatchError,
  WebGPUUnavailableError,
  describe,
} from './errors.js';
import { requestDevice, summarize, type AcquiredDevice, type AdapterSummary } from './gpu/device.js';
import { GpuBackend, type GpuOperand, type Tuning } from './gpu/gpu-backend.js';
import type { Direction } from './gpu/device-cache.js';
import { resolveAttrs } from './ops/define.js';
import { getOp, type OpAttrs, type OpName, type OpDefinition } from './ops/registry.js';
import { Layer, type LayerHost, type LayerOptions, type Retained } from './layer/layer.js';
import { MaxoutLayer, PreluLayer, type FamilyHost, type PreluMaskHost } from './layer/param-layers.js';
import { prelu, preluBroadcast } from './ops/prelu.js';
import { maxout, maxoutGrouping } from './ops/maxout.js';
import { Tensor, ownStorage, type BackendName, type BufferView, type Dtype, type TensorHost, type TensorStorage } from './tensor.js';
import { f32ToHalves, halvesToF32 } from './cpu/half.js';

/** The storage of an f32 tensor. */
type F32Storage = Exclude<TensorStorage, { kind: 'cpu16' }>;

export type { Tuning } from './gpu/gpu-backend.js';
export type { AdapterSummary } from './gpu/device.js';

/** Options for {@link createActivations}. */
export interface CreateOptions {
  /**
   * 'auto' (default): WebGPU when it can be had, else the CPU backend, with the reason in
   * `fallbackReason`. 'webgpu': WebGPU or a WebGPUUnavailableError. 'cpu': never touches the GPU.
   */
  readonly backend?: 'auto' | 'webgpu' | 'cpu';
  /** Your GPUDevice. We use it and never destroy it. */
  readonly device?: GPUDevice;
  /** A GPU object to request the device from, instead of navigator.gpu or Node's `webgpu` package. */
  readonly gpu?: GPU;
  readonly powerPreference?: GPUPowerPreference;
  /**
   * 'compatibility' asks for a compatibility-mode adapter (WebGPU on older GPU APIs: at most 128
   * invocations per workgroup, fewer storage buffers); the kernels adapt to its limits.
   */
  readonly featureLevel?: 'core' | 'compatibility';
  /** Kernel knobs (workgroup size, vectorisation, chunk size); the defaults suit real use. */
  readonly tuning?: Tuning;
  /**
   * Kernels of the CPU backend. 'auto' (default): WebAssembly SIMD where the runtime has it, for
   * the ops that have SIMD kernels (relu, leakyRelu, relu6, hardtanh, thresholdedRelu), else
   * plain JS, with the reason in `cpuKernelsReason`. 'wasm-simd': those, or an ActivationsError.
   * 'js': the plain JS kernels only (the reference the SIMD ones are tested against). Both give
   * the same bits.
   */
  readonly cpuKernels?: 'auto' | 'wasm-simd' | 'js';
}

/** Options for the `*Into` calls that run on your buffers. */
export interface EncodeOptions {
  /** Encode into this encoder and submit nothing; you submit it. Without it we submit. */
  readonly encoder?: GPUCommandEncoder;
}

/** An operand given as one of our tensors or as a range of your GPUBuffer. */
export type Operand = Tensor | BufferView;

/** What backward takes: dy, and x (most ops) or y (ops whose gradient comes from the output). */
export interface Grads<D extends Dtype = 'f32'> {
  readonly x?: Tensor<D>;
  readonly y?: Tensor<D>;
  readonly dy: Tensor<D>;
}

/** Where PReLU's slopes go: see {@link Activations.prelu}. */
export interface PreluOptions {
  /** For a 1-D alpha of more than 1 slope: x's axis it runs along (default 1, PyTorch's channels). */
  readonly axis?: number;
}

/** PReLU's operands for {@link Activations.forward} by name. */
export interface PreluAttrs extends PreluOptions {
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

/** Maxout's grouping: see {@link Activations.maxout}. */
export interface MaxoutOptions {
  /** Entries per group; it must divide x's size along the axis. */
  readonly pieces: number;
  /** The axis grouped (default -1, the last; negative counts from the end). */
  readonly axis?: number;
}

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
  const backend = options.backend ?? 'auto';
  if (backend !== 'auto' && backend !== 'webgpu' && backend !== 'cpu') {
    throw new InvalidArgumentError('options.backend', "'auto', 'webgpu' or 'cpu'", describe(backend));
  }
  const cpuKernels = options.cpuKernels ?? 'auto';
  if (cpuKernels !== 'auto' && cpuKernels !== 'wasm-simd' && cpuKernels !== 'js') {
    throw new InvalidArgumentError('options.cpuKernels', "'auto', 'wasm-simd' or 'js'", describe(cpuKernels));
  }
  if (backend === 'cpu') return new Activations(undefined, undefined, undefined, undefined, await cpuSetup(cpuKernels));
  if (options.device !== undefined) {
    if (typeof options.device?.createBuffer !== 'function') {
      throw new InvalidArgumentError('options.device', 'a GPUDevice', describe(options.device));
    }
    const info = summarize((options.device as GPUDevice & { adapterInfo?: GPUAdapterInfo }).adapterInfo);
    return new Activations(new GpuBackend(options.device, false, options.tuning ?? {}), undefined, info, undefined, { mode: cpuKernels });
  }
  const recovery: Recovery = {
    mode: backend,
    tuning: options.tuning ?? {},
    cpuKernels,
    acquire: () => requestDevice({ gpu: options.gpu, powerPreference: options.powerPreference, featureLevel: options.featureLevel }),
  };
  try {
    const acquired = await recovery.acquire();
    try {
      return new Activations(new GpuBackend(acquired.device, true, recovery.tuning), undefined, acquired.adapterInfo, recovery, {
        mode: cpuKernels,
      });
    } catch (e) {
      acquired.device.destroy();
      throw e;
    }
  } catch (e) {
    if (backend === 'auto' && e instanceof WebGPUUnavailableError) {
      return new Activations(undefined, e.reason, undefined, undefined, await cpuSetup(cpuKernels));
    }
    throw e;
  }
}

/** The CPU backend's kernels: which were asked for, the SIMD heap when there is one, or why not. */
interface CpuSetup {
  readonly mode: 'auto' | 'wasm-simd' | 'js';
  readonly heap?: SimdHeap;
  readonly reason?: string;
}

async function cpuSetup(mode: CpuSetup['mode']): Promise<CpuSetup> {
  if (mode === 'js') return { mode, reason: "options.cpuKernels is 'js'" };
  try {
    return { mode, heap: await createSimdHeap() };
  } catch (e) {
    const reason = e instanceof Error ? e.message : String(e);
    if (mode === 'wasm-simd') throw new ActivationsError(`WebAssembly SIMD kernels are not available: ${reason}`);
    return { mode, reason };
  }
}

/** How an instance that owns its device gets a new one after a loss. */
interface Recovery {
  readonly mode: 'auto' | 'webgpu';
  readonly tuning: Tuning;
  readonly cpuKernels: CpuSetup['mode'];
  acquire(): Promise<AcquiredDevice>;
}

/**
 * Runs activations on one backend. Made by {@link createActivations}.
 */
export class Activations implements TensorHost {
  #gpu: GpuBackend | undefined;
  #fallbackReason: string | undefined;
  #adapterInfo: AdapterSummary | undefined;
  readonly #recovery: Recovery | undefined;
  #ready: Promise<void> = Promise.resolve();
  readonly #live = new Set<Tensor<Dtype>>();
  /** Layers not yet disposed: their masks and telemetry counts are buffers too. */
  readonly #layers = new Set<{ dispose(): void }>();
  /** What to free with a tensor: buffers that work encoded into a caller's encoder still reads. */
  readonly #releaseWith = new WeakMap<Tensor<Dtype>, (() => void)[]>();
  #disposed = false;
  #cpu: CpuSetup;

  /** @internal Use {@link createActivations}. */
  constructor(
    gpu: GpuBackend | undefined,
    fallbackReason: string | undefined,
    adapterInfo: AdapterSummary | undefined,
    recovery: Recovery | undefined,
    cpu: CpuSetup,
  ) {
    this.#cpu = cpu;
    this.#gpu = gpu;
    this.#fallbackReason = fallbackReason;
    this.#adapterInfo = adapterInfo;
    this.#recovery = recovery;
    if (gpu) this.#watch(gpu);
  }

  /** The backend the kernels run on ('cpu' after 'auto' fell back, at creation or after a loss). */
  get backend(): BackendName {
    return this.#gpu ? 'webgpu' : 'cpu';
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
    if (this.#gpu) return undefined;
    return this.#cpu.heap ? 'wasm-simd' : 'js';
  }

  /** @internal The SIMD heap's bytes in live tensors and in its WebAssembly memory (leak tests watch them). */
  get cpuHeapStats(): { readonly live: number; readonly memory: number } {
    const heap = this.#cpu.heap;
    return { live: heap?.bytes ?? 0, memory: heap?.kernels.memory.buffer.byteLength ?? 0 };
  }

  /** Why the CPU backend runs plain JS kernels; undefined when it runs WebAssembly SIMD or WebGPU. */
  get cpuKernelsReason(): string | undefined {
    return this.#gpu || this.#cpu.heap ? undefined : this.#cpu.reason;
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

  #watch(gpu: GpuBackend): void {
    gpu.onLost = (info) => {
      if (this.#disposed || this.#gpu !== gpu) return;
      const lost = new DeviceLostError(info.reason ?? 'unknown', info.message);
      this.#ready = this.#recovery ? this.#recover(this.#recovery, lost) : Promise.reject(lost);
      this.#ready.catch(() => undefined);
    };
  }

  async #recover(recovery: Recovery, lost: DeviceLostError): Promise<void> {
    let acquired: AcquiredDevice;
    try {
      acquired = await recovery.acquire();
    } catch (e) {
      if (recovery.mode === 'auto' && e instanceof WebGPUUnavailableError) {
        this.#cpu = await cpuSetup(recovery.cpuKernels).catch((e: unknown): CpuSetup => ({
          mode: recovery.cpuKernels,
          reason: e instanceof Error ? e.message : String(e),
        }));
        this.#gpu = undefined;
        this.#adapterInfo = undefined;
        this.#fallbackReason = `${lost.message}, and no new device could be had: ${e.reason}`;
        return;
      }
      throw new DeviceLostError(lost.reason, `${lost.detail}; no new device could be had (${e instanceof Error ? e.message : String(e)})`);
    }
    if (this.#disposed) {
      acquired.device.destroy();
      return;
    }
    this.#gpu = new GpuBackend(acquired.device, true, recovery.tuning);
    this.#adapterInfo = acquired.adapterInfo;
    this.#watch(this.#gpu);
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
    this.#checkLive();
    if (typeof fn !== 'function') throw new InvalidArgumentError('fn', 'a function', describe(fn));
    const gpu = this.#gpu;
    if (gpu) gpu.beginBatch();
    let result: T;
    try {
      result = fn();
    } finally {
      gpu?.endBatch();
    }
    if (typeof (result as { then?: unknown } | null)?.then === 'function') {
      throw new InvalidArgumentError(
        'fn',
        'a synchronous function (the batch is submitted when it returns)',
        'one that returned a promise',
      );
    }
    return result;
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
    return this.#gpu?.trimPool() ?? 0;
  }

  /** The GPUDevice in use (yours or ours), or undefined on the CPU backend. */
  get device(): GPUDevice | undefined {
    return this.#gpu?.device;
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
    this.#checkLive();
    const half = halfBits(data);
    if (half) {
      const dims = checkShape(shape ?? [half.length], half.length);
      if (this.#gpu) {
        const buffer = this.#gpu.uploadHalf(half, 'tensor');
        return this.#adopt({ kind: 'webgpu', buffer, offset: 0, owner: this.#gpu }, dims, half.length, 'f16');
      }
      return this.#adopt({ kind: 'cpu16', bits: half.slice() }, dims, half.length, 'f16');
    }
    if (!(data instanceof Float32Array) && !Array.isArray(data)) {
      throw new InvalidArgumentError(
        'data',
        'a Float32Array, an array of numbers, or f16 data (Uint16Array, Float16Array)',
        describe(data),
      );
    }
    const values = data instanceof Float32Array ? data : Float32Array.from(data as readonly number[]);
    const dims = checkShape(shape ?? [values.length], values.length);
    if (this.#gpu) {
      const buffer = this.#gpu.upload(values, 'tensor');
      return this.#adopt({ kind: 'webgpu', buffer, offset: 0, owner: this.#gpu }, dims, values.length);
    }
    const block = this.#cpuBlock(values.length);
    block.data.set(values);
    return this.#adopt(block, dims, values.length);
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
  forward<N extends OpName, D extends Dtype = 'f32'>(op: N, x: Tensor<D>, attrs?: OpAttrs<N>): Tensor<D>;
  forward(op: string, x: Tensor<Dtype>, attrs?: object): Tensor<Dtype> {
    if (op === 'prelu') {
      const { alpha, ...options } = attrsObject(attrs, 'prelu', '{ alpha, axis? }') as Partial<PreluAttrs>;
      return this.prelu(x as Tensor, alpha as Tensor, options);
    }
    if (op === 'maxout') return this.maxout(x as Tensor, attrsObject(attrs, 'maxout', '{ pieces, axis? }') as unknown as MaxoutOptions);
    const def = getOp(op);
    return this.#apply(def, 'forward', [['x', x]], resolveAttrs(def, attrs));
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
  backward<N extends OpName, D extends Dtype = 'f32'>(op: N, grads: Grads<D>, attrs?: OpAttrs<N>): Tensor<D>;
  backward(op: string, grads: Grads<Dtype>, attrs?: object): Tensor<Dtype> {
    if (op === 'prelu') {
      const { alpha, ...options } = attrsObject(attrs, 'prelu', '{ alpha, axis? }') as Partial<PreluAttrs>;
      const { dx, dalpha } = this.preluBackward({ ...(grads as { x: Tensor; dy: Tensor }), alpha: alpha as Tensor }, options);
      dalpha.dispose();
      return dx;
    }
    if (op === 'maxout') {
      return this.maxoutBackward(
        grads as { x: Tensor; dy: Tensor },
        attrsObject(attrs, 'maxout', '{ pieces, axis? }') as unknown as MaxoutOptions,
      );
    }
    const def = getOp(op);
    const [name, saved] = savedOperand(def, grads, 'grads');
    return this.#apply(
      def,
      'backward',
      [
        [name, saved as Tensor],
        ['dy', grads.dy],
      ],
      resolveAttrs(def, attrs),
    );
  }

  /**
   * PReLU, `x > 0 ? x : alpha * x`, with learnable slopes `alpha`. A 1-D alpha holds one slope
   * for all of x, or one per entry of x's `options.axis` (default 1: PyTorch's channel axis, as
   * in [N, C, H, W]; -1 for the last). An alpha of 2 or more dimensions broadcasts to x from the
   * right, as ONNX's PRelu (each dimension 1 or x's size there). Bit-exact on every backend.
   *
   * @example
   * const alpha = acts.tensor([0.25, 0.1, 0.05]);          // one slope per channel
   * const y = acts.prelu(x, alpha);                         // x: [N, 3, H, W]
   */
  prelu<D extends Dtype = 'f32'>(x: Tensor<D>, alpha: Tensor<D>, options?: PreluOptions): Tensor<D>;
  prelu(x: Tensor<Dtype>, alpha: Tensor<Dtype>, options: PreluOptions = {}): Tensor<Dtype> {
    this.#checkLive();
    if (isHalf(x)) {
      const [wx, wa] = this.#widenAll([
        ['x', x],
        ['alpha', alpha],
      ]);
      try {
        return this.#narrow(this.prelu(wx!, wa!, options));
      } finally {
        wx!.dispose();
        wa!.dispose();
      }
    }
    const xs = this.#storage(x, 'x');
    const as = this.#storage(alpha, 'alpha');
    const b = preluBroadcast(x.shape, alpha.shape, optionsObject(options).axis);
    const n = x.length;
    if (xs.kind === 'webgpu' && as.kind === 'webgpu') {
      const gpu = this.#gpu!;
      gpu.checkOneBinding(n, 'prelu');
      const y = gpu.allocate(n, 'prelu.forward', 'x');
      gpu.runPerChannel(prelu, 'forward', { input: xs.buffer, alpha: as.buffer, out: y }, n, b);
      return this.#adopt({ kind: 'webgpu', buffer: y, offset: 0, owner: gpu }, x.shape, n);
    }
    const y = new Float32Array(n);
    prelu.cpu.forward((xs as { data: Float32Array }).data, (as as { data: Float32Array }).data, b, y);
    return this.#adopt({ kind: 'cpu', data: y }, x.shape, n);
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
  ): { dx: Tensor<D>; dalpha: Tensor<D> };
  preluBackward(
    grads: { readonly x: Tensor<Dtype>; readonly alpha: Tensor<Dtype>; readonly dy: Tensor<Dtype> },
    options: PreluOptions = {},
  ): { dx: Tensor<Dtype>; dalpha: Tensor<Dtype> } {
    this.#checkLive();
    if (typeof grads !== 'object' || grads === null) throw new InvalidArgumentError('grads', 'an object { x, alpha, dy }', describe(grads));
    if (isHalf(grads.x)) {
      const wide = this.#widenAll([
        ['grads.x', grads.x],
        ['grads.alpha', grads.alpha],
        ['grads.dy', grads.dy],
      ]);
      try {
        const r = this.preluBackward({ x: wide[0]!, alpha: wide[1]!, dy: wide[2]! }, options);
        return { dx: this.#narrow(r.dx), dalpha: this.#narrow(r.dalpha) };
      } finally {
        for (const t of wide) t.dispose();
      }
    }
    const { x, alpha, dy } = grads as { x: Tensor; alpha: Tensor; dy: Tensor };
    const xs = this.#storage(x, 'grads.x');
    const as = this.#storage(alpha, 'grads.alpha');
    const ds = this.#storage(dy, 'grads.dy');
    if (!sameShape(dy.shape, x.shape)) {
      throw new ShapeMismatchError('grads.dy', `shape [${x.shape.join(', ')}] (the shape of x)`, `[${dy.shape.join(', ')}]`);
    }
    const b = preluBroadcast(x.shape, alpha.shape, optionsObject(options).axis);
    const n = x.length;
    if (xs.kind === 'webgpu' && as.kind === 'webgpu' && ds.kind === 'webgpu') {
      const gpu = this.#gpu!;
      gpu.checkOneBinding(n, 'prelu');
      const dx = gpu.allocate(n, 'prelu.backward', 'x');
      const terms = gpu.allocate(n, 'prelu.dalpha.terms', 'x');
      let dalpha: GPUBuffer;
      try {
        gpu.runPerChannel(prelu, 'backward', { input: xs.buffer, alpha: as.buffer, dy: ds.buffer, out: dx, terms }, n, b);
        dalpha = gpu.treeSum(terms, b.params, b.perParam, 'prelu.dalpha');
      } catch (e) {
        gpu.release(dx);
        throw e;
      } finally {
        gpu.release(terms);
      }
      return {
        dx: this.#adopt({ kind: 'webgpu', buffer: dx, offset: 0, owner: gpu }, x.shape, n),
        dalpha: this.#adopt({ kind: 'webgpu', buffer: dalpha, offset: 0, owner: gpu }, alpha.shape, alpha.length),
      };
    }
    const dx = new Float32Array(n);
    const data = (s: TensorStorage) => (s as { data: Float32Array }).data;
    const dalpha = prelu.cpu.backward(data(xs), data(as), data(ds), b, dx);
    return {
      dx: this.#adopt({ kind: 'cpu', data: dx }, x.shape, n),
      dalpha: this.#adopt({ kind: 'cpu', data: dalpha }, alpha.shape, alpha.length),
    };
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
    this.#checkLive();
    if (isHalf(x)) {
      const [wx] = this.#widenAll([['x', x]]);
      try {
        return this.#narrow(this.maxout(wx!, options));
      } finally {
        wx!.dispose();
      }
    }
    const xs = this.#storage(x, 'x');
    const g = maxoutGrouping(x.shape, options);
    const count = x.length / Math.max(1, g.pieces);
    if (xs.kind === 'webgpu') {
      const gpu = this.#gpu!;
      gpu.checkOneBinding(x.length, 'maxout');
      const y = gpu.allocate(count, 'maxout.forward', 'x');
      gpu.runGrouped(maxout, 'forward', { input: xs.buffer, out: y }, g);
      return this.#adopt({ kind: 'webgpu', buffer: y, offset: 0, owner: gpu }, g.outShape, count);
    }
    const y = new Float32Array(count);
    maxout.cpu.forward(xs.data, g, y);
    return this.#adopt({ kind: 'cpu', data: y }, g.outShape, count);
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
    this.#checkLive();
    if (typeof grads !== 'object' || grads === null) throw new InvalidArgumentError('grads', 'an object { x, dy }', describe(grads));
    if (isHalf(grads.x)) {
      const wide = this.#widenAll([
        ['grads.x', grads.x],
        ['grads.dy', grads.dy],
      ]);
      try {
        return this.#narrow(this.maxoutBackward({ x: wide[0]!, dy: wide[1]! }, options));
      } finally {
        for (const t of wide) t.dispose();
      }
    }
    const { x, dy } = grads as { x: Tensor; dy: Tensor };
    const xs = this.#storage(x, 'grads.x');
    const ds = this.#storage(dy, 'grads.dy');
    const g = maxoutGrouping(x.shape, options);
    if (!sameShape(dy.shape, g.outShape)) {
      throw new ShapeMismatchError('grads.dy', `shape [${g.outShape.join(', ')}] (maxout's output for x)`, `[${dy.shape.join(', ')}]`);
    }
    const n = x.length;
    if (xs.kind === 'webgpu' && ds.kind === 'webgpu') {
      const gpu = this.#gpu!;
      gpu.checkOneBinding(n, 'maxout');
      const dx = gpu.allocate(n, 'maxout.backward', 'x');
      gpu.runGrouped(maxout, 'backward', { input: xs.buffer, dy: ds.buffer, out: dx }, g);
      return this.#adopt({ kind: 'webgpu', buffer: dx, offset: 0, owner: gpu }, x.shape, n);
    }
    const dx = new Float32Array(n);
    maxout.cpu.backward((xs as { data: Float32Array }).data, (ds as { data: Float32Array }).data, g, dx);
    return this.#adopt({ kind: 'cpu', data: dx }, x.shape, n);
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
    this.#into(def, 'forward', operands, ['x', 'y'], resolveAttrs(def, attrs), options);
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
    this.#into(def, 'backward', operands, [name, 'dy', 'dx'], resolveAttrs(def, attrs), options);
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
  layer<N extends OpName>(op: N, attrs?: OpAttrs<N>, options?: LayerOptions): Layer;
  layer(op: string, attrs?: object, options: LayerOptions & PreluLayerOptions = {}): Layer | PreluLayer | MaxoutLayer {
    this.#checkLive();
    if (op === 'prelu') {
      const { alpha, ...rest } = attrsObject(attrs, 'prelu', '{ alpha, axis? }') as Partial<PreluAttrs>;
      this.#storage(alpha, 'attrs.alpha');
      if (rest.axis !== undefined && !Number.isInteger(rest.axis)) {
        throw new InvalidArgumentError('attrs.axis', 'an integer axis of x (negative counts from the end)', describe(rest.axis));
      }
      const learn = options.learnAlpha ?? true;
      if (typeof learn !== 'boolean') throw new InvalidArgumentError('options.learnAlpha', 'true or false', describe(learn));
      const made = new PreluLayer(this.#familyHost, alpha!, rest, learn ? undefined : this.#preluMaskHost);
      this.#layers.add(made);
      return made;
    }
    if (op === 'maxout') {
      const given = attrsObject(attrs, 'maxout', '{ pieces, axis? }') as Partial<MaxoutOptions>;
      if (typeof given.pieces !== 'number' || !Number.isInteger(given.pieces) || given.pieces < 1) {
        throw new InvalidArgumentError('attrs.pieces', 'a positive integer (entries per group)', describe(given.pieces));
      }
      const made = new MaxoutLayer(this.#familyHost, given as MaxoutOptions);
      this.#layers.add(made);
      return made;
    }
    const def = getOp(op);
    const keep = options.keep ?? 'auto';
    if (keep !== 'auto' && keep !== 'tensor') throw new InvalidArgumentError('options.keep', "'auto' or 'tensor'", describe(keep));
    const axis = options.axis ?? -1;
    if (!Number.isInteger(axis))
      throw new InvalidArgumentError('options.axis', 'an integer axis (negative counts from the end)', describe(axis));
    const masked = keep === 'auto' && def.mask !== undefined;
    const telemetry = options.telemetry ?? false;
    if (telemetry && !masked) {
      const kept = keep === 'tensor' ? 'the tensor' : def.backwardFrom;
      throw new InvalidArgumentError(
        'options.telemetry',
        'a layer that keeps a 1-bit mask (relu, thresholdedRelu, leakyRelu, relu6, hardtanh; keep: auto)',
        `${op} keeping ${kept}`,
      );
    }
    const made = new Layer(def, resolveAttrs(def, attrs), masked, this.#layerHost, axis, telemetry);
    this.#layers.add(made);
    return made;
  }

  /** What the PReLU and maxout layers call: the public ops, and their dispose notice. */
  readonly #familyHost: FamilyHost = {
    prelu: (x, alpha, options) => this.prelu(x, alpha, options),
    preluBackward: (grads, options) => this.preluBackward(grads, options),
    maxout: (x, options) => this.maxout(x, options),
    maxoutBackward: (grads, options) => this.maxoutBackward(grads, options),
    layerDisposed: (layer) => this.#layers.delete(layer),
  };

  /** A frozen-slope PReLU layer's mask kernels (per-channel.wgsl's *_mask entries). */
  readonly #preluMaskHost: PreluMaskHost = {
    forward: (x, alpha, axis) => {
      this.#checkLive();
      const xs = this.#storage(x, 'x');
      const as = this.#storage(alpha, 'alpha');
      const b = preluBroadcast(x.shape, alpha.shape, axis);
      const n = x.length;
      if (xs.kind === 'webgpu' && as.kind === 'webgpu') {
        const gpu = this.#gpu!;
        gpu.checkOneBinding(n, 'prelu');
        const y = gpu.allocate(n, 'prelu.forward', 'x');
        const mask = gpu.allocateMask(n, 'prelu.mask');
        gpu.runPerChannel(prelu, 'forward_mask', { input: xs.buffer, alpha: as.buffer, out: y, mask }, n, b);
        return { y: this.#adopt({ kind: 'webgpu', buffer: y, offset: 0, owner: gpu }, x.shape, n), mask: gpuMask(gpu, mask, n) };
      }
      const y = new Float32Array(n);
      const words = prelu.cpu.forwardMask((xs as { data: Float32Array }).data, (as as { data: Float32Array }).data, b, y);
      const handle: MaskHandle = { bytes: words.byteLength, words, release: () => undefined };
      return { y: this.#adopt({ kind: 'cpu', data: y }, x.shape, n), mask: handle };
    },
    backward: (mask, alpha, dy, axis) => {
      this.#checkLive();
      const ds = this.#storage(dy, 'dy');
      const as = this.#storage(alpha, 'alpha');
      const b = preluBroadcast(dy.shape, alpha.shape, axis);
      const n = dy.length;
      const m = mask as MaskHandle;
      if (ds.kind === 'webgpu' && as.kind === 'webgpu') {
        if (m.owner !== this.#gpu)
          throw new DeviceLostError('lost', 'the layer kept its mask on a GPU device that was lost; run forward again');
        const gpu = this.#gpu!;
        const dx = gpu.allocate(n, 'prelu.backward', 'dy');
        gpu.runPerChannel(prelu, 'backward_mask', { alpha: as.buffer, dy: ds.buffer, out: dx, mask: m.buffer! }, n, b);
        return this.#adopt({ kind: 'webgpu', buffer: dx, offset: 0, owner: gpu }, dy.shape, n);
      }
      if (!m.words) throw new DeviceLostError('lost', 'the layer kept its mask on a GPU device that was lost; run forward again');
      const dx = new Float32Array(n);
      prelu.cpu.backwardMask(m.words, (as as { data: Float32Array }).data, (ds as { data: Float32Array }).data, b, dx);
      return this.#adopt({ kind: 'cpu', data: dx }, dy.shape, n);
    },
  };

  readonly #layerHost: LayerHost = {
    // Layers take f32 tensors (#storage refuses f16 with a clear error).
    forward: (op, x, attrs, encoder) => (this.#storage(x, 'x'), this.#apply(op, 'forward', [['x', x]], attrs, encoder) as Tensor),
    backward: (op, saved, dy, attrs, encoder) => (
      this.#storage(dy, 'dy'),
      this.#apply(
        op,
        'backward',
        [
          [op.backwardFrom, saved],
          ['dy', dy],
        ],
        attrs,
        encoder,
      ) as Tensor
    ),
    checkEncoder: (encoder) => {
      if (encoder === undefined) return undefined;
      if (!this.#gpu) throw new InvalidArgumentError('options.encoder', 'no encoder on the CPU backend', describe(encoder));
      if (typeof (encoder as GPUCommandEncoder | null)?.beginComputePass !== 'function') {
        throw new InvalidArgumentError('options.encoder', 'a GPUCommandEncoder', describe(encoder));
      }
      return encoder as GPUCommandEncoder;
    },
    layerDisposed: (layer) => this.#layers.delete(layer),
    input: (value, argument, encoder, defaultShape) => {
      if (value instanceof Tensor) return { tensor: value as Tensor, temporary: false };
      if (!this.#gpu) {
        throw new InvalidArgumentError(argument, 'a Tensor (views of GPU buffers need a WebGPU instance)', describe(value));
      }
      const view = this.#view(value, argument);
      if ((view.buffer.usage & 0x04) === 0) {
        throw new InvalidArgumentError(
          `${argument}.buffer`,
          'a GPUBuffer with COPY_SRC usage (a layer copies a view into a tensor of its own)',
          `one with usage 0x${view.buffer.usage.toString(16)}`,
        );
      }
      const given = (value as { shape?: unknown }).shape;
      const fallback = defaultShape && defaultShape.reduce((a, b) => a * b, 1) === view.length ? defaultShape : [view.length];
      const dims = given === undefined ? fallback : checkShape(given, view.length, `${argument}.shape`);
      const gpu = this.#gpu;
      const buffer = gpu.allocate(view.length, `${argument}.copy`, argument);
      gpu.copy(view.buffer, view.offset, buffer, view.length * 4, encoder);
      return { tensor: this.#adopt({ kind: 'webgpu', buffer, offset: 0, owner: gpu }, dims, view.length), temporary: true };
    },
    releaseWith: (t, release) => {
      const list = this.#releaseWith.get(t);
      if (list) list.push(release);
      else this.#releaseWith.set(t, [release]);
    },
    forwardMasked: (op, x, attrs, encoder) => {
      this.#checkLive();
      const s = this.#storage(x, 'x');
      const n = x.length;
      if (s.kind === 'webgpu') {
        const gpu = this.#gpu!;
        const y = gpu.allocate(n, `${op.name}.forward`, 'x');
        const mask = gpu.allocateMask(n, `${op.name}.mask`);
        gpu.runMasked(op, 'forward_mask', { input: s.buffer, out: y, mask }, n, attrs, encoder);
        return { y: this.#adopt({ kind: 'webgpu', buffer: y, offset: 0, owner: gpu }, x.shape, n), mask: gpuMask(gpu, mask, n) };
      }
      const y = new Float32Array(n);
      op.cpu.forward(s.data, y, attrs);
      return { y: this.#adopt({ kind: 'cpu', data: y }, x.shape, n), mask: cpuMask(op, s.data, attrs) };
    },
    forwardBias: (op, x, b, shape, attrs, keep, encoder) => {
      this.#checkLive();
      const xs = this.#storage(x, 'x');
      const bs = this.#storage(b, 'b');
      if (b.length !== shape.channels) {
        throw new ShapeMismatchError('b', `${shape.channels} values (one per channel along the layer's axis)`, `${b.length}`);
      }
      const n = x.length;
      if (xs.kind === 'webgpu' && bs.kind === 'webgpu') {
        const gpu = this.#gpu!;
        const y = gpu.allocate(n, `${op.name}.forward`, 'x');
        const adopt = (buffer: GPUBuffer) => this.#adopt({ kind: 'webgpu', buffer, offset: 0, owner: gpu }, x.shape, n);
        if (keep === 'mask') {
          const mask = gpu.allocateMask(n, `${op.name}.mask`);
          gpu.runFused(op, 'fused_forward_mask', { input: xs.buffer, bias: bs.buffer, out: y, mask }, n, shape, attrs, encoder);
          return { y: adopt(y), mask: gpuMask(gpu, mask, n) };
        }
        if (keep === 'x') {
          const z = gpu.allocate(n, `${op.name}.z`, 'x');
          gpu.runFused(op, 'fused_forward', { input: xs.buffer, bias: bs.buffer, out: y, kept: z }, n, shape, attrs, encoder);
          return { y: adopt(y), z: adopt(z) };
        }
        gpu.runFused(op, 'fused_forward_y', { input: xs.buffer, bias: bs.buffer, out: y }, n, shape, attrs, encoder);
        return { y: adopt(y) };
      }
      const xd = (xs as { data: Float32Array }).data;
      const bd = (bs as { data: Float32Array }).data;
      const z = new Float32Array(n);
      for (let i = 0; i < n; i++) z[i] = xd[i]! + bd[Math.floor(i / shape.inner) % shape.channels]!;
      const y = new Float32Array(n);
      op.cpu.forward(z, y, attrs);
      const adopt = (data: Float32Array) => this.#adopt({ kind: 'cpu', data }, x.shape, n);
      if (keep === 'mask') return { y: adopt(y), mask: cpuMask(op, z, attrs) };
      return keep === 'x' ? { y: adopt(y), z: adopt(z) } : { y: adopt(y) };
    },
    countActive: (mask, shape, encoder) => {
      const m = mask as MaskHandle;
      if (m.owner && m.buffer) {
        const gpu = m.owner;
        const counts = gpu.allocate(shape.channels, 'telemetry.counts', 'x');
        gpu.countActive(m.buffer, counts, shape, encoder);
        return { read: () => gpu.readU32(counts, shape.channels), release: () => gpu.release(counts) };
      }
      // The CPU twin of shaders/telemetry.wgsl.
      const words = m.words!;
      const active = new Uint32Array(shape.channels);
      for (let o = 0; o < shape.outer; o++) {
        for (let c = 0; c < shape.channels; c++) {
          const start = (o * shape.channels + c) * shape.inner;
          for (let i = start; i < start + shape.inner; i++) active[c]! += (words[i >>> 5]! >>> (i & 31)) & 1;
        }
      }
      return { read: () => Promise.resolve(active.slice()), release: () => undefined };
    },
    biasGrad: (op, dz, shape, _attrs, encoder) => {
      const s = this.#storage(dz, 'dy');
      const len = shape.outer * shape.inner;
      if (s.kind === 'webgpu') {
        const gpu = this.#gpu!;
        const partials: GPUBuffer[] = [];
        const db = gpu.treeSum(s.buffer, shape.channels, len, `${op.name}.db`, shape.inner, encoder && { encoder, partials });
        const t = this.#adopt({ kind: 'webgpu', buffer: db, offset: 0, owner: gpu }, [shape.channels], shape.channels);
        // Partial sums the caller's encoder still reads: freed with db.
        if (partials.length > 0) this.#releaseWith.set(t, [() => partials.forEach((b) => gpu.release(b))]);
        return t;
      }
      // The GPU's sum (shaders/tree-sum.wgsl): channel c's values in index order, in a binary tree.
      const zb = new Uint32Array(s.data.buffer, s.data.byteOffset, s.data.length);
      const db = new Uint32Array(shape.channels);
      for (let c = 0; c < shape.channels; c++) {
        db[c] = treeSumBits(len, (k) => zb[(Math.floor(k / shape.inner) * shape.channels + c) * shape.inner + (k % shape.inner)]!);
      }
      return this.#adopt({ kind: 'cpu', data: new Float32Array(db.buffer) }, [shape.channels], shape.channels);
    },
    backwardMasked: (op, mask, dy, attrs, encoder) => {
      this.#checkLive();
      const s = this.#storage(dy, 'dy');
      const n = dy.length;
      if (s.kind === 'webgpu') {
        const m = mask as MaskHandle;
        if (m.owner !== this.#gpu)
          throw new DeviceLostError('lost', 'the layer kept its mask on a GPU device that was lost; run forward again');
        const gpu = this.#gpu!;
        const dx = gpu.allocate(n, `${op.name}.backward`, 'dy');
        gpu.runMasked(op, 'backward_mask', { input: s.buffer, out: dx, mask: m.buffer! }, n, attrs, encoder);
        return this.#adopt({ kind: 'webgpu', buffer: dx, offset: 0, owner: gpu }, dy.shape, n);
      }
      const words = (mask as MaskHandle).words;
      if (!words) throw new DeviceLostError('lost', 'the layer kept its mask on a GPU device that was lost; run forward again');
      const dx = new Uint32Array(n);
      const db = new Uint32Array(s.data.buffer, s.data.byteOffset, n);
      for (let i = 0; i < n; i++) dx[i] = op.mask!.backward(((words[i >>> 5]! >>> (i & 31)) & 1) === 1, db[i]!, attrs);
      return this.#adopt({ kind: 'cpu', data: new Float32Array(dx.buffer) }, dy.shape, n);
    },
  };

  /** Frees every tensor this instance made and, if we requested the device, the device. */
  dispose(): void {
    if (this.#disposed) return;
    this.#disposed = true;
    // Tensor.dispose() calls back into releaseStorage, which removes it from #live; a layer's
    // dispose() frees its mask and telemetry counts and removes it from #layers.
    for (const layer of this.#layers) layer.dispose();
    for (const t of this.#live) t.dispose();
    this.#gpu?.dispose();
    // The heap's memory goes with its module instance (WebAssembly memory never shrinks).
    this.#cpu = { mode: this.#cpu.mode, reason: 'the instance was disposed' };
  }

  /** @internal */
  async readStorage(storage: TensorStorage, length: number, dtype: Dtype): Promise<Float32Array | Uint16Array> {
    this.#checkLive();
    if (storage.kind === 'cpu') return storage.data.slice();
    if (storage.kind === 'cpu16') return storage.bits.slice();
    if (dtype === 'f16') return storage.owner.readHalf(storage.buffer, length);
    return storage.owner.read(storage.buffer, storage.offset, length);
  }

  /** @internal */
  releaseStorage(storage: TensorStorage, tensor: Tensor<Dtype>): void {
    this.#live.delete(tensor);
    const also = this.#releaseWith.get(tensor);
    if (also) {
      this.#releaseWith.delete(tensor);
      for (const release of also) release();
    }
    if (storage.kind === 'webgpu') storage.owner.release(storage.buffer);
    else if (storage instanceof HeapBlock) storage.heap.release(storage);
  }

  /** Storage for a new CPU f32 tensor: a block of the SIMD heap where there is one and room. */
  #cpuBlock(length: number): CpuStorage {
    return this.#cpu.heap?.allocate(length) ?? { kind: 'cpu', data: new Float32Array(length) };
  }

  /**
   * An f32 tensor's storage, checking it belongs to this instance and to its current device. f16
   * tensors are refused here: only forward and backward take them (#anyStorage).
   */
  #storage(t: unknown, argument: string): F32Storage {
    const s = this.#anyStorage(t, argument);
    if (s.kind === 'cpu16' || (t as Tensor<Dtype>).dtype === 'f16') {
      throw new InvalidArgumentError(argument, 'an f32 tensor (f16 tensors run through forward and backward)', 'an f16 tensor');
    }
    return s;
  }

  /**
   * f16 tensors as new f32 tensors (exact), for the ops that run f16 through their f32 kernels;
   * each must be f16. Nothing is made unless all pass.
   */
  #widenAll(tensors: readonly (readonly [string, Tensor<Dtype>])[]): Tensor[] {
    const storages = tensors.map(([name, t]) => {
      const s = this.#anyStorage(t, name);
      if (t.dtype !== 'f16') throw new InvalidArgumentError(name, `an f16 tensor (as ${tensors[0]![0]} is)`, `an ${t.dtype} tensor`);
      return s;
    });
    return tensors.map(([, t], i) => {
      const s = storages[i]!;
      if (s.kind === 'webgpu') {
        const gpu = this.#gpu!;
        const out = gpu.allocate(t.length, 'f16.widened', 'x');
        gpu.convert('widen', s.buffer, out, t.length);
        return this.#adopt({ kind: 'webgpu', buffer: out, offset: 0, owner: gpu }, t.shape, t.length);
      }
      return this.#adopt({ kind: 'cpu', data: halvesToF32((s as { bits: Uint16Array }).bits) }, t.shape, t.length);
    });
  }

  /** An f32 result rounded to a new f16 tensor (nearest even); the f32 tensor is disposed. */
  #narrow(t: Tensor): Tensor<'f16'> {
    try {
      const s = this.#storage(t, 'x');
      if (s.kind === 'webgpu') {
        const gpu = this.#gpu!;
        const out = gpu.allocateHalf(t.length, 'f16.narrowed', 'x');
        gpu.convert('narrow', s.buffer, out, t.length);
        return this.#adopt({ kind: 'webgpu', buffer: out, offset: 0, owner: gpu }, t.shape, t.length, 'f16');
      }
      return this.#adopt({ kind: 'cpu16', bits: f32ToHalves(s.data) }, t.shape, t.length, 'f16');
    } finally {
      t.dispose();
    }
  }

  /** A tensor's storage, f32 or f16, checking it belongs to this instance and its current device. */
  #anyStorage(t: unknown, argument: string): TensorStorage {
    const s = ownStorage(this, t, argument);
    if (s.kind === 'webgpu' && s.owner !== this.#gpu) {
      throw new DeviceLostError('lost', `${argument} was made on a GPU device that was lost; make it again after acts.ready()`);
    }
    return s;
  }

  #adopt(storage: TensorStorage, shape: readonly number[], length: number): Tensor;
  #adopt<D extends Dtype>(storage: TensorStorage, shape: readonly number[], length: number, dtype: D): Tensor<D>;
  #adopt(storage: TensorStorage, shape: readonly number[], length: number, dtype: Dtype = 'f32'): Tensor<Dtype> {
    const t = new Tensor(this, storage, shape, length, dtype);
    this.#live.add(t);
    return t;
  }

  #checkLive(): void {
    if (this.#disposed) throw new DisposedError('acts');
    this.#gpu?.checkAlive();
  }

  #apply(
    op: OpDefinition,
    direction: Direction,
    inputs: readonly (readonly [string, Tensor<Dtype>])[],
    attrs: readonly number[],
    encoder?: GPUCommandEncoder,
  ): Tensor<Dtype> {
    this.#checkLive();
    const [first, x] = inputs[0]!;
    if (x instanceof Tensor && x.dtype === 'f16') return this.#applyHalf(op, direction, inputs, attrs);
    const storages = inputs.map(([name, t]) => this.#storage(t, name));
    for (const [name, t] of inputs.slice(1)) {
      if (!sameShape(t.shape, x.shape)) {
        throw new ShapeMismatchError(name, `shape [${x.shape.join(', ')}] (the shape of ${first})`, `[${t.shape.join(', ')}]`);
      }
    }
    const label = `${op.name}.${direction}`;
    if (this.#gpu) {
      const out = this.#gpu.allocate(x.length, label, 'x');
      const operands: GpuOperand[] = storages.map((s) => ({
        buffer: (s as { buffer: GPUBuffer }).buffer,
        offset: (s as { offset: number }).offset,
      }));
      operands.push({ buffer: out, offset: 0 });
      this.#gpu.run(op, direction, operands, x.length, attrs, encoder);
      return this.#adopt({ kind: 'webgpu', buffer: out, offset: 0, owner: this.#gpu }, x.shape, x.length);
    }
    // The output first: a new block may grow the heap, which the inputs' views then follow.
    const out = this.#cpuBlock(x.length);
    runCpuOp(op, direction, storages as CpuStorage[], out, attrs);
    return this.#adopt(out, x.shape, x.length);
  }

  /**
   * An op on f16 tensors: widened exactly to f32, the op's f32 kernel, rounded once to f16
   * (shaders/elementwise-f16.wgsl on the GPU; the same steps here on the CPU).
   */
  #applyHalf(
    op: OpDefinition,
    direction: Direction,
    inputs: readonly (readonly [string, Tensor<Dtype>])[],
    attrs: readonly number[],
  ): Tensor<'f16'> {
    const [first, x] = inputs[0]!;
    const storages = inputs.map(([name, t]) => {
      const s = this.#anyStorage(t, name);
      if (t.dtype !== 'f16') throw new InvalidArgumentError(name, `an f16 tensor (as ${first} is)`, `an ${t.dtype} tensor`);
      if (!sameShape(t.shape, x.shape)) {
        throw new ShapeMismatchError(name, `shape [${x.shape.join(', ')}] (the shape of ${first})`, `[${t.shape.join(', ')}]`);
      }
      return s;
    });
    const n = x.length;
    if (this.#gpu) {
      const gpu = this.#gpu;
      gpu.checkOneBinding(Math.ceil(n / 2), `an f16 ${op.name}`);
      const out = gpu.allocateHalf(n, `${op.name}.f16.${direction}`, 'x');
      gpu.runHalf(op, direction, [...storages.map((s) => (s as { buffer: GPUBuffer }).buffer), out], n, attrs);
      return this.#adopt({ kind: 'webgpu', buffer: out, offset: 0, owner: gpu }, x.shape, n, 'f16');
    }
    const out = new Float32Array(n);
    runCpu(
      op,
      direction,
      storages.map((s) => halvesToF32((s as { bits: Uint16Array }).bits)),
      out,
      attrs,
    );
    return this.#adopt({ kind: 'cpu16', bits: f32ToHalves(out) }, x.shape, n, 'f16');
  }

  #into(
    op: OpDefinition,
    direction: Direction,
    given: object,
    names: readonly string[],
    attrs: readonly number[],
    options: EncodeOptions,
  ): void {
    this.#checkLive();
    if (typeof given !== 'object' || given === null) {
      throw new InvalidArgumentError('operands', `an object { ${names.join(', ')} }`, describe(given));
    }
    const record = given as Record<string, unknown>;
    if (!this.#gpu) {
      // The CPU backend: tensors only.
      const storages = names.map((n) => this.#storage(record[n], n) as CpuStorage);
      const arrays = storages.map((s) => s.data);
      checkLengths(
        names,
        arrays.map((a) => a.length),
      );
      if (options.encoder !== undefined)
        throw new InvalidArgumentError('options.encoder', 'no encoder on the CPU backend', 'a GPUCommandEncoder');
      // Same rule as on the GPU; the CPU kernels read element i before they write it.
      inPlaceInput(
        direction,
        arrays.map((a) => ({ buffer: a.buffer, offset: a.byteOffset, length: a.length })),
        names,
      );
      runCpuOp(op, direction, storages.slice(0, -1), storages[storages.length - 1]!, attrs);
      return;
    }
    const views = names.map((n) => this.#view(record[n], n));
    checkLengths(
      names,
      views.map((v) => v.length),
    );
    const out = views[views.length - 1]!;
    const inPlace = inPlaceInput(direction, views, names);
    const encoder = options.encoder;
    if (encoder !== undefined && typeof (encoder as GPUCommandEncoder | null)?.beginComputePass !== 'function') {
      throw new InvalidArgumentError('options.encoder', 'a GPUCommandEncoder', describe(encoder));
    }
    if (inPlace === undefined) this.#gpu.run(op, direction, views, out.length, attrs, encoder);
    else if (direction === 'forward') this.#gpu.run(op, 'forward_inplace', [out], out.length, attrs, encoder);
    else this.#gpu.run(op, 'backward_inplace', [views[0]!, out], out.length, attrs, encoder);
  }

  /** Resolves a tensor or a caller's buffer range into a validated byte range. */
  #view(value: unknown, argument: string): GpuOperand & { readonly length: number } {
    if (value instanceof Tensor) {
      const s = this.#storage(value, argument);
      if (s.kind !== 'webgpu') throw new InvalidArgumentError(argument, 'a WebGPU tensor', 'a CPU tensor');
      return { buffer: s.buffer, offset: s.offset, length: value.length };
    }
    if (typeof value !== 'object' || value === null || !('buffer' in value)) {
      throw new InvalidArgumentError(argument, 'a Tensor or a { buffer, offset?, length } view of a GPUBuffer', describe(value));
    }
    const { buffer, offset = 0, length } = value as BufferView;
    if (typeof buffer?.usage !== 'number' || typeof buffer.size !== 'number') {
      throw new InvalidArgumentError(`${argument}.buffer`, 'a GPUBuffer', describe(buffer));
    }
    if ((buffer.usage & 0x80) === 0) {
      throw new InvalidArgumentError(
        `${argument}.buffer`,
        'a GPUBuffer with STORAGE usage',
        `one with usage 0x${buffer.usage.toString(16)}`,
      );
    }
    if (!Number.isInteger(offset) || offset < 0 || offset % 4 !== 0) {
      throw new InvalidArgumentError(`${argument}.offset`, 'a non-negative byte offset that is a multiple of 4', describe(offset));
    }
    if (!Number.isInteger(length) || length < 0) {
      throw new InvalidArgumentError(`${argument}.length`, 'a non-negative integer number of elements', describe(length));
    }
    if (offset + 4 * length > buffer.size) {
      throw new InvalidArgumentError(
        `${argument}.length`,
        `at most ${Math.floor((buffer.size - Math.min(offset, buffer.size)) / 4)} elements (the buffer holds ${buffer.size} bytes from offset ${offset})`,
        String(length),
      );
    }
    return { buffer, offset, length };
  }
}

/** A layer's 1-bit mask: a GPU buffer of the backend that made it, or words on the CPU. */
type MaskHandle = Retained & { readonly owner?: GpuBackend; readonly buffer?: GPUBuffer; readonly words?: Uint32Array };

/** A mask buffer as what a layer keeps; releasing it destroys the buffer. */
function gpuMask(gpu: GpuBackend, buffer: GPUBuffer, length: number): MaskHandle {
  return { bytes: Math.ceil(length / 32) * 4, owner: gpu, buffer, release: () => gpu.release(buffer) };
}

/** The CPU twin of the mask kernels: bit i (word i >> 5, bit i & 31) is op.mask.keep(z[i]). */
function cpuMask(op: OpDefinition, z: Float32Array, attrs: readonly number[]): MaskHandle {
  const words = new Uint32Array(Math.ceil(z.length / 32));
  const zb = new Uint32Array(z.buffer, z.byteOffset, z.length);
  for (let i = 0; i < z.length; i++) if (op.mask!.keep(zb[i]!, attrs)) words[i >>> 5]! |= 1 << (i & 31);
  return { bytes: words.byteLength, words, release: () => undefined };
}

/**
 * Which input the output is written over, if any. Forward may write y over exactly x's range and
 * backward dx over exactly dy's (in place); any other overlap is refused.
 */
function inPlaceInput(
  direction: Direction,
  views: readonly { readonly buffer: unknown; readonly offset: number; readonly length: number }[],
  names: readonly string[],
): number | undefined {
  const out = views[views.length - 1]!;
  const allowed = direction === 'forward' ? 0 : 1;
  let inPlace: number | undefined;
  views.slice(0, -1).forEach((v, i) => {
    if (v.buffer !== out.buffer || v.length === 0 || out.length === 0) return;
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
function savedOperand(op: OpDefinition, given: unknown, argument: string): ['x' | 'y', unknown] {
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

/** true for an f16 tensor (anything else goes on to the f32 path and its checks). */
function isHalf(t: unknown): t is Tensor<'f16'> {
  return t instanceof Tensor && (t as Tensor<Dtype>).dtype === 'f16';
}

/** A Float16Array (ES2025), where the runtime has one: 2 bytes an element. */
export interface Float16ArrayLike extends ArrayBufferView {
  readonly length: number;
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

/** The options object of prelu/maxout (undefined counts as {}). */
function optionsObject(options: unknown): Record<string, unknown> {
  if (options === undefined) return {};
  if (typeof options !== 'object' || options === null) throw new InvalidArgumentError('options', 'an options object', describe(options));
  return options as Record<string, unknown>;
}

/** The attrs of prelu/maxout given by name to forward/backward, which they need. */
function attrsObject(attrs: unknown, op: string, shape: string): Record<string, unknown> {
  if (typeof attrs !== 'object' || attrs === null) throw new InvalidArgumentError('attrs', `${op}'s attributes ${shape}`, describe(attrs));
  return attrs as Record<string, unknown>;
}

function checkShape(shape: unknown, length: number, argument = 'shape'): readonly number[] {
  if (!Array.isArray(shape)) throw new InvalidArgumentError(argument, 'an array of non-negative integers', describe(shape));
  const dims = shape as unknown[];
  dims.forEach((d, i) => {
    if (typeof d !== 'number' || !Number.isInteger(d) || d < 0) {
      throw new InvalidArgumentError(`${argument}[${i}]`, 'a non-negative integer', describe(d));
    }
  });
  const product = (dims as number[]).reduce((a, b) => a * b, 1);
  if (product !== length) {
    throw new ShapeMismatchError(
      argument,
      `dimensions whose product is the data's length, ${length}`,
      `[${dims.join(', ')}] (product ${product})`,
    );
  }
  return dims as number[];
}

function checkLengths(names: readonly string[], lengths: readonly number[]): void {
  lengths.forEach((n, i) => {
    if (n !== lengths[0]) throw new ShapeMismatchError(names[i]!, `${lengths[0]} elements (the length of ${names[0]})`, `${n}`);
  });
}

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}
