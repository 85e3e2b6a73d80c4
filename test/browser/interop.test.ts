import { afterAll, beforeAll, expect, it } from 'vitest';
import { createActivations, type Activations, type OpName } from '../../src/index.js';
import { getOp } from '../../src/ops/registry.js';
import { chromiumMissing, startHarness, type Harness } from '../helpers/chromium.js';
import { expectBits } from '../helpers/compare.js';
import { SPECIAL_BITS, bitsOf, fromBits, hex, toBits, ulpDistance } from '../helpers/float.js';
import { describeIfAvailable } from '../helpers/requirements.js';
import type { CheckReport, InteropReport } from './interop-page.js';
import { RECIPES, RECIPE_PAGE, RECIPE_RUNNER, writeInteropRecipes, type Recipe, type RecipeName } from './interop-recipes.js';

// Zero-copy interop in headless Chromium: interop-page.ts runs our ops on TensorFlow.js's and
// ONNX Runtime Web's GPU buffers, on their devices, and sends back the bits it saw. Here each
// check is compared with the CPU backend (bit for bit for the exact ops) or, for gelu, with our
// own GPU tensors on the same device. Then docs/interop.md's two recipes run as written: this
// file writes each block into a module the page imports (interop-recipes.ts), the page hands it
// the reader's variables, and the results are checked the same way. Any console error on the
// page fails the run.
const missing = chromiumMissing();

const N = 1001;
const CHECKS = {
  tfjsDevice: 'tfjs: our instance runs on the GPUDevice of tfjs-backend-webgpu',
  tfjsRelu: 'tfjs: relu forward and backward on dataToGPU() buffers, encoded into our encoder, output in a tfjs tensor',
  tfjsOffset: 'tfjs: leakyRelu at byte offset 28 of a tfjs buffer, read by tfjs from a tensor over our buffer (zeroCopy)',
  tfjsGelu: 'tfjs: gelu forward and backward on tfjs buffers equal our own tensors, bit for bit',
  tfjsAfter: 'tfjs: our instance disposed, tfjs still runs on its device',
  ortDevice: 'ort: our instance runs on the GPUDevice of the WebGPU execution provider',
  ortRelu: 'ort: Relu session reads our tensor through Tensor.fromGpuBuffer',
  ortOps: 'ort: relu, leakyRelu and gelu on an ORT output buffer, encoded into our encoder',
  tfjsRecipe: `docs: ${RECIPE_PAGE}'s ${RECIPES.tfjs.framework} recipe, as written`,
  ortRecipe: `docs: ${RECIPE_PAGE}'s ${RECIPES.ort.framework} recipe, as written`,
} as const;

/** GPUBufferUsage.STORAGE (Node has no GPUBufferUsage global). */
const GPU_STORAGE = 0x80;
const isNan = (b: number) => (b & 0x7fffffff) > 0x7f800000;
/** Not NaN, not ±0, not subnormal: where every ReLU implementation must agree with ours. */
const ordinary = (b: number) => !isNan(b) && (b & 0x7f800000) !== 0;
const show = (b: number) => `${Object.is(fromBits(b), -0) ? '-0' : String(fromBits(b))} (${hex(b)})`;
const u32 = (bits: readonly number[]) => Uint32Array.from(bits);
const f32 = (bits: readonly number[]) => new Float32Array(u32(bits).buffer);

