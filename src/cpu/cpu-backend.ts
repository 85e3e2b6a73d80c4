import type { OpDefinition } from '../ops/registry.js';

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
