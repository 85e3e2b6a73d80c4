import { afterAll, beforeAll, expect, it } from 'vitest';
import { casesFor } from '../conformance/all.js';
import { chromiumMissing, startHarness, type Harness } from '../helpers/chromium.js';
import { describeIfAvailable } from '../helpers/requirements.js';
import type { BrowserReport } from './report.js';

// The same conformance suite, run by a page on navigator.gpu in headless Chromium. The page
// console is forwarded here; each case becomes one test with the page's verdict.
const missing = chromiumMissing();

describeIfAvailable('conformance in headless Chromium (navigator.gpu)', missing, () => {
  let harness: Harness | undefined;
  let report: BrowserReport | undefined;
  beforeAll(async () => {
    harness = await startHarness();
    const page = await harness.browser.newPage();
    page.on('console', (msg) => console.log(`[chromium] ${msg.text()}`));
    page.on('pageerror', (err) => console.log(`[chromium] page error: ${String(err)}`));
    await page.goto(`${harness.origin}/test/browser/index.html`);
    const handle = await page.waitForFunction(() => window.__conformance, { timeout: 280_000, polling: 250 });
    report = await handle.jsonValue();
  });
  afterAll(async () => harness?.close());

  it('ran on navigator.gpu with a WebGPU adapter', () => {
    expect(report?.fatal).toBeUndefined();
    expect(report?.backend).toBe('webgpu');
    console.log(`[chromium] adapter ${JSON.stringify(report?.adapter)}`);
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
