import { DisposedError, ForeignTensorError, InvalidArgumentError, describe } from './errors.js';

/** Which backend runs the kernels. */
export type BackendName = 'webgpu' | 'cpu';

/**
 * Element type of a tensor: 'f32', or 'f16' (IEEE binary16, entering and leaving as its bits in a
 * Uint16Array; stored two to a 32-bit word on the GPU, computed in f32 and rounded once).
 */
export type Dtype = 'f32' | 'f16';

/** What `read()` gives for a dtype: a Float32Array, or the halves' bits in a Uint16Array. */
export type TensorData<D extends Dtype> = D extends 'f16' ? Uint16Array : Float32Array;

/**
 * A range of a GPUBuffer you own: `offset` in bytes (a multiple of 4, default 0) and `length`
 * in elements. The buffer needs STORAGE usage.
 */
export interface BufferView {
  readonly buffer: GPUBuffer;
  readonly offset?: number;
  readonly length: number;
}

/** What a backend keeps for a tensor. */
export type TensorStorage =
  | { readonly kind: 'cpu'; readonly data: Float32Array }
  | { readonly kind: 'cpu16'; readonly bits: Uint16Array }
  | { readonly kind: 'webgpu'; readonly buffer: GPUBuffer; readonly offset: number; readonly owner: BufferOwner };

/** The GPU side that made a buffer: reads it back and frees it (a GpuBackend). */
export interface BufferOwner {
  read(buffer: GPUBuffer, offset: number, length: number): Promise<Float32Array>;
  readHalf(buffer: GPUBuffer, length: number): Promise<Uint16Array>;
  release(buffer: GPUBuffer): void;
}

/** The instance side of a tensor: reads and releases its storage. */
export interface TensorHost {
  readonly backend: BackendName;
  readStorage(storage: TensorStorage, length: number, dtype: Dtype): Promise<Float32Array | Uint16Array>;
  releaseStorage(storage: TensorStorage, tensor: Tensor<Dtype>): void;
}

interface Internals {
  readonly host: TensorHost;
  storage: TensorStorage | undefined;
}

// Kept out of the class so the public type shows no internals.
const internals = new WeakMap<Tensor<Dtype>, Internals>();

/**
 * An f32 tensor living on one instance's backend. Make it with `acts.tensor(...)` or get it
 * from an op; read it with `await t.read()`; free it with `t.dispose()`.
 *
 * @example
 * const x = acts.tensor(new Float32Array([-1, 0, 2]));
 * const y = acts.forward('relu', x);
 * console.log(await y.read()); // Float32Array [0, 0, 2]
 */
export class Tensor<D extends Dtype = 'f32'> {
  readonly dtype: D;
  readonly shape: readonly number[];
  /** Number of elements (the product of `shape`). */
  readonly length: number;

  /** @internal Use `acts.tensor()`; tensors are made by an instance. */
  constructor(host: TensorHost, storage: TensorStorage, shape: readonly number[], length: number, dtype: D) {
    internals.set(this, { host, storage });
    this.dtype = dtype;
    this.shape = Object.freeze([...shape]);
    this.length = length;
  }

  /** The backend holding the data. */
  get backend(): BackendName {
    return internals.get(this)!.host.backend;
  }

  /** true once `dispose()` was called. */
  get disposed(): boolean {
    return internals.get(this)!.storage === undefined;
  }

  /**
   * Where a WebGPU tensor's data lives, to bind it in your own pipelines. The buffer stays
   * ours: do not destroy it; it is valid until this tensor is disposed.
   */
  get gpuBuffer(): Required<BufferView> {
    const s = tensorStorage(this, 'tensor');
    if (s.kind !== 'webgpu') throw new InvalidArgumentError('tensor', 'a WebGPU tensor', 'a CPU tensor');
    return { buffer: s.buffer, offset: s.offset, length: this.length };
  }

  /**
   * Copies the data out: a Float32Array, or for f16 the halves' bits in a Uint16Array (view them
   * as numbers with `new Float16Array(bits.buffer)` where the runtime has Float16Array). Rejects
   * with DisposedError after dispose, DeviceLostError on device loss.
   */
  async read(): Promise<TensorData<D>> {
    const { host } = internals.get(this)!;
    return (await host.readStorage(tensorStorage(this, 'tensor'), this.length, this.dtype)) as TensorData<D>;
  }

  /** Frees the storage. Calling it again does nothing. */
  dispose(): void {
    const entry = internals.get(this)!;
    if (entry.storage === undefined) return;
    const storage = entry.storage;
    entry.storage = undefined;
    entry.host.releaseStorage(storage, this);
  }
}

/** The tensor's storage, checking it is live. `argument` names it in errors. */
export function tensorStorage(t: Tensor<Dtype>, argument: string): TensorStorage {
  const entry = internals.get(t);
  if (!entry) throw new InvalidArgumentError(argument, 'a Tensor', describe(t));
  if (entry.storage === undefined) throw new DisposedError(argument);
  return entry.storage;
}

/** The storage of a tensor that must belong to `host`. */
export function ownStorage(host: TensorHost, t: unknown, argument: string): TensorStorage {
  if (!(t instanceof Tensor)) throw new InvalidArgumentError(argument, 'a Tensor made by this instance', describe(t));
  const tensor = t as Tensor<Dtype>;
  const entry = internals.get(tensor)!;
  if (entry.host !== host) {
    throw new ForeignTensorError(
      argument,
      `a Tensor made by this instance (${host.backend})`,
      entry.host.backend === host.backend ? 'one made by another instance' : `one from the ${entry.host.backend} backend`,
    );
  }
  return tensorStorage(tensor, argument);
}
