import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { extname, join, normalize, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromiumMissing, launchChromium } from '../helpers/chromium.js';
import { nodeGpu } from '../helpers/node-gpu.js';

// The package as a user gets it: `npm pack` of the built tree, installed into an empty consumer
// project, then type-checked (strict, skipLibCheck: false, with and without the consumer naming
// @webgpu/types), linted by publint and are-the-types-wrong, run in plain Node on the CPU and on
// Dawn, and loaded by headless Chromium from a plain HTML page with an import map (no bundler) and
// from a module worker that page starts (by the file's URL: the page's import map does not reach it).
// `npm test` builds dist/ before Vitest runs.
const root = resolve(import.meta.dirname, '../..');
const bin = (name: string) => join(root, 'node_modules/.bin', name);
let dir = '';
let tarball = '';

function run(command: string, args: readonly string[], cwd: string, env: NodeJS.ProcessEnv = process.env): string {
  try {
    return execFileSync(command, args, { cwd, env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (e) {
    const { stdout, stderr } = e as { stdout?: string; stderr?: string };
    throw new Error(`${command} ${args.join(' ')} failed:\n${stdout ?? ''}${stderr ?? ''}`);
  }
}

/** The consumer's JSON line of results. */
function consumerRun(backend: 'cpu' | 'webgpu', env: NodeJS.ProcessEnv): Record<string, unknown> {
  const out = run('node', ['consumer.js', backend], dir, env).trim().split('\n');
  return JSON.parse(out[out.length - 1]!) as Record<string, unknown>;
}

describe('the packed package, in a consumer project', () => {
  beforeAll(() => {
    expect(existsSync(join(root, 'dist/index.js')), 'dist/ is missing: run `npm run build`').toBe(true);
    dir = mkdtempSync(join(tmpdir(), 'wa-consumer-'));
    const packed = JSON.parse(run('npm', ['pack', '--json', '--pack-destination', dir], root)) as {
      filename: string;
      files: { path: string }[];
    }[];
    tarball = join(dir, packed[0]!.filename);
    writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module' }));
    // Offline first: the registry's copy of our one dependency is in npm's cache after `npm ci`.
    run('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', '--ignore-scripts', tarball], dir);
    cpSync(join(root, 'test/package/consumer.ts'), join(dir, 'consumer.ts'));
    cpSync(join(root, 'test/package/tsconfig.json'), join(dir, 'tsconfig.json'));
  });
  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('ships only what a user can use: the build, its types, README and LICENSE', () => {
    const files = run('tar', ['-tzf', tarball], dir).trim().split('\n');
    expect(files).toContain('package/dist/index.js');
    expect(files).toContain('package/dist/index.d.ts');
    expect(files).toContain('package/LICENSE');
    expect(files).toContain('package/README.md');
    const stray = files.filter((f) => !/^package\/(dist\/.*\.(js|js\.map|d\.ts)|README\.md|LICENSE|package\.json)$/.test(f));
    expect(stray).toEqual([]);
  });

  it('type-checks a consumer of the whole API: strict, skipLibCheck false, without naming @webgpu/types', () => {
    run('node', [join(root, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.json'], dir);
  });

  it('type-checks the same with the consumer naming @webgpu/types in its tsconfig', () => {
    const config = JSON.parse(readFileSync(join(dir, 'tsconfig.json'), 'utf8')) as { compilerOptions: Record<string, unknown> };
    config.compilerOptions.types = ['@webgpu/types'];
    writeFileSync(join(dir, 'tsconfig.types.json'), JSON.stringify(config));
    run('node', [join(root, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.types.json'], dir);
  });

  it('passes publint (strict) and are-the-types-wrong (ESM-only profile)', () => {
    expect(run(bin('publint'), ['--strict'], root)).toMatch(/All good/);
    run(bin('attw'), [tarball, '--profile', 'esm-only', '--format', 'ascii'], root);
  });

  it('runs in plain Node on the CPU backend and on Dawn, with the values worked by hand', async () => {
    // JSON carries no -0: a signed zero reads back as 0 here (the conformance suites check the bits).
    // Type-stripped by the TypeScript compiler the consumer would use; run as plain JavaScript.
    run(
      'node',
      [join(root, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.json', '--noEmit', 'false', '--outDir', '.', '--skipLibCheck'],
      dir,
    );
    const expected = {
      relu: [0, 0, 0.5, 3],
      leaky: [-1, 0, 0.5, 3],
      dx: [0, 0, 1, 1],
      prelu: [-0.5, 0, 0.5, 3],
      dalpha: [-2, 0],
      preluByName: [-0.5, 0, 0.5, 3],
      maxout: [0, 3],
      maxoutDx: [0, 1, 0, 1],
      half: ['f16', 0, 0x3c00],
      layer: [0, 0, 0.5, 3, 0, 0, 1, 1],
      dead: 0,
      layers: ['x', 'x', '2x2'],
      refused: 'UnknownOpError',
      errors: 10,
      ops: true,
      f16: true,
      fusion: ['act_forward', 'vec4<f32>', true], // alpha 0.5 is 0x3f000000
    };
    expect(consumerRun('cpu', process.env)).toEqual({ ...expected, backend: 'cpu', adapter: true, into: 'no buffers on the CPU' });
    const found = await nodeGpu(); // sets VK_ICD_FILENAMES for Dawn where SwiftShader is there
    if ('reason' in found) {
      if (process.env.CI === 'true') throw new Error(found.reason);
      console.warn(`[package] WebGPU half skipped, because ${found.reason}`);
      return;
    }
    // The optional peer: the user installs it next to us.
    symlinkSync(join(root, 'node_modules/webgpu'), join(dir, 'node_modules/webgpu'), 'dir');
    expect(consumerRun('webgpu', process.env)).toEqual({ ...expected, backend: 'webgpu', adapter: true, into: 'ran' });
  });

  it('runs in headless Chromium from a plain page with an import map, and in a module worker it starts', async () => {
    const missing = chromiumMissing();
    if (missing) {
      if (process.env.CI === 'true') throw new Error(missing);
      console.warn(`[package] Chromium half skipped, because ${missing}`);
      return;
    }
    // The README's import map, then relu forward and backward, in the page and in a dedicated module
    // worker (docs/runtimes.md): Chromium applies no import map inside a worker, so the worker
    // imports the built file by its URL. The page reports both through its title.
    writeFileSync(
      join(dir, 'index.html'),
      `<!doctype html><script type="importmap">
  { "imports": { "webgpu-activations": "/node_modules/webgpu-activations/dist/index.js" } }
</script>
<script type="module">
  import { createActivations } from 'webgpu-activations';
  const acts = await createActivations();
  const x = acts.tensor([-2, -0, 0.5, 3]);
  const y = await acts.forward('relu', x).read();
  const dx = await acts.backward('relu', { x, dy: acts.tensor([1, 1, 1, 1]) }).read();
  const page = { backend: acts.backend, y: [...y], dx: [...dx] };
  const worker = new Worker('/worker.js', { type: 'module' });
  worker.onerror = (e) => (document.title = JSON.stringify({ page, worker: 'error: ' + (e.message || 'the worker did not load') }));
  worker.onmessage = (e) => (document.title = JSON.stringify({ page, worker: e.data }));
</script>`,
    );
    writeFileSync(
      join(dir, 'worker.js'),
      `import { createActivations } from '/node_modules/webgpu-activations/dist/index.js';
const acts = await createActivations();
const x = acts.tensor([-2, -0, 0.5, 3]);
const y = await acts.forward('relu', x).read();
const dx = await acts.backward('relu', { x, dy: acts.tensor([1, 1, 1, 1]) }).read();
postMessage({ backend: acts.backend, y: [...y], dx: [...dx] });
`,
    );
    const types: Record<string, string> = { '.html': 'text/html', '.js': 'text/javascript', '.map': 'application/json' };
    const server = createServer((req, res) => {
      const path = normalize(join(dir, decodeURIComponent((req.url ?? '/').split('?')[0]!)));
      const file = path.endsWith('/') ? join(path, 'index.html') : path;
      if (!file.startsWith(dir) || !existsSync(file)) {
        res.writeHead(404).end();
        return;
      }
      res.writeHead(200, { 'content-type': types[extname(file)] ?? 'application/octet-stream' }).end(readFileSync(file));
    });
    await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
    const chromium = await launchChromium();
    try {
      const page = await chromium.browser.newPage();
      const errors: string[] = [];
      page.on('pageerror', (e) => errors.push(String(e)));
      await page.goto(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`);
      await page
        .waitForFunction(() => document.title.startsWith('{') || document.title === 'error', { timeout: 60_000 })
        .catch(() => undefined);
      const title = await page.title();
      expect(errors).toEqual([]);
      const relu = { backend: 'webgpu', y: [0, 0, 0.5, 3], dx: [0, 0, 1, 1] };
      expect(JSON.parse(title)).toEqual({ page: relu, worker: relu });
    } finally {
      await chromium.close();
      server.close();
    }
  });
});
