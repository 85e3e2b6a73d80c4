import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Browser, Page } from 'puppeteer-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createActivations, gatedNames, opNames, type Activations } from '../../src/index.js';
import { getOp } from '../../src/ops/registry.js';
import { chromiumMissing, launchChromium, startHarness, type Harness } from '../helpers/chromium.js';
import { describeIfAvailable } from '../helpers/requirements.js';

// Builds the demo (vite build) and opens the built page (vite preview) in headless Chromium:
// it must run on the GPU and name the adapter, plot the values the CPU backend computes (the
// zoom around 0 included), train an MLP on the spiral to 95% on the GPU with dead units counted
// per layer, train PReLU's slopes too, say what lr 1 does to relu, leakyRelu and prelu as the page
// does, run the benchmark, and fit a phone's width. Then the same built page in a Chromium with
// no WebGPU adapter: it must say it fell back to the CPU and why, plot the same values, train the
// same spiral on the CPU (the library's layers on its CPU backend, the demo's matmuls, loss and
// SGD in JS) to 95% from the same weights, time the CPU backend on the Benchmark tab, and fit a
// phone. Console errors fail it. Screenshots of each tab go to test/artifacts/ for review.
const missing = chromiumMissing();

/** The spiral run: 3 classes, 300 points, full batch, 2 hidden layers of 32 relu units, SGD with momentum 0.9. */
const SPIRAL = { dataset: 'spiral', op: 'relu', steps: 300, seed: 1, lr: 0.1, momentum: 0.9, width: 32, depth: 2 } as const;

/** PReLU's slopes start at 0.25 (one per hidden unit, learned by the same SGD). */
const PRELU_INIT = 0.25;

/** Ops the plots may leave out: they take a parameter tensor or change the shape. */
const NOT_ELEMENTWISE = ['prelu', 'maxout'];

type Demo = Omit<NonNullable<Window['__demo']>, 'train' | 'boundary'>;
type TrainReport = Awaited<ReturnType<NonNullable<Window['__demo']>['train']>>;
type BoundaryReport = Awaited<ReturnType<NonNullable<Window['__demo']>['boundary']>>;

/**
 * The boundary as drawn must be the network's, recomputed here from the same weights: the dense
 * layers in float64, each hidden activation by the CPU backend (on the layer's f32 inputs), the
 * softmax in float64. Every probability within 1e-4, and the same class wherever the CPU's top
 * two are more than 1e-3 apart. Returns the largest difference.
 */
async function expectCpuBoundary(b: BoundaryReport): Promise<number> {
  const cpu = await createActivations({ backend: 'cpu' });
  const g = b.points.length / 2;
  const layers = b.weights.length;
  let h: number[] = [...b.points];
  let width = 2;
  for (let l = 0; l < layers; l++) {
    const [w, bias, out] = [b.weights[l]!, b.biases[l]!, b.biases[l]!.length];
    const z = new Float64Array(g * out);
    for (let i = 0; i < g; i++) {
      for (let j = 0; j < out; j++) {
        let s = bias[j]!;
        for (let p = 0; p < width; p++) s += h[i * width + p]! * w[p * out + j]!;
        z[i * out + j] = s;
      }
    }
    h = l + 1 < layers ? [...(await cpu.forward(b.config.op as 'relu', cpu.tensor(Float32Array.from(z))).read())] : [...z];
    width = out;
  }
  expect(width).toBe(b.k);
  expect(b.probs).toHaveLength(g * b.k);
  let worst = 0;
  let compared = 0;
  for (let i = 0; i < g; i++) {
    const z = h.slice(i * b.k, (i + 1) * b.k);
    const m = Math.max(...z);
    const e = z.map((v) => Math.exp(v - m));
    const p = e.map((v) => v / e.reduce((s, u) => s + u, 0));
    const shown = b.probs.slice(i * b.k, (i + 1) * b.k);
    p.forEach((v, j) => {
      worst = Math.max(worst, Math.abs(v - shown[j]!));
      expect(Math.abs(v - shown[j]!), `point ${i} class ${j}: shown ${shown[j]}, CPU ${v}`).toBeLessThanOrEqual(1e-4);
    });
    const sorted = [...p].sort((u, v) => v - u);
    if (sorted[0]! - sorted[1]! > 1e-3) {
      compared++;
      expect(shown.indexOf(Math.max(...shown)), `point ${i}: the class shown`).toBe(p.indexOf(sorted[0]!));
    }
  }
  // The boundary crosses the grid: all 3 classes are shown, on most of the points decided.
  expect(compared).toBeGreaterThan(0.9 * g);
  const classes = new Set(Array.from({ length: g }, (_, i) => b.probs.slice(i * b.k, (i + 1) * b.k)).map((r) => r.indexOf(Math.max(...r))));
  expect(classes.size).toBe(b.k);
  cpu.dispose();
  return worst;
}

