/**
 * Typed errors. Every error the library throws on purpose is an {@link ActivationsError};
 * those about a caller's argument are {@link InvalidArgumentError}s that name the argument.
 * Each class has a stable `code` (its most specific class's), which a check can use where two
 * copies of the package make `instanceof` unreliable; an error that wraps another has it as
 * `cause`.
 *
 * @example
 * try { acts.forward('rleu', x); }
 * catch (e) { if (e instanceof UnknownOpError) console.log(e.argument, e.validNames); }
 * // or, across copies of the package: if ((e as { code?: string }).code === 'ERR_UNKNOWN_OP') ...
 */
export class ActivationsError extends Error {
  /** The error class's own name, which `e.toString()` and stack traces show. */
  override name = 'ActivationsError';
  /** A stable string per error class, to check where two copies of the package make `instanceof` unreliable. */
  readonly code: string = 'ERR_ACTIVATIONS';
}

/** An argument is not what the function expects; `argument` names it (`'x'`, `'shape[1]'`). */
export class InvalidArgumentError extends ActivationsError {
  override name = 'InvalidArgumentError';
  override readonly code: string = 'ERR_INVALID_ARGUMENT';
  constructor(
    /** The argument at fault, by name or path: `'x'`, `'options.axis'`, `'shape[1]'`. */
    readonly argument: string,
    /** What it should have been, in words. */
    readonly expected: string,
    /** What it was, in words, kept short (an array is described by its type and length). */
    readonly got: string,
  ) {
    super(`${argument}: expected ${expected}, got ${got}`);
  }
}

/** The op name is not in the registry; `validNames` lists the ones that are. */
export class UnknownOpError extends InvalidArgumentError {
  override name = 'UnknownOpError';
  override readonly code: string = 'ERR_UNKNOWN_OP';
  constructor(
    got: unknown,
    /** The names that would have been valid: the elementwise ops, then the aliases. */
    readonly validNames: readonly string[],
  ) {
    super('op', `one of ${validNames.map((n) => `'${n}'`).join(', ')}`, describe(got));
  }
}

/** Two tensors that must agree in shape do not. */
export class ShapeMismatchError extends InvalidArgumentError {
  override name = 'ShapeMismatchError';
  override readonly code: string = 'ERR_SHAPE_MISMATCH';
}

/** A tensor (or the instance itself) was used after `dispose()`. */
export class DisposedError extends InvalidArgumentError {
  override name = 'DisposedError';
  override readonly code: string = 'ERR_DISPOSED';
  constructor(argument: string) {
    super(argument, 'a live object', 'one that was disposed');
  }
}

/** A tensor made by another instance, backend or device was passed in. */
export class ForeignTensorError extends InvalidArgumentError {
  override name = 'ForeignTensorError';
  override readonly code: string = 'ERR_FOREIGN_TENSOR';
}

/** `backend: 'webgpu'` was asked for and WebGPU cannot be had; `reason` says why. */
export class WebGPUUnavailableError extends ActivationsError {
  override name = 'WebGPUUnavailableError';
  override readonly code: string = 'ERR_WEBGPU_UNAVAILABLE';
  constructor(
    /** Why, and what to do about it (install the `webgpu` package, a driver, ...). */
    readonly reason: string,
    options?: ErrorOptions,
  ) {
    super(`WebGPU is not available: ${reason}`, options);
  }
}

/** The GPUDevice was lost or destroyed; work on it cannot complete. */
export class DeviceLostError extends ActivationsError {
  override name = 'DeviceLostError';
  override readonly code: string = 'ERR_DEVICE_LOST';
  constructor(
    /** The device's loss reason, 'destroyed' or 'unknown'; 'lost' for data left on a device lost earlier. */
    readonly reason: string,
    /** The device's loss message, or what could not be done because of the loss; may be empty. */
    readonly detail: string,
    options?: ErrorOptions,
  ) {
    super(`the GPU device was lost (${reason})${detail ? `: ${detail}` : ''}`, options);
  }
}

/** A WGSL module failed to compile; the message quotes each diagnostic with file, line and column. */
export class ShaderCompileError extends ActivationsError {
  override name = 'ShaderCompileError';
  override readonly code: string = 'ERR_SHADER_COMPILE';
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
  override readonly code: string = 'ERR_GPU_OPERATION';
  constructor(
    /** What failed: the submitted work's label (`relu.f32.vec4.forward`, `batch`) or a buffer allocation. */
    readonly label: string,
    /** The GPU error's own message (GPUError.message). */
    readonly gpuMessage: string,
    /** Which error scope caught it: a validation error, or the device running out of memory. */
    readonly kind: 'validation' | 'out-of-memory' = 'validation',
  ) {
    super(`${label} failed on the GPU${kind === 'out-of-memory' ? ' (out of memory)' : ''}: ${gpuMessage}`);
  }
}
