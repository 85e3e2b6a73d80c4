// The buffer pool: released tensor and readback buffers are kept (bounded in bytes and count,
// least recently released evicted first) and handed out again to allocations of the same size
// class, so steady work allocates nothing.
import { BufferUsage } from './constants.js';

/** Usage of tensor buffers (and masks, counts): bound as storage, copied in and out. */
export const TENSOR_USAGE = BufferUsage.STORAGE | BufferUsage.COPY_SRC | BufferUsage.COPY_DST;
/** Readback staging buffers: pooled too, so reads reuse them. */
export const STAGING_USAGE = BufferUsage.MAP_READ | BufferUsage.COPY_DST;

/** At most this many buffers wait in the pool. */
const POOL_BUFFERS = 256;

/**
 * The size class of a buffer asked for `bytes` bytes, so that near sizes share pooled buffers.
 * Up to 64 bytes: the next multiple of 16. Above: each octave (2^k, 2^(k+1)] is cut into 4 equal
 * steps of 2^(k-2) bytes, so the classes run 80, 96, 112, 128, 160, 192, 224, 256, 320, ...,
 * 3072, 3584, 4096, 5120, ...; every class is a multiple of 16 (storage bindings and the vec4
 * kernels need 16-byte sizes).
 *
 * Why 4 steps: a buffer is then less than 25% larger than asked (about 10% on average), and that
 * waste counts against the pool's byte cap and device memory; yet tensors whose sizes differ by a
 * few percent (a smaller last batch, ragged sequences, shapes that drift in a loop) mostly land in
 * one class and reuse each other's buffers instead of each keeping its own. 8 steps would halve
 * the waste and the reuse with it; powers of two would waste up to half of every buffer.
 *
 * @example poolBucket(4000) // 4096; poolBucket(3500) // 3584; poolBucket(48) // 48
 */
export function poolBucket(bytes: number): number {
  const size = Math.max(16, Math.ceil(bytes / 16) * 16);
  if (size <= 64) return size;
  // The step s with 4s < size <= 8s: a power of two, at least 16.
  let step = 16;
  while (step * 8 < size) step *= 2;
  return Math.ceil(size / step) * step;
}

/** Released buffers of one device waiting for reuse. */
export class BufferPool {
  #buffers: GPUBuffer[] = [];
  #bytes = 0;
  /** Set once the device is lost or being disposed: nothing is kept any more. */
  closed = false;

  constructor(
    readonly device: GPUDevice,
    /** The cap in bytes (tuning.poolBytes; 0 turns the pool off). */
    readonly capBytes: number,
    /** Called for each buffer about to be destroyed (drops cached bind groups). */
    readonly onDestroy: (buffer: GPUBuffer) => void,
  ) {}

  /**
   * The size we make a buffer asked for `bytes` bytes: its pool class (poolBucket), when the pool
   * could keep it and the device allows it, else `bytes` itself. Users of a buffer therefore bind
   * and copy the tensor's own byte count, never `buffer.size`. A buffer that fits one storage
   * binding stays within maxStorageBufferBindingSize: the kernels that bind our buffers whole
   * (f16, fused, PReLU, maxout, tree sums) need that.
   */
  sizeFor(bytes: number): number {
    const size = poolBucket(bytes);
    const l = this.device.limits;
    const cap = Math.min(l.maxBufferSize, bytes <= l.maxStorageBufferBindingSize ? l.maxStorageBufferBindingSize : Infinity);
    return size <= cap && size <= this.capBytes ? size : bytes;
  }

  /**
   * A pooled buffer of that size and usage, most recently released first, or undefined. Its
   * contents are stale: every kernel writes all of its output (callers that need zeros clear it).
   */
  take(size: number, usage: number, label: string): GPUBuffer | undefined {
    for (let i = this.#buffers.length - 1; i >= 0; i--) {
      const b = this.#buffers[i]!;
      if (b.size === size && b.usage === usage) {
        this.#buffers.splice(i, 1);
        this.#bytes -= b.size;
        b.label = label;
        return b;
      }
    }
    return undefined;
  }

  /**
   * Keeps a released buffer, or destroys it. Work already submitted that reads it runs first (the
   * queue keeps order), so the buffer can take new work at once.
   */
  put(buffer: GPUBuffer): void {
    const poolable = buffer.usage === TENSOR_USAGE || buffer.usage === STAGING_USAGE;
    if (poolable && buffer.size <= this.capBytes && !this.closed) {
      this.#buffers.push(buffer);
      this.#bytes += buffer.size;
      while (this.#bytes > this.capBytes || this.#buffers.length > POOL_BUFFERS) this.#evict();
      return;
    }
    this.onDestroy(buffer);
    buffer.destroy();
  }

  #evict(): void {
    const b = this.#buffers.shift()!;
    this.#bytes -= b.size;
    this.onDestroy(b);
    b.destroy();
  }

  /** Destroys every pooled buffer. Returns the bytes freed. */
  trim(): number {
    const bytes = this.#bytes;
    while (this.#buffers.length > 0) this.#evict();
    return bytes;
  }

  /** Bytes and buffers waiting. */
  get stats(): { readonly bytes: number; readonly buffers: number } {
    return { bytes: this.#bytes, buffers: this.#buffers.length };
  }
}
