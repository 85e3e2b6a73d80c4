// The limits the GPU backend plans with: the device's, narrowed by the caller's tuning.
import { InvalidArgumentError } from '../errors.js';
import type { PlanLimits } from './plan.js';

/** Knobs for tests and tuning; the defaults come from the device's limits. */
export interface Tuning {
  /** Invocations per workgroup (default: 256, or the device's limit when lower). */
  readonly workgroupSize?: number;
  /** false runs every element through the scalar kernel (default true: vec4 where aligned). */
  readonly vectorize?: boolean;
  /** Caps the bytes bound per operand per dispatch below maxStorageBufferBindingSize. */
  readonly maxBindingBytes?: number;
  /**
   * Bytes of released tensor buffers kept for reuse (default 64 MiB, at most 256 buffers; 0
   * turns the pool off). Reuse skips createBuffer and destroy on the hot path. Buffers are made
   * in size classes less than 25% apart (poolBucket), so near sizes reuse one another's.
   */
  readonly poolBytes?: number;
}

/** The device's limits narrowed by `tuning`, each knob checked; and the pool's cap in bytes. */
export function planLimits(device: GPUDevice, tuning: Tuning): { limits: PlanLimits; poolBytes: number } {
  const l = device.limits;
  const maxWorkgroup = Math.min(l.maxComputeInvocationsPerWorkgroup, l.maxComputeWorkgroupSizeX);
  const workgroupSize = tuning.workgroupSize ?? Math.min(256, maxWorkgroup);
  if (!Number.isInteger(workgroupSize) || workgroupSize < 1 || workgroupSize > maxWorkgroup) {
    throw new InvalidArgumentError('tuning.workgroupSize', `an integer from 1 to ${maxWorkgroup}`, String(workgroupSize));
  }
  const maxBinding = tuning.maxBindingBytes ?? l.maxStorageBufferBindingSize;
  if (!Number.isInteger(maxBinding) || maxBinding < 2 * l.minStorageBufferOffsetAlignment) {
    throw new InvalidArgumentError('tuning.maxBindingBytes', `an integer >= ${2 * l.minStorageBufferOffsetAlignment}`, String(maxBinding));
  }
  const poolBytes = tuning.poolBytes ?? 64 * 1024 * 1024;
  if (!Number.isInteger(poolBytes) || poolBytes < 0) {
    throw new InvalidArgumentError('tuning.poolBytes', 'a non-negative integer number of bytes', String(poolBytes));
  }
  const limits = {
    maxBindingBytes: Math.min(maxBinding, l.maxStorageBufferBindingSize),
    offsetAlignment: l.minStorageBufferOffsetAlignment,
    maxWorkgroupsPerDimension: l.maxComputeWorkgroupsPerDimension,
    workgroupSize,
    vectorize: tuning.vectorize ?? true,
  };
  return { limits, poolBytes };
}
