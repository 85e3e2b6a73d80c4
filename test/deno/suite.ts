// The conformance suite for Deno (wgpu). Vite bundles this file (WGSL inlined, specs resolved)
// and deno-conformance.test.ts runs the bundle under Deno, reading the report from stdout.
import { runAllOnNavigatorGpu } from '../conformance/run-all.js';
import type { BrowserReport } from '../browser/report.js';

const report = await runAllOnNavigatorGpu((line) => console.log(line)).catch((e: unknown): BrowserReport => ({
  fatal: e instanceof Error ? `${e.name}: ${e.message}` : String(e),
  results: [],
}));
console.log(`@@report ${JSON.stringify(report)}`);
