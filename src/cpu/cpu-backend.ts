// The CPU backend: every kernel family of src/backend.ts over typed arrays, following the same
// definitions as the WGSL (each op's CPU twin in src/ops/), bit for bit for the exact ops. f32
// tensors live in the WebAssembly SIMD heap where there is one (src/cpu/simd.ts), so the ops that
// have SIMD kernels read and write once, as a copy does.
import type { Backend, Direction, ElementwiseKernel, FusedKernel, PerChannelKernel, Region, StorageType, UnitShape } from '../backend.js';
import { ActivationsError, InvalidArgumentError, describe } from '../errors.js';
import type { ElementwiseOp, GateKernels, GatedOp, GroupedOp, PerChannelOp, RowOp } from '../ops/define.js';
import type { Gating } from '../ops/gated.js';
import type { RowLayout } from '../ops/softmax.js';
import type { Grouping } from '../ops/maxout.js';
import type { Broadcast } from '../ops/prelu.js';
import { isNanBits } from '../numerics/bits.js';
import { treeSumBits } from '../numerics/exact.js';
import { f32ToHalves, halvesToF32 } from '../numerics/half.js';
import { HeapBlock, HeapHalves, HeapWords, createSimdHeap, type SimdHeap } from './simd.js';

/** f32 elements: a block of the SIMD heap, or a plain array. */
export type CpuF32 = HeapBlock | { readonly kind: 'cpu'; readonly data: Float32Array };
/** f16 elements (their bits): a block of the SIMD heap, or a plain array. */
export type CpuF16 = HeapHalves | { readonly kind: 'cpu16'; readonly bits: Uint16Array };
/** u32 words (masks, counts): a block of the SIMD heap, or a plain array. */
export type CpuWords = HeapWords | { readonly kind: 'words'; readonly words: Uint32Array };
/** What the CPU backend keeps: f32 elements, f16 bits, or u32 words. */
export type CpuStorage = CpuF32 | CpuF16 | CpuWords;

/** The CPU kernels asked for: 'auto' (SIMD where the runtime has it), 'wasm-simd' (or an error), 'js'. */
export type CpuKernelsMode = 'auto' | 'wasm-simd' | 'js';

/** A CPU backend with the kernels `mode` asks for; 'auto' falls back to JS, saying why. */
export async function createCpuBackend(mode: CpuKernelsMode): Promise<CpuBackend> {
  if (mode === 'js') return new CpuBackend(undefined, "options.cpuKernels is 'js'");
  try {
    return new CpuBackend(await createSimdHeap());
  } catch (e) {
    const reason = e instanceof Error ? e.message : String(e);
    if (mode === 'wasm-simd') throw new ActivationsError(`WebAssembly SIMD kernels are not available: ${reason}`, { cause: e });
    return new CpuBackend(undefined, reason);
  }
}

const f32 = (s: CpuStorage): Float32Array => (s as CpuF32).data;
const half = (s: CpuStorage): Uint16Array => (s as { bits: Uint16Array }).bits;
const words = (s: CpuStorage): Uint32Array => (s as { words: Uint32Array }).words;
/** The same memory as 32-bit unsigned integers. */
const u32 = (a: Float32Array): Uint32Array => new Uint32Array(a.buffer, a.byteOffset, a.length);

export class CpuBackend implements Backend<CpuStorage> {
  readonly name = 'cpu' as const;
  /** A CPU backend is never lost. */
  onLost: ((info: GPUDeviceLostInfo) => void) | undefined;
  #heap: SimdHeap | undefined;
  #reason: string | undefined;

  constructor(heap: SimdHeap | undefined, reason?: string) {
    this.#heap = heap;
    this.#reason = reason;
  }

  /** 'wasm-simd' (SIMD kernels for the ops that have them, JS for the rest) or 'js'. */
  get cpuKernels(): 'wasm-simd' | 'js' {
    return this.#heap ? 'wasm-simd' : 'js';
  }

  /** Why the JS kernels run; undefined with SIMD. */
  get cpuKernelsReason(): string | undefined {
    return this.#heap ? undefined : this.#reason;
  }

