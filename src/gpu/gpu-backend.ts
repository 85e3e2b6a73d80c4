// The WebGPU backend: every kernel family of src/backend.ts as dispatches of the kernel table
// (src/gpu/kernels.ts), over buffers from the pool (pool.ts), submitted by the queue (queue.ts).
import type { Backend, Direction, ElementwiseKernel, FusedKernel, PerChannelKernel, Region, StorageType, UnitShape } from '../backend.js';
import { InvalidArgumentError, describe } from '../errors.js';
import { slotValues, type AnyOp, type ElementwiseOp, type GatedOp, type GroupedOp, type PerChannelOp, type RowOp } from '../ops/define.js';
import type { Gating } from '../ops/gated.js';
import { rowLanes, type RowLayout } from '../ops/softmax.js';
import type { Grouping } from '../ops/maxout.js';
import type { Broadcast } from '../ops/prelu.js';
import { f32Bits } from '../numerics/bits.js';
import { deviceCache, type DeviceCache } from './device-cache.js';
import { BINDING, BINDING_TYPE, KERNELS, elementwiseKernel, hasOp, kernelsOf, type BindingName, type KernelName } from './kernels.js';
import { grid, planElementwise, type PlanLimits } from './plan.js';
import { planLimits, type Tuning } from './limits.js';
import { BufferPool, TENSOR_USAGE } from './pool.js';
import { GpuQueue } from './queue.js';
import { checkView } from './views.js';

/** The binding numbers of the uniforms (params, shape): never a caller's buffer. */
const UNIFORM_SLOTS: ReadonlySet<number> = new Set(
  (Object.keys(BINDING) as BindingName[]).filter((b) => BINDING_TYPE[b] === 'uniform').map((b) => BINDING[b]),
);

/** What a dispatch binds: a whole buffer, or a range of one. */
type Bound = GPUBuffer | GPUBufferBinding;

/** The four params.attrs slots: each attribute, then each derived value, as its f32 bits; unused slots 0. */
function attrSlots(op: { readonly derived?: ElementwiseOp['derived'] }, attrs: readonly number[]): number[] {
  const values = slotValues(op, attrs);
  return [0, 1, 2, 3].map((i) => (i < values.length ? f32Bits(values[i]!) : 0));
}

/** Bytes of `length` elements of a storage type (f16: packed two to a word, whole words). */
function bytesOf(length: number, type: StorageType): number {
  return type === 'f16' ? Math.ceil(length / 2) * 4 : length * 4;
}

/** Runs ops on one GPUDevice (ours or the caller's). */
export class GpuBackend implements Backend<GPUBuffer> {
  readonly name = 'webgpu' as const;
  readonly limits: PlanLimits;
  readonly #cache: DeviceCache;
  readonly #pool: BufferPool;
  readonly #queue: GpuQueue;

  constructor(
    readonly device: GPUDevice,
    readonly owned: boolean,
    tuning: Tuning,
  ) {
    this.#cache = deviceCache(device);
    const { limits, poolBytes } = planLimits(device, tuning);
    this.limits = limits;
    this.#pool = new BufferPool(device, poolBytes, (b) => this.#cache.forget(b));
    this.#queue = new GpuQueue(device, this.#cache, this.#pool);
  }

  /** Called when the device is lost by something other than our own dispose(). */
  get onLost(): ((info: GPUDeviceLostInfo) => void) | undefined {
    return this.#queue.onLost;
  }

  set onLost(handler: ((info: GPUDeviceLostInfo) => void) | undefined) {
    this.#queue.onLost = handler;
  }

  checkAlive(): void {
    this.#queue.checkAlive();
  }

