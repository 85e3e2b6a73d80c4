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
 */
export async function startHarness(serve: 'repo' | 'demo' | 'preview' = 'repo'): Promise<Harness> {
  const server = serve === 'preview' ? await previewDemo() : await devServer(serve);
  const origin = server.origin;
  const profile = mkdtempSync(join(tmpdir(), 'wga-chromium-'));
  const browser = await puppeteer.launch({
    executablePath: chromePath,
    headless: true,
    args: [...CHROMIUM_FLAGS, `--user-data-dir=${profile}`],
  });
  return {
    browser,
    origin,
    async close() {
      await browser.close();
      await server.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

/** Vite's dev server on a free port: the repository root, or the demo through vite.config.ts. */
async function devServer(serve: 'repo' | 'demo'): Promise<{ origin: string; close(): Promise<void> }> {
  const server = await createServer({
    ...(serve === 'repo' ? { configFile: false, root: repoRoot } : { configFile: resolve(repoRoot, 'vite.config.ts') }),
    logLevel: 'warn',
    server: { host: '127.0.0.1', port: 0, strictPort: false, hmr: false },
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
