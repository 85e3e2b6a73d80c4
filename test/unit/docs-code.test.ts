import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { expect, it } from 'vitest';
import { nodeGpu } from '../helpers/node-gpu.js';
import { describeIfAvailable } from '../helpers/requirements.js';

// Every ```ts block in README.md, CONTRIBUTING.md and docs/*.md runs as written in Node (the
// package import pointed at src/, WebGPU through Dawn), so the docs cannot drift from the API.
// A block may be exempted only by an HTML comment just above it that says why: a sketch whose
// functions are the reader's own, or a recipe for a browser page with another framework (those
// steps run in test/browser/interop-page.ts). At most three are.
const root = resolve(import.meta.dirname, '../..');
const pages = [
  'README.md',
  'CONTRIBUTING.md',
  ...readdirSync(join(root, 'docs'))
    .filter((f) => f.endsWith('.md'))
    .map((f) => `docs/${f}`),
];

interface Block {
  readonly where: string;
  readonly code: string;
  readonly exempt?: string;
}

const blocks: Block[] = pages.flatMap((page) => {
  const text = readFileSync(join(root, page), 'utf8');
  return [...text.matchAll(/(?:<!--\s*([\s\S]*?)\s*-->\s*\n)?```ts\n([\s\S]*?)```/g)].map((m) => {
    const line = text.slice(0, m.index).split('\n').length;
    return { where: `${page}:${line}`, code: m[2]!, ...(m[1] ? { exempt: m[1] } : {}) };
  });
});

const found = await nodeGpu();
// Node's `webgpu` package defines no GPUBufferUsage and friends unless asked (browsers do).
if (!('reason' in found)) Object.assign(globalThis, ((await import('webgpu')) as unknown as { globals: object }).globals);
describeIfAvailable('the code blocks of the docs', 'reason' in found ? found.reason : undefined, () => {
  it('are exempted only with a reason, and at most three of them', () => {
    const exempt = blocks.filter((b) => b.exempt !== undefined);
    expect(exempt.length, exempt.map((b) => b.where).join(', ')).toBeLessThanOrEqual(3);
    for (const b of exempt)
      expect(b.exempt, b.where).toMatch(/^(sketch: .+|in a browser page with .+: test\/browser\/\S+ runs these steps)$/);
    expect(blocks.length - exempt.length).toBeGreaterThanOrEqual(6);
  });

  const dir = join(root, 'test/.generated/docs');
  mkdirSync(dir, { recursive: true });
  for (const [i, block] of blocks.entries()) {
    if (block.exempt !== undefined) continue;
    it(`runs ${block.where}`, async () => {
      const file = join(dir, `block-${i}.ts`);
      writeFileSync(file, `${block.code.replaceAll("from 'webgpu-activations'", "from '../../../src/index.js'")}\nexport {};\n`);
      await import(/* @vite-ignore */ file);
    });
  }
});
