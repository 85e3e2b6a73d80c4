import type { Backend, BackendName } from './backend.js';
import { DisposedError, ForeignTensorError, InvalidArgumentError, describe } from './errors.js';
import { optionsObject } from './options.js';

export type { BackendName } from './backend.js';

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
  /** Your buffer, made with STORAGE usage on the instance's device. */
  readonly buffer: GPUBuffer;
  /** Where the range starts, in bytes: a multiple of 4 (default 0). */
  readonly offset?: number;
  /** How many elements the range holds. */
  readonly length: number;
}

/** The instance that made a tensor (src/runtime.ts): reads and frees its storage. */
export interface TensorOwner {
  /** The backend the instance runs on now. */
  readonly backendName: BackendName;
  read(backend: Backend, storage: unknown, length: number, dtype: Dtype): Promise<Float32Array | Uint16Array>;
  release(tensor: Tensor<Dtype>, backend: Backend, storage: unknown): void;
}

interface Internals {
  readonly owner: TensorOwner;
  /** The backend that made the storage (a lost device's, after a recovery). */
  readonly backend: Backend;
  storage: unknown;
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
  /** The element type: 'f32', or 'f16' for a tensor made from f16 data. */
  readonly dtype: D;
  /** The dimensions, outermost first (frozen); their product is `length`. */
  readonly shape: readonly number[];
  /** Number of elements (the product of `shape`). */
  readonly length: number;

  /** @internal Use `acts.tensor()`; tensors are made by an instance. */
  constructor(owner: TensorOwner, backend: Backend, storage: unknown, shape: readonly number[], length: number, dtype: D) {
    internals.set(this, { owner, backend, storage });
    this.dtype = dtype;
    this.shape = Object.freeze([...shape]);
    this.length = length;
  }

  /** The backend holding the data. */
  get backend(): BackendName {
    return entryOf(this).owner.backendName;
  }

  /** true once `dispose()` was called. */
  get disposed(): boolean {
    return entryOf(this).storage === undefined;
  }

  /**
   * Where a WebGPU tensor's data lives, to bind it in your own pipelines. The buffer stays
   * ours: do not destroy it; it is valid until this tensor is disposed.
   */
  get gpuBuffer(): Required<BufferView> {
    const { backend, storage } = tensorStorage(this, 'tensor');
    const buffer = backend.gpuBuffer(storage);
    if (!buffer) throw new InvalidArgumentError('tensor', 'a WebGPU tensor', 'a CPU tensor');
    return { buffer, offset: 0, length: this.length };
  }

  /**
   * Copies the data out: a Float32Array, or for f16 the halves' bits in a Uint16Array, which
   * every runtime has; `{ f16: 'values' }` gives a Float16Array instead, where the runtime has one
   * (see {@link ReadOptions}). Rejects with DisposedError after dispose, DeviceLostError on
   * device loss.
   *
   * @example
   * const bits = await h.read(); // Uint16Array [0x3c00, ...]
   * const values = await h.read({ f16: 'values' }); // Float16Array [1, ...] (ES2025 runtimes)
   */
  read(options?: { readonly f16?: 'bits' }): Promise<TensorData<D>>;
  read(options: { readonly f16: 'values' }): Promise<D extends 'f16' ? Float16Values : Float32Array>;
  read(options: ReadOptions): Promise<TensorData<D> | Float16Values>;
  async read(options?: ReadOptions): Promise<Float32Array | Uint16Array | Float16Values> {
    const { owner } = entryOf(this);
    const values = readAs(options, this.dtype);
    const { backend, storage } = tensorStorage(this, 'tensor');
    const data = await owner.read(backend, storage, this.length, this.dtype);
    return values && data instanceof Uint16Array ? new values(data.buffer, data.byteOffset, data.length) : data;
  }

  /** Frees the storage. Calling it again does nothing. */
  dispose(): void {
    const entry = entryOf(this);
    if (entry.storage === undefined) return;
    const storage = entry.storage;
    entry.storage = undefined;
    entry.owner.release(this, entry.backend, storage);
  }
}

/** Options of {@link Tensor.read}. */
export interface ReadOptions {
  /**
   * How an f16 tensor's data comes back: 'bits' (default), a Uint16Array of the halves' bits,
   * which every runtime has; 'values', a Float16Array, where the runtime has one (browsers with
   * ES2025; elsewhere an InvalidArgumentError naming `options.f16`). f32 tensors ignore it.
   */
  readonly f16?: 'bits' | 'values';
}

/** A Float16Array (ES2025): f16 values read as numbers, 2 bytes an element. */
export interface Float16Values extends ArrayBufferView {
  /** Elements: the tensor's length. */
  readonly length: number;
  /** 2: an f16 value is two bytes. */
  readonly BYTES_PER_ELEMENT: 2;
  /** Element i as a number. */
  [index: number]: number;
  /** The values in order, as numbers. */
  [Symbol.iterator](): IterableIterator<number>;
}

type Float16Constructor = new (buffer: ArrayBufferLike, byteOffset: number, length: number) => Float16Values;

/** The Float16Array constructor when `options` ask for f16 values, checking the options first. */
function readAs(options: unknown, dtype: Dtype): Float16Constructor | undefined {
  const f16 = (optionsObject(options, 'options', ['f16']) as ReadOptions).f16 ?? 'bits';
  if (f16 !== 'bits' && f16 !== 'values') throw new InvalidArgumentError('options.f16', "'bits' or 'values'", describe(f16));
  if (f16 === 'bits' || dtype !== 'f16') return undefined;
  const ctor = (globalThis as { Float16Array?: Float16Constructor }).Float16Array;
  if (!ctor) throw new InvalidArgumentError('options.f16', "'bits' (this runtime has no Float16Array)", "'values'");
  return ctor;
}

/** A tensor's internals; a forged one (Object.create(Tensor.prototype), a Proxy) has none. */
function entryOf(t: Tensor<Dtype>): Internals {
  const entry = internals.get(t);
  if (!entry) throw new InvalidArgumentError('tensor', 'a Tensor made by an instance', describe(t));
  return entry;
}

/** The tensor's backend and storage, checking it is live. `argument` names it in errors. */
export function tensorStorage(t: Tensor<Dtype>, argument: string): { readonly backend: Backend; readonly storage: unknown } {
  const entry = internals.get(t);
  if (!entry) throw new InvalidArgumentError(argument, 'a Tensor', describe(t));
  if (entry.storage === undefined) throw new DisposedError(argument);
  return entry;
}

/** The backend and storage of a tensor that must belong to `owner`. */
export function ownStorage(owner: TensorOwner, t: unknown, argument: string): { readonly backend: Backend; readonly storage: unknown } {
  if (!(t instanceof Tensor)) throw new InvalidArgumentError(argument, 'a Tensor made by this instance', describe(t));
  const tensor = t as Tensor<Dtype>;
  const entry = internals.get(tensor);
  if (!entry) throw new InvalidArgumentError(argument, 'a Tensor made by this instance', describe(t));
  if (entry.owner !== owner) {
    throw new ForeignTensorError(
      argument,
      `a Tensor made by this instance (${owner.backendName})`,
      entry.owner.backendName === owner.backendName ? 'one made by another instance' : `one from the ${entry.owner.backendName} backend`,
    );
  }
  return tensorStorage(tensor, argument);
}
