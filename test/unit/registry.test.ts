import { describe, expect, it } from 'vitest';
import { createActivations, opNames } from '../../src/index.js';
import { getOp, lookupOp, registryNames } from '../../src/ops/registry.js';
import { specFiles, specifiedOps } from '../conformance/ops.js';

describe('the op registry', () => {
  it('has a test spec (test/ops/<op>.spec.ts) for every op, and no spec without an op', () => {
    expect([...specifiedOps].sort()).toEqual([...opNames].sort());
  });

  it('has a spec file (test/ops/<op>.spec.ts) for every op of every kind, and none for an op it lacks', () => {
    const kebab = (name: string) => name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
    expect([...specFiles].sort()).toEqual(registryNames.map(kebab).sort());
    expect(registryNames).toContain('prelu');
    expect(registryNames).toContain('maxout');
    for (const name of registryNames) expect(lookupOp(name).wgslPath).toBe(`shaders/activations/${kebab(name)}.wgsl`);
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

  it("answers to 'clip' as hardtanh, with hardtanh's attributes", async () => {
    const acts = await createActivations({ backend: 'cpu' });
    const x = acts.tensor([-3, -0.5, 0.5, 3]);
    const clip = await acts.forward('clip', x, { min: 0, max: 2 }).read();
    const hardtanh = await acts.forward('hardtanh', x, { min: 0, max: 2 }).read();
    expect([...clip]).toEqual([0, 0, 0.5, 2]);
    expect([...clip]).toEqual([...hardtanh]);
    expect(() => acts.forward('clip', x, { min: 2, max: 0 })).toThrow(/attrs.min/);
    expect(() => acts.forward('rleu' as 'relu', x)).toThrow(/'clip'/);
  });
});
