import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createActivations } from '../../src/index.js';
import { chromiumMissing, startHarness, type Harness } from '../helpers/chromium.js';
import { describeIfAvailable } from '../helpers/requirements.js';

// Opens the demo page in headless Chromium, checks it ran on the GPU and that its plotted values
// equal the CPU backend's, and saves a screenshot under test/artifacts/ for review.
const missing = chromiumMissing();

describeIfAvailable('demo page in headless Chromium', missing, () => {
  let harness: Harness | undefined;
  const consoleErrors: string[] = [];
  let demo: Window['__demo'];
  beforeAll(async () => {
    harness = await startHarness('demo');
    const page = await harness.browser.newPage();
    await page.setViewport({ width: 1000, height: 900 });
    page.on('console', (msg) => {
      console.log(`[demo] ${msg.text()}`);
      if (msg.type() === 'error') consoleErrors.push(msg.text());
    });
    page.on('pageerror', (err) => consoleErrors.push(String(err)));
    await page.goto(`${harness.origin}/`);
    demo = await (await page.waitForFunction(() => window.__demo, { timeout: 60_000 })).jsonValue();
    const dir = resolve(import.meta.dirname, '../artifacts');
    mkdirSync(dir, { recursive: true });
    await page.screenshot({ path: `${dir}/demo.png`, fullPage: true });
  });
  afterAll(async () => harness?.close());

  it('runs on the GPU and logs no errors', () => {
    expect(demo?.backend).toBe('webgpu');
    expect(consoleErrors).toEqual([]);
  });

  it('plots the values the CPU backend computes', async () => {
    const cpu = await createActivations({ backend: 'cpu' });
    const x = cpu.tensor(demo!.xs);
    expect(demo!.ys).toEqual([...(await cpu.forward('relu', x).read())]);
    expect(demo!.grads).toEqual([...(await cpu.backward('relu', { x, dy: cpu.tensor(demo!.xs.map(() => 1)) }).read())]);
    // Hand-worked points: relu(-10) = 0, relu(0) = 0 with gradient 0, relu(10) = 10 with gradient 1.
    const at = (v: number) => demo!.xs.indexOf(v);
    expect([demo!.ys[at(-10)], demo!.ys[at(0)], demo!.grads[at(0)], demo!.ys[at(10)], demo!.grads[at(10)]]).toEqual([0, 0, 0, 10, 1]);
  });
});
