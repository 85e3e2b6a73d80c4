// The Chromium half of `npm run bench`: serves the repository root with Vite on 127.0.0.1 (a
// secure context, so navigator.gpu exists), opens bench/browser/index.html in headless Chromium
// through puppeteer-core, and collects what the page timed (bench/browser/page.ts). The launch
// mirrors test/helpers/chromium.ts (its chromePath, CHROMIUM_FLAGS and startHarness), which this
// plain-JS script cannot import; keep the two in step.
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import puppeteer from 'puppeteer-core';
import { createServer } from 'vite';

/** The Chromium to drive: CHROME_PATH, else Debian's /usr/bin/chromium. */
const chromePath = process.env.CHROME_PATH ?? '/usr/bin/chromium';

/** Why the Chromium bench cannot run here, or undefined when it can. */
export function chromiumMissing() {
  return existsSync(chromePath) ? undefined : `no Chromium at ${chromePath} (apt-get install chromium, or set CHROME_PATH)`;
}

/** test/helpers/chromium.ts's CHROMIUM_FLAGS; SwiftShader unless the system's GPU is asked for. */
function chromiumFlags(systemVulkan) {
  return [
    '--no-sandbox',
    '--enable-unsafe-webgpu',
    '--enable-features=Vulkan',
    // SwiftShader, as the tests use; with --system-vulkan, whatever GPU Chromium finds.
    ...(systemVulkan ? ['--ignore-gpu-blocklist'] : ['--use-webgpu-adapter=swiftshader']),
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
    '--no-first-run',
    '--disable-quic',
    // Extra flags for a real GPU, e.g. BENCH_CHROMIUM_ARGS='--use-angle=vulkan --ignore-gpu-blocklist'.
    ...(process.env.BENCH_CHROMIUM_ARGS?.split(/\s+/).filter(Boolean) ?? []),
  ];
}

/** Runs the page's bench and returns its result ({ meta, rows }), with the browser's version added. */
export async function runChromiumBench({ root, sizes, reps, overheadCalls, systemVulkan, log, only }) {
  const server = await createServer({
    configFile: false,
    root,
    logLevel: 'warn',
    // Our own dependency cache, so this never rewrites the one the test harness's server uses.
    cacheDir: resolve(root, 'node_modules/.vite-bench'),
    optimizeDeps: {
      entries: ['bench/browser/index.html'],
      include: ['@tensorflow/tfjs-core', '@tensorflow/tfjs-backend-webgpu'],
      // ONNX Runtime Web finds its .wasm next to itself; served as it is, it needs no pre-bundling.
      exclude: ['onnxruntime-web'],
    },
    server: { host: '127.0.0.1', port: 0, strictPort: false, hmr: false },
  });
  await server.listen();
  const origin = server.resolvedUrls?.local[0]?.replace(/\/$/, '');
  const profile = mkdtempSync(join(tmpdir(), 'wga-bench-chromium-'));
  let browser;
  try {
    if (!origin) throw new Error('the Vite server reported no local URL');
    const args = chromiumFlags(systemVulkan);
    browser = await puppeteer.launch({ executablePath: chromePath, headless: true, args: [...args, `--user-data-dir=${profile}`] });
    const version = await browser.version();
    const page = await browser.newPage();
    page.on('console', (msg) => {
      if (!msg.text().startsWith('[vite]')) log(`[chromium] ${msg.text()}`);
    });
    page.on('pageerror', (err) => log(`[chromium] page error: ${String(err)}`));
    const query = new URLSearchParams({
      sizes: sizes.join(','),
      reps: String(reps),
      calls: String(overheadCalls),
      ...(only ? { only } : {}),
    });
    await page.goto(`${origin}/bench/browser/index.html?${query}`);
    // Poll rather than waitForFunction: a long run would outlast puppeteer's protocol timeout.
    const deadline = Date.now() + 20 * 60_000;
    let result;
    while (!(result = await page.evaluate(() => window.__bench))) {
      if (Date.now() > deadline) throw new Error('the bench page gave no result within 20 minutes');
      await new Promise((r) => setTimeout(r, 500));
    }
    if (result.fatal) throw new Error(`the bench page failed: ${result.fatal}`);
    result.meta.runtime = version;
    result.meta.versions.chromium = version;
    for (const pkg of ['@tensorflow/tfjs-core', '@tensorflow/tfjs-backend-webgpu', 'onnxruntime-web', 'vite', 'puppeteer-core']) {
      result.meta.versions[pkg] = JSON.parse(readFileSync(resolve(root, 'node_modules', pkg, 'package.json'), 'utf8')).version;
    }
    const { versions } = result.meta;
    result.meta.environment.splice(
      1,
      0,
      `${version}, flags: ${args.join(' ')}`,
      `packages: @tensorflow/tfjs-core ${versions['@tensorflow/tfjs-core']}, @tensorflow/tfjs-backend-webgpu ${versions['@tensorflow/tfjs-backend-webgpu']}, onnxruntime-web ${versions['onnxruntime-web']}`,
    );
    return result;
  } finally {
    await browser?.close();
    await server.close();
    rmSync(profile, { recursive: true, force: true });
  }
}
