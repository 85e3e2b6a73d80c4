import { describe, expect, it } from 'vitest';
import { grid, planElementwise, type PlanLimits } from '../../src/gpu/plan.js';

const LIMITS: PlanLimits = {
  maxBindingBytes: 128 * 1024 * 1024,
  offsetAlignment: 256,
  maxWorkgroupsPerDimension: 65535,
  workgroupSize: 256,
  vectorize: true,
};

/**
 * Replays a plan element by element and checks, independently of how it was built, that every
 * element of every operand is covered exactly once, at the right byte, within its binding,
 * with aligned binding offsets and binding sizes within the limit.
 */
function replay(length: number, offsets: number[], limits: PlanLimits): void {
  const plan = planElementwise(length, offsets, limits);
  const seen = new Uint8Array(length);
  let done = 0;
  for (const d of plan) {
    const [gx, gy] = d.workgroups;
    expect(gx).toBeLessThanOrEqual(limits.maxWorkgroupsPerDimension);
    expect(gy).toBeLessThanOrEqual(limits.maxWorkgroupsPerDimension);
    expect(gx * gy * limits.workgroupSize).toBeGreaterThanOrEqual(d.count);
    // No spare workgroup: one fewer row of the grid would not cover the dispatch.
    expect((gx * gy - gy) * limits.workgroupSize).toBeLessThan(d.count);
    d.bindings.forEach((b, op) => {
      expect(b.offset % limits.offsetAlignment).toBe(0);
      expect(b.size).toBeLessThanOrEqual(limits.maxBindingBytes);
      expect(b.size % (4 * d.width)).toBe(0);
      // The last V addressed lies inside the binding.
      expect((d.offsets[op]! + d.count) * 4 * d.width).toBeLessThanOrEqual(b.size);
    });
    for (let v = 0; v < d.count; v++) {
      for (let lane = 0; lane < d.width; lane++) {
        // Element index from operand 0's address; every operand must agree on it.
        const elements = d.bindings.map((b, op) => (b.offset + ((d.offsets[op]! + v) * d.width + lane) * 4 - offsets[op]!) / 4);
        expect(new Set(elements).size).toBe(1);
        const e = elements[0]!;
        expect(e).toBeGreaterThanOrEqual(0);
        expect(e).toBeLessThan(length);
        expect(seen[e]).toBe(0);
        seen[e] = 1;
        done++;
      }
    }
  }
  expect(done).toBe(length);
}

describe('planElementwise', () => {
  it('plans nothing for length 0', () => {
    expect(planElementwise(0, [0, 0], LIMITS)).toEqual([]);
  });

  it('uses one vec4 dispatch for aligned lengths that are multiples of 4', () => {
    const plan = planElementwise(1024, [0, 0], LIMITS);
    expect(plan).toHaveLength(1);
    expect(plan[0]).toMatchObject({ width: 4, count: 256, workgroups: [1, 1] });
  });

  it('adds a scalar tail for the last length % 4 elements', () => {
    const plan = planElementwise(1027, [0, 0], LIMITS);
    expect(plan.map((d) => [d.width, d.count])).toEqual([
      [4, 256],
      [1, 3],
    ]);
    expect(plan[1]!.offsets).toEqual([1024, 1024]);
  });

  it('falls back to the scalar kernel when an operand is not 16-byte aligned in its binding', () => {
    const plan = planElementwise(1000, [0, 4], LIMITS);
    expect(plan).toHaveLength(1);
    expect(plan[0]).toMatchObject({ width: 1, count: 1000, offsets: [0, 1] });
  });

  it('binds from the aligned-down offset and indexes in from there', () => {
    const plan = planElementwise(8, [272, 528], LIMITS);
    expect(plan[0]!.bindings.map((b) => b.offset)).toEqual([256, 512]);
    expect(plan[0]!.offsets).toEqual([1, 1]); // 16 bytes in = one vec4
  });

  it('uses a 2-D grid past 65535 workgroups', () => {
    const plan = planElementwise(65535 * 64 + 1, [0, 0], { ...LIMITS, workgroupSize: 64, vectorize: false });
    expect(plan).toHaveLength(1);
    const [x, y] = plan[0]!.workgroups;
    expect(y).toBe(2);
    expect(x * y).toBeGreaterThanOrEqual(65536);
  });

  it('splits operands longer than one binding into chunks', () => {
    const limits = { ...LIMITS, maxBindingBytes: 4096 };
    const plan = planElementwise(5003, [0, 0, 0], limits);
    expect(plan.length).toBeGreaterThan(4);
    for (const d of plan) for (const b of d.bindings) expect(b.size).toBeLessThanOrEqual(4096);
  });

  it('refuses a binding limit below two alignment units', () => {
    expect(() => planElementwise(10, [0, 0], { ...LIMITS, maxBindingBytes: 300 })).toThrow(RangeError);
  });

  for (const [length, offsets, limits] of [
    [1, [0, 0], LIMITS],
    [3, [4, 8], LIMITS],
    [257, [0, 0, 0], LIMITS],
    [1031, [16, 32, 48], LIMITS],
    [5003, [0, 0], { ...LIMITS, maxBindingBytes: 4096 }],
    [5003, [4, 12, 8], { ...LIMITS, maxBindingBytes: 4096 }],
    [4999, [16, 48], { ...LIMITS, maxBindingBytes: 1024 }],
    [2000, [252, 0], { ...LIMITS, maxBindingBytes: 512, offsetAlignment: 256 }],
    [9000, [0, 0], { ...LIMITS, workgroupSize: 1, maxWorkgroupsPerDimension: 100 }],
  ] as const) {
    it(`covers every element exactly once: length ${length}, offsets ${offsets.join('/')}, binding ${limits.maxBindingBytes}`, () => {
      replay(length, [...offsets], limits);
    });
  }
});

describe('grid', () => {
  it('stays 1-D up to the limit and wastes fewer than y groups beyond it', () => {
    expect(grid(65535, 65535)).toEqual([65535, 1]);
    for (const groups of [65536, 131071, 1_000_000, 65535 * 65535]) {
      const [x, y] = grid(groups, 65535);
      expect(x).toBeLessThanOrEqual(65535);
      expect(x * y).toBeGreaterThanOrEqual(groups);
      expect(x * y - groups).toBeLessThan(y);
    }
    expect(() => grid(65535 * 65535 + 1, 65535)).toThrow(RangeError);
  });
});