  /** The SIMD heap's bytes in live blocks and in its WebAssembly memory. */
  get heapStats(): { readonly live: number; readonly memory: number } {
    return { live: this.#heap?.bytes ?? 0, memory: this.#heap?.kernels.memory.buffer.byteLength ?? 0 };
  }

  checkAlive(): void {}

  allocate(length: number, type: StorageType): CpuStorage {
    if (type === 'f16') return this.#heap?.allocateHalves(length) ?? { kind: 'cpu16', bits: new Uint16Array(length) };
    if (type === 'u32') return this.#heap?.allocateWords(length) ?? { kind: 'words', words: new Uint32Array(length) };
    return this.#heap?.allocate(length) ?? { kind: 'cpu', data: new Float32Array(length) };
  }

  upload(data: Float32Array | Uint16Array): CpuStorage {
    if (data instanceof Uint16Array) {
      const h = this.allocate(data.length, 'f16');
      half(h).set(data);
      return h;
    }
    const s = this.allocate(data.length, 'f32');
    f32(s).set(data);
    return s;
  }

  read(storage: CpuStorage, length: number, type: 'f32'): Promise<Float32Array>;
  read(storage: CpuStorage, length: number, type: 'f16'): Promise<Uint16Array>;
  read(storage: CpuStorage, length: number, type: 'u32'): Promise<Uint32Array>;
  read(storage: CpuStorage): Promise<Float32Array | Uint16Array | Uint32Array> {
    if (storage.kind === 'cpu16') return Promise.resolve(storage.bits.slice());
    if (storage.kind === 'words') return Promise.resolve(storage.words.slice());
    return Promise.resolve(storage.data.slice());
  }

  release(storage: CpuStorage): void {
    if (storage instanceof HeapBlock || storage instanceof HeapHalves || storage instanceof HeapWords) storage.heap.release(storage);
  }

  copy(from: Region<CpuStorage>, to: CpuStorage): void {
    f32(to).set(f32(from.storage).subarray(from.offset / 4, from.offset / 4 + from.length));
  }

  trim(): number {
    return 0;
  }

  dispose(): void {
    // The heap's memory goes with its module instance (WebAssembly memory never shrinks).
    this.#heap = undefined;
    this.#reason = 'the instance was disposed';
  }

  batch<T>(fn: () => T): T {
    return fn();
  }

  flush(): void {}

  view(value: unknown, argument: string): Region<CpuStorage> {
    throw new InvalidArgumentError(argument, 'a Tensor (views of GPU buffers need a WebGPU instance)', describe(value));
  }

  encoder(value: unknown, argument: string): undefined {
    if (value !== undefined) throw new InvalidArgumentError(argument, 'no encoder on the CPU backend', describe(value));
    return undefined;
  }

  gpuBuffer(): undefined {
    return undefined;
  }

  elementwise(op: ElementwiseOp, kernel: ElementwiseKernel, operands: readonly Region<CpuStorage>[], attrs: readonly number[]): void {
    // In place, the output is also the input it names; the kernels read element i before writing it.
    const out = operands[operands.length - 1]!.storage as CpuF32;
    const inputs = (
      kernel === 'forward_inplace'
        ? [out]
        : kernel === 'backward_inplace'
          ? [operands[0]!.storage, out]
          : operands.slice(0, -1).map((o) => o.storage)
    ) as CpuF32[];
    const direction = kernel === 'forward' || kernel === 'forward_inplace' ? 'forward' : 'backward';
    runOp(op, direction, inputs, out, attrs);
  }

  elementwiseHalf(
    op: ElementwiseOp,
    direction: Direction,
    operands: readonly CpuStorage[],
    length: number,
    attrs: readonly number[],
  ): void {
    // The f32 kernel (SIMD where the op has one and the blocks are in the heap) between an exact
    // widening of the inputs and one rounding of the result.
    const wide = operands.map(() => this.allocate(length, 'f32'));
    try {
      operands.slice(0, -1).forEach((s, i) => this.convert('widen', s, wide[i]!));
      this.elementwise(
        op,
        direction,
        wide.map((w) => region(w, length)),
        attrs,
      );
      this.convert('narrow', wide[wide.length - 1]!, operands[operands.length - 1]!);
    } finally {
      for (const w of wide) this.release(w);
    }
  }

  convert(kind: 'widen' | 'narrow', input: CpuStorage, out: CpuStorage): void {
    if (kind === 'widen') {
      if (input instanceof HeapHalves && out instanceof HeapBlock) input.heap.kernels.half_to_f32(input.ptr, out.ptr, out.length);
      else f32(out).set(halvesToF32(half(input)));
    } else if (input instanceof HeapBlock && out instanceof HeapHalves) input.heap.kernels.f32_to_half(input.ptr, out.ptr, out.length);
    else half(out).set(f32ToHalves(f32(input)));
  }

  forwardMask(op: ElementwiseOp, x: CpuStorage, y: CpuStorage, mask: CpuStorage, length: number, attrs: readonly number[]): void {
    forwardAndMask(op, x as CpuF32, y as CpuF32, mask as CpuWords, attrs);
  }

  backwardMask(op: ElementwiseOp, mask: CpuStorage, dy: CpuStorage, dx: CpuStorage, length: number, attrs: readonly number[]): void {
    const simd = op.mask!.simd;
    if (simd && mask instanceof HeapWords && dy instanceof HeapBlock && dx instanceof HeapBlock) {
      return simd.backward(dx.heap.kernels, mask.ptr, dy.ptr, dx.ptr, dx.length, attrs);
    }
    const m = words(mask);
    const g = u32(f32(dy));
    const out = u32(f32(dx));
    for (let i = 0; i < length; i++) out[i] = op.mask!.backward(((m[i >>> 5]! >>> (i & 31)) & 1) === 1, g[i]!, attrs);
  }

  fused(
    op: ElementwiseOp,
    kernel: FusedKernel,
    io: { readonly x: CpuStorage; readonly bias: CpuStorage; readonly y: CpuStorage; readonly mask?: CpuStorage; readonly z?: CpuStorage },
    length: number,
    shape: UnitShape,
    attrs: readonly number[],
  ): void {
    // z = x + b into the kept z or a scratch block (taken first: growing the memory detaches
    // views), then the op's forward on it as forward runs it (with the mask, as forwardMask):
    // SIMD where it has kernels and the operands are in the heap, so the fused and unfused paths
    // give the same bits, NaNs included.
    const scratch = io.z ? undefined : this.allocate(length, 'f32');
    const zs = (io.z ?? scratch)!;
    try {
      const { x, bias } = io;
      if (x instanceof HeapBlock && bias instanceof HeapBlock && zs instanceof HeapBlock) {
        x.heap.kernels.bias_add(x.ptr, bias.ptr, zs.ptr, length, shape.channels, shape.inner);
      } else biasAdd(f32(x), f32(bias), f32(zs), length, shape);
      if (kernel === 'fused_forward_mask') forwardAndMask(op, zs as CpuF32, io.y as CpuF32, io.mask as CpuWords, attrs);
      else runOp(op, 'forward', [zs as CpuF32], io.y as CpuF32, attrs);
    } finally {
      if (scratch) this.release(scratch);
    }
  }

  perChannel(
    op: PerChannelOp,
    kernel: PerChannelKernel,
    io: {
      readonly x?: CpuStorage;
      readonly param: CpuStorage;
      readonly dy?: CpuStorage;
      readonly out: CpuStorage;
      readonly terms?: CpuStorage;
      readonly mask?: CpuStorage;
    },
    _length: number,
    b: Broadcast,
  ): void {
    const simd = op.cpu.simd;
    const { x, param, dy, out: o, terms, mask } = io;
    if (simd && simd.fits(b) && o instanceof HeapBlock && param instanceof HeapBlock) {
      const k = o.heap.kernels;
      if (x instanceof HeapBlock) {
        if (kernel === 'forward') return simd.forward(k, x.ptr, param.ptr, o.ptr, o.length, b);
        if (kernel === 'backward' && dy instanceof HeapBlock && terms instanceof HeapBlock) {
          return simd.backward(k, x.ptr, param.ptr, dy.ptr, o.ptr, terms.ptr, o.length, b);
        }
        if (kernel === 'forward_mask' && mask instanceof HeapWords) {
          return simd.forwardMask(k, x.ptr, param.ptr, o.ptr, mask.ptr, o.length, b);
        }
      }
      if (kernel === 'backward_mask' && dy instanceof HeapBlock && mask instanceof HeapWords) {
        return simd.backwardMask(k, mask.ptr, param.ptr, dy.ptr, o.ptr, o.length, b);
      }
    }
    const p = f32(io.param);
    const out = f32(io.out);
    if (kernel === 'forward') op.cpu.forward(f32(io.x!), p, b, out);
    else if (kernel === 'backward') op.cpu.backward(f32(io.x!), p, f32(io.dy!), b, out, f32(io.terms!));
    else if (kernel === 'forward_mask') op.cpu.forwardMask(f32(io.x!), p, b, out, words(io.mask!));
    else op.cpu.backwardMask(words(io.mask!), p, f32(io.dy!), b, out);
  }

  grouped(
    op: GroupedOp,
    direction: Direction,
    io: { readonly x: CpuStorage; readonly dy?: CpuStorage; readonly out: CpuStorage },
    g: Grouping,
  ): void {
    const simd = op.cpu.simd;
    const { x, dy, out } = io;
    if (simd && x instanceof HeapBlock && out instanceof HeapBlock) {
      if (direction === 'forward') return simd.forward(out.heap.kernels, x.ptr, out.ptr, g);
      if (dy instanceof HeapBlock) return simd.backward(out.heap.kernels, x.ptr, dy.ptr, out.ptr, g);
    }
    if (direction === 'forward') op.cpu.forward(f32(io.x), g, f32(io.out));
    else op.cpu.backward(f32(io.x), f32(io.dy!), g, f32(io.out));
  }

  gated(
    op: GatedOp,
    direction: Direction,
    io: { readonly x: CpuStorage; readonly dy?: CpuStorage; readonly out: CpuStorage },
    g: Gating,
    attrs: readonly number[],
  ): void {
    if (this.#gatedInHeap(op, direction, io, g, attrs)) return;
    const count = g.outer * g.half * g.inner;
    // Scratch for the gate first: a heap allocation may grow the memory, which detaches the
    // views of x and the output taken below.
    const scratch = this.#gateScratch(op.gate, count, direction === 'forward' ? 2 : 3);
    try {
      const gate = scratch && this.#gateKernels(op.gate, scratch);
      if (direction === 'forward') op.cpu.forward(f32(io.x), g, f32(io.out), attrs, gate);
      else op.cpu.backward(f32(io.x), f32(io.dy!), g, f32(io.out), attrs, gate);
    } finally {
      for (const block of scratch ?? []) this.#heap!.release(block);
    }
  }

  /**
   * A gated unit on heap blocks with a SIMD gate, run in place on them: for each outer index, a
   * and b are runs of half * inner neighbours in x, so the gate's kernels and the products (`mul`)
   * take them where they lie, with no gathering or copies (the JS kernels' values: the gate's
   * SIMD kernels and IEEE's f32 products). Runs shorter than GATED_RUN_MIN would cost a call
   * each; those, and storage off the heap, take the gathering path. Whether it ran.
   */
  #gatedInHeap(
    op: GatedOp,
    direction: Direction,
    io: { readonly x: CpuStorage; readonly dy?: CpuStorage; readonly out: CpuStorage },
    g: Gating,
    attrs: readonly number[],
  ): boolean {
    const simd = op.gate.cpu.simd;
    const run = g.half * g.inner;
    const { x, dy, out } = io;
    if (!simd || run < GATED_RUN_MIN || !(x instanceof HeapBlock) || !(out instanceof HeapBlock)) return false;
    const k = x.heap.kernels;
    if (direction === 'forward') {
      for (let o = 0; o < g.outer; o++) {
        const a = x.ptr + o * 8 * run;
        const y = out.ptr + o * 4 * run;
        simd.forward(k, a + 4 * run, y, run, attrs);
        k.mul(a, y, y, run);
      }
      return true;
    }
    if (!(dy instanceof HeapBlock)) return false;
    // Scratch for the gate's value and dy * a, one run each, reused along the outer index.
    const heap = this.#heap!;
    const gb = heap.allocate(run);
    const dg = gb && heap.allocate(run);
    if (!gb || !dg) {
      if (gb) heap.release(gb);
      return false;
    }
    try {
      for (let o = 0; o < g.outer; o++) {
        const a = x.ptr + o * 8 * run;
        const b = a + 4 * run;
        const d = dy.ptr + o * 4 * run;
        const da = out.ptr + o * 8 * run;
        simd.forward(k, b, gb.ptr, run, attrs);
        k.mul(d, a, dg.ptr, run);
        // db = the gate's gradient at b for dy * a, then da = dy * gate(b): da last, as it may
        // be where a was (dx in place of x).
        simd.backward(k, op.gate.backwardFrom === 'y' ? gb.ptr : b, dg.ptr, da + 4 * run, run, attrs);
        k.mul(d, gb.ptr, da, run);
      }
    } finally {
      heap.release(dg);
      heap.release(gb);
    }
    return true;
  }

  /** `blocks` heap blocks of `count` for a gate with SIMD kernels, or undefined (JS kernels then). */
  #gateScratch(gate: ElementwiseOp, count: number, blocks: number): HeapBlock[] | undefined {
    const heap = this.#heap;
    if (!heap || !gate.cpu.simd || count === 0) return undefined;
    const made = Array.from({ length: blocks }, () => heap.allocate(count));
    if (made.every((b) => b !== undefined)) return made;
    for (const b of made) if (b) heap.release(b);
    return undefined;
  }

