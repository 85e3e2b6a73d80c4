import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { docBlocks } from '../helpers/doc-blocks.js';

// The recipes of docs/interop.md that need a browser page with another framework, so they cannot
// run in Node with the other blocks (test/unit/docs-code.test.ts exempts them, and checks that
// each is one of these). interop.test.ts writes each recipe, as written, into a module under
// test/.generated/interop/ that interop-page.ts imports, with one line added before it (the
// variables its comment says are the reader's, handed over by the page) and one after it (the
// names the page reads back).

const root = resolve(import.meta.dirname, '../..');

/** The page holding the recipes. */
export const RECIPE_PAGE = 'docs/interop.md';
/** The test that runs them, named by each recipe's comment. */
export const RECIPE_RUNNER = 'test/browser/interop.test.ts';
/** A recipe's comment: the framework, the reader's variables, and the test that runs the block. */
export const RECIPE_COMMENT = /^in a browser page with (.+?) \((.+?) (?:is|are) yours\): (test\/browser\/\S+) runs this block as written$/;

/** The recipes, by the framework their comment names, and the top-level names the page reads back. */
export const RECIPES = {
  tfjs: { framework: 'TensorFlow.js', reads: ['acts', 'device', 'y', 'dx'] },
  ort: { framework: 'ONNX Runtime Web', reads: ['acts', 'device', 'x', 'h', 'session'] },
} as const;
export type RecipeName = keyof typeof RECIPES;

export interface Recipe {
  readonly name: RecipeName;
  /** `docs/interop.md:line`. */
  readonly where: string;
  /** The block as written. */
  readonly code: string;
  /** The variables the comment says are the reader's, which the page supplies. */
  readonly yours: readonly string[];
  /** The test file the comment names. */
  readonly runner: string;
}

/** The recipe blocks of docs/interop.md, found by their comments; throws if one is missing or doubled. */
export function interopRecipes(): Recipe[] {
  const found = docBlocks(root, RECIPE_PAGE).flatMap((b) => {
    const m = b.exempt === undefined ? null : RECIPE_COMMENT.exec(b.exempt);
    return m ? [{ framework: m[1]!, yours: m[2]!.split(/,\s*|\s+and\s+/), runner: m[3]!, where: b.where, code: b.code }] : [];
  });
  return Object.entries(RECIPES).map(([name, { framework }]) => {
    const matches = found.filter((f) => f.framework === framework);
    if (matches.length !== 1) throw new Error(`${RECIPE_PAGE} has ${matches.length} recipes for ${framework}, not one`);
    const { yours, runner, where, code } = matches[0]!;
    return { name: name as RecipeName, where, code, yours, runner };
  });
}

/** The module interop-page.ts imports for `recipe`: the block, the reader's variables before it, exports after. */
export function recipeModule(recipe: Recipe): string {
  return [
    `// ${recipe.where}, as written, run by ${RECIPE_RUNNER} in interop-page.ts. Added: the next line`,
    `// (the variables the block's comment says are the reader's, from the page) and the last (exports).`,
    `const { ${recipe.yours.join(', ')} } = (globalThis as unknown as { __docReader: Record<string, any> }).__docReader;`,
    recipe.code.replaceAll("from 'webgpu-activations'", "from '/src/index.ts'").trimEnd(),
    `export { ${RECIPES[recipe.name].reads.join(', ')} };`,
    '',
  ].join('\n');
}

/** Writes every recipe's module to test/.generated/interop/<name>.ts; returns the recipes. */
export function writeInteropRecipes(): Recipe[] {
  const dir = join(root, 'test/.generated/interop');
  mkdirSync(dir, { recursive: true });
  const recipes = interopRecipes();
  for (const r of recipes) writeFileSync(join(dir, `${r.name}.ts`), recipeModule(r));
  return recipes;
}
