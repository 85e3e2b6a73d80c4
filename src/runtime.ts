// One instance's state, shared by the facade (src/activations.ts), the op kinds (src/kinds/) and
// the layers (src/layer/): the backend it runs on now (replaced after a lost device), the
// tensors and layers it made, and what to free with which tensor.
import type { Backend, BackendName, StorageRef } from './backend.js';
import { DeviceLostError, DisposedError, InvalidArgumentError, ShapeMismatchError } from './errors.js';
import { Tensor, ownStorage, type Dtype, type TensorOwner } from './tensor.js';

export class Runtime implements TensorOwner {
  /** The backend kernels run on now; the front end holds its storage opaque (see StorageRef). */
  #backend: Backend<StorageRef>;
  #disposed = false;
  readonly #live = new Set<Tensor<Dtype>>();
  /** Layers not yet disposed: their masks and telemetry counts are storage too. */
  readonly #layers = new Set<{ dispose(): void }>();
  /** What to free with a tensor: storage that work encoded into a caller's encoder still reads. */
  readonly #releaseWith = new WeakMap<Tensor<Dtype>, (() => void)[]>();

  constructor(backend: Backend) {
    this.#backend = opaque(backend);
  }

  /** The backend kernels run on now. */
  get backend(): Backend<StorageRef> {
    return this.#backend;
  }

  /** Runs on `backend` from now on (a new device after a loss, or the CPU). */
  replace(backend: Backend): void {
    this.#backend = opaque(backend);
  }

  get backendName(): BackendName {
    return this.backend.name;
  }

  get disposed(): boolean {
    return this.#disposed;
  }

  /** Throws DisposedError after dispose, DeviceLostError while the device is lost. */
  checkLive(): void {
    if (this.#disposed) throw new DisposedError('acts');
    this.backend.checkAlive();
  }

  /** A new tensor over storage of the current backend. */
  adopt(storage: unknown, shape: readonly number[], dtype?: 'f32'): Tensor;
  adopt<D extends Dtype>(storage: unknown, shape: readonly number[], dtype: D): Tensor<D>;
  adopt(storage: unknown, shape: readonly number[], dtype: Dtype = 'f32'): Tensor<Dtype> {
    const length = shape.reduce((a, b) => a * b, 1);
    const t = new Tensor(this, this.backend, storage, shape, length, dtype);
    this.#live.add(t);
    return t;
  }

  /**
   * An f32 tensor's storage, checking it belongs to this instance and to its current backend.
   * f16 tensors are refused here: only the calls that say so take them (anyStorage).
   */
  storage(t: unknown, argument: string): StorageRef {
    const s = this.anyStorage(t, argument);
    if ((t as Tensor<Dtype>).dtype === 'f16') {
      throw new InvalidArgumentError(argument, 'an f32 tensor (f16 tensors run through forward and backward)', 'an f16 tensor');
    }
    return s;
  }

  /** A tensor's storage, f32 or f16, checking it belongs to this instance and its current backend. */
  anyStorage(t: unknown, argument: string): StorageRef {
    const { backend, storage } = ownStorage(this, t, argument);
    if (backend !== this.backend) {
      throw new DeviceLostError('lost', `${argument} was made on a GPU device that was lost; make it again after acts.ready()`);
    }
    return storage as StorageRef;
  }

  /** Runs `release` when `t` is disposed instead of now. */
  releaseWith(t: Tensor<Dtype>, release: () => void): void {
    const list = this.#releaseWith.get(t);
    if (list) list.push(release);
    else this.#releaseWith.set(t, [release]);
  }

  /** A layer made by this instance: disposed with it. */
  track(layer: { dispose(): void }): void {
    this.#layers.add(layer);
  }

  /** The layer was disposed. */
  untrack(layer: { dispose(): void }): void {
    this.#layers.delete(layer);
  }

  async read(backend: Backend, storage: unknown, length: number, dtype: Dtype): Promise<Float32Array | Uint16Array> {
    this.checkLive();
    return backend.read(storage, length, dtype as 'f32');
  }

  release(tensor: Tensor<Dtype>, backend: Backend, storage: unknown): void {
    this.#live.delete(tensor);
    const also = this.#releaseWith.get(tensor);
    if (also) {
      this.#releaseWith.delete(tensor);
      for (const release of also) release();
    }
    backend.release(storage);
  }

  /** Frees every layer and tensor this instance made, then the backend. */
  dispose(): void {
    if (this.#disposed) return;
    this.#disposed = true;
    // A layer's dispose() frees what it keeps and untracks it; Tensor.dispose() calls release().
    for (const layer of this.#layers) layer.dispose();
    for (const t of this.#live) t.dispose();
    this.backend.dispose();
  }
}

/** A backend as the front end holds it: its storage type made opaque (the one cast of it). */
function opaque(backend: Backend): Backend<StorageRef> {
  return backend as unknown as Backend<StorageRef>;
}

/** Throws ShapeMismatchError unless `t` has `shape` (`what` says whose shape that is). */
export function checkSameShape(argument: string, t: { readonly shape: readonly number[] }, shape: readonly number[], what: string): void {
  if (t.shape.length !== shape.length || t.shape.some((d, i) => d !== shape[i])) {
    throw new ShapeMismatchError(argument, `shape [${shape.join(', ')}] (${what})`, `[${t.shape.join(', ')}]`);
  }
}
