// The steps a training layer runs on the instance's backend: forward keeping a 1-bit mask,
// backward from it, the fused bias + activation, the bias gradient, telemetry counts, and views
// of the caller's buffers copied into tensors of ours.
import type { Backend, StorageRef, UnitShape } from '../backend.js';
import { DeviceLostError, InvalidArgumentError, ShapeMismatchError } from '../errors.js';
import type { ElementwiseOp } from '../ops/define.js';
import type { Runtime } from '../runtime.js';
import { Tensor, type BufferView } from '../tensor.js';
import { checkShape, produce } from '../kinds/common.js';
import { optionsObject } from '../options.js';
import { BufferUsage } from '../gpu/constants.js';

/** What a layer keeps between forward and backward, released by backward or dispose. */
export interface Retained {
  /** Bytes held. */
  readonly bytes: number;
  release(): void;
}

/** A kept 1-bit mask: u32 storage of the backend that made it. */
export interface Mask extends Retained {
  readonly backend: Backend<StorageRef>;
  readonly storage: StorageRef;
}

/** New mask storage for `length` elements (one u32 word per 32), released with the handle. */
export function newMask(rt: Runtime, length: number, label: string): Mask {
  const backend = rt.backend;
  const words = Math.ceil(length / 32);
  const storage = backend.allocate(words, 'u32', label, 'x');
  return { backend, storage, bytes: words * 4, release: () => backend.release(storage) };
}

/** A kept mask's storage, if it was made on the instance's current backend (not a lost device's). */
export function maskStorage(rt: Runtime, mask: Mask): StorageRef {
  if (mask.backend !== rt.backend)
    throw new DeviceLostError('lost', 'the layer kept its mask on a GPU device that was lost; run forward again');
  return mask.storage;
}

/** Runs `fill` with a new mask, releasing it if `fill` throws. */
export function withMask<T>(rt: Runtime, length: number, label: string, fill: (mask: Mask) => T): T {
  const mask = newMask(rt, length, label);
  try {
    return fill(mask);
  } catch (e) {
    mask.release();
    throw e;
  }
}

/** y = op(x), and the 1-bit mask backward needs. */
export function forwardMasked(
  rt: Runtime,
  op: ElementwiseOp,
  x: Tensor,
  attrs: readonly number[],
  encoder?: GPUCommandEncoder,
): { y: Tensor; mask: Mask } {
  rt.checkLive();
  const s = rt.storage(x, 'x');
  const n = x.length;
  return withMask(rt, n, `${op.name}.mask`, (mask) => {
    const y = produce(rt, n, 'f32', `${op.name}.forward`, (o) => rt.backend.forwardMask(op, s, o, mask.storage, n, attrs, encoder));
    return { y: rt.adopt(y, x.shape), mask };
  });
}

/** dx from the mask and dy alone. */
export function backwardMasked(
  rt: Runtime,
  op: ElementwiseOp,
  mask: Mask,
  dy: Tensor,
  attrs: readonly number[],
  encoder?: GPUCommandEncoder,
): Tensor {
  rt.checkLive();
  const s = rt.storage(dy, 'dy');
  const m = maskStorage(rt, mask);
  const n = dy.length;
  return rt.adopt(
    produce(rt, n, 'f32', `${op.name}.backward`, (o) => rt.backend.backwardMask(op, m, s, o, n, attrs, encoder)),
    dy.shape,
  );
}

/**
 * y = op(x + b), b broadcast along the channels of `shape`, in one pass, keeping the mask of
 * z = x + b, z itself ('x': the gradient reads the op's input) or nothing ('y': the layer keeps
 * the output; 'nothing': the gradient reads neither).
 */
