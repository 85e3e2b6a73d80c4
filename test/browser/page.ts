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

// ?featureLevel=compatibility runs the suite on a compatibility-mode device.
const level = new URLSearchParams(location.search).get('featureLevel') === 'compatibility' ? 'compatibility' : 'core';

runAllOnNavigatorGpu((line) => {
  log.textContent += `${line}\n`;
  console.log(line);
}, level).then(
  (report) => (window.__conformance = report),
  (e: unknown) => (window.__conformance = { fatal: e instanceof Error ? `${e.name}: ${e.message}` : String(e), results: [] }),
);
