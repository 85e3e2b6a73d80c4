import { createActivations, type Tuning } from '../../src/index.js';
import type { BrowserReport, CaseResult } from '../browser/report.js';
import { casesFor } from './all.js';
import type { ConformanceContext } from './relu.js';
import { runCase } from './run-case.js';

/**
 * Runs every WebGPU conformance case on the runtime's navigator.gpu and reports each verdict: the
 * Chromium page (test/browser/page.ts) and the Deno bundle (test/deno/suite.ts) both use it.
 */
export async function runAllOnNavigatorGpu(
  log: (line: string) => void,
  featureLevel: 'core' | 'compatibility' = 'core',
): Promise<BrowserReport> {
  const gpu = navigator.gpu;
  if (!gpu) return { fatal: 'navigator.gpu is missing', results: [] };
  const acts = await createActivations({ backend: 'webgpu', featureLevel });
  log(`backend ${acts.backend} (${featureLevel}), adapter ${JSON.stringify(acts.adapterInfo)}`);
  const ctx: ConformanceContext = {
    kind: 'webgpu',
    acts,
    gpu,
    create: (options: { tuning?: Tuning; device?: GPUDevice } = {}) =>
      createActivations({
        backend: 'webgpu',
        featureLevel,
        ...(options.device ? { device: options.device } : {}),
        ...(options.tuning ? { tuning: options.tuning } : {}),
      }),
  };
  const results: CaseResult[] = [];
  for (const c of casesFor('webgpu')) {
    const start = performance.now();
    try {
      await runCase(ctx, c);
      results.push({ name: c.name, ok: true, ms: performance.now() - start });
    } catch (e) {
      const error = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
      results.push({ name: c.name, ok: false, ms: performance.now() - start, error });
      log(`FAIL ${c.name}\n${error}`);
    }
  }
  const device = acts.device!;
  const limits = { invocations: device.limits.maxComputeInvocationsPerWorkgroup, core: device.features.has('core-features-and-limits') };
  const report = { backend: acts.backend, adapter: acts.adapterInfo, limits, results };
  acts.dispose();
  return report;
}
