import { afterAll, beforeAll, expect, it } from 'vitest';
import { casesFor } from '../conformance/all.js';
import { chromiumMissing, startHarness, type Harness } from '../helpers/chromium.js';
import { describeIfAvailable } from '../helpers/requirements.js';
import type { BrowserReport } from './report.js';

// The same conformance suite, run by a page on navigator.gpu in headless Chromium, on a core
// device and again on a compatibility-mode device (Chromium offers one: at most 128 invocations
// per workgroup, no core-features-and-limits). The page console is forwarded here; each case
// becomes one test with the page's verdict.
const missing = chromiumMissing();

for (const level of ['core', 'compatibility'] as const) {
  describeIfAvailable(`conformance in headless Chromium (navigator.gpu, ${level})`, missing, () => {
    let harness: Harness | undefined;
    let report: BrowserReport | undefined;
    beforeAll(async () => {
      harness = await startHarness();
      const page = await harness.browser.newPage();
      page.on('console', (msg) => console.log(`[chromium ${level}] ${msg.text()}`));
      page.on('pageerror', (err) => console.log(`[chromium ${level}] page error: ${String(err)}`));
      await page.goto(`${harness.origin}/test/browser/index.html${level === 'compatibility' ? '?featureLevel=compatibility' : ''}`);
      const handle = await page.waitForFunction(() => window.__conformance, { timeout: 280_000, polling: 250 });
      report = await handle.jsonValue();
    });
    afterAll(async () => harness?.close());

    it(`ran on navigator.gpu with a WebGPU adapter, on a ${level} device`, () => {
      expect(report?.fatal).toBeUndefined();
      expect(report?.backend).toBe('webgpu');
      console.log(`[chromium ${level}] adapter ${JSON.stringify(report?.adapter)}, limits ${JSON.stringify(report?.limits)}`);
      if (level === 'compatibility') {
        expect(report?.limits?.core).toBe(false);
        expect(report?.limits?.invocations).toBeLessThanOrEqual(128);
      }
      expect(report?.results.length).toBe(casesFor('webgpu').length);
    });
    for (const c of casesFor('webgpu')) {
      it(c.name, () => {
        const result = report?.results.find((r) => r.name === c.name);
        if (!result) throw new Error(`the page reported no result for this case${report?.fatal ? `: ${report.fatal}` : ''}`);
        if (!result.ok) throw new Error(result.error);
      });
    }
  });
}