export function forwardBias(
  rt: Runtime,
  op: ElementwiseOp,
  x: Tensor,
  b: Tensor,
  shape: UnitShape,
  attrs: readonly number[],
  keep: 'mask' | 'x' | 'y' | 'nothing',
  encoder?: GPUCommandEncoder,
): { y: Tensor; mask?: Mask; z?: Tensor } {
  rt.checkLive();
  const xs = rt.storage(x, 'x');
  const bias = rt.storage(b, 'b');
  if (b.length !== shape.channels) {
    throw new ShapeMismatchError('b', `${shape.channels} values (one per channel along the layer's axis)`, `${b.length}`);
  }
  const n = x.length;
  const run = (kernel: 'fused_forward' | 'fused_forward_y' | 'fused_forward_mask', extra: { mask?: StorageRef; z?: StorageRef }) =>
    rt.adopt(
      produce(rt, n, 'f32', `${op.name}.forward`, (y) =>
        rt.backend.fused(op, kernel, { x: xs, bias, y, ...extra }, n, shape, attrs, encoder),
      ),
      x.shape,
    );
  if (keep === 'mask') {
    return withMask(rt, n, `${op.name}.mask`, (mask) => ({ y: run('fused_forward_mask', { mask: mask.storage }), mask }));
  }
  if (keep === 'y' || keep === 'nothing') return { y: run('fused_forward_y', {}) };
  const z = rt.backend.allocate(n, 'f32', `${op.name}.z`, 'x');
  let y: Tensor;
  try {
    y = run('fused_forward', { z });
  } catch (e) {
    rt.backend.release(z);
    throw e;
  }
  return { y, z: rt.adopt(z, x.shape) };
}

/** db: dz summed over each channel of `shape` in a fixed order (deterministic). */
export function biasGrad(rt: Runtime, op: ElementwiseOp, dz: Tensor, shape: UnitShape, encoder?: GPUCommandEncoder): Tensor {
  const s = rt.storage(dz, 'dy');
  const { sums, pending } = rt.backend.rowSums(s, shape.channels, shape.outer * shape.inner, shape.inner, `${op.name}.db`, encoder);
  const db = rt.adopt(sums, [shape.channels]);
  // Partial sums the caller's encoder still reads: freed with db.
  const backend = rt.backend;
  if (pending.length > 0) rt.releaseWith(db, () => pending.forEach((p) => backend.release(p)));
  return db;
}

/** Starts counting, per channel, the mask bits set (active outputs); read later, released by the layer. */
export function countActive(
  rt: Runtime,
  mask: Mask,
  shape: UnitShape,
  encoder?: GPUCommandEncoder,
): { read(): Promise<Uint32Array>; release(): void } {
  const backend = mask.backend;
  const counts = backend.allocate(shape.channels, 'u32', 'telemetry.counts', 'x');
  backend.countActive(mask.storage, counts, shape, encoder);
  return { read: () => backend.read(counts, shape.channels, 'u32'), release: () => backend.release(counts) };
}

/** What a layer takes as an input: one of our tensors, or a range of your GPUBuffer (`shape` defaults to `[length]`). */
export type LayerInput =
  | Tensor
  | (BufferView & {
      /** The view's dimensions (default `[length]`); their product must equal `length`. */
      readonly shape?: readonly number[];
    });

/**
 * A layer input as a tensor: ours as it is, or a view of the caller's buffer copied into a new
 * tensor of ours (`temporary`: the layer frees it), in `encoder` when given.
 */
export function layerInput(
  rt: Runtime,
  value: unknown,
  argument: string,
  encoder?: GPUCommandEncoder,
  defaultShape?: readonly number[],
): { tensor: Tensor; temporary: boolean } {
  if (value instanceof Tensor) return { tensor: value as Tensor, temporary: false };
  const view = rt.backend.view(value, argument);
  const buffer = rt.backend.gpuBuffer(view.storage)!;
  if ((buffer.usage & BufferUsage.COPY_SRC) === 0) {
    throw new InvalidArgumentError(
      `${argument}.buffer`,
      'a GPUBuffer with COPY_SRC usage (a layer copies a view into a tensor of its own)',
      `one with usage 0x${buffer.usage.toString(16)}`,
    );
  }
  const given = (value as { shape?: unknown }).shape;
  const fallback = defaultShape && defaultShape.reduce((a, b) => a * b, 1) === view.length ? defaultShape : [view.length];
  const dims = given === undefined ? fallback : checkShape(given, view.length, `${argument}.shape`);
  const copy = produce(rt, view.length, 'f32', `${argument}.copy`, (o) => rt.backend.copy(view, o, encoder));
  return { tensor: rt.adopt(copy, dims), temporary: true };
}

/** Checks a layer call's `options.encoder`. */
export function layerEncoder(rt: Runtime, options: unknown): GPUCommandEncoder | undefined {
  return rt.backend.encoder(optionsObject(options, 'options', ['encoder']).encoder, 'options.encoder');
}
