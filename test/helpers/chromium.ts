import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import puppeteer, { type Browser } from 'puppeteer-core';
import { build, createServer, preview } from 'vite';

/** The Chromium the harness drives: CHROME_PATH, else Debian's /usr/bin/chromium. */
export const chromePath = process.env.CHROME_PATH ?? '/usr/bin/chromium';

/** Why the browser suite cannot run here, or undefined when it can. */
export function chromiumMissing(): string | undefined {
  return existsSync(chromePath) ? undefined : `no Chromium at ${chromePath} (apt-get install chromium, or set CHROME_PATH)`;
}

/** Flags that give headless Chromium WebGPU on SwiftShader and keep it off the network. */
export const CHROMIUM_FLAGS = [
  '--no-sandbox',
  '--enable-unsafe-webgpu',
  '--enable-features=Vulkan',
  '--use-webgpu-adapter=swiftshader',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
];

/** The flags of {@link CHROMIUM_FLAGS} that turn WebGPU on. */
const WEBGPU_FLAGS = ['--enable-unsafe-webgpu', '--enable-features=Vulkan', '--use-webgpu-adapter=swiftshader'];

/**
 * Flags for a Chromium with no WebGPU adapter: CHROMIUM_FLAGS without the WebGPU ones, and the GPU
 * process's hardware access off. navigator.gpu may still exist, but requestAdapter() resolves to
 * null (headless Linux Chromium offers no adapter unless told to), so the library falls back to
 * its CPU backend. Tests check that in the page rather than trust the flags.
 */
export const NO_WEBGPU_FLAGS = [...CHROMIUM_FLAGS.filter((f) => !WEBGPU_FLAGS.includes(f)), '--disable-gpu'];

/**
 * A host name that the harness's Vite servers answer to and that {@link launchChromium} with
 * `insecureHost` resolves to 127.0.0.1: an http origin that is not a secure context (127.0.0.1 and
 * localhost are), so navigator.gpu is missing there, in pages and workers alike.
 */
export const INSECURE_HOST = 'insecure.wga.test';

/** How to launch the harness's Chromium. */
export interface LaunchOptions {
  /** WebGPU on SwiftShader (default true); false launches with {@link NO_WEBGPU_FLAGS}. */
  readonly webgpu?: boolean;
  /** Resolve {@link INSECURE_HOST} to 127.0.0.1, and never try https for it (default false). */
  readonly insecureHost?: boolean;
}

/** A headless Chromium with its own throwaway profile; close() removes the profile. */
export async function launchChromium(options: LaunchOptions = {}): Promise<{ browser: Browser; close(): Promise<void> }> {
  const profile = mkdtempSync(join(tmpdir(), 'wga-chromium-'));
  const flags = [...((options.webgpu ?? true) ? CHROMIUM_FLAGS : NO_WEBGPU_FLAGS)];
  if (options.insecureHost) flags.push(`--host-resolver-rules=MAP ${INSECURE_HOST} 127.0.0.1`, '--disable-features=HttpsUpgrades');
  const browser = await puppeteer.launch({ executablePath: chromePath, headless: true, args: [...flags, `--user-data-dir=${profile}`] });
  return {
    browser,
    async close() {
      await browser.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

export interface Harness {
  readonly browser: Browser;
  readonly origin: string;
  close(): Promise<void>;
}

const repoRoot = resolve(import.meta.dirname, '../..');

/**
 * Serves pages with Vite on 127.0.0.1 (a secure context, so navigator.gpu exists) and launches
 * headless Chromium. 'repo' serves the repository root (the conformance page); 'demo' uses the
 * project's vite.config.ts, exactly what `npm run demo` serves; 'preview' builds the demo with
 * that config (`vite build`, into dist-demo/) and serves the built files with `vite preview`.
 * `options.webgpu: false` launches Chromium without WebGPU (see {@link NO_WEBGPU_FLAGS}); to
 * open the same server in both, launch the second with {@link launchChromium}.
 */
export async function startHarness(serve: 'repo' | 'demo' | 'preview' = 'repo', options: LaunchOptions = {}): Promise<Harness> {
  const server = serve === 'preview' ? await previewDemo() : await devServer(serve);
  const origin = server.origin;
  const chromium = await launchChromium(options);
  return {
    browser: chromium.browser,
    origin,
    async close() {
      await chromium.close();
      await server.close();
    },
  };
}

/** Vite's dev server on a free port: the repository root, or the demo through vite.config.ts. */
async function devServer(serve: 'repo' | 'demo'): Promise<{ origin: string; close(): Promise<void> }> {
  const server = await createServer({
    ...(serve === 'repo' ? { configFile: false, root: repoRoot } : { configFile: resolve(repoRoot, 'vite.config.ts') }),
    logLevel: 'warn',
    server: { host: '127.0.0.1', port: 0, strictPort: false, hmr: false, allowedHosts: [INSECURE_HOST] },
  });
  await server.listen();
  const origin = server.resolvedUrls?.local[0]?.replace(/\/$/, '');
  if (!origin) throw new Error('the Vite server reported no local URL');
  return { origin, close: () => server.close() };
}

/** `vite build` of the demo with the project's config (into dist-demo/), then `vite preview` of it on a free port. */
async function previewDemo(): Promise<{ origin: string; close(): Promise<void> }> {
  const configFile = resolve(repoRoot, 'vite.config.ts');
  await build({ configFile, logLevel: 'warn' });
  const server = await preview({ configFile, logLevel: 'warn', preview: { host: '127.0.0.1', port: 0, strictPort: false } });
  const origin = server.resolvedUrls?.local[0]?.replace(/\/$/, '');
  if (!origin) throw new Error('vite preview reported no local URL');
  return { origin, close: () => server.close() };
}
