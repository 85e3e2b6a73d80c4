import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { expect, it } from 'vitest';
import { RECIPE_COMMENT, RECIPE_RUNNER, interopRecipes } from '../browser/interop-recipes.js';
import { docBlocks, type DocBlock } from '../helpers/doc-blocks.js';
import { nodeGpu } from '../helpers/node-gpu.js';
import { describeIfAvailable } from '../helpers/requirements.js';

// Every ```ts block in README.md, CONTRIBUTING.md and docs/*.md runs as written in Node (the
// package import pointed at src/, WebGPU through Dawn), so the docs cannot drift from the API.
// A block may be exempted only by an HTML comment just above it that says why: a sketch whose
// functions are the reader's own (not run), or a recipe for a browser page with another framework,
// which must be one that test/browser/interop.test.ts takes from the page and runs as written in
// headless Chromium (see test/browser/interop-recipes.ts). At most three are.
const root = resolve(import.meta.dirname, '../..');
const pages = [
  'README.md',
  'CONTRIBUTING.md',
  ...readdirSync(join(root, 'docs'))
    .filter((f) => f.endsWith('.md'))
    .map((f) => `docs/${f}`),
];

const blocks: DocBlock[] = pages.flatMap((page) => docBlocks(root, page));

const found = await nodeGpu();
// Node's `webgpu` package defines no GPUBufferUsage and friends unless asked (browsers do).
if (!('reason' in found)) Object.assign(globalThis, ((await import('webgpu')) as unknown as { globals: object }).globals);
describeIfAvailable('the code blocks of the docs', 'reason' in found ? found.reason : undefined, () => {
  it('are exempted only with a reason, and at most three of them', () => {
    const exempt = blocks.filter((b) => b.exempt !== undefined);
    expect(exempt.length, exempt.map((b) => b.where).join(', ')).toBeLessThanOrEqual(3);
    for (const b of exempt) expect(b.exempt, b.where).toMatch(b.exempt!.startsWith('sketch: ') ? /^sketch: .+$/ : RECIPE_COMMENT);
    expect(blocks.length - exempt.length).toBeGreaterThanOrEqual(6);
  });

  it('are exempted as browser recipes only where the browser test runs that very block', () => {
    const recipes = interopRecipes();
    const browser = blocks.filter((b) => b.exempt !== undefined && RECIPE_COMMENT.test(b.exempt));
    expect(browser.length).toBeGreaterThan(0);
    for (const b of browser) {
      expect(RECIPE_COMMENT.exec(b.exempt!)![3], b.where).toBe(RECIPE_RUNNER);
      expect(
        recipes.some((r) => r.where === b.where && r.code === b.code),
        `${b.where} is not one of the recipes ${RECIPE_RUNNER} runs`,
      ).toBe(true);
    }
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