  /**
   * A gate's SIMD kernels on plain arrays through the scratch blocks (copied in and out), so that
   * a gated unit's gate computes what forward(gate) does here.
   */
  #gateKernels(gate: ElementwiseOp, scratch: readonly HeapBlock[]): GateKernels {
    const [first, second, third] = scratch as [HeapBlock, HeapBlock, HeapBlock?];
    return {
      forward(b, y, attrs) {
        first.data.set(b);
        runOp(gate, 'forward', [first], second, attrs);
        y.set(second.data);
      },
      backward(saved, dy, dx, attrs) {
        first.data.set(saved);
        second.data.set(dy);
        runOp(gate, 'backward', [first, second], third!, attrs);
        dx.set(third!.data);
      },
    };
  }

  /** Nothing to compile on the CPU. */
  warmup(): Promise<void> {
    return Promise.resolve();
  }

  rowwise(
    op: RowOp,
    direction: Direction,
    io: { readonly input: CpuStorage; readonly dy?: CpuStorage; readonly out: CpuStorage },
    layout: RowLayout,
  ): void {
    const simd = op.cpu.simd;
    const { input, dy, out } = io;
    if (simd && input instanceof HeapBlock && out instanceof HeapBlock) {
      if (direction === 'forward') return simd.forward(out.heap.kernels, input.ptr, out.ptr, layout);
      if (dy instanceof HeapBlock) return simd.backward(out.heap.kernels, input.ptr, dy.ptr, out.ptr, layout);
    }
    if (direction === 'forward') op.cpu.forward(f32(io.input), layout, f32(io.out));
    else op.cpu.backward(f32(io.input), f32(io.dy!), layout, f32(io.out));
  }

  rowSums(input: CpuStorage, rows: number, len: number, inner: number): { sums: CpuStorage; pending: readonly CpuStorage[] } {
    // The GPU's order (shaders/tree-sum.wgsl): row r's values in index order, in a binary tree.
    const sums = this.allocate(rows, 'f32');
    if (inner === len && input instanceof HeapBlock && sums instanceof HeapBlock) {
      // Contiguous rows (PReLU's terms): the SIMD tree sums, on a copy they may overwrite.
      const scratch = this.#heap?.allocate(rows * len);
      if (scratch) {
        scratch.data.set(input.data.subarray(0, rows * len));
        scratch.heap.kernels.tree_sums(scratch.ptr, rows, len, sums.ptr);
        this.release(scratch);
        return { sums, pending: [] };
      }
    }
    if (input instanceof HeapBlock && sums instanceof HeapBlock && len > 0 && inner > 0 && len % inner === 0) {
      // Strided rows (a layer's bias gradient): four rows a vector, in one pass.
      input.heap.kernels.strided_tree_sums(input.ptr, rows, len, inner, sums.ptr);
      return { sums, pending: [] };
    }
    const values = u32(f32(input));
    const out = u32(f32(sums));
    for (let r = 0; r < rows; r++) {
      out[r] = treeSumBits(len, (k) => values[(Math.floor(k / inner) * rows + r) * inner + (k % inner)]!);
    }
    return { sums, pending: [] };
  }

  countActive(mask: CpuStorage, counts: CpuStorage, shape: UnitShape): void {
    // The CPU twin of shaders/telemetry.wgsl.
    const m = words(mask);
    const active = words(counts);
    active.fill(0);
    for (let o = 0; o < shape.outer; o++) {
      for (let c = 0; c < shape.channels; c++) {
        const start = (o * shape.channels + c) * shape.inner;
        for (let i = start; i < start + shape.inner; i++) active[c]! += (m[i >>> 5]! >>> (i & 31)) & 1;
      }
    }
  }
}

