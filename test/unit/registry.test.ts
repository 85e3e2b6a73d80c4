import { describe, expect, it } from 'vitest';
import { opNames } from '../../src/index.js';
import { getOp } from '../../src/ops/registry.js';
import { specifiedOps } from '../conformance/ops.js';

describe('the op registry', () => {
  it('has a test spec (test/ops/<op>.spec.ts) for every op, and no spec without an op', () => {
    expect([...specifiedOps].sort()).toEqual([...opNames].sort());
  });

  it('names each op after its WGSL file, with at most four attributes', () => {
    for (const name of opNames) {
      const op = getOp(name);
      const kebab = name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
      expect(op.wgslPath).toBe(`shaders/activations/${kebab}.wgsl`);
      expect(op.wgsl).toMatch(/fn forward\(/);
      expect(op.wgsl).toMatch(/fn backward\(/);
      expect(Object.keys(op.attrs).length).toBeLessThanOrEqual(4);
    }
  });
});
