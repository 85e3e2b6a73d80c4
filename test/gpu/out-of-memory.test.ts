import { afterAll, beforeAll, expect, it } from 'vitest';
import { createActivations, GpuOperationError, type Activations } from '../../src/index.js';
import { nodeGpu } from '../helpers/node-gpu.js';
import { describeIfAvailable } from '../helpers/requirements.js';

// Out-of-memory errors are reported asynchronously, through error scopes. A real allocation
// failure cannot be provoked safely on a shared machine, so the device here is the real Dawn
// device behind a Proxy that makes the innermost 'out-of-memory' scope report an error when a
// buffer over a chosen size is created inside it: everything else (the scope stack, the library's
// handling, the next read rejecting) is the real path.
const gpu = await nodeGpu();
const missing = 'reason' in gpu ? gpu.reason : undefined;

const LIMIT = 1 << 20;

/** The device, failing every buffer of LIMIT bytes or more as out of memory. */
function failingDevice(device: GPUDevice): GPUDevice {
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
          if (descriptor.size >= LIMIT && scope) scope.failed = `simulated: no memory for ${descriptor.size} bytes`;
          return target.createBuffer(descriptor);
        };
      }
      const value: unknown = Reflect.get(target, key, target);
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
}

describeIfAvailable('out-of-memory errors (Dawn, simulated allocation failures)', missing, () => {
  let device: GPUDevice;
  let acts: Activations;
  beforeAll(async () => {
    const adapter = await (gpu as { gpu: GPU }).gpu.requestAdapter();
    device = await adapter!.requestDevice();
    acts = await createActivations({ device: failingDevice(device) });
  });
  afterAll(() => {
    acts?.dispose();
    device?.destroy();
  });

  it('an allocation that runs out of memory rejects the next read with GpuOperationError naming it', async () => {
    const big = acts.tensor(new Float32Array(LIMIT / 4)); // exactly LIMIT bytes: fails
    const small = acts.tensor([1, -2, 3]);
    const y = acts.forward('relu', small);
    const error = await y.read().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(GpuOperationError);
    const e = error as GpuOperationError;
    expect(e.kind).toBe('out-of-memory');
    expect(e.label).toContain(`allocating ${LIMIT} bytes`);
    expect(e.message).toContain('out of memory');
    // Reported once: the instance goes on working.
    expect(Array.from(await y.read())).toEqual([1, 0, 3]);
    for (const t of [big, small, y]) t.dispose();
  });

  it('an output allocation inside an op is reported the same way, and nothing stale is read', async () => {
    const x = acts.tensor(new Float32Array(LIMIT / 8).fill(-1)); // half a MiB: fine
    const ok = acts.forward('relu', x);
    expect((await ok.read()).every((v) => v === 0)).toBe(true);
    const big = acts.tensor(new Float32Array(LIMIT / 4 + 4)); // fails
    await expect(ok.read()).rejects.toBeInstanceOf(GpuOperationError);
    expect((await ok.read()).every((v) => v === 0)).toBe(true);
    for (const t of [x, ok, big]) t.dispose();
  });
});
