import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

// The documentation stays true to the tree: every relative link and image in README.md,
// CONTRIBUTING.md, CHANGELOG.md and docs/*.md points at a file that exists and, with a #fragment,
// at a heading of that file; and the README stays a front page (at most 200 lines).
const root = resolve(import.meta.dirname, '../..');
const pages = [
  'README.md',
  'CONTRIBUTING.md',
  'CHANGELOG.md',
  ...readdirSync(join(root, 'docs'))
    .filter((f) => f.endsWith('.md'))
    .map((f) => `docs/${f}`),
];

/** GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens. */
function slug(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/`/g, '')
    .replace(/[^\p{L}\p{N} _-]/gu, '')
    .replace(/ /g, '-');
}

function anchors(file: string): Set<string> {
  const text = readFileSync(file, 'utf8').replace(/```[\s\S]*?```/g, '');
  return new Set([...text.matchAll(/^#+ (.*)$/gm)].map((m) => slug(m[1]!)));
}

/** The relative links of a page, outside code blocks: [label](target) and ![alt](target). */
function links(text: string): string[] {
  const prose = text.replace(/```[\s\S]*?```/g, '').replace(/`[^`\n]*`/g, '');
  return [...prose.matchAll(/\]\(([^)\s]+)\)/g)].map((m) => m[1]!).filter((t) => !/^[a-z]+:/i.test(t));
}

describe('the documentation', () => {
  it('has no dead relative link or anchor', () => {
    const dead: string[] = [];
    for (const page of pages) {
      const file = join(root, page);
      for (const target of links(readFileSync(file, 'utf8'))) {
        const [path, fragment] = target.split('#') as [string, string | undefined];
        const to = path ? resolve(dirname(file), path) : file;
        if (!existsSync(to)) dead.push(`${page}: ${target} (no ${relative(root, to)})`);
        else if (fragment && to.endsWith('.md') && !anchors(to).has(fragment)) dead.push(`${page}: ${target} (no heading #${fragment})`);
      }
    }
    expect(dead, dead.join('\n')).toEqual([]);
    expect(pages.length).toBeGreaterThan(8);
  });

  it('keeps README.md a front page: at most 200 lines', () => {
    const lines = readFileSync(join(root, 'README.md'), 'utf8').split('\n').length;
    expect(lines).toBeLessThanOrEqual(200);
  });
});
