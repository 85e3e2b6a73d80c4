import { describe, expect, it } from 'vitest';
import { createActivations, InvalidArgumentError, WebGPUUnavailableError } from '../../src/index.js';

// Stand-in GPU objects for the paths a real adapter cannot take on demand.
const noAdapter = { requestAdapter: () => Promise.resolve(null) } as unknown as GPU;
const adapterThrows = { requestAdapter: () => Promise.reject(new Error('adapter exploded')) } as unknown as GPU;
const deviceRefused = {
  requestAdapter: () =>
    Promise.resolve({
      limits: { maxStorageBufferBindingSize: 1 << 27, maxBufferSize: 1 << 28 },
      info: {},
      requestDevice: () => Promise.reject(new Error('OperationError: device refused')),
    }),
} as unknown as GPU;

/** A GPU that fails the test if anything on it is touched. */
const untouchable = new Proxy({} as GPU, {
  get(_, key) {
    throw new Error(`the CPU backend touched gpu.${String(key)}`);
  },
});

describe('backend selection', () => {
  it("'auto' falls back to the CPU when there is no adapter, and says why", async () => {
    const acts = await createActivations({ gpu: noAdapter });
    expect(acts.backend).toBe('cpu');
    expect(acts.fallbackReason).toMatch(/requestAdapter\(\) returned null/);
    const y = acts.forward('relu', acts.tensor([-1, 2]));
    expect([...(await y.read())]).toEqual([0, 2]);
  });

  it("'auto' falls back when requestAdapter throws or requestDevice fails", async () => {
    expect((await createActivations({ gpu: adapterThrows })).fallbackReason).toMatch(/requestAdapter\(\) failed \(adapter exploded\)/);
    expect((await createActivations({ gpu: deviceRefused })).fallbackReason).toMatch(/requestDevice\(\) failed .*device refused/);
  });

  it("'webgpu' rejects with WebGPUUnavailableError instead of falling back", async () => {
    for (const gpu of [noAdapter, adapterThrows, deviceRefused]) {
      const err = await createActivations({ backend: 'webgpu', gpu }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(WebGPUUnavailableError);
      expect((err as WebGPUUnavailableError).reason.length).toBeGreaterThan(10);
    }
  });

  it("'cpu' never touches the GPU and reports no fallback", async () => {
    const acts = await createActivations({ backend: 'cpu', gpu: untouchable });
    expect(acts.backend).toBe('cpu');
    expect(acts.fallbackReason).toBeUndefined();
    expect(acts.device).toBeUndefined();
  });

  it('rejects an unknown backend name and a device that is not one', async () => {
    await expect(createActivations({ backend: 'cuda' as 'cpu' })).rejects.toMatchObject({ argument: 'options.backend' });
    await expect(createActivations({ device: {} as GPUDevice })).rejects.toBeInstanceOf(InvalidArgumentError);
  });
});

describe('device acquisition that never settles', () => {
  const never = () => new Promise<never>(() => undefined);
  const adapterWith = (requestDevice: () => Promise<unknown>) =>
    ({
      requestAdapter: () =>
        Promise.resolve({ limits: { maxStorageBufferBindingSize: 1 << 27, maxBufferSize: 1 << 28 }, info: {}, requestDevice }),
    }) as unknown as GPU;

  it("'auto' falls back to the CPU after options.acquireTimeout, saying which request hung", async () => {
    const start = performance.now();
    const acts = await createActivations({ gpu: { requestAdapter: never } as unknown as GPU, acquireTimeout: 50 });
    expect(acts.backend).toBe('cpu');
    expect(acts.fallbackReason).toMatch(/requestAdapter\(\) did not settle within 50 ms/);
    expect(performance.now() - start).toBeLessThan(5_000);
    const other = await createActivations({ gpu: adapterWith(never), acquireTimeout: 50 });
    expect(other.fallbackReason).toMatch(/requestDevice\(\) did not settle within 50 ms/);
  });

  it("'webgpu' rejects with WebGPUUnavailableError after the timeout", async () => {
    const err = await createActivations({ backend: 'webgpu', gpu: { requestAdapter: never } as unknown as GPU, acquireTimeout: 30 }).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(WebGPUUnavailableError);
  });

  it('destroys a device that arrives after the timeout', async () => {
    let destroyed = false;
    const late = () => new Promise((resolve) => setTimeout(() => resolve({ destroy: () => (destroyed = true) }), 60));
    const acts = await createActivations({ gpu: adapterWith(late), acquireTimeout: 10 });
    expect(acts.backend).toBe('cpu');
    await new Promise((r) => setTimeout(r, 120));
    expect(destroyed).toBe(true);
  });

  it('refuses a timeout that is not a positive number', async () => {
    for (const acquireTimeout of [0, -1, Number.NaN, '10' as unknown as number]) {
      const err = await createActivations({ acquireTimeout }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(InvalidArgumentError);
      expect((err as InvalidArgumentError).argument).toBe('options.acquireTimeout');
    }
  });
});
