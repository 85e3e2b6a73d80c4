/// <reference types="@webgpu/types" preserve="true" />
// The package's only entry. The reference above gives users the WebGPU types (GPUDevice, GPUBuffer,
// ...) that the API names, without adding @webgpu/types to their own tsconfig.
export { createActivations, Activations } from './activations.js';
export type {
  CreateOptions,
  EncodeOptions,
  Float16ArrayLike,
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
export { MaxoutLayer, PreluLayer } from './layer/param-layers.js';
export type { LayerActivity, LayerEncodeOptions, LayerInput, LayerOptions } from './layer/layer.js';
export type { BackendName, BufferView, Dtype, TensorData } from './tensor.js';
export { opAliases, opNames } from './ops/registry.js';
export type { OpAttrs, OpName } from './ops/registry.js';
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
