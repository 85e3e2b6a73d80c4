import { createActivations } from '../../src/index.js';
import { casesFor } from '../conformance/all.js';
import { registerConformance } from '../helpers/vitest-suite.js';

// The CPU backend runs every case that needs no GPU objects.
registerConformance('conformance on the CPU backend', casesFor('cpu'), async () => ({
  kind: 'cpu',
  acts: await createActivations({ backend: 'cpu' }),
  create: () => createActivations({ backend: 'cpu' }),
}));