describeIfAvailable('interop with TensorFlow.js and ONNX Runtime Web in headless Chromium', missing, () => {
  let harness: Harness | undefined;
  let report: InteropReport | undefined;
  let cpu: Activations;
  let recipes: Recipe[] = [];
  const consoleErrors: string[] = [];

  beforeAll(async () => {
    cpu = await createActivations({ backend: 'cpu' });
    recipes = writeInteropRecipes();
    harness = await startHarness();
    const page = await harness.browser.newPage();
    page.on('console', (msg) => {
      console.log(`[interop] ${msg.text()}`);
      if (msg.type() === 'error') consoleErrors.push(msg.text());
    });
    page.on('pageerror', (err) => consoleErrors.push(`page error: ${String(err)}`));
    await page.goto(`${harness.origin}/test/browser/interop.html`);
    const handle = await page.waitForFunction(() => window.__interop, { timeout: 280_000, polling: 250 });
    report = await handle.jsonValue();
  });
  afterAll(async () => {
    cpu?.dispose();
    await harness?.close();
  });

  /** The CPU backend's answer, as bits. */
  async function onCpu(op: OpName, direction: 'forward' | 'backward', x: readonly number[], dy?: readonly number[], attrs = {}) {
    const tx = cpu.tensor(f32(x));
    const out = direction === 'forward' ? cpu.forward(op, tx, attrs) : cpu.backward(op, { x: tx, dy: cpu.tensor(f32(dy!)) }, attrs);
    return u32(Array.from(bitsOf(await out.read())));
  }

  function result(name: string): CheckReport {
    if (!report) throw new Error('the page reported nothing');
    const r = report.checks[name];
    if (!r) throw new Error(`the page reported no result for this check${report.fatal ? `: ${report.fatal}` : ''}`);
    if (!r.ok) throw new Error(r.error);
    return r;
  }

  const bits = (r: CheckReport, key: string) => {
    const b = r.bits[key];
    if (!b) throw new Error(`the page sent no '${key}'`);
    return b;
  };

  /** Elements where `other` (another library's relu) differs from ours, grouped by input. */
  function reluDifferences(x: readonly number[], ours: Uint32Array, other: readonly number[]): string[] {
    const seen = new Map<string, string>();
    x.forEach((xb, i) => {
      if (ours[i] === other[i]) return;
      const kind = isNan(xb) ? 'NaN' : (xb & 0x7fffffff) === 0 ? 'zero' : 'subnormal';
      seen.set(`${kind} ${hex(xb)}`, `relu(${show(xb)}): ours ${show(ours[i]!)}, theirs ${show(other[i]!)}`);
    });
    return [...seen.values()];
  }

  it('reports every check, on the page inputs, without console errors', () => {
    expect(report?.fatal).toBeUndefined();
    console.log(`[interop] versions ${JSON.stringify(report?.versions)}, adapters ${JSON.stringify(report?.adapters)}`);
    expect(Object.keys(report?.checks ?? {}).sort()).toEqual(Object.values(CHECKS).sort());
    expect(report?.params.n).toBe(N);
    expect(report?.inputs.x.slice(0, SPECIAL_BITS.length)).toEqual(SPECIAL_BITS);
    expect(report?.inputs.dy.length).toBe(N);
    expect(consoleErrors).toEqual([]);
  });

  it(`takes the ${RECIPES.tfjs.framework} and ${RECIPES.ort.framework} recipes from ${RECIPE_PAGE}, each naming this file`, () => {
    const names: RecipeName[] = recipes.map((r) => r.name);
    expect(names).toEqual(['tfjs', 'ort']);
    for (const r of recipes) expect(r.runner, r.where).toBe(RECIPE_RUNNER);
    expect(recipes.map((r) => r.yours)).toEqual([
      ['x', 'dy', 'n'],
      ['model', 'data', 'n'],
    ]);
  });

  it(CHECKS.tfjsDevice, () => {
    const r = result(CHECKS.tfjsDevice);
    expect(r.facts).toMatchObject({ tfjsBackend: 'webgpu', sameDevice: true, ourBackend: 'webgpu' });
  });

  it(CHECKS.tfjsRelu, async () => {
    const r = result(CHECKS.tfjsRelu);
    const { x, dy } = report!.inputs;
    const sentinel = toBits(report!.params.sentinel);
    // Encoding submitted nothing, and nothing ran before the page submitted the encoder.
    expect(r.facts.submitsWhileEncoding).toBe(0);
    expect(new Set(bits(r, 'yBeforeSubmit'))).toEqual(new Set([sentinel]));
    expect(new Set(bits(r, 'dxBeforeSubmit'))).toEqual(new Set([sentinel]));
    expect(bits(r, 'xAsTfjsHolds')).toEqual(x); // tfjs kept every payload
    expect(Number(r.facts.bufferUsage) & GPU_STORAGE).toBe(GPU_STORAGE); // dataToGPU()'s buffer binds as storage
    const inputs = { x: f32(x), dy: f32(dy) };
    const y = await onCpu('relu', 'forward', x);
    expectBits('relu(x) read by tfjs from its tensor', f32(bits(r, 'y')), y, inputs);
    expectBits('relu backward into our tensor', f32(bits(r, 'dx')), await onCpu('relu', 'backward', x, dy), inputs);
    // tf.relu agrees on every ordinary input; where it differs (NaN, -0, subnormals) is a finding.
    const tfRelu = bits(r, 'tfRelu');
    x.forEach((xb, i) => {
      if (ordinary(xb)) expect(tfRelu[i], `tf.relu(${show(xb)})`).toBe(y[i]);
    });
    console.log(`[interop] tf.relu differs from ours on:\n  ${reluDifferences(x, y, tfRelu).join('\n  ') || 'nothing'}`);
  });

  it(CHECKS.tfjsOffset, async () => {
    const r = result(CHECKS.tfjsOffset);
    const { x } = report!.inputs;
    const { alpha, pad } = report!.params;
    const expected = await onCpu('leakyRelu', 'forward', x, undefined, { alpha });
    expectBits('leakyRelu(x at byte offset 28) read by tfjs', f32(bits(r, 'y')), expected, { x: f32(x) });
    expect(bits(r, 'yOurs')).toEqual(bits(r, 'y'));
    // tfjs-backend-webgpu 4.22 reads a tensor made from a GPUBuffer to the buffer's end: ours
    // holds 1001 floats in a 4096-byte buffer (the pool's size class), so data() gives 1024 values.
    // The page keeps the first N.
    expect(r.facts.tfjsReadLength).toBeGreaterThanOrEqual(N);
    console.log(`[interop] tf.tensor({ buffer }, [${N}]).data() returned ${r.facts.tfjsReadLength} values`);
    expect(bits(r, 'padding')).toEqual(Array<number>(pad).fill(toBits(-5)));
    expect(bits(r, 'yAfterTfjsDispose')).toEqual(bits(r, 'y')); // zeroCopy: disposing it left our buffer alone
    expect(Number(r.facts.ourBufferUsage) & GPU_STORAGE).toBe(GPU_STORAGE);
  });

  it(CHECKS.tfjsGelu, () => {
    const r = result(CHECKS.tfjsGelu);
    const { x, dy } = report!.inputs;
    const inputs = { x: f32(x), dy: f32(dy) };
    expectBits('gelu(x) on tfjs buffers vs our tensors', f32(bits(r, 'y')), u32(bits(r, 'yOwn')), inputs);
    expectBits('gelu backward on tfjs buffers vs our tensors', f32(bits(r, 'dx')), u32(bits(r, 'dxOwn')), inputs);
  });

  it(`${CHECKS.tfjsGelu}, and within gelu's ULP bound of the CPU backend`, async () => {
    const r = result(CHECKS.tfjsGelu);
    const { x, dy } = report!.inputs;
    const { accuracy } = getOp('gelu');
    if (accuracy.kind !== 'ulp') throw new Error('gelu is expected to have a ULP bound');
    const within = (label: string, got: readonly number[], expected: Uint32Array, bound: number) =>
      got.forEach((g, i) => {
        const e = expected[i]!;
        if ((e & 0x7f800000) === 0 && (g & 0x7f800000) === 0) return; // zeros and subnormals: adapters may flush
        const d = ulpDistance(g, e);
        expect(d, `${label} at x = ${show(x[i]!)}: got ${show(g)}, CPU ${show(e)}`).toBeLessThanOrEqual(bound);
      });
    within('gelu', bits(r, 'y'), await onCpu('gelu', 'forward', x), accuracy.forward);
    within('gelu backward', bits(r, 'dx'), await onCpu('gelu', 'backward', x, dy), accuracy.backward);
  });

  it(CHECKS.tfjsAfter, () => {
    expect(result(CHECKS.tfjsAfter).facts).toMatchObject({ after: '1,0', deviceLost: false });
  });

  it(CHECKS.ortDevice, () => {
    const r = result(CHECKS.ortDevice);
    expect(r.facts).toMatchObject({ sameDevice: true, ourBackend: 'webgpu' });
    console.log(`[interop] ort.env.webgpu.device after the first session: ${r.facts.envDeviceIsPromise ? 'a Promise' : 'the GPUDevice'}`);
  });

  it(CHECKS.ortRelu, async () => {
    const r = result(CHECKS.ortRelu);
    const { x } = report!.inputs;
    expect(r.facts.location).toBe('gpu-buffer');
    const y = await onCpu('relu', 'forward', x);
    const ortRelu = bits(r, 'ortRelu');
    x.forEach((xb, i) => {
      if (ordinary(xb)) expect(ortRelu[i], `ORT Relu(${show(xb)})`).toBe(y[i]);
    });
    console.log(`[interop] ORT's Relu differs from ours on:\n  ${reluDifferences(x, y, ortRelu).join('\n  ') || 'nothing'}`);
  });

  it(CHECKS.ortOps, async () => {
    const r = result(CHECKS.ortOps);
    const { x, dy } = report!.inputs;
    const sentinel = toBits(report!.params.sentinel);
    expect(r.facts).toMatchObject({ location: 'gpu-buffer', ortOwnsTheBuffer: true });
    expect(bits(r, 'ortX')).toEqual(x); // Identity copied every bit into ORT's buffer
    expect(Number(r.facts.bufferUsage) & GPU_STORAGE).toBe(GPU_STORAGE);
    expect(r.facts.submitsWhileEncoding).toBe(0);
    expect(new Set(bits(r, 'yBeforeSubmit'))).toEqual(new Set([sentinel]));
    const inputs = { x: f32(x), dy: f32(dy) };
    const y = await onCpu('relu', 'forward', x);
    expectBits('relu(ORT buffer)', f32(bits(r, 'y')), y, inputs);
    expectBits('relu backward(ORT buffer)', f32(bits(r, 'dx')), await onCpu('relu', 'backward', x, dy), inputs);
    const leaky = await onCpu('leakyRelu', 'forward', x, undefined, { alpha: report!.params.alpha });
    expectBits('leakyRelu(ORT buffer)', f32(bits(r, 'leaky')), leaky, inputs);
    expectBits('gelu(ORT buffer) vs our tensors', f32(bits(r, 'gelu')), u32(bits(r, 'geluOwn')), inputs);
    // ORT's Relu read our output in place: relu is idempotent, so it returns it unchanged where
    // ORT's Relu agrees with ours (not on NaN, nor on subnormals, which it flushes here).
    const again = bits(r, 'ortReluOfOurs');
    y.forEach((yb, i) => {
      if (ordinary(yb)) expect(again[i], `ORT Relu(${show(yb)}), our output`).toBe(yb);
    });
  });

  it(`${CHECKS.tfjsRecipe}: relu forward and backward on tfjs's buffers equal the CPU backend, bit for bit`, async () => {
    const r = result(CHECKS.tfjsRecipe);
    const { x, dy } = report!.inputs;
    expect(r.facts).toMatchObject({ sameDevice: true, ourBackend: 'webgpu' });
    const inputs = { x: f32(x), dy: f32(dy) };
    expectBits("the recipe's y, read by tfjs", f32(bits(r, 'y')), await onCpu('relu', 'forward', x), inputs);
    expectBits("the recipe's dx, our tensor", f32(bits(r, 'dx')), await onCpu('relu', 'backward', x, dy), inputs);
  });

  it(`${CHECKS.ortRecipe}: gelu of the model's output equals our own tensors, and is within gelu's ULP bound of the CPU backend`, async () => {
    const r = result(CHECKS.ortRecipe);
    const { x } = report!.inputs;
    expect(r.facts).toMatchObject({ sameDevice: true, ourBackend: 'webgpu' });
    // The page's model is Identity, so the recipe's h is gelu(data), and data is the page's x.
    expectBits("the recipe's h vs gelu on our own tensor", f32(bits(r, 'h')), u32(bits(r, 'hOwn')), { x: f32(x) });
    const { accuracy } = getOp('gelu');
    if (accuracy.kind !== 'ulp') throw new Error('gelu is expected to have a ULP bound');
    const cpuGelu = await onCpu('gelu', 'forward', x);
    bits(r, 'h').forEach((g, i) => {
      const e = cpuGelu[i]!;
      if ((e & 0x7f800000) === 0 && (g & 0x7f800000) === 0) return; // zeros and subnormals: adapters may flush
      expect(ulpDistance(g, e), `gelu at x = ${show(x[i]!)}: got ${show(g)}, CPU ${show(e)}`).toBeLessThanOrEqual(accuracy.forward);
    });
  });
});
