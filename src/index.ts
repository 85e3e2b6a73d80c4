/// <reference types="@webgpu/types" preserve="true" />
// The package's only entry. The reference above gives users the WebGPU types (GPUDevice, GPUBuffer,
// ...) that the API names, without adding @webgpu/types to their own tsconfig.

/**
 * Neural-network activations and their gradients as WGSL compute shaders, with a CPU backend
 * for where WebGPU cannot be had. Start with {@link createActivations}; it returns an
 * {@link Activations} instance whose calls make and take {@link Tensor}s.
 *
 * @packageDocumentation
 *
 * @example
 * const acts = await createActivations();
 * const y = acts.forward('relu', acts.tensor([-1, 0, 2]));
 * console.log(await y.read()); // Float32Array [0, 0, 2]
 */
export { createActivations, Activations } from './activations.js';
export type {
  CreateOptions,
  EncodeOptions,
  Float16ArrayLike,
  GatedOpAttrs,
  GatedOptions,
  GegluOptions,
  SoftmaxOptions,
  Grads,
  MaxoutOptions,
  Operand,
  PreluAttrs,
  PreluLayerOptions,
  PreluOptions,
  Tuning,
  AdapterSummary,
} from './activations.js';
export { Tensor } from './tensor.js';
export { Layer } from './layer/layer.js';
export { GatedLayer, MaxoutLayer, PreluLayer, SoftmaxLayer } from './layer/param-layers.js';
export type { LayerActivity, LayerEncodeOptions, LayerInput, LayerOptions } from './layer/layer.js';
export type { BackendName, BufferView, Dtype, Float16Values, ReadOptions, TensorData } from './tensor.js';
export type { CpuKernelsMode } from './cpu/cpu-backend.js';
export { gatedNames, opNames, opVariants } from './ops/registry.js';
export { wgslFunctions } from './fusion.js';
export type { WgslFunctions, WgslFunctionsOptions } from './fusion.js';
export type { GatedName, OpAttrs, OpName, SoftmaxName } from './ops/registry.js';
export {
  ActivationsError,
  InvalidArgumentError,
  UnknownOpError,
  ShapeMismatchError,
  DisposedError,
  ForeignTensorError,
  WebGPUUnavailableError,
  DeviceLostError,
  ShaderCompileError,
  GpuOperationError,
} from './errors.js';
