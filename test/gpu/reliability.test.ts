import { expect, it } from 'vitest';
import { createActivations, DeviceLostError, DisposedError } from '../../src/index.js';
import { casesFor } from '../conformance/all.js';
import { countingDevice } from '../helpers/counting-device.js';
import { randomFloats, rng } from '../helpers/float.js';
import { nodeGpu } from '../helpers/node-gpu.js';
import { reluGradReference, reluReference } from '../helpers/reference.js';
import { describeIfAvailable } from '../helpers/requirements.js';
import { registerConformance, webgpuContext } from '../helpers/vitest-suite.js';
import { expectBits } from '../helpers/compare.js';

const STORAGE = 0x80;
const MAP_READ = 0x01;
const UNIFORM = 0x40;
/** The params cache keeps at most this many small uniform buffers per device (device-cache.ts). */
const PARAMS_CAPACITY = 1024;

const found = await nodeGpu();
const missing = 'reason' in found ? found.reason : undefined;

/** A device of its own (an adapter hands out one device, so each needs a fresh adapter). */
async function newDevice(): Promise<GPUDevice> {
  if ('reason' in found) throw new Error(found.reason);
  const adapter = await found.gpu.requestAdapter();
  if (!adapter) throw new Error('no adapter');
  return adapter.requestDevice();
}

