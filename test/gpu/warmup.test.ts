import { expect, it } from 'vitest';
import { createActivations } from '../../src/index.js';
import { registryNames } from '../../src/ops/registry.js';
import { forwarding } from '../helpers/forwarding.js';
import { nodeGpu } from '../helpers/node-gpu.js';
import { describeIfAvailable } from '../helpers/requirements.js';

// acts.warmup(ops) compiles the kernels the ops' forward and backward run, with
// createComputePipelineAsync: afterwards the first calls make no pipeline of their own.

const found = await nodeGpu();

/** A device whose pipeline creations, synchronous and asynchronous, are counted. */
async function countingPipelines(): Promise<{ device: GPUDevice; sync: () => number; async: () => number }> {
  if ('reason' in found) throw new Error(found.reason);
  const adapter = await found.gpu.requestAdapter();
  if (!adapter) throw new Error('no second adapter');
  const real = await adapter.requestDevice();
  let sync = 0;
  let async = 0;
  const device = forwarding(real, {
    createComputePipeline: (d: GPUComputePipelineDescriptor) => {
      sync++;
      return real.createComputePipeline(d);
    },
    createComputePipelineAsync: (d: GPUComputePipelineDescriptor) => {
      async++;
      return real.createComputePipelineAsync(d);
    },
  });
  return { device, sync: () => sync, async: () => async };
}

describeIfAvailable('acts.warmup (Dawn)', 'reason' in found ? found.reason : undefined, () => {
  it('compiles what forward and backward of each kind run: the calls after it make no pipeline', async () => {
    const counted = await countingPipelines();
    const acts = await createActivations({ device: counted.device });
    await acts.warmup(['gelu', 'relu', 'prelu', 'maxout', 'swiglu', 'logSoftmax'], { layers: true });
    expect(counted.async()).toBeGreaterThan(10);
    expect(counted.sync()).toBe(0);
    const run = async () => {
      for (const n of [1024, 1023]) {
        // vec4 spans and scalar tails
        const x = acts.tensor(new Float32Array(n).map((_, i) => Math.sin(i)));
        for (const op of ['gelu', 'relu'] as const) {
          const y = acts.forward(op, x);
          await acts.backward(op, { x, dy: y }).read();
        }
      }
      const x = acts.tensor(
        new Float32Array(64).map((_, i) => Math.cos(i)),
        [8, 8],
      );
      const alpha = acts.tensor([0.25]);
      await acts.preluBackward({ x, alpha, dy: acts.prelu(x, alpha) }).dalpha.read();
      await acts.maxoutBackward({ x, dy: acts.maxout(x, { pieces: 2 }) }, { pieces: 2 }).read();
      await acts.backward('swiglu', { x, dy: acts.forward('swiglu', x) }).read();
      await acts.backward('logSoftmax', { y: acts.forward('logSoftmax', x), dy: x }).read();
      const layer = acts.layer('relu');
      await layer.backward(layer.forward(x)).read();
    };
    await run();
    expect(counted.sync()).toBe(0);
    // An op not warmed compiles on first use, as before.
    await acts.forward('sigmoid', acts.tensor([1, 2, 3, 4])).read();
    expect(counted.sync()).toBeGreaterThan(0);
    acts.dispose();
    counted.device.destroy();
  });

  it('warms every op by default, f16 kernels when asked, and warming twice compiles nothing new', async () => {
    const counted = await countingPipelines();
    const acts = await createActivations({ device: counted.device });
    await acts.warmup();
    const all = counted.async();
    expect(all).toBeGreaterThan(2 * registryNames.length);
    await acts.warmup();
    expect(counted.async()).toBe(all);
    await acts.warmup(['tanh'], { f16: true });
    expect(counted.async()).toBe(all + 2); // tanh's f16 forward and backward; widen/narrow too where used
    const h = acts.tensor(new Uint16Array([0x3c00, 0xbc00, 0, 0x7e00]));
    await acts.backward('tanh', { y: acts.forward('tanh', h), dy: h }).read();
    expect(counted.sync()).toBe(0);
    acts.dispose();
    counted.device.destroy();
  });
});