  /**
   * A storage buffer for `length` elements, new or from the pool: at least 16 bytes, a multiple of
   * 16, and up to 25% larger than asked (its pool class). Bind and copy `length`, not its size.
   */
  allocate(length: number, type: StorageType, label: string, argument: string): GPUBuffer {
    const bytes = Math.max(16, Math.ceil(bytesOf(length, type) / 16) * 16);
    if (bytes > this.device.limits.maxBufferSize) {
      throw new InvalidArgumentError(
        argument,
        `at most ${Math.floor(this.device.limits.maxBufferSize / 4)} elements (this device's maxBufferSize)`,
        `${length} elements`,
      );
    }
    return this.#queue.createBuffer({ label, size: bytes, usage: TENSOR_USAGE });
  }

  upload(data: Float32Array | Uint16Array, label: string): GPUBuffer {
    this.checkAlive();
    const half = data instanceof Uint16Array;
    const buffer = this.allocate(data.length, half ? 'f16' : 'f32', label, 'data');
    // Halves go in whole words: an odd count gets a zero half after it.
    let words = half && data.length % 2 === 1 ? Uint16Array.from({ length: data.length + 1 }, (_, i) => data[i] ?? 0) : data;
    // writeBuffer takes no SharedArrayBuffer: copy such data into an ordinary one first.
    if (typeof SharedArrayBuffer !== 'undefined' && words.buffer instanceof SharedArrayBuffer) words = words.slice();
    try {
      if (words.length > 0) this.device.queue.writeBuffer(buffer, 0, words.buffer, words.byteOffset, words.byteLength);
    } catch (e) {
      this.release(buffer);
      throw e;
    }
    return buffer;
  }

  read(storage: GPUBuffer, length: number, type: 'f32'): Promise<Float32Array>;
  read(storage: GPUBuffer, length: number, type: 'f16'): Promise<Uint16Array>;
  read(storage: GPUBuffer, length: number, type: 'u32'): Promise<Uint32Array>;
  async read(storage: GPUBuffer, length: number, type: StorageType): Promise<Float32Array | Uint16Array | Uint32Array> {
    const bytes = await this.#queue.read(storage, 0, bytesOf(length, type));
    if (type === 'f16') return new Uint16Array(bytes, 0, length);
    return type === 'u32' ? new Uint32Array(bytes) : new Float32Array(bytes);
  }

  release(storage: GPUBuffer): void {
    this.#queue.release(storage);
  }

  copy(from: Region<GPUBuffer>, to: GPUBuffer, encoder?: GPUCommandEncoder): void {
    this.checkAlive();
    this.#queue.copy(from.storage, from.offset, to, from.length * 4, encoder);
  }

  /** Destroys every pooled buffer (on memory pressure, or when asked). Returns the bytes freed. */
  trim(): number {
    return this.#pool.trim();
  }

  /** Bytes and buffers waiting in the pool. */
  get pooled(): { readonly bytes: number; readonly buffers: number } {
    return this.#pool.stats;
  }

  /** Destroys the device if we own it. */
  dispose(): void {
    this.#pool.trim();
    this.#queue.closing();
    if (this.owned) this.device.destroy();
  }

  batch<T>(fn: () => T): T {
    return this.#queue.batch(fn);
  }

  flush(): void {
    this.#queue.submitPending();
  }

  /** A caller's `{ buffer, offset?, length }`, validated against the buffer. */
  view(value: unknown, argument: string): Region<GPUBuffer> {
    return checkView(value, argument);
  }

  encoder(value: unknown, argument: string): GPUCommandEncoder | undefined {
    if (value === undefined) return undefined;
    if (typeof (value as GPUCommandEncoder | null)?.beginComputePass !== 'function') {
      throw new InvalidArgumentError(argument, 'a GPUCommandEncoder', describe(value));
    }
    return value as GPUCommandEncoder;
  }

  gpuBuffer(storage: GPUBuffer): GPUBuffer {
    this.#queue.expose(storage);
    return storage;
  }

