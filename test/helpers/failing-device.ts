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
  return new Proxy(device, {
    get(target, key) {
      if (key === 'pushErrorScope') {
        return (filter: GPUErrorFilter) => {
          scopes.push({ filter, failed: undefined });
          target.pushErrorScope(filter);
        };
      }
      if (key === 'popErrorScope') {
        return async () => {
          const scope = scopes.pop();
          const real = await target.popErrorScope();
          return scope?.failed ? { message: scope.failed } : real;
        };
      }
      if (key === 'createBuffer') {
        return (descriptor: GPUBufferDescriptor) => {
          const scope = [...scopes].reverse().find((s) => s.filter === 'out-of-memory');
          if (descriptor.size >= FAIL_AT_BYTES && scope) scope.failed = `simulated: no memory for ${descriptor.size} bytes`;
          return target.createBuffer(descriptor);
        };
      }
      const value: unknown = Reflect.get(target, key, target);
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
}
