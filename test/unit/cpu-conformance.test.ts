import { createActivations, type CreateOptions } from '../../src/index.js';
import { casesFor } from '../conformance/all.js';
import { registerConformance } from '../helpers/vitest-suite.js';

// The CPU backend runs every case that needs no GPU objects: with its WebAssembly SIMD kernels
// (the default where the runtime has them) and with its plain JS kernels, the reference.
for (const cpuKernels of ['wasm-simd', 'js'] as const) {
  const options: CreateOptions = { backend: 'cpu', cpuKernels };
  registerConformance(`conformance on the CPU backend (${cpuKernels} kernels)`, casesFor('cpu'), async () => ({
    kind: 'cpu',
    acts: await createActivations(options),
    create: () => createActivations(options),
  }));
}