/** The shortest run of a gated unit's halves (half * inner) that its heap path takes: below, a call a run costs more than gathering. */
const GATED_RUN_MIN = 16;

/**
 * z = x + b[(i / inner) % channels], the twin of the SIMD bias_add: each sum IEEE's f32 sum (the
 * float64 sum of two f32s, rounded once); a NaN operand quieted (x's first), any other NaN
 * (Inf - Inf) 0x7fc00000, so that the bits do not depend on the engine's NaN.
 */
function biasAdd(x: Float32Array, b: Float32Array, z: Float32Array, length: number, shape: UnitShape): void {
  const xb = u32(x);
  const bb = u32(b);
  const zb = u32(z);
  for (let i = 0; i < length; i++) {
    const c = Math.floor(i / shape.inner) % shape.channels;
    const s = x[i]! + b[c]!;
    if (s === s) z[i] = s;
    else if (isNanBits(xb[i]!)) zb[i] = (xb[i]! | 0x400000) >>> 0;
    else if (isNanBits(bb[c]!)) zb[i] = (bb[c]! | 0x400000) >>> 0;
    else zb[i] = 0x7fc00000;
  }
}

/** A whole storage as a region. */
function region(storage: CpuStorage, length: number): Region<CpuStorage> {
  return { storage, offset: 0, length };
}

