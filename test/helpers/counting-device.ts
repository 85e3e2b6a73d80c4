/** Live buffers of a counting device, by usage. */
export interface BufferCounts {
  readonly created: number;
  readonly destroyed: number;
  /** Buffers created and not destroyed, with their usage and size. */
  live(): { usage: number; size: number; label: string }[];
}

/**
 * Wraps a GPUDevice so every buffer made through it is counted and its destroy() noticed. Pass
 * the wrapper to createActivations({ device }) and everything the library allocates is seen.
 */
export function countingDevice(device: GPUDevice): { device: GPUDevice; counts: BufferCounts } {
  const live = new Set<GPUBuffer>();
  let created = 0;
  let destroyed = 0;
  const wrapper = new Proxy(device, {
    get(target, key) {
      if (key === 'createBuffer') {
        return (descriptor: GPUBufferDescriptor) => {
          const buffer = target.createBuffer(descriptor);
          created++;
          live.add(buffer);
          const destroy = buffer.destroy.bind(buffer);
          buffer.destroy = () => {
            if (live.delete(buffer)) destroyed++;
            destroy();
          };
          return buffer;
        };
      }
      const value: unknown = Reflect.get(target, key, target);
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
  return {
    device: wrapper,
    counts: {
      get created() {
        return created;
      },
      get destroyed() {
        return destroyed;
      },
      live: () => [...live].map((b) => ({ usage: b.usage, size: b.size, label: b.label })),
    },
  };
}