/** The ops that take rows, plotted along a line: the gated units at a = 1, b = x; the softmaxes of [x, 0]. */
const ROW_OPS = [...gatedNames, 'softmax', 'logSoftmax'] as const;

/**
 * What the page should plot for the row ops, on the CPU backend: gated rows [1, x] (y, and dy/db
 * from backward with dy = 1), softmax rows [x, 0] (column 0 of y, and of backward with dy = [1, 0]).
 */
async function cpuRowCurves(cpu: Activations, xs: readonly number[]): Promise<Record<string, { y: Float32Array; grad: number[] }>> {
  const n = xs.length;
  const rows = (pair: (x: number) => [number, number]) => cpu.tensor(xs.flatMap(pair), [n, 2]);
  const column = (v: Float32Array, c: number) => xs.map((_, i) => v[2 * i + c]!);
  const out: Record<string, { y: Float32Array; grad: number[] }> = {};
  const ab = rows((x) => [1, x]);
  for (const op of gatedNames) {
    const y = await cpu.forward(op, ab).read();
    const dx = await cpu
      .backward(op, {
        x: ab,
        dy: cpu.tensor(
          xs.map(() => 1),
          [n, 1],
        ),
      })
      .read();
    out[op] = { y, grad: column(dx, 1) };
  }
  const logits = rows((x) => [x, 0]);
  for (const op of ['softmax', 'logSoftmax'] as const) {
    const y = cpu.forward(op, logits);
    const dx = await cpu.backward(op, { y, dy: rows(() => [1, 0]) }).read();
    out[op] = { y: Float32Array.from(column(await y.read(), 0)), grad: column(dx, 0) };
  }
  return out;
}

/** Hand-worked in float64: each row op's plotted y and dy/dx at x (geglu's erf aside). */
const sigmoid64 = (x: number) => 1 / (1 + Math.exp(-x));
const ROW_MATHS: Record<string, (x: number) => [number, number]> = {
  glu: (x) => [sigmoid64(x), sigmoid64(x) * (1 - sigmoid64(x))],
  reglu: (x) => [Math.max(x, 0), x > 0 ? 1 : 0],
  swiglu: (x) => [x * sigmoid64(x), sigmoid64(x) + x * sigmoid64(x) * (1 - sigmoid64(x))],
  softmax: (x) => [sigmoid64(x), sigmoid64(x) * (1 - sigmoid64(x))],
  // log(e^x / (e^x + 1)) = -log(1 + e^-x), written for either sign; its derivative 1 - sigmoid(x).
  logSoftmax: (x) => [x < 0 ? x - Math.log1p(Math.exp(x)) : -Math.log1p(Math.exp(-x)), 1 - sigmoid64(x)],
};

