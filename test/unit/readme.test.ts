import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { nodeGpu } from '../helpers/node-gpu.js';

// Runs the README's "Use it" example as written (only the package import is pointed at src/) and
// checks each array it logs against the `// Float32Array [...]` comment on that line.
const root = resolve(import.meta.dirname, '../..');
const readme = readFileSync(resolve(root, 'README.md'), 'utf8');
const block = /## Use it\s+```ts\n([\s\S]*?)```/.exec(readme)?.[1];

function parseComment(line: string): number[] | undefined {
  const m = /\/\/ Float32Array \[(.*)\]/.exec(line);
  return m?.[1]!.split(',').map((s) => Number(s.trim()));
}

describe("the README's example", () => {
  const logged: unknown[][] = [];
  const spy = vi.spyOn(console, 'log').mockImplementation((...args: unknown[]) => void logged.push(args));
  afterAll(() => spy.mockRestore());

  it('runs as written and prints what its comments say', async () => {
    expect(block, 'no ```ts block under "## Use it"').toBeDefined();
    const found = await nodeGpu(); // sets VK_ICD_FILENAMES for Dawn when SwiftShader is there
    const dir = resolve(root, 'test/.generated');
    mkdirSync(dir, { recursive: true });
    const file = resolve(dir, 'readme-example.ts');
    writeFileSync(file, block!.replace("from 'webgpu-activations'", "from '../../src/index.js'"));
    await import(/* @vite-ignore */ file);
    const expected = block!
      .split('\n')
      .filter((l) => l.includes('console.log('))
      .map(parseComment);
    expect(logged).toHaveLength(expected.length);
    const [backend] = logged[0]!;
    expect(backend).toBe('reason' in found ? 'cpu' : 'webgpu');
    expected.forEach((values, i) => {
      if (!values) return;
      const got = logged[i]![0];
      expect(got).toBeInstanceOf(Float32Array);
      expect([...(got as Float32Array)]).toEqual(values);
    });
  });
});
