import { f32Bits } from '../cpu/bits.js';
import { DeviceLostError, GpuOperationError, InvalidArgumentError } from '../errors.js';
import type { OpDefinition } from '../ops/registry.js';
import { BufferUsage, MapMode } from './constants.js';
import { deviceCache, type DeviceCache, type Direction, type FusedKernel } from './device-cache.js';
import { grid, planElementwise, type PlanLimits } from './plan.js';
import type { BufferOwner } from '../tensor.js';
import type { Broadcast } from '../ops/prelu.js';
import type { Grouping } from '../ops/maxout.js';
import type { OpFile } from './shader-source.js';

/** Knobs for tests and tuning; the defaults come from the device's limits. */
export interface Tuning {
  /** Invocations per workgroup (default: 256, or the device's limit when lower). */
  readonly workgroupSize?: number;
  /** false runs every element through the scalar kernel (default true: vec4 where aligned). */
  readonly vectorize?: boolean;
  /** Caps the bytes bound per operand per dispatch below maxStorageBufferBindingSize. */
  readonly maxBindingBytes?: number;
  /**
   * Bytes of released tensor buffers kept for reuse (default 64 MiB, at most 256 buffers; 0
   * turns the pool off). Reuse skips createBuffer and destroy on the hot path. Buffers are made
   * in size classes less than 25% apart (poolBucket), so near sizes reuse one another's.
   */
  readonly poolBytes?: number;
}

/** An open batch of GpuBackend. */
interface Batch {
  depth: number;
  encoder: GPUCommandEncoder | undefined;
  pass: GPUComputePassEncoder | undefined;
  ops: number;
  freed: GPUBuffer[];
}

/**
 * A batch is submitted in slices of this many ops: bounded work per submit, and well under the
 * params cache's capacity, so no params buffer a slice uses is retired before it is submitted.
 */
const BATCH_OPS = 256;

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

/** A byte range of a buffer, already validated. */
export interface GpuOperand {
  readonly buffer: GPUBuffer;
  readonly offset: number;
}

/** The elementwise kernels: out-of-place, or in place (the output range is also an input's). */
export type ElementwiseKernel = Direction | 'forward_inplace' | 'backward_inplace';

/** Binding slots of the operands each kernel takes, in order (the last is the output). */
const SLOTS: Record<ElementwiseKernel, readonly number[]> = {
  forward: [1, 3],
  backward: [1, 2, 3],
  forward_inplace: [3],
  backward_inplace: [1, 3],
};

/** The four params.attrs slots: each attribute as its f32 bits, unused slots 0. */
function attrSlots(attrs: readonly number[]): number[] {
  return [0, 1, 2, 3].map((i) => (i < attrs.length ? f32Bits(attrs[i]!) : 0));
}

/** The bindings each fused kernel uses (its 'auto' layout holds only those). */
const FUSED_BINDINGS: Record<FusedKernel, readonly number[]> = {
  fused_forward: [0, 1, 2, 3, 5, 6],
  fused_forward_y: [0, 1, 2, 3, 5],
  fused_forward_mask: [0, 1, 2, 3, 4, 5],
};

const TENSOR_USAGE = BufferUsage.STORAGE | BufferUsage.COPY_SRC | BufferUsage.COPY_DST;
/** Readback staging buffers: pooled too, so reads reuse them. */
const STAGING_USAGE = BufferUsage.MAP_READ | BufferUsage.COPY_DST;

/** Runs ops on one GPUDevice: allocation, encoding, submission, readback, loss. */
export class GpuBackend implements BufferOwner {
  readonly limits: PlanLimits;
  readonly #cache: DeviceCache;
  #lost: GPUDeviceLostInfo | undefined;
  readonly #lostPromise: Promise<never>;
  /**
   * Called when the device is lost by something other than our own dispose(), in the same
   * microtask that makes checkAlive() start throwing.
   */
  onLost: ((info: GPUDeviceLostInfo) => void) | undefined;
  #disposing = false;
  /** Released tensor buffers kept for reuse, least recently released first. */
  #pool: GPUBuffer[] = [];
  #pooledBytes = 0;
  /**
   * The open batch (acts.batch): depth of nesting, our encoder and its open compute pass once
   * something was encoded, ops since the last submit, and buffers freed meanwhile (released at
   * the submit: until then the batch's encoded work may still read them).
   */
  #batch: Batch | undefined;
  readonly #poolBytes: number;
  /** Error scopes of our own submits not yet looked at. */
  #scopes: Promise<GpuOperationError | undefined>[] = [];