/** Every plotted op, at every x range, must show what the CPU backend computes (exact ops bit for bit). */
async function expectCpuValues(demo: Demo): Promise<void> {
  const cpu = await createActivations({ backend: 'cpu' });
  const plotted = Object.keys(demo.ops);
  expect([...plotted, ...Object.keys(demo.skipped)].sort()).toEqual([...opNames, ...ROW_OPS].sort());
  for (const op of Object.keys(demo.skipped)) expect(NOT_ELEMENTWISE, `${op} left out: ${demo.skipped[op]}`).toContain(op);
  expect(Object.keys(demo.ranges).sort()).toEqual(['0.1', '1', '10']);
  expect(demo.ranges['0.1']!.xs.at(0)).toBeCloseTo(-0.1, 7);
  for (const [range, { xs, ops }] of Object.entries(demo.ranges)) {
    expect(Object.keys(ops).sort()).toEqual([...plotted].sort());
    const x = cpu.tensor(xs);
    const ones = cpu.tensor(xs.map(() => 1));
    const rowCurves = await cpuRowCurves(cpu, xs);
    for (const op of ROW_OPS) {
      const shown = ops[op]!;
      const cpuCurve = rowCurves[op]!;
      const close = (a: number, b: number) => Object.is(a, b) || Math.abs(a - b) <= 1e-5 * Math.max(1, Math.abs(b));
      expect(shown.y).toHaveLength(xs.length);
      shown.y.forEach((v, i) =>
        expect(close(v, cpuCurve.y[i]!), `[±${range}] ${op} at x = ${xs[i]}: ${v}, CPU ${cpuCurve.y[i]}`).toBe(true),
      );
      shown.grad.forEach((v, i) =>
        expect(close(v, cpuCurve.grad[i]!), `[±${range}] ${op}' at x = ${xs[i]}: ${v}, CPU ${cpuCurve.grad[i]}`).toBe(true),
      );
      const maths = ROW_MATHS[op];
      if (!maths) continue;
      xs.forEach((x, i) => {
        const [y64, grad64] = maths(x);
        const near = (a: number, b: number) => Math.abs(a - b) <= 1e-6 + 1e-5 * Math.abs(b);
        expect(near(shown.y[i]!, y64), `[±${range}] ${op} at x = ${x}: ${shown.y[i]}, float64 ${y64}`).toBe(true);
        expect(near(shown.grad[i]!, grad64), `[±${range}] ${op}' at x = ${x}: ${shown.grad[i]}, float64 ${grad64}`).toBe(true);
      });
    }
    for (const op of plotted.filter((name) => !(ROW_OPS as readonly string[]).includes(name)) as (typeof opNames)[number][]) {
      const y = await cpu.forward(op, x).read();
      const grad = await cpu.backward(op, { x, y: cpu.tensor(y), dy: ones }).read();
      const shown = ops[op]!;
      const exact = getOp(op).accuracy.kind === 'exact';
      const close = (a: number, b: number) => Object.is(a, b) || (!exact && Math.abs(a - b) <= 1e-5 * Math.max(1, Math.abs(b)));
      shown.y.forEach((v, i) => expect(close(v, y[i]!), `[±${range}] ${op}(${xs[i]}) = ${v}, CPU ${y[i]}`).toBe(true));
      shown.grad.forEach((v, i) => expect(close(v, grad[i]!), `[±${range}] ${op}'(${xs[i]}) = ${v}, CPU ${grad[i]}`).toBe(true));
    }
  }
  // Hand-worked points: relu(-10) = 0, relu(0) = 0 with gradient 0, relu(10) = 10 with gradient 1;
  // zoomed in, relu's gradient steps from 0 to 1 right after 0 and leakyRelu's from 0.01.
  const at = (v: number) => demo.xs.indexOf(v);
  const relu = demo.ops.relu!;
  expect([relu.y[at(-10)], relu.y[at(0)], relu.grad[at(0)], relu.y[at(10)], relu.grad[at(10)]]).toEqual([0, 0, 0, 10, 1]);
  const zoom = demo.ranges['0.1']!;
  const mid = zoom.xs.indexOf(0);
  expect([zoom.ops.relu!.grad[mid - 1], zoom.ops.relu!.grad[mid], zoom.ops.relu!.grad[mid + 1]]).toEqual([0, 0, 1]);
  expect(zoom.ops.leakyRelu!.grad[mid - 1]).toBeCloseTo(0.01, 7);
  cpu.dispose();
}

/** One drawn plot as the page's SVG has it: the y range shown, each curve's look and points. */
interface DrawnPlot {
  range: [number, number];
  curves: { op: string; stroke: string; dash: string; points: [number, number][] }[];
}

/** Both plots and the legend's swatches, read from the page's DOM. */
async function drawnPlots(page: Page): Promise<{ y: DrawnPlot; grad: DrawnPlot; legend: { op: string; stroke: string; dash: string }[] }> {
  return page.evaluate(() => {
    const read = (id: string) => {
      const svg = document.getElementById(id)!;
      const [lo, hi] = svg.getAttribute('data-y-range')!.split(' ').map(Number);
      const curves = [...svg.querySelectorAll('polyline')].map((l) => ({
        op: l.getAttribute('data-op')!,
        stroke: l.getAttribute('stroke')!,
        dash: l.getAttribute('stroke-dasharray') ?? '',
        points: l
          .getAttribute('points')!
          .split(' ')
          .map((p) => p.split(',').map(Number) as [number, number]),
      }));
      return { range: [lo!, hi!] as [number, number], curves };
    };
    const legend = [...document.querySelectorAll('#legend .curve-swatch')].map((s) => {
      const line = s.querySelector('line')!;
      return { op: s.getAttribute('data-op')!, stroke: line.getAttribute('stroke')!, dash: line.getAttribute('stroke-dasharray') ?? '' };
    });
    return { y: read('plot-y'), grad: read('plot-grad'), legend };
  });
}

/**
 * With every op checked, at every x range: each curve drawn is the op's values, unclipped (its
 * points, mapped back through the SVG's 640 x 360 frame with a 40 px margin, give the values
 * within the 0.1 px the points are written to), and no two curves share a colour and dash, the
 * legend showing each curve's. A screenshot of them all goes to `screenshot`.
 */