describeIfAvailable('reliability on Dawn', missing, () => {
  it('leaks nothing over 100,000 forward/backward/read/dispose cycles of mixed sizes', async () => {
    if ('reason' in found) return;
    const base = await newDevice();
    const { device, counts } = countingDevice(base);
    const acts = await createActivations({ device });
    const next = rng(7);
    const CYCLES = 100_000;
    const BATCH = 250;
    let checked = 0;
    for (let done = 0; done < CYCLES; done += BATCH) {
      const batch = [];
      for (let i = 0; i < BATCH; i++) {
        const n = Math.floor(next() ** 3 * 5000);
        const op = next() < 0.5 ? 'relu' : 'thresholdedRelu';
        const x = acts.tensor(new Float32Array(n).fill(-1 + 2 * next()));
        const y = acts.forward(op, x);
        const dx = acts.backward(op, { x, dy: y });
        batch.push(
          Promise.all([y.read(), dx.read()]).then(([yv, dv]) => {
            checked += yv.length + dv.length;
            for (const t of [x, y, dx]) t.dispose();
          }),
        );
      }
      await Promise.all(batch);
    }
    await device.queue.onSubmittedWorkDone();
    const live = counts.live();
    console.log(`[leaks] ${CYCLES} cycles: ${counts.created} buffers created, ${counts.destroyed} destroyed, ${live.length} live`);
    expect(live.filter((b) => b.usage & STORAGE)).toEqual([]);
    expect(live.filter((b) => b.usage & MAP_READ)).toEqual([]);
    const params = live.filter((b) => b.usage & UNIFORM);
    expect(params.length).toBeLessThanOrEqual(PARAMS_CAPACITY);
    expect(live.length).toBe(params.length);
    expect(live.reduce((sum, b) => sum + b.size, 0)).toBeLessThanOrEqual(PARAMS_CAPACITY * 32);
    expect(checked).toBeGreaterThan(0);
    acts.dispose();
    base.destroy();
  });

  it("with backend 'auto', falls back to the CPU when a lost device cannot be replaced, and says why", async () => {
    if ('reason' in found) return;
    // A GPU that hands out one adapter, then none.
    let adapters = 0;
    const stingy = {
      requestAdapter: async (options?: GPURequestAdapterOptions) => (adapters++ === 0 ? found.gpu.requestAdapter(options) : null),
    } as unknown as GPU;
    const acts = await createActivations({ gpu: stingy });
    expect(acts.backend).toBe('webgpu');
    const old = acts.tensor([1, 2]);
    const lost = acts.device!;
    lost.destroy();
    await lost.lost;
    await acts.ready();
    expect(acts.backend).toBe('cpu');
    expect(acts.fallbackReason).toMatch(/device was lost.*no new device could be had.*returned null/);
    await expect(old.read()).rejects.toBeInstanceOf(DeviceLostError);
    expect(() => acts.forward('relu', old)).toThrow(DeviceLostError);
    expect([...(await acts.forward('relu', acts.tensor([-1, 2])).read())]).toEqual([0, 2]);
    acts.dispose();
  });

  it('dispose() destroys every tensor buffer the instance made, read or not', async () => {
    if ('reason' in found) return;
    const base = await newDevice();
    const { device, counts } = countingDevice(base);
    const acts = await createActivations({ device });
    const x = acts.tensor(randomFloats(1000, 1));
    const kept = [x, acts.forward('relu', x), acts.backward('relu', { x, dy: x }), acts.tensor([1, 2, 3])];
    await kept[1]!.read();
    acts.dispose();
    expect(counts.live().filter((b) => b.usage & (STORAGE | MAP_READ))).toEqual([]);
    for (const t of kept) expect(t.disposed).toBe(true);
    await expect(kept[1]!.read()).rejects.toBeInstanceOf(DisposedError);
    base.destroy();
  });

  it('keeps 64 reads in flight at once, each with its own data', async () => {
    if ('reason' in found) return;
    const acts = await createActivations({ gpu: found.gpu });
    const inputs = Array.from({ length: 64 }, (_, i) => randomFloats(1 + i * 97, 100 + i));
    const reads = inputs.map((x) => acts.forward('relu', acts.tensor(x)).read());
    const results = await Promise.all(reads);
    results.forEach((y, i) => expectBits(`read ${i}`, y, reluReference(inputs[i]!), { x: inputs[i]! }));
    acts.dispose();
  });

  it('two instances share one device; disposing one leaves the other working', async () => {
    if ('reason' in found) return;
    const device = await newDevice();
    const a = await createActivations({ device });
    const b = await createActivations({ device });
    const x = randomFloats(777, 5);
    const ta = a.tensor(x);
    const tb = b.tensor(x);
    a.dispose();
    await expect(ta.read()).rejects.toBeInstanceOf(DisposedError);
    expectBits('b after a.dispose()', await b.forward('relu', tb).read(), reluReference(x), { x });
    b.dispose();
    device.destroy();
  });

  it("runs work encoded into the caller's encoder when they submit it late, after later work of ours", async () => {
    if ('reason' in found) return;
    const acts = await createActivations({ gpu: found.gpu });
    const x = randomFloats(4099, 9);
    const dy = randomFloats(4099, 10);
    const tx = acts.tensor(x);
    const tdy = acts.tensor(dy);
    const out = acts.tensor(new Float32Array(4099));
    const enc = acts.device!.createCommandEncoder();
    acts.backwardInto('relu', { x: tx, dy: tdy, dx: out }, {}, { encoder: enc });
    const meanwhile = acts.forward('relu', tx); // submitted by us before the caller's encoder
    expectBits('ours first', await meanwhile.read(), reluReference(x), { x });
    acts.device!.queue.submit([enc.finish()]);
    expectBits('theirs, late', await out.read(), reluGradReference(x, dy), { x, dy });
    acts.dispose();
  });
});

// The whole conformance suite once more, on a compatibility-mode device (at most 128
// invocations per workgroup): the kernels must adapt to its limits.
describeIfAvailable('conformance on Dawn in compatibility mode', missing, () => {
  if ('reason' in found) return;
  const { gpu } = found;
  registerConformance('featureLevel: compatibility', casesFor('webgpu'), async () => {
    const ctx = await webgpuContext(gpu, { featureLevel: 'compatibility' });
    const device = ctx.acts.device!;
    expect(device.features.has('core-features-and-limits')).toBe(false);
    expect(device.limits.maxComputeInvocationsPerWorkgroup).toBeLessThanOrEqual(128);
    return ctx;
  });
});
