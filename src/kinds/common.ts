// What the op kinds share: new tensors from kernels that fill them, f16 through f32 kernels, and
// the checks on shapes and option objects.
import type { StorageRef, StorageType } from '../backend.js';
import { InvalidArgumentError, ShapeMismatchError, describe } from '../errors.js';
import { optionsObject } from '../options.js';
import type { Runtime } from '../runtime.js';
import { Tensor, type Dtype } from '../tensor.js';

/**
 * New storage of `length` elements that `fill` writes (a backend kernel); released again if
 * `fill` throws, so a refused call leaves nothing behind.
 */
export function produce(rt: Runtime, length: number, type: StorageType, label: string, fill: (out: StorageRef) => void): StorageRef {
  const out = rt.backend.allocate(length, type, label, 'x');
  try {
    fill(out);
  } catch (e) {
    rt.backend.release(out);
    throw e;
  }
  return out;
}

/** f16 tensors as new f32 tensors (exact), for ops that run f16 through their f32 kernels; each must be f16. */
function widenAll(rt: Runtime, tensors: readonly (readonly [string, Tensor<Dtype>])[]): Tensor[] {
  const storages = tensors.map(([name, t]) => {
    const s = rt.anyStorage(t, name);
    if (t.dtype !== 'f16') throw new InvalidArgumentError(name, `an f16 tensor (as ${tensors[0]![0]} is)`, `an ${t.dtype} tensor`);
    return s;
  });
  return tensors.map(([, t], i) => {
    const out = produce(rt, t.length, 'f32', 'f16.widened', (o) => rt.backend.convert('widen', storages[i]!, o, t.length));
    return rt.adopt(out, t.shape);
  });
}

/** An f32 result rounded to a new f16 tensor (nearest even); the f32 tensor is disposed. */
export function narrow(rt: Runtime, t: Tensor): Tensor<'f16'> {
  try {
    const s = rt.storage(t, 'x');
    return rt.adopt(
      produce(rt, t.length, 'f16', 'f16.narrowed', (o) => rt.backend.convert('narrow', s, o, t.length)),
      t.shape,
      'f16',
    );
  } finally {
    t.dispose();
  }
}

/** Runs `fn` on f32 copies of f16 tensors and disposes the copies. */
export function widened<T>(rt: Runtime, tensors: readonly (readonly [string, Tensor<Dtype>])[], fn: (wide: Tensor[]) => T): T {
  const wide = widenAll(rt, tensors);
  try {
    return fn(wide);
  } finally {
    for (const t of wide) t.dispose();
  }
}

/**
 * The kinds' f16 path for one output: `run` (the kind's f32 front end) on exact f32 widenings of
 * the named f16 tensors, its result rounded once to a new f16 tensor. Not into a caller's encoder.
 */
export function viaF32(
  rt: Runtime,
  encoder: GPUCommandEncoder | undefined,
  tensors: readonly (readonly [string, Tensor<Dtype>])[],
  run: (wide: Tensor[]) => Tensor<Dtype>,
): Tensor<'f16'> {
  refuseHalfEncoder(encoder);
  return widened(rt, tensors, (wide) => narrow(rt, run(wide) as Tensor));
}

/** true for an f16 tensor (anything else goes on to the f32 path and its checks). */
export function isHalf(t: unknown): t is Tensor<'f16'> {
  return t instanceof Tensor && (t as Tensor<Dtype>).dtype === 'f16';
}

/** The attrs an op of another kind needs when given by name to forward/backward/layer: `allowed` keys only. */
export function attrsObject(attrs: unknown, op: string, allowed: readonly string[]): Record<string, unknown> {
  if (typeof attrs !== 'object' || attrs === null) {
    throw new InvalidArgumentError('attrs', `${op}'s attributes { ${allowed.join(', ')} }`, describe(attrs));
  }
  return optionsObject(attrs, 'attrs', allowed);
}

/** A shape for `length` elements: non-negative integers whose product is the length. */
export function checkShape(shape: unknown, length: number, argument = 'shape'): readonly number[] {
  if (!Array.isArray(shape)) throw new InvalidArgumentError(argument, 'an array of non-negative integers', describe(shape));
  const dims = shape as unknown[];
  // An index loop, not forEach: forEach skips the holes of a sparse array ([, 3]).
  for (let i = 0; i < dims.length; i++) {
    const d = dims[i];
    if (typeof d !== 'number' || !Number.isInteger(d) || d < 0) {
      throw new InvalidArgumentError(`${argument}[${i}]`, 'a non-negative integer', describe(d));
    }
  }
  const product = (dims as number[]).reduce((a, b) => a * b, 1);
  if (product !== length) {
    throw new ShapeMismatchError(
      argument,
      `dimensions whose product is the data's length, ${length}`,
      `[${dims.join(', ')}] (product ${product})`,
    );
  }
  return dims as number[];
}

/** f16 runs through conversions submitted on their own: not into a caller's encoder. */
export function refuseHalfEncoder(encoder: GPUCommandEncoder | undefined): void {
  if (encoder)
    throw new InvalidArgumentError('options.encoder', 'no encoder with f16 tensors (their widening is submitted by us)', 'an encoder');
}