async function expectEveryCurveVisible(page: Page, demo: Demo, screenshot: string): Promise<void> {
  const boxes = await page.$$eval('#ops input', (inputs) => inputs.map((i) => [i.value, i.checked] as const));
  const unchecked = boxes.filter(([, on]) => !on).map(([op]) => op);
  for (const op of unchecked) await page.click(`#ops input[value="${op}"]`);
  const plotted = Object.keys(demo.ops);
  for (const range of ['10', '1', '0.1']) {
    await page.click(`#range input[value="${range}"]`);
    const drawn = await drawnPlots(page);
    const { xs, ops } = demo.ranges[range]!;
    const half = Number(range);
    for (const [which, plot] of [
      ['y', drawn.y],
      ['grad', drawn.grad],
    ] as const) {
      const [lo, hi] = plot.range;
      expect(plot.curves.map((c) => c.op).sort(), `[±${range}] ${which}: every op drawn`).toEqual([...plotted].sort());
      for (const curve of plot.curves) {
        const values = ops[curve.op]![which];
        expect(curve.points).toHaveLength(xs.length);
        curve.points.forEach(([px, py], i) => {
          const v = values[i]!;
          if (!Number.isFinite(v)) return;
          expect(Math.abs(px - (40 + ((xs[i]! + half) / (2 * half)) * 560)), `[±${range}] ${curve.op} x`).toBeLessThanOrEqual(0.06);
          const shown = lo + ((320 - py) / 280) * (hi - lo);
          const ok = Math.abs(shown - v) <= (0.06 / 280) * (hi - lo);
          expect(ok, `[±${range}] ${which} ${curve.op}(${xs[i]}) = ${v} drawn as ${shown} (y range [${lo}, ${hi}])`).toBe(true);
        });
      }
      const looks = plot.curves.map((c) => `${c.stroke} ${c.dash}`);
      expect(new Set(looks).size, `[±${range}] ${which}: curves that look alike: ${looks.join('; ')}`).toBe(plot.curves.length);
      const legend = Object.fromEntries(drawn.legend.map((l) => [l.op, `${l.stroke} ${l.dash}`]));
      plot.curves.forEach((c, i) => expect(legend[c.op], `the legend's swatch for ${c.op}`).toBe(looks[i]));
    }
  }
  await page.click('#range input[value="10"]');
  await page.screenshot({ path: screenshot, fullPage: true });
  for (const op of unchecked) await page.click(`#ops input[value="${op}"]`);
}

/** One line about a spiral run, for the log. */
const describeRun = (where: string, r: TrainReport) =>
  `[demo] ${where}: spiral, ${r.config.op} ${r.config.depth}x${r.config.width}, lr ${r.config.lr}: accuracy ${r.accuracy.toFixed(3)}, ` +
  `loss ${r.history[0]!.loss.toFixed(3)} -> ${r.loss.toFixed(4)}, first >= 95% at step ${r.firstStepAt95}, ` +
  `dead ${r.dead?.map((d) => d.toFixed(3)).join('/')}, ${r.steps} steps in ${r.ms.toFixed(0)} ms`;

