import type { Page } from 'puppeteer-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { INSECURE_HOST, chromiumMissing, launchChromium, startHarness, type Harness } from '../helpers/chromium.js';
import { describeIfAvailable } from '../helpers/requirements.js';
import type { WorkerReport, WorkerRun } from './worker.js';

// The library in a dedicated module worker (worker.ts, started by worker-page.ts), in headless
// Chromium served by the Vite harness: on WebGPU where the worker has an adapter, on the CPU with
// a GPU object that offers none, in a Chromium with no WebGPU adapter at all, and on an http origin
// that is not a secure context (no navigator.gpu there). relu forward and backward are checked
// against values worked by hand, as bits; the fallback reasons must be worded for a browser's
// worker, not for Node.
const missing = chromiumMissing();

const bits = (values: readonly number[]) => Array.from(new Uint32Array(Float32Array.from(values).buffer));
/** The inputs: -2, -0, 0, 0.5, 3, -Inf, Inf, NaN (payload 1), the smallest subnormal, its negative. */
const X = [0xc0000000, 0x80000000, 0, 0x3f000000, 0x40400000, 0xff800000, 0x7f800000, 0x7fc00001, 0x00000001, 0x80000001];
const DY = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
/** relu(x): negatives and both zeros to +0, the rest (NaN with its payload, the subnormal) as they are. */
const Y = [0, 0, 0, 0x3f000000, 0x40400000, 0, 0x7f800000, 0x7fc00001, 0x00000001, 0];
/** dy where x > 0 or x is NaN, else 0. */
const DX = bits([0, 0, 0, 4, 5, 0, 7, 8, 9, 0]);

/** A reason worded for a browser or its worker: no Node hints (Dawn's package, Vulkan's loader). */
const NODE_WORDS = /VK_ICD_FILENAMES|Vulkan|'webgpu' package|npm install/;

function expectRelu(run: WorkerRun | undefined): void {
  expect(run, 'the worker sent no run').toBeDefined();
  expect(run!.x).toEqual(X);
  expect(run!.dy).toEqual(DY);
  expect(run!.y, 'relu(x), as bits').toEqual(Y);
  expect(run!.dx, 'relu backward, as bits').toEqual(DX);
}

/** Opens the worker page and waits for the worker's report; page errors and console errors are collected. */
async function openWorkerPage(page: Page, origin: string, errors: string[], label: string): Promise<WorkerReport> {
  page.on('console', (msg) => {
    console.log(`[worker ${label}] ${msg.text()}`);
    if (msg.type() === 'error') errors.push(msg.text());
  });
  page.on('pageerror', (err) => errors.push(`page error: ${String(err)}`));
  await page.goto(`${origin}/test/browser/worker.html`);
  const handle = await page.waitForFunction(() => window.__worker, { timeout: 120_000, polling: 100 });
  return (await handle.jsonValue()) as WorkerReport;
}

describeIfAvailable('the library in a dedicated module worker, in headless Chromium', missing, () => {
  let harness: Harness | undefined;
  let chromium: Awaited<ReturnType<typeof launchChromium>> | undefined;
  let report: WorkerReport = {};
  let noGpu: WorkerReport = {};
  let insecure: WorkerReport = {};
  const errors: string[] = [];
  const noGpuErrors: string[] = [];
  const insecureErrors: string[] = [];

  beforeAll(async () => {
    harness = await startHarness('repo', { insecureHost: true });
    report = await openWorkerPage(await harness.browser.newPage(), harness.origin, errors, 'webgpu');
    // The same server and browser, on an origin that is not a secure context.
    const insecureOrigin = harness.origin.replace('127.0.0.1', INSECURE_HOST);
    expect(insecureOrigin).toMatch(/^http:\/\/insecure\.wga\.test:\d+$/);
    insecure = await openWorkerPage(await harness.browser.newPage(), insecureOrigin, insecureErrors, 'insecure');
    // The same server, opened by a Chromium that offers no WebGPU adapter.
    chromium = await launchChromium({ webgpu: false });
    noGpu = await openWorkerPage(await chromium.browser.newPage(), harness.origin, noGpuErrors, 'no webgpu');
  });
  afterAll(async () => {
    await chromium?.close();
    await harness?.close();
  });

  describe('in a Chromium with WebGPU (SwiftShader)', () => {
    it('runs in a dedicated worker: no window, navigator.gpu there, a secure context, no errors', () => {
      expect(report.fatal).toBeUndefined();
      expect(report.scope).toEqual({ worker: true, window: false, gpu: true, secure: true });
      expect(errors).toEqual([]);
    });

    it('createActivations() picks WebGPU, and relu forward and backward give the values worked by hand', () => {
      expect(report.auto?.fallbackReason).toBeUndefined();
      expect(report.auto?.backend).toBe('webgpu');
      expectRelu(report.auto);
    });

    it("with a GPU that offers no adapter, 'auto' falls back to the CPU, says why in a browser's words, and gives the same values", () => {
      const run = report.noAdapter;
      expect(run?.backend).toBe('cpu');
      expect(run?.cpuKernels).toBe('wasm-simd');
      expect(run?.fallbackReason).toMatch(/^requestAdapter\(\) returned null: no WebGPU adapter is available \(.*chrome:\/\/gpu\)$/);
      expect(run?.fallbackReason).not.toMatch(NODE_WORDS);
      expectRelu(run);
    });

    it("with that GPU, 'webgpu' rejects with WebGPUUnavailableError, in the same words", () => {
      expect(report.refused).toMatchObject({ name: 'WebGPUUnavailableError', code: 'ERR_WEBGPU_UNAVAILABLE' });
      expect(report.refused?.message).toContain(report.noAdapter?.fallbackReason ?? '(no reason)');
    });
  });

  describe('in a Chromium without a WebGPU adapter', () => {
    it("createActivations() falls back to the CPU, says why in a browser's words, and gives the same values", () => {
      expect(noGpu.fatal).toBeUndefined();
      expect(noGpu.scope).toMatchObject({ worker: true, window: false, secure: true });
      console.log(`[worker no webgpu] navigator.gpu: ${noGpu.scope?.gpu}; reason: ${noGpu.auto?.fallbackReason}`);
      expect(noGpu.auto?.backend).toBe('cpu');
      expect(noGpu.auto?.fallbackReason).toMatch(/^(requestAdapter\(\) returned null: .*chrome:\/\/gpu\)|navigator\.gpu is missing .*)$/);
      expect(noGpu.auto?.fallbackReason).not.toMatch(NODE_WORDS);
      expectRelu(noGpu.auto);
      expectRelu(noGpu.noAdapter);
      expect(noGpuErrors).toEqual([]);
    });
  });

  describe('on an http origin that is not a secure context', () => {
    it('createActivations() falls back to the CPU, saying the worker is not in a secure context, with the same values', () => {
      expect(insecure.fatal).toBeUndefined();
      expect(insecure.scope).toEqual({ worker: true, window: false, gpu: false, secure: false });
      expect(insecure.auto?.backend).toBe('cpu');
      expect(insecure.auto?.fallbackReason).toBe(
        'navigator.gpu is missing because the page (or the worker) is not a secure context (serve it over https or from localhost)',
      );
      expectRelu(insecure.auto);
      expectRelu(insecure.noAdapter);
      expect(insecureErrors).toEqual([]);
    });
  });
});