  constructor(
    readonly device: GPUDevice,
    readonly owned: boolean,
    tuning: Tuning,
  ) {
    this.#cache = deviceCache(device);
    const l = device.limits;
    const maxWorkgroup = Math.min(l.maxComputeInvocationsPerWorkgroup, l.maxComputeWorkgroupSizeX);
    const workgroupSize = tuning.workgroupSize ?? Math.min(256, maxWorkgroup);
    if (!Number.isInteger(workgroupSize) || workgroupSize < 1 || workgroupSize > maxWorkgroup) {
      throw new InvalidArgumentError('tuning.workgroupSize', `an integer from 1 to ${maxWorkgroup}`, String(workgroupSize));
    }
    const maxBinding = tuning.maxBindingBytes ?? l.maxStorageBufferBindingSize;
    if (!Number.isInteger(maxBinding) || maxBinding < 2 * l.minStorageBufferOffsetAlignment) {
      throw new InvalidArgumentError(
        'tuning.maxBindingBytes',
        `an integer >= ${2 * l.minStorageBufferOffsetAlignment}`,
        String(maxBinding),
      );
    }
    const poolBytes = tuning.poolBytes ?? 64 * 1024 * 1024;
    if (!Number.isInteger(poolBytes) || poolBytes < 0) {
      throw new InvalidArgumentError('tuning.poolBytes', 'a non-negative integer number of bytes', String(poolBytes));
    }
    this.#poolBytes = poolBytes;
    this.limits = {
      maxBindingBytes: Math.min(maxBinding, l.maxStorageBufferBindingSize),
      offsetAlignment: l.minStorageBufferOffsetAlignment,
      maxWorkgroupsPerDimension: l.maxComputeWorkgroupsPerDimension,
      workgroupSize,
      vectorize: tuning.vectorize ?? true,
    };
    const lost = device.lost.then((info) => {
      if (!this.#disposing) {
        this.#lost = info;
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
   * A storage buffer for `length` f32s, new or from the pool: at least 16 bytes, a multiple of
   * 16, and up to 25% larger than asked (its pool class). Bind and copy `length`, not its size.
   */
  allocate(length: number, label: string, argument: string): GPUBuffer {
    const bytes = Math.max(16, Math.ceil((length * 4) / 16) * 16);
    if (bytes > this.device.limits.maxBufferSize) {
      throw new InvalidArgumentError(
        argument,
        `at most ${Math.floor(this.device.limits.maxBufferSize / 4)} elements (this device's maxBufferSize)`,
        `${length} elements`,
      );
    }
    return this.#createBuffer({ label, size: bytes, usage: TENSOR_USAGE });
  }

  /**
   * createBuffer inside an out-of-memory error scope: the device says so asynchronously, so a
   * failure rejects the next read with a GpuOperationError (kind 'out-of-memory') naming the label.
   */
  #createBuffer(descriptor: GPUBufferDescriptor): GPUBuffer {
    const size = this.#sizeFor(descriptor.size);
    // A pooled buffer of that size and usage, most recently released first. Its contents are
    // stale: every kernel writes all of its output (callers that need zeros clear it).
    for (let i = this.#pool.length - 1; i >= 0; i--) {
      const b = this.#pool[i]!;
      if (b.size === size && b.usage === descriptor.usage) {
        this.#pool.splice(i, 1);
        this.#pooledBytes -= b.size;
        b.label = descriptor.label ?? '';
        return b;
      }
    }
    this.device.pushErrorScope('out-of-memory');
    const buffer = this.device.createBuffer({ ...descriptor, size });
    this.#watchScope(`${descriptor.label ?? 'buffer'}: allocating ${size} bytes`, 'out-of-memory');
    return buffer;
  }

  /**
   * The size we make a buffer asked for `bytes` bytes: its pool class (poolBucket), when the pool
   * could keep it and the device allows it, else `bytes` itself. Users of a buffer therefore bind
   * and copy the tensor's own byte count, never `buffer.size`. A buffer that fits one storage
   * binding stays within maxStorageBufferBindingSize: the kernels that bind our buffers whole
   * (f16, fused, PReLU, maxout, tree sums) need that.
   */
  #sizeFor(bytes: number): number {
    const size = poolBucket(bytes);
    const l = this.device.limits;
    const cap = Math.min(l.maxBufferSize, bytes <= l.maxStorageBufferBindingSize ? l.maxStorageBufferBindingSize : Infinity);
    return size <= cap && size <= this.#poolBytes ? size : bytes;
  }

  /** Pops the innermost error scope into the list the next read settles. */
  #watchScope(label: string, kind: 'validation' | 'out-of-memory'): void {
    this.#scopes.push(this.device.popErrorScope().then((e) => (e ? new GpuOperationError(label, e.message, kind) : undefined)));
  }

  /** A new buffer holding `data`. */
  upload(data: Float32Array, label: string): GPUBuffer {
    this.checkAlive();
    const buffer = this.allocate(data.length, label, 'data');
    if (data.length > 0) this.device.queue.writeBuffer(buffer, 0, data.buffer, data.byteOffset, data.byteLength);
    return buffer;
  }

  /**
   * Encodes `op` over `length` elements. operands: [x, out] forward, [x, dy, out] backward.
   * With an encoder, the work goes there and nothing is submitted; without, we submit it.
   */
  run(
    op: OpDefinition,
    direction: ElementwiseKernel,
    operands: readonly GpuOperand[],
    length: number,
    attrs: readonly number[],
    encoder?: GPUCommandEncoder,
  ): void {
    this.checkAlive();
    if (length === 0) return;
    const plan = planElementwise(
      length,
      operands.map((o) => o.offset),
      this.limits,
    );
    const label = `${op.name}.f32.${direction}`;
    const attrBits = attrSlots(attrs);
    const out = operands[operands.length - 1]!.buffer;
    this.#encode(label, encoder, (pass) => {
      for (const d of plan) {
        pass.setPipeline(this.#cache.pipeline(op, d.width, direction, this.limits.workgroupSize));
        const params = this.#cache.params([
          d.count,
          direction === 'forward_inplace' ? 0 : d.offsets[0]!,
          direction === 'backward' ? d.offsets[1]! : 0,
          d.offsets[d.offsets.length - 1]!,
          ...attrBits,
        ]);
        const slots = SLOTS[direction];
        const entries: GPUBindGroupEntry[] = [{ binding: 0, resource: { buffer: params } }];
        operands.forEach((o, i) => {
          const b = d.bindings[i]!;
          entries.push({ binding: slots[i]!, resource: { buffer: o.buffer, offset: b.offset, size: b.size } });
        });
        pass.setBindGroup(0, this.#cache.bindGroup(direction, entries, out));
        pass.dispatchWorkgroups(d.workgroups[0], d.workgroups[1]);
      }
    });
  }

  /** A new storage buffer for `length` halves (packed two to a word; at least 16 bytes, a multiple of 16). */
  allocateHalf(length: number, label: string, argument: string): GPUBuffer {
    return this.allocate(Math.ceil(length / 2), label, argument);
  }

  /** A new buffer holding the halves `bits`. */
  uploadHalf(bits: Uint16Array, label: string): GPUBuffer {
    this.checkAlive();
    const buffer = this.allocateHalf(bits.length, label, 'data');
    const even = bits.length % 2 === 0 ? bits : Uint16Array.from({ length: bits.length + 1 }, (_, i) => bits[i] ?? 0);
    if (even.length > 0) this.device.queue.writeBuffer(buffer, 0, even.buffer, even.byteOffset, even.byteLength);
    return buffer;
  }

  /**
   * An op's f16 kernel over our own buffers (offset 0, bound whole): operands [x, out] forward,
   * [saved, dy, out] backward, `length` halves each.
   */
  runHalf(op: OpDefinition, direction: Direction, buffers: readonly GPUBuffer[], length: number, attrs: readonly number[]): void {
    this.checkAlive();
    if (length === 0) return;
    this.checkOneBinding(Math.ceil(length / 2), `an f16 ${op.name}`);
    const pipeline = this.#cache.halfPipeline(op, direction, this.limits.workgroupSize);
    const count = Math.ceil(length / 4);
    const slots = direction === 'forward' ? [1, 3] : [1, 2, 3];
    const entries: [number, GPUBuffer][] = [[0, this.#cache.params([count, 0, 0, 0, ...attrSlots(attrs)])]];
    buffers.forEach((buffer, i) => entries.push([slots[i]!, buffer]));
    this.#dispatch(`${op.name}.f16.${direction}`, pipeline, entries, this.#groupsFor(count));
  }

  /**
   * Converts `length` elements between an f16 buffer (packed halves) and an f32 buffer, both ours
   * and bound whole: 'widen' reads halves into f32s, 'narrow' rounds f32s to halves.
   */
  convert(kernel: 'widen' | 'narrow', input: GPUBuffer, out: GPUBuffer, length: number): void {
    this.checkAlive();
    if (length === 0) return;
    this.checkOneBinding(length, 'an f16 conversion');
    const pipeline = this.#cache.convertPipeline(kernel, this.limits.workgroupSize);
    const words = Math.ceil(length / 2);
    const params = this.#cache.params([words, 0, 0, 0, 0, 0, 0, 0]);
    this.#dispatch(
      `convert.${kernel}`,
      pipeline,
      [
        [0, params],
        [1, input],
        [3, out],
      ],
      this.#groupsFor(words),
    );
  }

  /** Copies `bytes` from `source` at `offset` to the start of `target`, in `encoder` or submitted by us. */
  copy(source: GPUBuffer, offset: number, target: GPUBuffer, bytes: number, encoder?: GPUCommandEncoder): void {
    this.checkAlive();
    if (bytes === 0) return;
    if (encoder) {
      encoder.copyBufferToBuffer(source, offset, target, 0, bytes);
      return;
    }
    const batch = this.#batch;
    if (batch) {
      this.#batchEncoder(batch, false).copyBufferToBuffer(source, offset, target, 0, bytes);
      if (++batch.ops >= BATCH_OPS) this.#flush();
      return;
    }
    this.device.pushErrorScope('validation');
    const enc = this.device.createCommandEncoder({ label: 'copy' });
    enc.copyBufferToBuffer(source, offset, target, 0, bytes);
    this.device.queue.submit([enc.finish()]);
    this.#watchScope('copy', 'validation');
  }

  /** Reads `length` halves back. */
  async readHalf(buffer: GPUBuffer, length: number): Promise<Uint16Array> {
    const words = await this.read(buffer, 0, Math.ceil(length / 2));
    return new Uint16Array(words.buffer, words.byteOffset, length).slice();
  }

  /** A new buffer for the 1-bit mask of `length` elements (one u32 word per 32). */
  allocateMask(length: number, label: string): GPUBuffer {
    const bytes = Math.max(16, Math.ceil(Math.ceil(length / 32) / 4) * 16);
    return this.#createBuffer({ label, size: bytes, usage: TENSOR_USAGE });
  }

  /**
   * The training layer's mask kernels on our own buffers (offset 0). forward_mask: input x, out y,
   * and the mask written; backward_mask: input dy, out dx, the mask read.
   */
  runMasked(
    op: OpDefinition,
    kernel: 'forward_mask' | 'backward_mask',
    buffers: { readonly input: GPUBuffer; readonly out: GPUBuffer; readonly mask: GPUBuffer },
    length: number,
    attrs: readonly number[],
    encoder?: GPUCommandEncoder,
  ): void {
    this.checkAlive();
    if (length === 0) return;
    // Chunks start on multiples of 2048 elements: 8 KiB of f32s and 256 bytes of mask, so every
    // binding offset is 256-aligned (masked.wgsl).
    const step = 2048;
    const chunk = Math.max(step, Math.floor(this.limits.maxBindingBytes / 4 / step) * step);
    const label = `${op.name}.f32.${kernel}`;
    const attrBits = attrSlots(attrs);
    const pipeline = this.#cache.pipeline(op, 1, kernel, this.limits.workgroupSize);
    this.#encode(label, encoder, (pass) => {
      pass.setPipeline(pipeline);
      for (let start = 0; start < length; start += chunk) {
        const count = Math.min(chunk, length - start);
        const params = this.#cache.params([count, 0, 0, 0, ...attrBits]);
        // Whole vec4s: our buffers are padded to 16 bytes (masked.wgsl).
        const range = (buffer: GPUBuffer) => ({ buffer, offset: start * 4, size: Math.ceil(count / 4) * 16 });
        const entries: GPUBindGroupEntry[] = [
          { binding: 0, resource: { buffer: params } },
          { binding: 1, resource: range(buffers.input) },
          { binding: 3, resource: range(buffers.out) },
          { binding: 4, resource: { buffer: buffers.mask, offset: start / 8, size: Math.ceil(count / 32) * 4 } },
        ];
        pass.setBindGroup(0, this.#cache.bindGroup('masked', entries, buffers.out));
        const invocations = kernel === 'forward_mask' ? Math.ceil(count / 32) : Math.ceil(count / 4);
        const [x, y] = grid(Math.ceil(invocations / this.limits.workgroupSize), this.limits.maxWorkgroupsPerDimension);
        pass.dispatchWorkgroups(x, y);
      }
    });
  }

  /**
   * A fused bias + activation kernel over our own buffers (offset 0), for x laid out as
   * [outer, channels, inner]. Bindings: input (x), bias, out (y),
   * mask, kept (z); each kernel uses a subset.
   */
  runFused(
    op: OpDefinition,
    kernel: FusedKernel,
    buffers: {
      readonly input: GPUBuffer;
      readonly out: GPUBuffer;
      readonly bias?: GPUBuffer;
      readonly mask?: GPUBuffer;
      readonly kept?: GPUBuffer;
    },
    length: number,
    shape: { readonly channels: number; readonly inner: number; readonly outer: number },
    attrs: readonly number[],
    encoder?: GPUCommandEncoder,
  ): void {
    this.checkAlive();
    if (length === 0) return;
    this.checkOneBinding(length, 'a fused bias + activation');
    const pipeline = this.#cache.fusedPipeline(op, kernel, this.limits.workgroupSize);
    const attrBits = attrSlots(attrs);
    const bound: Record<number, GPUBuffer | undefined> = {
      0: this.#cache.params([length, 0, 0, 0, ...attrBits]),
      1: buffers.input,
      2: buffers.bias,
      3: buffers.out,
      4: buffers.mask,
      5: this.#cache.params([shape.channels, shape.inner, shape.outer, 0]),
      6: buffers.kept,
    };
    const entries = FUSED_BINDINGS[kernel].map((binding): [number, GPUBuffer] => [binding, bound[binding]!]);
    const invocations = kernel === 'fused_forward_mask' ? Math.ceil(length / 32) : length;
    this.#dispatch(`${op.name}.f32.${kernel}`, pipeline, entries, this.#groupsFor(invocations), encoder);
  }

  /** Kernels that bind whole tensors refuse one larger than a storage binding, before any work. */
  checkOneBinding(length: number, what: string): void {
    if (length * 4 > this.limits.maxBindingBytes) {
      throw new InvalidArgumentError(
        'x',
        `at most ${Math.floor(this.limits.maxBindingBytes / 4)} elements for ${what} (one storage binding; chunking it is not implemented yet)`,
        `${length} elements`,
      );
    }
  }

  /**
   * PReLU's kernels (shaders/per-channel.wgsl) over our own buffers, bound whole: forward writes
   * y; backward writes dx and each element's term of dalpha into `terms`, [params, perParam].
   */
  runPerChannel(
    op: OpFile & { readonly name: string },
    direction: Direction | 'forward_mask' | 'backward_mask',
    buffers: {
      readonly input?: GPUBuffer;
      readonly alpha: GPUBuffer;
      readonly out: GPUBuffer;
      readonly dy?: GPUBuffer;
      readonly terms?: GPUBuffer;
      readonly mask?: GPUBuffer;
    },
    length: number,
    b: Broadcast,
  ): void {
    this.checkAlive();
    if (length === 0) return;
    this.checkOneBinding(length, op.name);
    const pipeline = this.#cache.opPipeline(op, 'per_channel', direction, this.limits.workgroupSize);
    const slots = (values: readonly number[]) => [0, 1, 2, 3, 4, 5, 6, 7].map((i) => values[i] ?? 0);
    const rank = b.dims.length;
    const bound: Record<number, GPUBuffer | undefined> = {
      0: this.#cache.params([length, 0, 0, 0, 0, 0, 0, 0]),
      1: buffers.input,
      2: buffers.dy,
      3: buffers.out,
      4: buffers.alpha,
      5: this.#cache.params([rank, b.perParam, 0, 0, ...slots(b.dims), ...slots(b.alphaStride), ...slots(b.termStride)]),
      6: buffers.terms,
      7: buffers.mask,
    };
    const bindings = {
      forward: [0, 1, 3, 4, 5],
      backward: [0, 1, 2, 3, 4, 5, 6],
      forward_mask: [0, 1, 3, 4, 5, 7],
      backward_mask: [0, 2, 3, 4, 5, 7],
    }[direction];
    const entries = bindings.map((binding): [number, GPUBuffer] => [binding, bound[binding]!]);
    const invocations = direction === 'forward_mask' ? Math.ceil(length / 32) : length;
    this.#dispatch(`${op.name}.f32.${direction}`, pipeline, entries, this.#groupsFor(invocations));
  }

  /**
   * Sums each row of `input` in the fixed binary tree of shaders/tree-sum.wgsl, one pass per
   * 128-fold reduction, into a new buffer of `rows` values (+0 for empty rows). Rows are
   * contiguous ([rows, len]) when `inner` is len, else input is [len / inner, rows, inner].
   * With `encoder`, the passes go into it and the partial-sum buffers into `partials`.
   */
  treeSum(
    input: GPUBuffer,
    rows: number,
    len: number,
    label: string,
    inner = len,
    encoder?: { readonly encoder: GPUCommandEncoder; readonly partials: GPUBuffer[] },
  ): GPUBuffer {
    this.checkAlive();
    const result = this.allocate(rows, label, 'alpha');
    if (rows === 0 || len === 0) {
      // Sums of nothing are +0; a pooled buffer holds stale values, so write them.
      if (rows > 0) this.device.queue.writeBuffer(result, 0, new Float32Array(rows));
      return result;
    }
    const pipeline = this.#cache.treeSumPipeline();
    let current = input;
    while (true) {
      const blocks = Math.ceil(len / 128);
      const out = blocks === 1 ? result : this.allocate(rows * blocks, `${label}.partial`, 'x');
      const params = this.#cache.params([rows, len, blocks, inner]);
      // One workgroup per block of 128 values of a row (tree-sum.wgsl fixes its own size).
      this.#dispatch(
        label,
        pipeline,
        [
          [1, current],
          [3, out],
          [5, params],
        ],
        rows * blocks,
        encoder?.encoder,
      );
      // Work in a caller's encoder reads the partial sums whenever it is submitted: the caller
      // keeps them (attached to the result tensor) instead.
      if (current !== input) {
        if (encoder) encoder.partials.push(current);
        else this.release(current);
      }
      if (blocks === 1) return result;
      current = out;
      len = blocks;
      inner = blocks;
    }
  }

  /**
   * Maxout's kernels (shaders/grouped.wgsl) over our own buffers, bound whole: forward writes y
   * from x; backward writes dx (x's shape) from x and dy (y's shape).
   */
  runGrouped(
    op: OpFile & { readonly name: string },
    direction: Direction,
    buffers: { readonly input: GPUBuffer; readonly out: GPUBuffer; readonly dy?: GPUBuffer },
    g: Grouping,
  ): void {
    this.checkAlive();
    const count = g.outer * g.groups * g.inner;
    if (count === 0) return;
    this.checkOneBinding(count * g.pieces, op.name);
    const pipeline = this.#cache.opPipeline(op, 'grouped', direction, this.limits.workgroupSize);
    const entries: [number, GPUBuffer][] = [
      [1, buffers.input],
      [3, buffers.out],
      [5, this.#cache.params([count, g.groups, g.pieces, g.inner])],
    ];
    if (direction === 'backward') entries.push([2, buffers.dy!]);
    this.#dispatch(`${op.name}.f32.${direction}`, pipeline, entries, this.#groupsFor(count));
  }

  /** Per unit, how many mask bits are set (shaders/telemetry.wgsl), into `counts` (u32 per unit). */
  countActive(
    mask: GPUBuffer,
    counts: GPUBuffer,
    shape: { readonly channels: number; readonly inner: number; readonly outer: number },
    encoder?: GPUCommandEncoder,
  ): void {
    this.checkAlive();
    if (shape.channels === 0) return;
    const pipeline = this.#cache.telemetryPipeline(this.limits.workgroupSize);
    const params = this.#cache.params([shape.channels, shape.inner, shape.outer, 0]);
    const entries: [number, GPUBuffer][] = [
      [3, counts],
      [4, mask],
      [5, params],
    ];
    this.#dispatch('telemetry.active_count', pipeline, entries, this.#groupsFor(shape.channels), encoder);
  }

  /** Reads u32s back (the telemetry counts). */
  async readU32(buffer: GPUBuffer, length: number): Promise<Uint32Array> {
    const f = await this.read(buffer, 0, length);
    return new Uint32Array(f.buffer, f.byteOffset, f.length);
  }

  /** Workgroups for one invocation per item. */
  #groupsFor(invocations: number): number {
    return Math.ceil(invocations / this.limits.workgroupSize);
  }

  /**
   * One dispatch of an 'auto'-layout pipeline over whole buffers (binding, buffer), as a 1-D or
   * 2-D grid of `workgroups`, into the caller's encoder or submitted by us. The bind group is
   * made per call: these kernels write a new output each time, so a cache would not hit.
   */
  #dispatch(
    label: string,
    pipeline: GPUComputePipeline,
    entries: readonly (readonly [number, GPUBuffer])[],
    workgroups: number,
    encoder?: GPUCommandEncoder,
  ): void {
    const group = this.device.createBindGroup({
      label,
      layout: pipeline.getBindGroupLayout(0),
      entries: entries.map(([binding, buffer]) => ({ binding, resource: { buffer } })),
    });
    const [x, y] = grid(workgroups, this.limits.maxWorkgroupsPerDimension);
    this.#encode(label, encoder, (pass) => {
      pass.setPipeline(pipeline);
      pass.setBindGroup(0, group);
      pass.dispatchWorkgroups(x, y);
    });
  }

  /** Starts a batch, or joins the open one: work without an encoder of the caller's goes into ours. */
  beginBatch(): void {
    if (this.#batch) this.#batch.depth++;
    else this.#batch = { depth: 1, encoder: undefined, pass: undefined, ops: 0, freed: [] };
  }

  /** Leaves the batch; the outermost submits what it holds. */
  endBatch(): void {
    const batch = this.#batch;
    if (!batch || --batch.depth > 0) return;
    try {
      this.#flush();
    } finally {
      this.#batch = undefined;
    }
  }

  /** Submits what the open batch encoded so far (one error scope), then releases what it freed. */
  #flush(): void {
    const batch = this.#batch;
    if (!batch) return;
    const { encoder, pass, freed } = batch;
    batch.encoder = undefined;
    batch.pass = undefined;
    batch.ops = 0;
    batch.freed = [];
    if (encoder && !this.#lost) {
      pass?.end();
      // Encoder errors surface at finish(), so one scope around it and the submit catches them.
      this.device.pushErrorScope('validation');
      this.device.queue.submit([encoder.finish()]);
      this.#watchScope('batch', 'validation');
    }
    for (const buffer of freed) this.#releaseNow(buffer);
  }

  /** The open batch's encoder, its compute pass ended when `pass` is false (a copy comes next). */
  #batchEncoder(batch: Batch, pass: boolean): GPUCommandEncoder {
    batch.encoder ??= this.device.createCommandEncoder({ label: 'batch' });
    if (!pass && batch.pass) {
      batch.pass.end();
      batch.pass = undefined;
    }
    return batch.encoder;
  }

  /**
   * One compute pass: into the caller's encoder; or, in a batch, into the batch's open pass (a
   * slice is submitted every BATCH_OPS ops); or into an encoder of ours submitted inside an error scope.
   */
  #encode(label: string, encoder: GPUCommandEncoder | undefined, body: (pass: GPUComputePassEncoder) => void): void {
    if (encoder) {
      const pass = encoder.beginComputePass({ label });
      body(pass);
      pass.end();
      return;
    }
    const batch = this.#batch;
    if (batch) {
      batch.pass ??= this.#batchEncoder(batch, true).beginComputePass({ label: 'batch' });
      body(batch.pass);
      if (++batch.ops >= BATCH_OPS) this.#flush();
      return;
    }
    // One validation scope a submit: each scope is a round trip in browsers, so out-of-memory is
    // watched where memory is taken (#createBuffer), not here.
    this.device.pushErrorScope('validation');
    const enc = this.device.createCommandEncoder({ label });
    const pass = enc.beginComputePass({ label });
    body(pass);
    pass.end();
    this.device.queue.submit([enc.finish()]);
    this.#watchScope(label, 'validation');
  }

  /** Copies `length` f32s from `buffer` at byte `offset` back to the CPU. */
  async read(buffer: GPUBuffer, offset: number, length: number): Promise<Float32Array> {
    this.checkAlive();
    if (length === 0) {
      await this.#settle();
      return new Float32Array(0);
    }
    // A read sees all the work encoded before it: submit what an open batch holds.
    this.#flush();
    const bytes = length * 4;
    // The copy is queued at once, behind the work that wrote the buffer: disposing the tensor
    // while the read is pending cannot make it copy from a destroyed buffer.
    const staging = this.#createBuffer({ label: 'readback', size: bytes, usage: STAGING_USAGE });
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
      const out = new Float32Array(staging.getMappedRange(0, bytes).slice(0));
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
    await this.#cache.compiled();
    if (this.#scopes.length === 0) return;
    const scopes = this.#scopes;
    this.#scopes = [];
    const errors = await Promise.race([Promise.all(scopes), this.#lostPromise]);
    const first = errors.find((e) => e !== undefined);
    // Memory pressure: give back what the pool holds.
    if (errors.some((e) => e?.kind === 'out-of-memory')) this.trimPool();
    if (first) throw first;
  }

  /** Frees a buffer we made (in a batch, once the batch's work that may read it is submitted). */
  release(buffer: GPUBuffer): void {
    if (this.#batch) this.#batch.freed.push(buffer);
    else this.#releaseNow(buffer);
  }

  #releaseNow(buffer: GPUBuffer): void {
    // Work already submitted that reads it runs first (the queue keeps order), so the buffer can
    // take new work at once. Buffers the caller's unsubmitted encoder reads are never released
    // here before they submit (they go with the tensors that work writes: releaseWith).
    const poolable = buffer.usage === TENSOR_USAGE || buffer.usage === STAGING_USAGE;
    if (poolable && buffer.size <= this.#poolBytes && !this.#lost && !this.#disposing) {
      this.#pool.push(buffer);
      this.#pooledBytes += buffer.size;
      while (this.#pooledBytes > this.#poolBytes || this.#pool.length > POOL_BUFFERS) this.#evict();
      return;
    }
    this.#cache.forget(buffer);
    buffer.destroy();
  }

  #evict(): void {
    const b = this.#pool.shift()!;
    this.#pooledBytes -= b.size;
    this.#cache.forget(b);
    b.destroy();
  }

  /** Destroys every pooled buffer (on memory pressure, or when asked). Returns the bytes freed. */
  trimPool(): number {
    const bytes = this.#pooledBytes;
    while (this.#pool.length > 0) this.#evict();
    return bytes;
  }

  /** Bytes and buffers waiting in the pool. */
  get pooled(): { readonly bytes: number; readonly buffers: number } {
    return { bytes: this.#pooledBytes, buffers: this.#pool.length };
  }

  /** Destroys the device if we own it. */
  dispose(): void {
    this.trimPool();
    this.#disposing = true;
    if (this.owned) this.device.destroy();
  }
}
