// Runs the conformance suite on navigator.gpu and leaves the report on window.__conformance,
// where the puppeteer runner (chromium.test.ts) reads it.
import { createActivations, type Tuning } from '../../src/index.js';
import { casesFor } from '../conformance/all.js';
import type { ConformanceContext } from '../conformance/relu.js';
import { runCase } from '../conformance/run-case.js';
import type { BrowserReport, CaseResult } from './report.js';

declare global {
  interface Window {
    __conformance?: BrowserReport;
  }
}

const log = document.getElementById('log')!;
function say(line: string): void {
  log.textContent += `${line}\n`;
  console.log(line);
}

async function main(): Promise<BrowserReport> {
  const gpu = navigator.gpu;
  if (!gpu) return { fatal: `navigator.gpu is missing (secure context: ${String(window.isSecureContext)})`, results: [] };
  const acts = await createActivations({ backend: 'webgpu' });
  say(`backend ${acts.backend}, adapter ${JSON.stringify(acts.adapterInfo)}`);
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
      say(`ok   ${c.name}`);
    } catch (e) {
      const error = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
      results.push({ name: c.name, ok: false, ms: performance.now() - start, error });
      say(`FAIL ${c.name}\n${error}`);
    }
  }
  const report = { backend: acts.backend, adapter: acts.adapterInfo, results };
  acts.dispose();
  return report;
}

main().then(
  (report) => (window.__conformance = report),
  (e: unknown) => (window.__conformance = { fatal: e instanceof Error ? `${e.name}: ${e.message}` : String(e), results: [] }),
);
