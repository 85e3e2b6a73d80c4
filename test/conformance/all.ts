import { adversarialCases } from './adversarial.js';
import { badInputCases } from './bad-inputs.js';
import { batchCases } from './batch.js';
import { familyCases } from './family.js';
import { fusionCases, fusionHalfCases } from './fusion.js';
import { halfCases } from './half.js';
import { hardeningCases } from './hardening.js';
import { layerCases } from './layer.js';
import { leakCases } from './leaks.js';
import { opCases } from './ops.js';
import { propertyCases } from './properties.js';
import { reluCases, type ConformanceCase } from './relu.js';

/** Every conformance case, in the order the runners report them. */
export const allCases: readonly ConformanceCase[] = [
  ...reluCases,
  ...opCases,
  ...familyCases,
  ...halfCases,
  ...layerCases,
  ...batchCases,
  ...fusionCases,
  ...fusionHalfCases,
  ...badInputCases,
  ...hardeningCases,
  ...adversarialCases,
  ...propertyCases,
  ...leakCases,
];

/** The cases a runner of this kind runs: GPU-only cases need WebGPU, CPU-only ones the CPU backend. */
export function casesFor(kind: 'cpu' | 'webgpu'): readonly ConformanceCase[] {
  return allCases.filter((c) => (kind === 'cpu' ? !c.gpuOnly : !c.cpuOnly));
}
