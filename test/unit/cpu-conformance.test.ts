import { createActivations } from '../../src/index.js';
import { opCases } from '../conformance/ops.js';
import { reluCases } from '../conformance/relu.js';
import { registerConformance } from '../helpers/vitest-suite.js';

// The CPU backend runs every case that needs no GPU objects.
registerConformance(
  'conformance on the CPU backend',
  [...reluCases, ...opCases].filter((c) => !c.gpuOnly),
  async () => ({
    kind: 'cpu',
    acts: await createActivations({ backend: 'cpu' }),
    create: () => createActivations({ backend: 'cpu' }),
  }),
);
