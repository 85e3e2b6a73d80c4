import { spawn } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { build } from 'vite';
import type { BrowserReport } from '../browser/report.js';

const root = resolve(import.meta.dirname, '../..');
/** The `deno` npm package's launcher. */
export const denoBin = resolve(root, 'node_modules/.bin/deno');

/** Mesa's lavapipe Vulkan driver (Debian mesa-vulkan-drivers): the adapter wgpu uses here. */
export function lavapipeIcd(): string | undefined {
  const dir = '/usr/share/vulkan/icd.d';
  const file = existsSync(dir) ? readdirSync(dir).find((f) => f.startsWith('lvp_icd')) : undefined;
  return file && resolve(dir, file);
}

/** Why the Deno suite cannot run here, or undefined. */
export function denoMissing(): string | undefined {
  if (!existsSync(denoBin)) return `no deno at ${denoBin} (npm install)`;
  if (!lavapipeIcd()) return 'no lavapipe Vulkan driver in /usr/share/vulkan/icd.d (apt-get install mesa-vulkan-drivers)';
  return undefined;
}

/** Bundles test/deno/suite.ts with Vite, runs it under Deno on lavapipe, returns its report. */
/** The suite's report, and the fallback reason Deno gave for a GPU with no adapter (null: none given). */
export type DenoReport = BrowserReport & { readonly noAdapterReason?: string | null | undefined };

export async function runDenoSuite(log: (line: string) => void): Promise<DenoReport> {
  const outDir = resolve(root, 'test/.generated/deno');
  await build({
    configFile: false,
    root,
    logLevel: 'warn',
    build: {
      outDir,
      emptyOutDir: true,
      minify: false,
      target: 'es2022',
      lib: { entry: resolve(root, 'test/deno/suite.ts'), formats: ['es'], fileName: 'suite' },
      // One file: split chunks can import each other in a cycle (the suite's dynamic import of
      // src/index.js), and a cycle through the entry's top-level await never settles in Deno.
      rollupOptions: { output: { codeSplitting: false } },
    },
  });
  const bundle = resolve(outDir, 'suite.js');
  return new Promise((resolvePromise, reject) => {
    const child = spawn(denoBin, ['run', '--allow-read', '--allow-env', bundle], {
      env: { ...process.env, VK_ICD_FILENAMES: lavapipeIcd(), NO_COLOR: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let report: BrowserReport | undefined;
    let noAdapterReason: string | null | undefined;
    let pending = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      pending += chunk;
      const lines = pending.split('\n');
      pending = lines.pop()!;
      for (const line of lines) {
        if (line.startsWith('@@report ')) report = JSON.parse(line.slice('@@report '.length)) as BrowserReport;
        else if (line.startsWith('@@noAdapter ')) noAdapterReason = JSON.parse(line.slice('@@noAdapter '.length)) as string | null;
        else log(line);
      }
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      for (const line of chunk.split('\n')) if (line.trim() && !line.includes('XDG_RUNTIME_DIR')) log(`stderr: ${line}`);
    });
    child.on('error', reject);
    child.on('close', (code) => {
      if (pending.startsWith('@@report ')) report = JSON.parse(pending.slice('@@report '.length)) as BrowserReport;
      if (report) resolvePromise({ ...report, noAdapterReason });
      else reject(new Error(`deno exited with code ${code} and no report`));
    });
  });
}
