// The conformance suite for Deno (wgpu). chromium-conformance's page does the same on
// navigator.gpu in Chromium; here Vite bundles this file (WGSL inlined, specs resolved) and
// deno-conformance.test.ts runs the bundle under Deno and reads the report from stdout.
import { createActivations, type Tuning } from '../../src/index.js';
import { casesFor } from '../conformance/all.js';
import type { ConformanceContext } from '../conformance/relu.js';
import { runCase } from '../conformance/run-case.js';
import type { BrowserReport, CaseResult } from '../browser/report.js';

/** The line prefix the runner looks for. */
const REPORT = '@@report ';

async function main(): Promise<BrowserReport> {
  const gpu = navigator.gpu;
  if (!gpu) return { fatal: 'navigator.gpu is missing in Deno', results: [] };
  const acts = await createActivations({ backend: 'webgpu' });
  const adapter = await gpu.requestAdapter();
  console.log(`deno: ${acts.backend}, adapter features: ${[...(adapter?.features ?? [])].join(',')}`);
  const ctx: ConformanceContext = {
    kind: 'webgpu',
    acts,
    gpu,
    create: (options: { tuning?: Tuning; device?: GPUDevice } = {}) =>
      createActivations({
        backend: 'webgpu',
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
      results.push({
        name: c.name,
        ok: false,
        ms: performance.now() - start,
        error: e instanceof Error ? `${e.name}: ${e.message}` : String(e),
      });
    }
  }
  const report = { backend: acts.backend, adapter: acts.adapterInfo, results };
  acts.dispose();
  return report;
}

const report = await main().catch((e: unknown): BrowserReport => ({
  fatal: e instanceof Error ? `${e.name}: ${e.message}` : String(e),
  results: [],
}));
console.log(REPORT + JSON.stringify(report));
