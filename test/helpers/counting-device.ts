import { forwarding } from './forwarding.js';

/** Live buffers of a counting device, by usage, and its queue's submits. */
export interface BufferCounts {
  readonly created: number;
  readonly destroyed: number;
  /** queue.submit() calls made through the wrapper. */
  readonly submits: number;
  /** Buffers created and not destroyed, with their usage and size. */
  live(): { usage: number; size: number; label: string }[];
}

/**
 * Wraps a GPUDevice so every buffer made through it is counted and its destroy() noticed, and
 * every queue.submit() counted. Pass the wrapper to createActivations({ device }) and everything
 * the library allocates and submits is seen.
 */
export function countingDevice(device: GPUDevice): { device: GPUDevice; counts: BufferCounts } {
  const live = new Set<GPUBuffer>();
  let created = 0;
  let destroyed = 0;
  let submits = 0;
  const queue = forwarding(device.queue, {
    submit: (buffers: Iterable<GPUCommandBuffer>) => {
      submits++;
      device.queue.submit(buffers);
    },
  });
  const wrapper = forwarding(device, {
    queue,
    createBuffer: (descriptor: GPUBufferDescriptor) => {
      const buffer = device.createBuffer(descriptor);
      created++;
      live.add(buffer);
      const destroy = buffer.destroy.bind(buffer);
      buffer.destroy = () => {
        if (live.delete(buffer)) destroyed++;
        destroy();
      };
      return buffer;
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
      get submits() {
        return submits;
      },
      live: () => [...live].map((b) => ({ usage: b.usage, size: b.size, label: b.label })),
    },
  };
}
