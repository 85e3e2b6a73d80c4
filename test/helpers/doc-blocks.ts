import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/** One ```ts block of a Markdown page, with the HTML comment just above it when there is one. */
export interface DocBlock {
  /** `page:line`, the line the block (or the comment above it) starts on. */
  readonly where: string;
  readonly code: string;
  /** The text of the comment above the block (an exemption from the Node run), if any. */
  readonly exempt?: string;
}

/** Every ```ts block of `page` (a path relative to `root`), in order. */
export function docBlocks(root: string, page: string): DocBlock[] {
  const text = readFileSync(join(root, page), 'utf8');
  return [...text.matchAll(/(?:<!--\s*([\s\S]*?)\s*-->\s*\n)?```ts\n([\s\S]*?)```/g)].map((m) => {
    const line = text.slice(0, m.index).split('\n').length;
    return { where: `${page}:${line}`, code: m[2]!, ...(m[1] ? { exempt: m[1] } : {}) };
  });
}
