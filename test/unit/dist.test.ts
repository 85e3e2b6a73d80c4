import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import type * as Api from '../../src/index.js';
import { nodeGpu } from '../helpers/node-gpu.js';

// The published build: dist/ must run in plain Node with the WGSL inlined (no bundler, no
// .wgsl files to fetch). `npm test` builds it before running Vitest.
const dist = resolve(import.meta.dirname, '../../dist/index.js');
const pkg = JSON.parse(readFileSync(resolve(import.meta.dirname, '../../package.json'), 'utf8')) as {
  exports: Record<string, { types: string; import: string }>;
};

describe('the built package (dist/)', () => {
  it('exists, with the types the exports map names', () => {
    expect(existsSync(dist), 'dist/index.js is missing: run `npm run build`').toBe(true);
    expect(pkg.exports['.']!.import).toBe('./dist/index.js');
    expect(existsSync(resolve(import.meta.dirname, '../..', pkg.exports['.']!.types))).toBe(true);
  });

  it('inlines the WGSL instead of importing it', () => {
    const code = readFileSync(dist, 'utf8');
    expect(code).not.toMatch(/(import|from)\s*\(?\s*['"][^'"]*\.wgsl/);
    expect(code).not.toMatch(/\?raw['"]/);
    expect(code).toContain('fn backward_main');
  });

  it('runs relu on the CPU backend and on Dawn when Node has an adapter', async () => {
    const { createActivations } = (await import(dist)) as typeof Api;
    const cpu = await createActivations({ backend: 'cpu' });
    const x = cpu.tensor([-2, -0, 0.5, 3]);
    expect([...(await cpu.forward('relu', x).read())]).toEqual([0, 0, 0.5, 3]);
    const found = await nodeGpu();
    if ('reason' in found) {
      if (process.env.CI === 'true') throw new Error(found.reason);
      console.warn(`[dist] WebGPU half skipped, because ${found.reason}`);
      return;
    }
    const gpu = await createActivations({ backend: 'webgpu', gpu: found.gpu });
    const gx = gpu.tensor([-2, -0, 0.5, 3]);
    expect([...(await gpu.forward('relu', gx).read())]).toEqual([0, 0, 0.5, 3]);
    expect([...(await gpu.backward('relu', { x: gx, dy: gpu.tensor([1, 1, 1, 1]) }).read())]).toEqual([0, 0, 1, 1]);
    gpu.dispose();
  });
});
