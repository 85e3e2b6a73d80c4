/**
 * Typed errors. Every error the library throws on purpose is an {@link ActivationsError};
 * those about a caller's argument are {@link InvalidArgumentError}s that name the argument.
 *
 * @example
 * try { acts.forward('rleu', x); }
 * catch (e) { if (e instanceof UnknownOpError) console.log(e.argument, e.validNames); }
 */
export class ActivationsError extends Error {
  override name = 'ActivationsError';
}

/** An argument is not what the function expects; `argument` names it (`'x'`, `'shape[1]'`). */
export class InvalidArgumentError extends ActivationsError {
  override name = 'InvalidArgumentError';
  constructor(
    readonly argument: string,
    readonly expected: string,
    readonly got: string,
  ) {
    super(`${argument}: expected ${expected}, got ${got}`);
  }
}

/** The op name is not in the registry; `validNames` lists the ones that are. */
export class UnknownOpError extends InvalidArgumentError {
  override name = 'UnknownOpError';
  constructor(
    got: string,
    readonly validNames: readonly string[],
  ) {
    super('op', `one of ${validNames.map((n) => `'${n}'`).join(', ')}`, `'${got}'`);
  }
}

/** Two tensors that must agree in shape do not. */
export class ShapeMismatchError extends InvalidArgumentError {
  override name = 'ShapeMismatchError';
}

/** A tensor (or the instance itself) was used after `dispose()`. */
export class DisposedError extends InvalidArgumentError {
  override name = 'DisposedError';
  constructor(argument: string) {
    super(argument, 'a live object', 'one that was disposed');
  }
}

/** A tensor made by another instance, backend or device was passed in. */
export class ForeignTensorError extends InvalidArgumentError {
  override name = 'ForeignTensorError';
}

/** `backend: 'webgpu'` was asked for and WebGPU cannot be had; `reason` says why. */
export class WebGPUUnavailableError extends ActivationsError {
  override name = 'WebGPUUnavailableError';
  constructor(readonly reason: string) {
    super(`WebGPU is not available: ${reason}`);
  }
}

/** The GPUDevice was lost or destroyed; work on it cannot complete. */
export class DeviceLostError extends ActivationsError {
  override name = 'DeviceLostError';
  constructor(
    readonly reason: string,
    readonly detail: string,
  ) {
    super(`the GPU device was lost (${reason})${detail ? `: ${detail}` : ''}`);
  }
}

/** A WGSL module failed to compile; the message quotes each diagnostic with file, line and column. */
export class ShaderCompileError extends ActivationsError {
  override name = 'ShaderCompileError';
}

/** Describes a value for an error message without dumping large arrays. */
export function describe(value: unknown): string {
  if (value === null) return 'null';
  if (value === undefined) return 'undefined';
  if (typeof value === 'number') return Number.isNaN(value) ? 'NaN' : String(value);
  if (typeof value === 'string') return `'${value}'`;
  if (Array.isArray(value)) return `an array of length ${value.length}`;
  if (ArrayBuffer.isView(value)) return `a ${value.constructor.name} of length ${(value as Float32Array).length}`;
  if (typeof value === 'object') return `a ${value.constructor?.name ?? 'object'}`;
  return typeof value;
}

/** A GPU validation or out-of-memory error raised by work the library submitted. */
export class GpuOperationError extends ActivationsError {
  override name = 'GpuOperationError';
  constructor(
    readonly label: string,
    readonly gpuMessage: string,
    /** Which error scope caught it: a validation error, or the device running out of memory. */
    readonly kind: 'validation' | 'out-of-memory' = 'validation',
  ) {
    super(`${label} failed on the GPU${kind === 'out-of-memory' ? ' (out of memory)' : ''}: ${gpuMessage}`);
  }
}
