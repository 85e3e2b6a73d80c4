// The queue side of a device: how encoded work reaches the GPU (pending until a moment that
// needs it, the caller's encoder, or a batch), the error scopes around our submits and
// allocations, readback, freeing buffers at the right moment, and device loss.
import { DeviceLostError, GpuOperationError } from '../errors.js';
import type { DeviceCache } from './device-cache.js';
import { MapMode } from './constants.js';
import { STAGING_USAGE, type BufferPool } from './pool.js';

/**
 * Pending work is submitted in slices of this many ops: bounded work per submit, and well under
 * the params cache's capacity, so no params buffer a slice uses is retired before it is submitted.
 */
const BATCH_OPS = 256;

/**
 * Pending work is also submitted once it has freed this many buffers: they go back to the pool
 * only then, so a chain of ops that each free their input (a training step's temporaries, a
 * layer's output and mask) would otherwise allocate anew all the way, and a flush handing back
 * more than the pool keeps (256) would destroy the rest.
 */
const FREED_FLUSH = 128;

/**
 * Work encoded and not yet submitted: an explicit `acts.batch` (depth > 0, nested calls add one)
 * or, at depth 0, the ops on our own buffers since the last submit, which go out together when
 * something needs them (see GpuQueue.encode). Our encoder and its open pass, ops since the last
 * submit, buffers freed meanwhile.
 */
interface Batch {
  depth: number;
  encoder: GPUCommandEncoder | undefined;
  pass: GPUComputePassEncoder | undefined;
  ops: number;
  freed: GPUBuffer[];
}

export class GpuQueue {
  #lost: GPUDeviceLostInfo | undefined;
  readonly #lostPromise: Promise<never>;
  #disposing = false;
  #batch: Batch | undefined;
  /** Buffers we made (createBuffer) and have not handed out: ops on these alone may stay pending. */
  readonly #own = new WeakSet<GPUBuffer>();
  /** Error scopes of our own submits and allocations not yet looked at. */
  #scopes: Promise<GpuOperationError | undefined>[] = [];
  /**
   * Called when the device is lost by something other than our own dispose(), in the same
   * microtask that makes checkAlive() start throwing.
   */
  onLost: ((info: GPUDeviceLostInfo) => void) | undefined;

