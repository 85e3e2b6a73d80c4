import { forwarding } from './forwarding.js';

/** Buffers of at least this many bytes fail as out of memory on a failing device. */
export const FAIL_AT_BYTES = 1 << 20;

/**
 * Wraps a GPUDevice so that creating a buffer of FAIL_AT_BYTES or more inside an 'out-of-memory'
 * error scope makes that scope report an error, as a device out of memory would. A real
 * allocation failure cannot be provoked safely on a shared machine; everything else (the scope
 * stack, the library's handling, the next read rejecting) is the real path.
 */
export function failingDevice(device: GPUDevice): GPUDevice {
  const scopes: { filter: GPUErrorFilter; failed: string | undefined }[] = [];
  return forwarding(device, {
    pushErrorScope: (filter: GPUErrorFilter) => {
      scopes.push({ filter, failed: undefined });
      device.pushErrorScope(filter);
    },
    popErrorScope: async () => {
      const scope = scopes.pop();
      const real = await device.popErrorScope();
      return scope?.failed ? { message: scope.failed } : real;
    },
    createBuffer: (descriptor: GPUBufferDescriptor) => {
      const scope = [...scopes].reverse().find((s) => s.filter === 'out-of-memory');
      if (descriptor.size >= FAIL_AT_BYTES && scope) scope.failed = `simulated: no memory for ${descriptor.size} bytes`;
      return device.createBuffer(descriptor);
    },
  });
}
