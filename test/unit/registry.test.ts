import { describe, expect, it } from 'vitest';
import { createActivations, opNames, opVariants } from '../../src/index.js';
import { getOp, lookupOp, registryNames } from '../../src/ops/registry.js';
import { specFiles, specifiedOps } from '../conformance/ops.js';
import { defineVariant, type VariantAttrSpec } from '../../src/ops/define.js';

describe('the op registry', () => {
  it('has a test spec (test/ops/<op>.spec.ts) for every op and variant, and no spec without one', () => {
    expect([...specifiedOps].sort()).toEqual([...opNames, ...Object.keys(opVariants)].sort());
  });

  it('has a spec file (test/ops/<op>.spec.ts) for every op of every kind and every variant, and none for an op it lacks', () => {
    const kebab = (name: string) => name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
    expect([...specFiles].sort()).toEqual([...registryNames, ...Object.keys(opVariants)].map(kebab).sort());
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

  it("runs each variant on its base op's WGSL and CPU kernels, with its own attribute names covering every slot", () => {
    const kebab = (name: string) => name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
    expect(opVariants).toEqual({ hardSigmoid: 'hardsigmoid', hardSwish: 'hardswish', clamp: 'hardtanh', clip: 'hardtanh' });
    for (const [name, baseName] of Object.entries(opVariants)) {
      const variant = getOp(name);
      const base = getOp(baseName);
      expect(variant.name).toBe(name);
      expect(variant.variantOf).toBe(baseName);
      expect(variant.wgslPath).toBe(`shaders/activations/${kebab(baseName)}.wgsl`);
      expect(variant.wgsl).toBe(base.wgsl);
      expect(variant.cpu).toBe(base.cpu);
      expect(variant.mask).toBe(base.mask);
      expect(variant.accuracy).toBe(base.accuracy);
      const slots = Object.values(variant.attrs).map((spec) => (spec as VariantAttrSpec).slot);
      expect(slots).toEqual(Object.keys(base.attrs));
    }
  });

  it('refuses a variant that leaves a slot of its base unset or names one it lacks', () => {
    const base = getOp('hardtanh');
    expect(() => defineVariant(base, { name: 'half', formula: '', attrs: { lo: { slot: 'min', default: 0 } } })).toThrow(/'max'/);
    expect(() =>
      defineVariant(base, {
        name: 'wrong',
        formula: '',
        attrs: { lo: { slot: 'min', default: 0 }, hi: { slot: 'max', default: 1 }, mid: { slot: 'mid', default: 0 } },
      }),
    ).toThrow(/'mid'/);
  });

  it("gives 'clip' ONNX's attributes and unbounded defaults, no longer hardtanh's [-1, 1]", async () => {
    const acts = await createActivations({ backend: 'cpu' });
    const x = acts.tensor([-3, -0.5, 0.5, 3]);
    expect([...(await acts.forward('clip', x).read())]).toEqual([-3, -0.5, 0.5, 3]);
    expect([...(await acts.forward('clip', x, { max: 2 }).read())]).toEqual([-3, -0.5, 0.5, 2]);
    expect([...(await acts.forward('clip', x, { min: 0, max: 2 }).read())]).toEqual([0, 0, 0.5, 2]);
    expect([...(await acts.forward('hardtanh', x).read())]).toEqual([-1, -0.5, 0.5, 1]);
    expect(() => acts.forward('rleu' as 'relu', x)).toThrow(/'clip'/);
    expect(() => acts.forward('rleu' as 'relu', x)).toThrow(/'hardSigmoid'/);
    acts.dispose();
  });
});