describeIfAvailable('demo page, built, in headless Chromium', missing, () => {
  let harness: Harness | undefined;
  let page: Page;
  const consoleErrors: string[] = [];
  let demo: Demo;
  /** The GPU's spiral run, for the CPU's to be compared with. */
  let gpuSpiral: TrainReport | undefined;
  const dir = resolve(import.meta.dirname, '../artifacts');

  const open = async (
    width: number,
    height: number,
    mobile = false,
    browser: Browser = harness!.browser,
    errors: string[] = consoleErrors,
  ): Promise<Page> => {
    const p = await browser.newPage();
    await p.setViewport({ width, height, isMobile: mobile, hasTouch: mobile });
    p.on('console', (msg) => {
      console.log(`[demo] ${msg.text()}`);
      if (msg.type() === 'error') errors.push(msg.text());
    });
    p.on('pageerror', (err) => errors.push(String(err)));
    await p.goto(`${harness!.origin}/`);
    // Ready, or failed: main() writes 'Error: …' into the banner.
    await p.waitForFunction(() => window.__demo ?? document.getElementById('banner')!.textContent.startsWith('Error'), {
      timeout: 60_000,
    });
    if (!(await p.evaluate(() => window.__demo !== undefined))) throw new Error(await p.$eval('#banner', (el) => el.textContent));
    return p;
  };
  const showTab = async (p: Page, tab: 'plots' | 'train' | 'bench') => {
    await p.click(`#tab-${tab}`);
    await p.waitForFunction((id) => !document.getElementById(id)!.hidden, {}, `panel-${tab}`);
  };

  beforeAll(async () => {
    harness = await startHarness('preview');
    page = await open(1000, 900);
    demo = await page.evaluate(() => JSON.parse(JSON.stringify(window.__demo)) as Demo);
    mkdirSync(dir, { recursive: true });
    await page.screenshot({ path: `${dir}/demo-plots.png`, fullPage: true });
  });
  afterAll(async () => harness?.close());

  it('runs on the GPU and the banner names the SwiftShader adapter and its shader-f16 support', async () => {
    expect(demo.backend).toBe('webgpu');
    const banner = await page.$eval('#banner', (el) => el.textContent ?? '');
    expect(banner.toLowerCase()).toContain('swiftshader');
    expect(banner).toContain('shader-f16');
    expect(typeof demo.adapter?.f16Adapter).toBe('boolean');
    expect(`${demo.adapter?.vendor} ${demo.adapter?.architecture} ${demo.adapter?.description}`.toLowerCase()).toContain('swiftshader');
  });

  it('plots, for every op and every x range (the zoom on [-0.1, 0.1] too), the values the CPU backend computes', async () => {
    await expectCpuValues(demo);
    // The zoomed view is what the range control shows.
    await page.click('#range input[value="0.1"]');
    expect(await page.$eval('.range-label', (el) => el.textContent)).toBe('-0.1 to 0.1');
    await page.screenshot({ path: `${dir}/demo-zoom.png`, fullPage: true });
    await page.click('#range input[value="10"]');
    // The row ops in the picker and the legend, named by what is plotted, with the registry's formula.
    const rowBoxes = ['swiglu', 'geglu', 'softmax', 'logSoftmax'].map((op) => `#ops input[value="${op}"]`);
    for (const box of rowBoxes) await page.click(box);
    const legend = await page.$eval('#legend', (el) => el.textContent);
    expect(legend).toContain('swiglu(a = 1, b = x) a · silu(b)');
    expect(legend).toContain('softmax([x, 0])[0] exp(x − max) / Σ exp(x − max)');
    await page.screenshot({ path: `${dir}/demo-plots-rows.png`, fullPage: true });
    for (const box of rowBoxes) await page.click(box);
  });

  it('draws every op at once, at every x range, unclipped (logSoftmax down to -10 included), no two curves alike', async () => {
    await expectEveryCurveVisible(page, demo, `${dir}/demo-plots-all.png`);
  });

  it(`trains on the spiral to >= 95% accuracy in ${SPIRAL.steps} steps on the GPU, counting dead relu units per layer`, async () => {
    await showTab(page, 'train');
    const r = await page.evaluate((o) => window.__demo!.train(o), SPIRAL);
    gpuSpiral = r;
    const last = r.history[r.history.length - 1]!;
    console.log(describeRun('GPU', r));
    expect(r.steps).toBe(SPIRAL.steps);
    expect(r.accuracy).toBeGreaterThanOrEqual(0.95);
    expect(r.loss).toBeLessThan(r.history[0]!.loss / 4);
    expect(r.history.length).toBe(SPIRAL.steps / 10);
    // Dead units: one fraction per hidden layer, in [0, 1], in every sample and at the end, and on the page.
    expect(r.dead).toHaveLength(SPIRAL.depth);
    for (const s of [...r.history, { dead: r.dead }]) {
      expect(s.dead).toHaveLength(SPIRAL.depth);
      for (const d of s.dead!) expect(d >= 0 && d <= 1).toBe(true);
    }
    expect(last.step).toBe(SPIRAL.steps);
    const status = await page.$eval('#train-status', (el) => el.textContent ?? '');
    expect(status).toMatch(/dead units: layer 1 [\d.]+%, layer 2 [\d.]+%/);
    await page.screenshot({ path: `${dir}/demo-train.png`, fullPage: true });
  });

  it("draws the decision boundary with the hidden layers' relu fused into their matmuls (wgslFunctions), as the CPU computes it", async () => {
    const b = await page.evaluate(() => window.__demo!.boundary());
    expect(b.config.op).toBe('relu');
    expect(b.fused).toBe(true);
    expect(b.points).toHaveLength(2 * 64 * 64);
    const worst = await expectCpuBoundary(b);
    console.log(`[demo] GPU boundary (fused): ${b.points.length / 2} points, largest difference from the CPU's ${worst.toExponential(2)}`);
  });

  it('counts dying relu units at a high learning rate (lr 1: a quarter or more of a layer dead within 100 steps)', async () => {
    const r = await page.evaluate((o) => window.__demo!.train(o), { ...SPIRAL, lr: 1, steps: 100 });
    console.log(
      `[demo] spiral, relu, lr 1: dead ${r.dead?.map((d) => d.toFixed(3)).join('/')} after 100 steps, accuracy ${r.accuracy.toFixed(3)}`,
    );
    // How many die depends on rounding (the run is chaotic at this rate), that many die does not.
    expect(Math.max(...r.history[0]!.dead!)).toBeLessThan(0.2);
    expect(Math.max(...r.dead!)).toBeGreaterThanOrEqual(0.25);
    expect(r.accuracy).toBeLessThan(0.95);
  });

  it(`prelu learns its slopes: the same spiral run reaches >= 95% in ${SPIRAL.steps} steps and the slopes move from ${PRELU_INIT}`, async () => {
    const r = await page.evaluate((o) => window.__demo!.train(o), { ...SPIRAL, op: 'prelu' as const });
    const moved = r.alpha?.map((a) => a.filter((v) => Math.abs(v - PRELU_INIT) > 0.05).length);
    console.log(
      `[demo] spiral, prelu ${SPIRAL.depth}x${SPIRAL.width}, lr ${SPIRAL.lr}: accuracy ${r.accuracy.toFixed(3)}, loss ` +
        `${r.history[0]!.loss.toFixed(3)} -> ${r.loss.toFixed(4)}, first >= 95% at step ${r.firstStepAt95}, mean slopes ` +
        `${r.slopes?.map((a) => a.toFixed(3)).join('/')}, slopes off 0.25 by > 0.05: ${moved?.join('/')} of ${SPIRAL.width}, ` +
        `${r.steps} steps in ${r.ms.toFixed(0)} ms`,
    );
    expect(r.steps).toBe(SPIRAL.steps);
    expect(r.accuracy).toBeGreaterThanOrEqual(0.95);
    expect(r.loss).toBeLessThan(r.history[0]!.loss / 4);
    // One slope per hidden unit, all finite, and the run learned them: most moved well away from 0.25.
    expect(r.alpha).toHaveLength(SPIRAL.depth);
    for (const a of r.alpha!) {
      expect(a).toHaveLength(SPIRAL.width);
      for (const v of a) expect(Number.isFinite(v), `slope ${v}`).toBe(true);
      expect(a.filter((v) => Math.abs(v - PRELU_INIT) > 0.05).length).toBeGreaterThanOrEqual(SPIRAL.width / 2);
    }
    expect(r.slopes).toHaveLength(SPIRAL.depth);
    r.slopes!.forEach((m, l) => expect(m).toBeCloseTo(r.alpha![l]!.reduce((s, v) => s + v, 0) / SPIRAL.width, 5));
    expect(r.history.every((s) => s.slopes?.length === SPIRAL.depth)).toBe(true);
    // PReLU's units cannot die (below 0 they pass slope·dy): no dead count, the slopes instead.
    expect(r.dead).toBeNull();
    const status = await page.$eval('#train-status', (el) => el.textContent ?? '');
    expect(status).toMatch(/dead units: n\/a · mean slope: layer 1 -?[\d.]+, layer 2 -?[\d.]+$/);
    await page.screenshot({ path: `${dir}/demo-train-prelu.png`, fullPage: true });
  });

  it('at lr 1 leakyRelu keeps its units but does not learn the spiral, and prelu diverges (as the page says)', async () => {
    const leaky = await page.evaluate((o) => window.__demo!.train(o), { ...SPIRAL, op: 'leakyRelu' as const, lr: 1, steps: 100 });
    const prelu = await page.evaluate((o) => window.__demo!.train(o), { ...SPIRAL, op: 'prelu' as const, lr: 1, steps: 50 });
    console.log(
      `[demo] spiral, lr 1: leakyRelu accuracy ${leaky.accuracy.toFixed(3)} after 100 steps; prelu loss ` +
        `${prelu.history.map((s) => (Number.isFinite(s.loss) ? s.loss.toPrecision(3) : 'NaN')).join(' ')} (every 10 steps)`,
    );
    expect(leaky.accuracy).toBeLessThan(0.95);
    expect(Number.isFinite(leaky.loss)).toBe(true);
    // NaN comes back through page.evaluate's JSON as null: not finite either way.
    expect(Number.isFinite(prelu.loss)).toBe(false);
    expect(Number.isFinite(prelu.history[0]!.loss)).toBe(true);
    expect(await page.$eval('#train-status', (el) => el.textContent ?? '')).toContain('loss NaN (diverged)');
  });

  it('says n/a for dead units where units cannot die (leakyRelu, though its layer keeps a mask)', async () => {
    const r = await page.evaluate((o) => window.__demo!.train(o), { ...SPIRAL, op: 'leakyRelu' as const, steps: 20 });
    expect(r.dead).toBeNull();
    expect(r.history.every((s) => s.dead === null)).toBe(true);
    expect(await page.$eval('#train-status', (el) => el.textContent ?? '')).toContain('dead units: n/a');
  });

  it('Start runs the live loop (animation frames) and Stop stops it', async () => {
    await page.click('#train-start');
    await page.waitForFunction(() => /^step ([4-9]\d|\d{3,}) /.test(document.getElementById('train-status')!.textContent), {
      timeout: 30_000,
    });
    expect(await page.$eval('#train-start', (el) => el.textContent)).toBe('Stop');
    await page.click('#train-start');
    await page.waitForFunction(() => document.getElementById('train-start')!.textContent === 'Start');
    const stopped = await page.$eval('#train-status', (el) => el.textContent);
    await new Promise((r) => setTimeout(r, 300));
    expect(await page.$eval('#train-status', (el) => el.textContent)).toBe(stopped);
  });

  it('benchmark: relu forward and a copy at 2^10 and 2^12 give finite, positive throughputs', async () => {
    await showTab(page, 'bench');
    await page.select('#bench-controls select[name=from]', '10');
    await page.select('#bench-controls select[name=to]', '12');
    await page.click('#bench-run');
    const rows = (await (await page.waitForFunction(() => window.__demo?.bench, { timeout: 60_000 })).jsonValue())!;
    expect(rows.map((r) => r.elements)).toEqual([2 ** 10, 2 ** 12]);
    for (const r of rows) {
      for (const v of [r.reluMs, r.copyMs, r.reluGBs, r.copyGBs, r.ratio])
        expect(Number.isFinite(v) && v > 0, JSON.stringify(r)).toBe(true);
    }
    expect(await page.$$eval('#bench-table tbody tr', (trs) => trs.length)).toBe(2);
    await page.screenshot({ path: `${dir}/demo-bench.png`, fullPage: true });
  });

  it('benchmark: pauses a training run that is going on while it times, then lets it go on', async () => {
    await showTab(page, 'train');
    await page.click('#train-start');
    expect(await page.$eval('#train-start', (el) => el.textContent)).toBe('Stop');
    await showTab(page, 'bench');
    await page.evaluate(() => {
      delete window.__demo!.bench;
    });
    await page.click('#bench-run');
    await page.waitForFunction(() => window.__demo?.bench, { timeout: 60_000 });
    expect(await page.evaluate(() => window.__demo!.benchPausedTraining)).toBe(true);
    expect(await page.$eval('#bench-status', (el) => el.textContent)).toContain('Training was paused while timing');
    expect(await page.$eval('#train-start', (el) => el.textContent)).toBe('Stop');
    await showTab(page, 'train');
    await page.click('#train-start'); // stop it again
    await page.waitForFunction(() => document.getElementById('train-start')!.textContent === 'Start');
  });

  it('fits a 390x844 phone: no horizontal scroll on any tab', async () => {
    const phone = await open(390, 844, true);
    for (const tab of ['train', 'bench', 'plots'] as const) {
      await showTab(phone, tab);
      const [scrollWidth, innerWidth] = await phone.evaluate(() => [document.documentElement.scrollWidth, window.innerWidth]);
      expect(scrollWidth, `${tab} tab`).toBeLessThanOrEqual(innerWidth!);
      expect(innerWidth).toBe(390);
    }
    await phone.screenshot({ path: `${dir}/demo-phone.png`, fullPage: true });
    await showTab(phone, 'train');
    await phone.evaluate((o) => window.__demo!.train(o), { ...SPIRAL, steps: 50 });
    const [scrollWidth, innerWidth] = await phone.evaluate(() => [document.documentElement.scrollWidth, window.innerWidth]);
    expect(scrollWidth, 'train tab after training').toBeLessThanOrEqual(innerWidth!);
    await phone.screenshot({ path: `${dir}/demo-phone-train.png`, fullPage: true });
    await phone.close();
  });

  it('logs no errors', () => {
    expect(consoleErrors).toEqual([]);
  });

  describe('without WebGPU: the CPU fallback', () => {
    let chromium: Awaited<ReturnType<typeof launchChromium>> | undefined;
    let cpuPage: Page;
    let cpuDemo: Demo;
    /** What the page itself sees of WebGPU (asked again after the library asked). */
    let probe: string;
    const cpuErrors: string[] = [];

    beforeAll(async () => {
      chromium = await launchChromium({ webgpu: false });
      cpuPage = await open(1000, 900, false, chromium.browser, cpuErrors);
      probe = await cpuPage.evaluate(async () => {
        if (!('gpu' in navigator)) return 'no navigator.gpu';
        const adapter = await navigator.gpu.requestAdapter();
        return adapter ? `an adapter: ${adapter.info.vendor} ${adapter.info.description}` : 'requestAdapter() resolved to null';
      });
      cpuDemo = await cpuPage.evaluate(() => JSON.parse(JSON.stringify(window.__demo)) as Demo);
    });
    afterAll(async () => chromium?.close());

    it('the browser offers no WebGPU adapter, and the banner says the page fell back to the CPU, and why', async () => {
      console.log(`[demo] no-WebGPU Chromium: ${probe}; the library's reason: ${cpuDemo.fallbackReason}`);
      expect(['no navigator.gpu', 'requestAdapter() resolved to null']).toContain(probe);
      expect(cpuDemo.backend).toBe('cpu');
      expect(cpuDemo.fallbackReason).toMatch(/requestAdapter|navigator\.gpu/);
      const banner = await cpuPage.$eval('#banner', (el) => el.textContent ?? '');
      expect(banner).toContain('running on the CPU backend');
      expect(banner).toContain(cpuDemo.fallbackReason);
      expect(await cpuPage.$eval('#banner', (el) => el.className)).toBe('banner cpu');
      expect(await cpuPage.$eval('#where', (el) => el.textContent)).toBe('CPU (fallback)');
    });

    it('plots the values the CPU backend computes, at every x range', async () => {
      await expectCpuValues(cpuDemo);
    });

    it(`trains the spiral on the CPU to >= 95% in ${SPIRAL.steps} steps, from the same weights as on the GPU`, async () => {
      await showTab(cpuPage, 'train');
      expect(await cpuPage.$eval('#panel-train h2', (el) => el.textContent)).toBe('Train a small MLP on the CPU');
      expect(await cpuPage.$eval('#train-how', (el) => el.textContent)).toMatch(/^No WebGPU on this page, so every step runs on the CPU/);
      expect(await cpuPage.$eval('#train-status', (el) => el.textContent)).toMatch(/training on the CPU \(no WebGPU\)\.$/);
      const r = await cpuPage.evaluate((o) => window.__demo!.train(o), SPIRAL);
      console.log(describeRun('CPU', r));
      expect(r.steps).toBe(SPIRAL.steps);
      expect(r.accuracy).toBeGreaterThanOrEqual(0.95);
      expect(r.loss).toBeLessThan(r.history[0]!.loss / 4);
      expect(r.history.length).toBe(SPIRAL.steps / 10);
      // Dead relu units are counted on the CPU too (the library's layer, its 1-bit mask and readActivity).
      expect(r.dead).toHaveLength(SPIRAL.depth);
      for (const s of [...r.history, { dead: r.dead }]) for (const d of s.dead!) expect(d >= 0 && d <= 1).toBe(true);
      // The same seeded weights and data: after 10 steps the loss is the GPU's but for f32 rounding
      // (the CPU sums in f64, the GPU in f32).
      if (gpuSpiral) {
        const [cpu10, gpu10] = [r.history[0]!.loss, gpuSpiral.history[0]!.loss];
        expect(Math.abs(cpu10 - gpu10), `loss at step 10: CPU ${cpu10}, GPU ${gpu10}`).toBeLessThanOrEqual(1e-3 * gpu10);
      }
      const status = await cpuPage.$eval('#train-status', (el) => el.textContent ?? '');
      expect(status).toMatch(/^step 300 · .* dead units: layer 1 [\d.]+%, layer 2 [\d.]+%/);
      await cpuPage.screenshot({ path: `${dir}/demo-cpu.png`, fullPage: true });
    });

    it('draws the decision boundary as the CPU computes it from the same weights', async () => {
      const b = await cpuPage.evaluate(() => window.__demo!.boundary());
      expect(b.fused).toBe(false);
      const worst = await expectCpuBoundary(b);
      console.log(`[demo] CPU-fallback boundary: largest difference from the reference ${worst.toExponential(2)}`);
    });

    it('Start runs the live loop on the CPU and Stop stops it', async () => {
      await cpuPage.click('#train-reset');
      await cpuPage.click('#train-start');
      await cpuPage.waitForFunction(() => /^step ([2-9]\d|\d{3,}) /.test(document.getElementById('train-status')!.textContent), {
        timeout: 30_000,
      });
      await cpuPage.click('#train-start');
      await cpuPage.waitForFunction(() => document.getElementById('train-start')!.textContent === 'Start');
      const stopped = await cpuPage.$eval('#train-status', (el) => el.textContent);
      await new Promise((r) => setTimeout(r, 300));
      expect(await cpuPage.$eval('#train-status', (el) => el.textContent)).toBe(stopped);
    });

    it('the benchmark times the CPU backend (relu forward against Float32Array.set) and says so', async () => {
      await showTab(cpuPage, 'bench');
      expect(await cpuPage.$eval('#panel-bench h2', (el) => el.textContent)).toContain('on the CPU (no WebGPU here)');
      expect(await cpuPage.$eval('#bench-note', (el) => el.textContent)).toContain("times the library's CPU backend");
      await cpuPage.select('#bench-controls select[name=from]', '10');
      await cpuPage.select('#bench-controls select[name=to]', '12');
      await cpuPage.click('#bench-run');
      const rows = (await (await cpuPage.waitForFunction(() => window.__demo?.bench, { timeout: 60_000 })).jsonValue())!;
      expect(rows.map((r) => [r.backend, r.elements])).toEqual([
        ['cpu', 2 ** 10],
        ['cpu', 2 ** 12],
      ]);
      for (const r of rows) {
        for (const v of [r.reluMs, r.copyMs, r.reluGBs, r.copyGBs, r.ratio])
          expect(Number.isFinite(v) && v > 0, JSON.stringify(r)).toBe(true);
      }
    });

    it('fits a 390x844 phone: no horizontal scroll on any tab', async () => {
      const phone = await open(390, 844, true, chromium!.browser, cpuErrors);
      for (const tab of ['train', 'bench', 'plots'] as const) {
        await showTab(phone, tab);
        const [scrollWidth, innerWidth] = await phone.evaluate(() => [document.documentElement.scrollWidth, window.innerWidth]);
        expect(scrollWidth, `${tab} tab`).toBeLessThanOrEqual(innerWidth!);
      }
      await phone.close();
    });

    it('logs no errors', () => {
      expect(cpuErrors).toEqual([]);
    });
  });
});
