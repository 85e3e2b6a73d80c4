// The conformance suite for Deno (wgpu). Vite bundles this file (WGSL inlined, specs resolved)
// and deno-conformance.test.ts runs the bundle under Deno, reading the report from stdout.
import { createActivations } from '../../src/index.js';
import { runAllOnNavigatorGpu } from '../conformance/run-all.js';
import type { BrowserReport } from '../browser/report.js';

// What a Deno user is told when no adapter is found (a stand-in GPU with none: Deno's wgpu falls
// back to GL when Vulkan is missing, so a real missing adapter cannot be arranged here).
const noAdapter = { requestAdapter: () => Promise.resolve(null) } as unknown as GPU;
const noAdapterReason = (await createActivations({ gpu: noAdapter })).fallbackReason;
console.log(`@@noAdapter ${JSON.stringify(noAdapterReason ?? null)}`);

const report = await runAllOnNavigatorGpu((line) => console.log(line)).catch((e: unknown): BrowserReport => ({
  fatal: e instanceof Error ? `${e.name}: ${e.message}` : String(e),
  results: [],
}));
console.log(`@@report ${JSON.stringify(report)}`);
