import { describe, it } from 'vitest';
import { createActivations } from '../../src/index.js';
import { reluCases } from '../conformance/relu.js';
import { mustRunGpu, nodeGpu } from '../helpers/node-gpu.js';
import { registerConformance } from '../helpers/vitest-suite.js';

// Real WebGPU in Node: Dawn through the `webgpu` package (SwiftShader on machines without a GPU).
const found = await nodeGpu();

if ('reason' in found && !mustRunGpu()) {
  console.warn(`[dawn] GPU suite skipped, because ${found.reason}`);
  describe.skipIf(true)(`relu conformance on Dawn (skipped, because ${found.reason})`, () => {
    it('needs an adapter', () => undefined);
  });
} else {
  registerConformance('relu conformance on Dawn (Node)', reluCases, async () => {
    if ('reason' in found) throw new Error(`no WebGPU adapter in CI: ${found.reason}`);
    const { gpu } = found;
    const acts = await createActivations({ backend: 'webgpu', gpu });
    console.log(`[dawn] running on ${JSON.stringify(acts.adapterInfo)}`);
    return {
      kind: 'webgpu',
      acts,
      gpu,
      create: (options = {}) =>
        createActivations({
          backend: 'webgpu',
          gpu,
          ...(options.device ? { device: options.device } : {}),
          ...(options.tuning ? { tuning: options.tuning } : {}),
        }),
    };
  });
}
