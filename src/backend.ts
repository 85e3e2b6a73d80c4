// The one contract between the front end (src/activations.ts, src/kinds/, src/layer/) and the
// backends that run kernels: src/gpu/gpu-backend.ts (WebGPU) and src/cpu/cpu-backend.ts. The
// front end validates arguments, resolves ops and shapes, allocates outputs and then calls one
// method here per kernel family; it never asks which backend it holds. Each backend owns the
// storage it hands out (`S`: a GPUBuffer, or CPU arrays) and gives the same bits for every
// method (the conformance suite checks that on every stack).
import type { Grouping } from './ops/maxout.js';
import type { Broadcast } from './ops/prelu.js';
import type { Gating } from './ops/gated.js';
import type { RowLayout } from './ops/softmax.js';
import type { AnyOp, ElementwiseOp, GatedOp, GroupedOp, PerChannelOp, RowOp } from './ops/define.js';

declare const storageBrand: unique symbol;

/**
 * Storage as the front end holds it: opaque, only ever handed back to the backend that made it
 * (a GPUBuffer on WebGPU, typed arrays on the CPU).
 */
export interface StorageRef {
  readonly [storageBrand]: true;
}

/** Which backend runs the kernels. */
export type BackendName = 'webgpu' | 'cpu';

/**
 * What a storage holds: f32 or f16 tensor elements (f16 packed two to a 32-bit word on the GPU),
 * or u32 words (1-bit masks, 32 elements a word; telemetry counts).
 */
export type StorageType = 'f32' | 'f16' | 'u32';

/**
 * A range of storage that a kernel reads or writes: a tensor's (offset 0) or, on WebGPU, a range
 * of the caller's GPUBuffer. `offset` is in bytes, `length` in elements.
 */
export interface Region<S> {
  readonly storage: S;
  readonly offset: number;
  readonly length: number;
}

/** A tensor seen as [outer, channels, inner] around one axis (the bias or unit axis). */
export interface UnitShape {
  readonly outer: number;
  readonly channels: number;
  readonly inner: number;
}

/** The elementwise kernels: out-of-place, or in place (the output range is also an input's). */
export type ElementwiseKernel = 'forward' | 'backward' | 'forward_inplace' | 'backward_inplace';

/** Forward or backward. */
export type Direction = 'forward' | 'backward';

/**
 * The fused bias + activation kernels: y and z = x + b kept ('fused_forward'), y only
 * ('fused_forward_y': the gradient reads y, or nothing), y and the 1-bit mask of z ('fused_forward_mask').
 */
export type FusedKernel = 'fused_forward' | 'fused_forward_y' | 'fused_forward_mask';

/** A per-channel op's kernels (PReLU): with its parameter's gradient terms, or with a 1-bit mask. */
export type PerChannelKernel = Direction | 'forward_mask' | 'backward_mask';

/**
 * One backend. Storage methods first, then one method per kernel family. Kernel methods write
 * outputs the front end allocated; `encoder` (WebGPU) puts the work into the caller's command
 * encoder instead of submitting it.
 */
export interface Backend<S = unknown> {
  readonly name: BackendName;
  /** The GPUDevice in use (WebGPU backends). */
  readonly device?: GPUDevice;
  /** The CPU kernels in use (CPU backends): WebAssembly SIMD where they exist, or plain JS. */
  readonly cpuKernels?: 'wasm-simd' | 'js';
  /** Why a CPU backend runs plain JS kernels. */
  readonly cpuKernelsReason?: string | undefined;
  /** A CPU backend's SIMD heap: bytes in live blocks and in its WebAssembly memory. */
  readonly heapStats?: { readonly live: number; readonly memory: number };

  /** Called once if the backend's device is lost (by anything but our own dispose). */
  onLost: ((info: GPUDeviceLostInfo) => void) | undefined;
  /** Throws DeviceLostError once the backend can no longer run work. */
  checkAlive(): void;
  /** New storage for `length` elements of `type` (contents unspecified). `argument` is blamed if it is too large. */
  allocate(length: number, type: StorageType, label: string, argument: string): S;
  /** New storage holding a copy of `data` (f32 values, or f16 bits). */
  upload(data: Float32Array | Uint16Array, label: string): S;
  /** Copies `length` elements of `type` out. */
  read(storage: S, length: number, type: 'f32'): Promise<Float32Array>;
  read(storage: S, length: number, type: 'f16'): Promise<Uint16Array>;
  read(storage: S, length: number, type: 'u32'): Promise<Uint32Array>;
  /** Frees storage (on WebGPU, once work already encoded that reads it is submitted). */
  release(storage: S): void;
  /** Copies a region into the start of `to`. */
  copy(from: Region<S>, to: S, encoder?: GPUCommandEncoder): void;
  /** Frees cached memory that no tensor holds; returns the bytes freed. */
  trim(): number;
  /** Frees everything the backend holds (and the device, if it is ours). */
  dispose(): void;
  /** Runs `fn`, submitting everything it encoded once, when it returns (see Activations.batch). */
  batch<T>(fn: () => T): T;
  /** Submits work encoded and not yet submitted (see Activations.flush); the CPU has none. */
  flush(): void;
  /** A caller's buffer range as a region, validated; the CPU backend takes none. */
  view(value: unknown, argument: string): Region<S>;
  /** Checks an `encoder` option: undefined, or a GPUCommandEncoder where the backend takes one. */
  encoder(value: unknown, argument: string): GPUCommandEncoder | undefined;
  /** The GPUBuffer behind a storage, for callers who bind our tensors in their own pipelines. */
  gpuBuffer(storage: S): GPUBuffer | undefined;

