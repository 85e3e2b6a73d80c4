import { casesFor } from '../conformance/all.js';
import { nodeGpu } from '../helpers/node-gpu.js';
import { describeIfAvailable } from '../helpers/requirements.js';
import { registerConformance, webgpuContext } from '../helpers/vitest-suite.js';

// Real WebGPU in Node: Dawn through the `webgpu` package (SwiftShader on machines without a GPU).
const found = await nodeGpu();

describeIfAvailable('Dawn in Node', 'reason' in found ? found.reason : undefined, () => {
  if ('reason' in found) return;
  const { gpu } = found;
  registerConformance('conformance', casesFor('webgpu'), async () => {
    const ctx = await webgpuContext(gpu);
    console.log(`[dawn] running on ${JSON.stringify(ctx.acts.adapterInfo)}`);
    return ctx;
  });
});
