import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { badInputs } from '../conformance/bad-inputs.js';

// docs/reliability.md's "Bad inputs" table must list exactly the catalogue's rows, in order, so its count
// is the count of bad inputs tried on every backend.
const readme = readFileSync(resolve(import.meta.dirname, '../../docs/reliability.md'), 'utf8');

function row(b: (typeof badInputs)[number]): string {
  const where = b.only === 'webgpu' ? 'WebGPU' : b.only === 'cpu' ? 'CPU' : 'all';
  return `| ${b.what} | \`${b.error.name}\` | \`${b.argument}\` | ${where} |`;
}

describe('the catalogue of bad inputs in docs/reliability.md', () => {
  it('lists every row of test/conformance/bad-inputs.ts, and the count', () => {
    const section = /## Bad inputs\n([\s\S]*?)\n## /.exec(readme)?.[1] ?? '';
    const tableRows = section
      .split('\n')
      .filter((l) => l.startsWith('| ') && !l.startsWith('| bad input') && !l.startsWith('| ---'))
      .map((l) => l.replace(/\s+\|/g, ' |').replace(/\|\s+/g, '| ').trim());
    const expected = badInputs.map(row);
    expect(tableRows, `docs/reliability.md's table should be:\n${expected.join('\n')}`).toEqual(expected);
    expect(section).toContain(`${badInputs.length} bad inputs`);
  });
});
