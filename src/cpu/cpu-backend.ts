import type { OpDefinition } from '../ops/registry.js';
import type { TensorStorage } from '../tensor.js';
import { HeapBlock } from './simd.js';

/** What the CPU backend keeps for an f32 tensor: a Float32Array, or a block of the SIMD heap. */
export type CpuStorage = Extract<TensorStorage, { kind: 'cpu' }>;

/**
 * The CPU backend: runs each op's registry CPU implementation over Float32Arrays. It follows
 * the same definition as the WGSL, bit for bit for the piecewise-linear ops.
 */
export function runCpu(
  op: OpDefinition,
  direction: 'forward' | 'backward',
  inputs: readonly Float32Array[],
  out: Float32Array,
  attrs: readonly number[],
): void {
  if (direction === 'forward') op.cpu.forward(inputs[0]!, out, attrs);
  else op.cpu.backward(inputs[0]!, inputs[1]!, out, attrs);
}

/**
 * The same on tensors' storage: the op's WebAssembly SIMD kernel when it has one and every
 * operand lives in the SIMD heap, else its JS kernel. `out` may be one of the inputs.
 */
export function runCpuOp(
  op: OpDefinition,
  direction: 'forward' | 'backward',
  inputs: readonly CpuStorage[],
  out: CpuStorage,
  attrs: readonly number[],
): void {
  const simd = op.cpu.simd;
  if (simd && out instanceof HeapBlock && inputs.every((s) => s instanceof HeapBlock)) {
    const ptrs = inputs.map((s) => s.ptr);
    if (direction === 'forward') simd.forward(out.heap.kernels, ptrs[0]!, out.ptr, out.length, attrs);
    else simd.backward(out.heap.kernels, ptrs[0]!, ptrs[1]!, out.ptr, out.length, attrs);
    return;
  }
  runCpu(
    op,
    direction,
    inputs.map((s) => s.data),
    out.data,
    attrs,
  );
}