  elementwise(
    op: ElementwiseOp,
    kernel: ElementwiseKernel,
    operands: readonly Region<GPUBuffer>[],
    attrs: readonly number[],
    encoder?: GPUCommandEncoder,
  ): void {
    this.checkAlive();
    // The operands by role, [input, out] or [input, dy, out]; in place names one range twice.
    const [a, b, c] = operands;
    const parts =
      kernel === 'forward' ? [a!, b!] : kernel === 'forward_inplace' ? [a!, a!] : kernel === 'backward' ? [a!, b!, c!] : [a!, b!, b!];
    const out = parts[parts.length - 1]!;
    if (out.length === 0) return;
    // Which parts are read through the output's binding: those in its buffer (see elementwise.wgsl).
    const inOut = parts.map((p) => p.storage === out.storage);
    const name = elementwiseKernel(inOut);
    const plan = planElementwise(
      out.length,
      parts.map((p) => p.offset),
      this.limits,
    ).map((d) => {
      // One binding of the output's buffer spanning every part in it.
      const spanned = d.bindings.filter((_, i) => inOut[i]);
      const start = Math.min(...spanned.map((s) => s.offset));
      const end = Math.max(...spanned.map((s) => s.offset + s.size));
      if (end - start > this.device.limits.maxStorageBufferBindingSize) {
        throw new InvalidArgumentError(
          'operands',
          `ranges of one buffer within one storage binding (${this.device.limits.maxStorageBufferBindingSize} bytes) of each other`,
          `ranges ${end - start} bytes apart`,
        );
      }
      // Where each part's first V sits in the binding it is read through.
      const at = d.offsets.map((o, i) => (inOut[i] ? (d.bindings[i]!.offset - start) / (4 * d.width) + o : o));
      return { d, start, size: end - start, at };
    });
    const attrBits = attrSlots(op, attrs);
    const roles: readonly BindingName[] = parts.length === 2 ? ['input', 'out'] : ['input', 'dy', 'out'];
    // Entries first (the queue is told whether they bind a buffer not ours alone), bind groups in the pass.
    const dispatches = plan.map(({ d, start, size, at }) => {
      const last = at.length - 1;
      const params = this.#cache.params([d.count, at[0]!, last === 2 ? at[1]! : 0, at[last]!, ...attrBits]);
      const bound: Partial<Record<BindingName, Bound>> = { params, out: { buffer: out.storage, offset: start, size } };
      parts.forEach((p, i) => {
        if (!inOut[i]) bound[roles[i]!] = { buffer: p.storage, ...d.bindings[i]! };
      });
      return { d, entries: this.#entries(name, bound) };
    });
    const foreign = dispatches.some(({ entries }) => this.#foreign(entries));
    this.#queue.encode(`${op.name}.f32.${name}`, encoder, foreign, (pass) => {
      for (const { d, entries } of dispatches) {
        pass.setPipeline(this.#cache.pipeline(name, op, this.limits.workgroupSize, d.width));
        pass.setBindGroup(0, this.#cache.bindGroup(name, entries, out.storage));
        pass.dispatchWorkgroups(d.workgroups[0], d.workgroups[1]);
      }
    });
  }

  elementwiseHalf(op: ElementwiseOp, direction: Direction, operands: readonly GPUBuffer[], length: number, attrs: readonly number[]): void {
    this.checkOneBinding(Math.ceil(length / 2), `an f16 ${op.name}`);
    const kernel = direction === 'forward' ? 'f16_forward' : 'f16_backward';
    const [input, second, third] = operands;
    const io = direction === 'forward' ? { input, out: second } : { input, dy: second, out: third };
    this.#run(kernel, op, { params: [Math.ceil(length / 4), 0, 0, 0, ...attrSlots(op, attrs)], ...io }, length);
  }

  convert(kind: 'widen' | 'narrow', input: GPUBuffer, out: GPUBuffer, length: number): void {
    this.checkOneBinding(length, 'an f16 conversion');
    const words = Math.ceil(length / 2);
    this.#run(kind, undefined, { params: [words, 0, 0, 0, 0, 0, 0, 0], input, out }, length);
  }

  forwardMask(
    op: ElementwiseOp,
    x: GPUBuffer,
    y: GPUBuffer,
    mask: GPUBuffer,
    length: number,
    attrs: readonly number[],
    encoder?: GPUCommandEncoder,
  ): void {
    this.#masked('forward_mask', op, x, y, mask, length, attrs, encoder);
  }

  backwardMask(
    op: ElementwiseOp,
    mask: GPUBuffer,
    dy: GPUBuffer,
    dx: GPUBuffer,
    length: number,
    attrs: readonly number[],
    encoder?: GPUCommandEncoder,
  ): void {
    this.#masked('backward_mask', op, dy, dx, mask, length, attrs, encoder);
  }

  /**
   * The mask kernels on our own buffers (offset 0), in chunks that start on multiples of 2048
   * elements: 8 KiB of f32s and 256 bytes of mask, so every binding offset is 256-aligned.
   */
  #masked(
    kernel: 'forward_mask' | 'backward_mask',
    op: ElementwiseOp,
    input: GPUBuffer,
    out: GPUBuffer,
    mask: GPUBuffer,
    length: number,
    attrs: readonly number[],
    encoder?: GPUCommandEncoder,
  ): void {
    this.checkAlive();
    if (length === 0) return;
    const step = 2048;
    const chunk = Math.max(step, Math.floor(this.limits.maxBindingBytes / 4 / step) * step);
    const attrBits = attrSlots(op, attrs);
    const pipeline = this.#cache.pipeline(kernel, op, this.limits.workgroupSize);
    const chunks: { count: number; entries: GPUBindGroupEntry[] }[] = [];
    for (let start = 0; start < length; start += chunk) {
      const count = Math.min(chunk, length - start);
      // Whole vec4s: our buffers are padded to 16 bytes (masked.wgsl).
      const range = (buffer: GPUBuffer) => ({ buffer, offset: start * 4, size: Math.ceil(count / 4) * 16 });
      const bound: Partial<Record<BindingName, Bound>> = {
        params: this.#cache.params([count, 0, 0, 0, ...attrBits]),
        [kernel === 'forward_mask' ? 'input' : 'dy']: range(input),
        out: range(out),
        mask: { buffer: mask, offset: start / 8, size: Math.ceil(count / 32) * 4 },
      };
      chunks.push({ count, entries: this.#entries(kernel, bound) });
    }
    const foreign = chunks.some(({ entries }) => this.#foreign(entries));
    this.#queue.encode(`${op.name}.f32.${kernel}`, encoder, foreign, (pass) => {
      pass.setPipeline(pipeline);
      for (const { count, entries } of chunks) {
        pass.setBindGroup(0, this.#cache.bindGroup(kernel, entries, out));
        this.#grid(pass, Math.ceil(count / KERNELS[kernel].perInvocation));
      }
    });
  }

  fused(
    op: ElementwiseOp,
    kernel: FusedKernel,
    io: { readonly x: GPUBuffer; readonly bias: GPUBuffer; readonly y: GPUBuffer; readonly mask?: GPUBuffer; readonly z?: GPUBuffer },
    length: number,
    shape: UnitShape,
    attrs: readonly number[],
    encoder?: GPUCommandEncoder,
  ): void {
    this.checkOneBinding(length, 'a fused bias + activation');
    const bound = {
      params: [length, 0, 0, 0, ...attrSlots(op, attrs)],
      input: io.x,
      out: io.y,
      mask: io.mask,
      shape: [shape.channels, shape.inner, shape.outer, 0],
      param: io.bias,
      aux: io.z,
    };
    this.#run(kernel, op, bound, length, encoder);
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

  perChannel(
    op: PerChannelOp,
    kernel: PerChannelKernel,
    io: {
      readonly x?: GPUBuffer;
      readonly param: GPUBuffer;
      readonly dy?: GPUBuffer;
      readonly out: GPUBuffer;
      readonly terms?: GPUBuffer;
      readonly mask?: GPUBuffer;
    },
    length: number,
    b: Broadcast,
    encoder?: GPUCommandEncoder,
  ): void {
    this.checkOneBinding(length, op.name);
    const slots = (values: readonly number[]) => [0, 1, 2, 3, 4, 5, 6, 7].map((i) => values[i] ?? 0);
    const bound = {
      params: [length, 0, 0, 0, 0, 0, 0, 0],
      input: io.x,
      dy: io.dy,
      out: io.out,
      mask: io.mask,
      shape: [b.dims.length, b.perParam, 0, 0, ...slots(b.dims), ...slots(b.alphaStride), ...slots(b.termStride)],
      param: io.param,
      aux: io.terms,
    };
    this.#run(`per_channel_${kernel}`, op, bound, length, encoder);
  }

  grouped(
    op: GroupedOp,
    direction: Direction,
    io: { readonly x: GPUBuffer; readonly dy?: GPUBuffer; readonly out: GPUBuffer },
    g: Grouping,
    encoder?: GPUCommandEncoder,
  ): void {
    const count = g.outer * g.groups * g.inner;
    this.checkOneBinding(count * g.pieces, op.name);
    const bound = { input: io.x, dy: io.dy, out: io.out, shape: [count, g.groups, g.pieces, g.inner] };
    this.#run(`grouped_${direction}`, op, bound, count, encoder);
  }

  gated(
    op: GatedOp,
    direction: Direction,
    io: { readonly x: GPUBuffer; readonly dy?: GPUBuffer; readonly out: GPUBuffer },
    g: Gating,
    attrs: readonly number[],
    encoder?: GPUCommandEncoder,
  ): void {
    const count = g.outer * g.half * g.inner;
    this.checkOneBinding(count * 2, op.name);
    const bound = { params: [count, 0, 0, 0, ...attrSlots(op.gate, attrs)], input: io.x, dy: io.dy, out: io.out, shape: [g.half, g.inner] };
    this.#run(`gated_${direction}`, op, bound, count, encoder);
  }

  async warmup(ops: readonly AnyOp[], options: { readonly f16: boolean; readonly layers: boolean }): Promise<void> {
    this.checkAlive();
    const size = this.limits.workgroupSize;
    // Kernels of the op-less modules (tree_sum, the f16 conversions) are one pipeline for every op.
    const work = ops.flatMap((op) =>
      kernelsOf(op, options.f16, options.layers).map((k) => this.#cache.warm(k.name, hasOp(k.name) ? op : undefined, size, k.width)),
    );
    await Promise.all(work);
  }

  rowwise(
    op: RowOp,
    direction: Direction,
    io: { readonly input: GPUBuffer; readonly dy?: GPUBuffer; readonly out: GPUBuffer },
    layout: RowLayout,
    encoder?: GPUCommandEncoder,
  ): void {
    const n = layout.rows * layout.len;
    this.checkOneBinding(n, op.name);
    if (layout.len === 0) return;
    const lanes = rowLanes(layout.len);
    const bound = { input: io.input, dy: io.dy, out: io.out, shape: [layout.rows, layout.len, layout.inner, lanes] };
    // `lanes` invocations per row, 64 / lanes rows per workgroup of 64.
    this.#run(`softmax_${direction}`, op, bound, Math.ceil(layout.rows / (64 / lanes)) * 64, encoder);
  }

  rowSums(
    input: GPUBuffer,
    rows: number,
    len: number,
    inner: number,
    label: string,
    encoder?: GPUCommandEncoder,
  ): { sums: GPUBuffer; pending: readonly GPUBuffer[] } {
    this.checkAlive();
    const sums = this.allocate(rows, 'f32', label, 'x');
    if (rows === 0 || len === 0) {
      // Sums of nothing are +0; a pooled buffer holds stale values, so write them.
      if (rows > 0) this.device.queue.writeBuffer(sums, 0, new Float32Array(rows));
      return { sums, pending: [] };
    }
    // One pass per 128-fold reduction (shaders/tree-sum.wgsl), over the partial sums of the last.
    const pending: GPUBuffer[] = [];
    let current = input;
    for (;;) {
      const blocks = Math.ceil(len / 128);
      const out = blocks === 1 ? sums : this.allocate(rows * blocks, 'f32', `${label}.partial`, 'x');
      this.#run('tree_sum', undefined, { input: current, out, shape: [rows, len, blocks, inner] }, rows * blocks * 128, encoder, label);
      // Work in a caller's encoder reads the partial sums whenever it is submitted: the caller
      // keeps them (with the result) instead.
      if (current !== input) {
        if (encoder) pending.push(current);
        else this.release(current);
      }
      if (blocks === 1) return { sums, pending };
      current = out;
      len = blocks;
      inner = blocks;
    }
  }

  countActive(mask: GPUBuffer, counts: GPUBuffer, shape: UnitShape, encoder?: GPUCommandEncoder): void {
    const bound = { out: counts, mask, shape: [shape.channels, shape.inner, shape.outer, 0] };
    this.#run('active_count', undefined, bound, shape.channels, encoder);
  }

  /**
   * The one dispatch of the kernel table: kernel `name` over `items` items, its operands bound
   * whole by name (number arrays become params uniforms), into the caller's encoder, the open
   * batch, or a submit of ours. The bind group is made per call: these kernels write a new output
   * each time, so a cache would not hit.
   */
  #run(
    name: KernelName,
    op: AnyOp | undefined,
    operands: Partial<Record<BindingName, GPUBuffer | readonly number[] | undefined>>,
    items: number,
    encoder?: GPUCommandEncoder,
    label = op ? `${op.name}.f32.${name}` : name,
  ): void {
    this.checkAlive();
    if (items === 0) return;
    const spec = KERNELS[name];
    const bound: Partial<Record<BindingName, Bound>> = {};
    for (const [binding, value] of Object.entries(operands) as [BindingName, GPUBuffer | readonly number[] | undefined][]) {
      if (value !== undefined) bound[binding] = Array.isArray(value) ? this.#cache.params(value) : (value as GPUBuffer);
    }
    const pipeline = this.#cache.pipeline(name, op, this.limits.workgroupSize);
    const entries = this.#entries(name, bound);
    const lanes = 'workgroupSize' in spec ? spec.workgroupSize : this.limits.workgroupSize;
    this.#queue.encode(label, encoder, this.#foreign(entries), (pass) => {
      pass.setPipeline(pipeline);
      pass.setBindGroup(0, this.device.createBindGroup({ label, layout: pipeline.getBindGroupLayout(0), entries }));
      this.#grid(pass, Math.ceil(items / spec.perInvocation), lanes);
    });
  }

  /** A kernel's bind group entries, in the order of its bindings in the table. */
  #entries(name: KernelName, bound: Partial<Record<BindingName, Bound>>): GPUBindGroupEntry[] {
    return KERNELS[name].bindings.map((b) => {
      const value = bound[b];
      if (value === undefined) throw new Error(`kernel ${name}: operand '${b}' is not bound`);
      return { binding: BINDING[b], resource: 'buffer' in value ? value : { buffer: value } };
    });
  }

  /** Whether entries bind a storage buffer that is not ours alone (a caller's, an exposed tensor's). */
  #foreign(entries: readonly GPUBindGroupEntry[]): boolean {
    return entries.some((e) => !UNIFORM_SLOTS.has(e.binding) && !this.#queue.ours((e.resource as GPUBufferBinding).buffer));
  }

  /** Dispatches enough workgroups of `lanes` for `invocations`, as a 1-D or 2-D grid. */
  #grid(pass: GPUComputePassEncoder, invocations: number, lanes = this.limits.workgroupSize): void {
    const [x, y] = grid(Math.ceil(invocations / lanes), this.limits.maxWorkgroupsPerDimension);
    pass.dispatchWorkgroups(x, y);
  }
}