  constructor(
    readonly device: GPUDevice,
    readonly cache: DeviceCache,
    readonly pool: BufferPool,
  ) {
    const lost = device.lost.then((info) => {
      if (!this.#disposing) {
        this.#lost = info;
        this.pool.closed = true;
        this.onLost?.(info);
      }
      return info;
    });
    this.#lostPromise = lost.then((info) => {
      throw new DeviceLostError(info.reason ?? 'unknown', info.message);
    });
    // Nobody may be waiting on it; keep it from counting as unhandled.
    this.#lostPromise.catch(() => undefined);
  }

  /** Throws DeviceLostError once the device is gone. */
  checkAlive(): void {
    if (this.#lost) throw new DeviceLostError(this.#lost.reason ?? 'unknown', this.#lost.message);
  }

  /**
   * A buffer from the pool or, inside an out-of-memory error scope, a new one: the device says so
   * asynchronously, so a failure rejects the next read with a GpuOperationError (kind
   * 'out-of-memory') naming the label.
   */
  createBuffer(descriptor: GPUBufferDescriptor): GPUBuffer {
    const size = this.pool.sizeFor(descriptor.size);
    const pooled = this.pool.take(size, descriptor.usage, descriptor.label ?? '');
    if (pooled) {
      this.#own.add(pooled);
      return pooled;
    }
    this.device.pushErrorScope('out-of-memory');
    try {
      const buffer = this.device.createBuffer({ ...descriptor, size });
      this.#own.add(buffer);
      return buffer;
    } finally {
      // Popped on every path: a scope left pushed would swallow the caller's own errors.
      this.#watchScope(`${descriptor.label ?? 'buffer'}: allocating ${size} bytes`, 'out-of-memory');
    }
  }

  /** Pops the innermost error scope into the list the next read settles. */
  #watchScope(label: string, kind: 'validation' | 'out-of-memory'): void {
    this.#scopes.push(this.device.popErrorScope().then((e) => (e ? new GpuOperationError(label, e.message, kind) : undefined)));
  }

  /**
   * Whether a buffer is ours alone: made by createBuffer and not handed out (expose). A pass
   * binding any other as storage is `foreign` to encode().
   */
  ours(buffer: GPUBuffer): boolean {
    return this.#own.has(buffer);
  }

  /**
   * The caller is given this buffer of ours (a tensor's gpuBuffer): what is pending goes out
   * now, so that the caller's own submits see it, and work binding it from now on goes out
   * before its call returns. Until the pool gives it to a new tensor.
   */
  expose(buffer: GPUBuffer): void {
    this.submitPending();
    this.#own.delete(buffer);
  }

  /**
   * One compute pass (`body` makes its bind groups and dispatches). Into the caller's encoder,
   * after submitting what is pending (the caller submits their encoder whenever they like, and
   * it may read what that work writes). Where it binds a buffer that is not ours alone
   * (`foreign`: a caller's view, an exposed tensor), outside a batch: submitted before the call returns,
   * after what is pending, in an encoder of its own inside a validation scope (a destroyed
   * buffer of the caller's fails there, and the caller's next writeBuffer or submit must come
   * after it). Otherwise into the pending encoder: in a batch, submitted when it ends (or every
   * BATCH_OPS ops); outside one, with the next read, expose, encoder, foreign op or flush, after
   * BATCH_OPS ops, or at the end of the current task (a microtask), whichever comes first. A
   * model's chain of small ops on our tensors thus costs one submit and one error scope, not
   * one each.
   */
  encode(label: string, encoder: GPUCommandEncoder | undefined, foreign: boolean, body: (pass: GPUComputePassEncoder) => void): void {
    if (encoder) {
      this.submitPending();
      const pass = encoder.beginComputePass({ label });
      body(pass);
      pass.end();
      return;
    }
    if (foreign && !this.#batch?.depth) {
      this.submitPending();
      this.#submit(label, (enc) => {
        const pass = enc.beginComputePass({ label });
        body(pass);
        pass.end();
      });
      return;
    }
    const batch = this.#pending();
    batch.pass ??= this.#batchEncoder(batch, true).beginComputePass({ label: batch.depth > 0 ? 'batch' : 'pending' });
    if (foreign) this.#scoped(label, () => body(batch.pass!));
    else body(batch.pass);
    if (++batch.ops >= BATCH_OPS) this.#flush();
  }

  /** Copies `bytes` from `source` at `offset` to the start of `target`, in `encoder` or as encode() places a pass. */
  copy(source: GPUBuffer, offset: number, target: GPUBuffer, bytes: number, encoder?: GPUCommandEncoder): void {
    if (bytes === 0) return;
    const foreign = !this.ours(source) || !this.ours(target);
    if (encoder) {
      this.submitPending();
      encoder.copyBufferToBuffer(source, offset, target, 0, bytes);
      return;
    }
    if (foreign && !this.#batch?.depth) {
      this.submitPending();
      this.#submit('copy', (enc) => enc.copyBufferToBuffer(source, offset, target, 0, bytes));
      return;
    }
    const batch = this.#pending();
    this.#batchEncoder(batch, false).copyBufferToBuffer(source, offset, target, 0, bytes);
    if (++batch.ops >= BATCH_OPS) this.#flush();
  }

  /** An encoder of ours, filled by `fill` and submitted inside one validation scope. */
  #submit(label: string, fill: (encoder: GPUCommandEncoder) => void): void {
    this.#scoped(label, () => {
      const enc = this.device.createCommandEncoder({ label });
      fill(enc);
      this.device.queue.submit([enc.finish()]);
    });
  }

  /** Runs fn inside a validation scope of ours, its error (if any) reported by the next read. */
  #scoped(label: string, fn: () => void): void {
    this.device.pushErrorScope('validation');
    try {
      fn();
    } finally {
      this.#watchScope(label, 'validation');
    }
  }

  /** The pending work, opened (with its end-of-task submit scheduled) if there is none. */
  #pending(): Batch {
    if (this.#batch) return this.#batch;
    const batch: Batch = { depth: 0, encoder: undefined, pass: undefined, ops: 0, freed: [] };
    this.#batch = batch;
    queueMicrotask(() => {
      if (this.#batch === batch && batch.depth === 0) this.#end();
    });
    return batch;
  }

  /**
   * Submits the pending work now (`acts.flush()`, and before anything the caller may submit).
   * An open batch stays open: what it encodes next goes into a new encoder.
   */
  submitPending(): void {
    const batch = this.#batch;
    if (!batch) return;
    if (batch.depth === 0) this.#end();
    else this.#flush();
  }

  /** Submits and closes pending work outside a batch. */
  #end(): void {
    try {
      this.#flush();
    } finally {
      this.#batch = undefined;
    }
  }

  /** Runs fn inside a batch (joining an open one, or taking over pending work); the outermost submits what it holds. */
  batch<T>(fn: () => T): T {
    if (this.#batch) this.#batch.depth++;
    else this.#batch = { depth: 1, encoder: undefined, pass: undefined, ops: 0, freed: [] };
    try {
      return fn();
    } finally {
      // (Gone if the instance was disposed inside fn: closing() dropped it.)
      const batch = this.#batch;
      if (batch && --batch.depth === 0) this.#end();
    }
  }

  /** Submits what the pending work encoded so far (one error scope), then releases what it freed. */
  #flush(): void {
    const batch = this.#batch;
    if (!batch) return;
    const { encoder, pass, freed } = batch;
    batch.encoder = undefined;
    batch.pass = undefined;
    batch.ops = 0;
    batch.freed = [];
    if (encoder && !this.#lost && !this.#disposing) {
      pass?.end();
      // Encoder errors surface at finish(), so one scope around it and the submit catches them.
      this.#scoped(batch.depth > 0 ? 'batch' : 'pending work', () => this.device.queue.submit([encoder.finish()]));
    }
    for (const buffer of freed) this.pool.put(buffer);
  }

  /** The pending encoder, its compute pass ended when `pass` is false (a copy comes next). */
  #batchEncoder(batch: Batch, pass: boolean): GPUCommandEncoder {
    batch.encoder ??= this.device.createCommandEncoder({ label: batch.depth > 0 ? 'batch' : 'pending' });
    if (!pass && batch.pass) {
      batch.pass.end();
      batch.pass = undefined;
    }
    return batch.encoder;
  }

  /** Copies `bytes` from `buffer` at byte `offset` back to the CPU. */
  async read(buffer: GPUBuffer, offset: number, bytes: number): Promise<ArrayBuffer> {
    this.checkAlive();
    if (bytes === 0) {
      await this.#settle();
      return new ArrayBuffer(0);
    }
    // A read sees all the work encoded before it: submit what is pending.
    this.submitPending();
    // The copy is queued at once, behind the work that wrote the buffer: disposing the tensor
    // while the read is pending cannot make it copy from a destroyed buffer.
    const staging = this.createBuffer({ label: 'readback', size: bytes, usage: STAGING_USAGE });
    let reusable = false;
    try {
      const enc = this.device.createCommandEncoder({ label: 'readback' });
      enc.copyBufferToBuffer(buffer, offset, staging, 0, bytes);
      this.device.queue.submit([enc.finish()]);
      await this.#settle();
      try {
        // Only our bytes: a pooled staging buffer may be larger (poolBucket).
        await Promise.race([staging.mapAsync(MapMode.READ, 0, bytes), this.#lostPromise]);
      } catch (e) {
        // mapAsync rejects (AbortError) when the device goes away; say so plainly.
        await Promise.race([this.#lostPromise, new Promise((r) => setTimeout(r, 0))]);
        throw e;
      }
      // Copy out before unmap: the mapped range is detached by unmap().
      const out = staging.getMappedRange(0, bytes).slice(0);
      staging.unmap();
      reusable = true;
      return out;
    } finally {
      // Unmapped after a good read, it can serve the next one; otherwise it goes.
      if (reusable) this.release(staging);
      else staging.destroy();
    }
  }

  /** Waits for compile checks and error scopes so far; throws the first failure. */
  async #settle(): Promise<void> {
    await this.cache.compiled();
    if (this.#scopes.length === 0) return;
    const scopes = this.#scopes;
    this.#scopes = [];
    const errors = await Promise.race([Promise.all(scopes), this.#lostPromise]);
    const first = errors.find((e) => e !== undefined);
    // Memory pressure: give back what the pool holds.
    if (errors.some((e) => e?.kind === 'out-of-memory')) this.pool.trim();
    if (first) throw first;
  }

  /**
   * Frees a buffer we made: while work is pending (in a batch or not), once the work that may
   * read it is submitted, which FREED_FLUSH freed buffers bring forward. Buffers the caller's unsubmitted encoder reads are never released here before they submit
   * (they go with the tensors that work writes: Runtime.releaseWith).
   */
  release(buffer: GPUBuffer): void {
    const batch = this.#batch;
    if (!batch) {
      this.pool.put(buffer);
      return;
    }
    batch.freed.push(buffer);
    if (batch.freed.length >= FREED_FLUSH) this.#flush();
  }

  /**
   * From now on, a loss of the device is our own doing: nothing more is pooled or reported, and
   * pending work is dropped unsubmitted (its buffers are being destroyed; on a device of the
   * caller's, submitting it later would raise errors there).
   */
  closing(): void {
    this.#disposing = true;
    this.pool.closed = true;
    this.#batch?.pass?.end();
    this.#batch = undefined;
  }
}