  /**
   * Compiles the kernels these ops' forward and backward run (f16's and the layers' mask kernels
   * too when asked), in parallel, so the first call does not wait for them; the CPU backend has
   * nothing to compile.
   */
  warmup(ops: readonly AnyOp[], options: { readonly f16: boolean; readonly layers: boolean }): Promise<void>;
  /** Elementwise: operands [x, y] forward, [saved, dy, dx] backward, [y] and [x, dx] in place. */
  elementwise(
    op: ElementwiseOp,
    kernel: ElementwiseKernel,
    operands: readonly Region<S>[],
    attrs: readonly number[],
    encoder?: GPUCommandEncoder,
  ): void;
  /** The same on f16 storage, computed in f32 and rounded once: [x, y] or [saved, dy, dx]. */
  elementwiseHalf(op: ElementwiseOp, direction: Direction, operands: readonly S[], length: number, attrs: readonly number[]): void;
  /** f16 <-> f32, exact widening or rounding to nearest even. */
  convert(kind: 'widen' | 'narrow', input: S, out: S, length: number): void;
  /** y = op(x) and the 1-bit mask of what backward needs (u32 storage). */
  forwardMask(op: ElementwiseOp, x: S, y: S, mask: S, length: number, attrs: readonly number[], encoder?: GPUCommandEncoder): void;
  /** dx from the mask and dy alone. */
  backwardMask(op: ElementwiseOp, mask: S, dy: S, dx: S, length: number, attrs: readonly number[], encoder?: GPUCommandEncoder): void;
  /** y = op(x + b), b along `shape.channels`, keeping z = x + b or its mask as `kernel` says. */
  fused(
    op: ElementwiseOp,
    kernel: FusedKernel,
    io: { readonly x: S; readonly bias: S; readonly y: S; readonly mask?: S; readonly z?: S },
    length: number,
    shape: UnitShape,
    attrs: readonly number[],
    encoder?: GPUCommandEncoder,
  ): void;
  /** A per-channel op (PReLU): y; or dx and the parameter's gradient terms; or with a mask. */
  perChannel(
    op: PerChannelOp,
    kernel: PerChannelKernel,
    io: { readonly x?: S; readonly param: S; readonly dy?: S; readonly out: S; readonly terms?: S; readonly mask?: S },
    length: number,
    broadcast: Broadcast,
    encoder?: GPUCommandEncoder,
  ): void;
  /** A grouped op (maxout): y from x, or dx from x and dy. */
  grouped(
    op: GroupedOp,
    direction: Direction,
    io: { readonly x: S; readonly dy?: S; readonly out: S },
    grouping: Grouping,
    encoder?: GPUCommandEncoder,
  ): void;
  /** A gated unit (GLU...): y from x, or dx (x's shape) from x and dy; `attrs` are its gate's. */
  gated(
    op: GatedOp,
    direction: Direction,
    io: { readonly x: S; readonly dy?: S; readonly out: S },
    gating: Gating,
    attrs: readonly number[],
    encoder?: GPUCommandEncoder,
  ): void;
  /**
   * A row-normalising op (softmax, logSoftmax): y from x, or dx from y and dy; the rows' sums in
   * a fixed order, so the bits are the same on every run and every backend.
   */
  rowwise(
    op: RowOp,
    direction: Direction,
    io: { readonly input: S; readonly dy?: S; readonly out: S },
    layout: RowLayout,
    encoder?: GPUCommandEncoder,
  ): void;
  /**
   * Each row of `input` summed in a fixed binary tree (deterministic, the same bits on every
   * backend) into new storage of `rows` f32s. Row r is contiguous ([rows, len]) when `inner` is
   * len, else gathered from [len / inner, rows, inner]. `pending`: storage the caller's encoder
   * still reads, to release once that work is submitted.
   */
  rowSums(
    input: S,
    rows: number,
    len: number,
    inner: number,
    label: string,
    encoder?: GPUCommandEncoder,
  ): { readonly sums: S; readonly pending: readonly S[] };
  /** Per channel, how many mask bits are set, into `counts` (u32 storage, `shape.channels` long). */
  countActive(mask: S, counts: S, shape: UnitShape, encoder?: GPUCommandEncoder): void;
}