/** An op's JS kernel over arrays: inputs [x] forward, [saved, dy] backward. */
/**
 * The op's kernels over whole f32 storages (x, or saved and dy, into out): its SIMD twins where
 * it has them and every operand is a heap block, its JS kernels otherwise.
 */
function runOp(op: ElementwiseOp, direction: Direction, inputs: readonly CpuF32[], out: CpuF32, attrs: readonly number[]): void {
  const simd = op.cpu.simd;
  if (simd && out instanceof HeapBlock && inputs.every((s) => s instanceof HeapBlock)) {
    const [a, b] = inputs.map((s) => s.ptr);
    if (direction === 'forward') simd.forward(out.heap.kernels, a!, out.ptr, out.length, attrs);
    else simd.backward(out.heap.kernels, a!, b!, out.ptr, out.length, attrs);
  } else if (direction === 'forward') op.cpu.forward(f32(inputs[0]!), f32(out), attrs);
  else op.cpu.backward(f32(inputs[0]!), f32(inputs[1]!), f32(out), attrs);
}

/**
 * y = op(x) and the mask the layer keeps: bit i (word i >> 5, bit i & 31) is op.mask.keep(x[i]),
 * the bits past x's length 0. The op's SIMD mask kernels where it has them and all three are in
 * the heap; else its forward as runOp chooses, then the mask in JS.
 */
function forwardAndMask(op: ElementwiseOp, x: CpuF32, y: CpuF32, mask: CpuWords, attrs: readonly number[]): void {
  const simd = op.mask!.simd;
  if (simd && x instanceof HeapBlock && y instanceof HeapBlock && mask instanceof HeapWords) {
    return simd.forward(y.heap.kernels, x.ptr, y.ptr, mask.ptr, y.length, attrs);
  }
  runOp(op, 'forward', [x], y, attrs);
  const xb = u32(x.data);
  const m = mask.words;
  m.fill(0);
  for (let i = 0; i < xb.length; i++) if (op.mask!.keep(xb[i]!, attrs)) m[i >>> 5]! |= 1 << (i & 31);
}
