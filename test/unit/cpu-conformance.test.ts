import { createActivations } from '../../src/index.js';
import { allCases } from '../conformance/all.js';
import { registerConformance } from '../helpers/vitest-suite.js';

// The CPU backend runs every case that needs no GPU objects.
registerConformance(
  'conformance on the CPU backend',
  allCases.filter((c) => !c.gpuOnly),
  async () => ({
    kind: 'cpu',
    acts: await createActivations({ backend: 'cpu' }),
    create: () => createActivations({ backend: 'cpu' }),
  }),
);
