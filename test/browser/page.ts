// Runs the conformance suite on navigator.gpu and leaves the report on window.__conformance,
// where the puppeteer runner (chromium-conformance.test.ts) reads it.
import { runAllOnNavigatorGpu } from '../conformance/run-all.js';
import type { BrowserReport } from './report.js';

declare global {
  interface Window {
    __conformance?: BrowserReport;
  }
}

const log = document.getElementById('log')!;

runAllOnNavigatorGpu((line) => {
  log.textContent += `${line}\n`;
  console.log(line);
}).then(
  (report) => (window.__conformance = report),
  (e: unknown) => (window.__conformance = { fatal: e instanceof Error ? `${e.name}: ${e.message}` : String(e), results: [] }),
);
