import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createActivations, opNames } from '../../src/index.js';
import { getOp } from '../../src/ops/registry.js';
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

  it('plots, for every op, the values the CPU backend computes', async () => {
    const cpu = await createActivations({ backend: 'cpu' });
    const x = cpu.tensor(demo!.xs);
    const ones = cpu.tensor(demo!.xs.map(() => 1));
    expect(Object.keys(demo!.ops).sort()).toEqual([...opNames].sort());
    for (const op of opNames) {
      const y = await cpu.forward(op, x).read();
      const grad = await cpu.backward(op, { x, y: cpu.tensor(y), dy: ones }).read();
      const shown = demo!.ops[op]!;
      const exact = getOp(op).accuracy.kind === 'exact';
      const close = (a: number, b: number) => Object.is(a, b) || (!exact && Math.abs(a - b) <= 1e-5 * Math.max(1, Math.abs(b)));
      shown.y.forEach((v, i) => expect(close(v, y[i]!), `${op}(${demo!.xs[i]}) = ${v}, CPU ${y[i]}`).toBe(true));
      shown.grad.forEach((v, i) => expect(close(v, grad[i]!), `${op}'(${demo!.xs[i]}) = ${v}, CPU ${grad[i]}`).toBe(true));
    }
    // Hand-worked points: relu(-10) = 0, relu(0) = 0 with gradient 0, relu(10) = 10 with gradient 1.
    const at = (v: number) => demo!.xs.indexOf(v);
    const relu = demo!.ops.relu!;
    expect([relu.y[at(-10)], relu.y[at(0)], relu.grad[at(0)], relu.y[at(10)], relu.grad[at(10)]]).toEqual([0, 0, 0, 10, 1]);
    cpu.dispose();
  });
});
