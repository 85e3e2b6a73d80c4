// The CPU backend's WebAssembly SIMD kernels against its JS kernels, which stay the reference
// (both are also checked against float64 by the conformance suites): the same bits for every op
// that has SIMD kernels, at every length (the vector pairs, the lone vector and the scalar tail),
// over special values, values at the attributes' edges and random bit patterns.
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createActivations, type Activations } from '../../src/index.js';
import { createSimdHeap } from '../../src/cpu/simd.js';
import { getOp } from '../../src/ops/registry.js';
import { expectBits } from '../helpers/compare.js';
import { SPECIAL_BITS, bitsOf, floatsFromBits, randomFloats, toBits } from '../helpers/float.js';

const CASES: readonly { op: string; attrs: Record<string, number>; edges: readonly number[] }[] = [
  { op: 'relu', attrs: {}, edges: [] },
  { op: 'thresholdedRelu', attrs: {}, edges: [1] },
  { op: 'thresholdedRelu', attrs: { theta: -2.5 }, edges: [-2.5] },
  { op: 'thresholdedRelu', attrs: { theta: 0 }, edges: [0] },
  { op: 'leakyRelu', attrs: {}, edges: [] },
  { op: 'leakyRelu', attrs: { alpha: 0 }, edges: [] }, // -Inf * 0: the quiet NaN 0x7fc00000
  { op: 'leakyRelu', attrs: { alpha: -2 }, edges: [] },
  { op: 'leakyRelu', attrs: { alpha: 1e-30 }, edges: [] }, // subnormal products, kept
  { op: 'leakyRelu', attrs: { alpha: 3e38 }, edges: [] }, // overflow to -Inf
  { op: 'relu6', attrs: {}, edges: [0, 6] },
  { op: 'hardtanh', attrs: {}, edges: [-1, 1] },
  { op: 'hardtanh', attrs: { min: 0.5, max: 0.75 }, edges: [0.5, 0.75] },
  { op: 'hardtanh', attrs: { min: -3, max: -2 }, edges: [-3, -2] },
  { op: 'hardsigmoid', attrs: {}, edges: [-3, 3, 0] },
  { op: 'hardsigmoid', attrs: { alpha: 0.25, beta: 0.5 }, edges: [-2, 2] }, // kinks hit exactly
  { op: 'hardsigmoid', attrs: { alpha: 0.3, beta: 0.1 }, edges: [-1 / 3, 3] },
  { op: 'hardsigmoid', attrs: { alpha: 1e-30, beta: 0 }, edges: [0, 1e30] }, // subnormal products
  { op: 'hardsigmoid', attrs: { alpha: 3e38, beta: -2 }, edges: [1e-38] }, // products past f32
  { op: 'hardSigmoid', attrs: {}, edges: [-2.5, 2.5] },
  { op: 'hardSigmoid', attrs: { alpha: 0.5, beta: 1e-7 }, edges: [-2e-7, 2] },
  { op: 'hardswish', attrs: {}, edges: [-3, 3, -1.5, 0] },
  { op: 'hardSwish', attrs: {}, edges: [-3, 3, -1.5] },
];

const LENGTHS = [0, 1, 2, 3, 4, 5, 7, 8, 9, 12, 15, 16, 17, 1003];

/** n inputs cycling through special values, each edge and its neighbours, and random bits. */
function inputs(n: number, edges: readonly number[], seed: number): Float32Array {
  const pool: number[] = [...SPECIAL_BITS];
  for (const e of edges) {
    const b = toBits(e);
    pool.push(b, (b + 1) >>> 0, (b - 1) >>> 0, (b ^ 0x80000000) >>> 0);
  }
  const random = bitsOf(randomFloats(n, seed, 8));
  const bits = new Uint32Array(n);
  for (let i = 0; i < n; i++) bits[i] = i % 3 === 2 ? random[i]! : pool[(i * 7 + seed) % pool.length]!;
  return floatsFromBits(bits);
}

describe('CPU backend: WebAssembly SIMD kernels', () => {
  let simd: Activations;
  let js: Activations;
  beforeAll(async () => {
    simd = await createActivations({ backend: 'cpu', cpuKernels: 'wasm-simd' });
    js = await createActivations({ backend: 'cpu', cpuKernels: 'js' });
  });
  afterAll(() => {
    simd.dispose();
    js.dispose();
  });

  it("runs them by default in Node ('auto'), and says which kernels run", async () => {
    const auto = await createActivations({ backend: 'cpu' });
    expect(auto.cpuKernels).toBe('wasm-simd');
    expect(auto.cpuKernelsReason).toBeUndefined();
    expect(js.cpuKernels).toBe('js');
    expect(js.cpuKernelsReason).toBe("options.cpuKernels is 'js'");
    auto.dispose();
  });

  it('really leaves the JS kernels out when the operands live in the heap', () => {
    const relu = getOp('relu');
    const forward = vi.spyOn(relu.cpu, 'forward');
    const backward = vi.spyOn(relu.cpu, 'backward');
    try {
      const x = simd.tensor(new Float32Array([-1, 2, 3, 4, 5]));
      simd.forward('relu', x).dispose();
      simd.backward('relu', { x, dy: x }).dispose();
      expect(forward).not.toHaveBeenCalled();
      expect(backward).not.toHaveBeenCalled();
      const y = js.tensor(new Float32Array([-1, 2]));
      js.forward('relu', y).dispose();
      expect(forward).toHaveBeenCalledTimes(1);
      x.dispose();
      y.dispose();
    } finally {
      forward.mockRestore();
      backward.mockRestore();
    }
  });

  for (const { op, attrs, edges } of CASES) {
    it(`${op} ${JSON.stringify(attrs)}: forward and backward equal the JS kernels bit for bit at every length`, async () => {
      for (const n of LENGTHS) {
        const x = inputs(n, edges, n);
        const dy = inputs(n, [], n + 101);
        const label = `${op} ${JSON.stringify(attrs)} n=${n}`;
        const results = [];
        for (const acts of [simd, js]) {
          const tx = acts.tensor(x);
          const tdy = acts.tensor(dy);
          const y = acts.forward(op as 'relu', tx, attrs as never);
          const dx = acts.backward(op as 'relu', { x: tx, dy: tdy }, attrs as never);
          results.push({ y: await y.read(), dx: await dx.read() });
          for (const t of [tx, tdy, y, dx]) t.dispose();
        }
        const [fast, reference] = results;
        expectBits(`${label} forward`, fast!.y, bitsOf(reference!.y), { x });
        expectBits(`${label} backward`, fast!.dx, bitsOf(reference!.dx), { x, dy });
      }
    });
  }

  it('run in place (forwardInto y = x, backwardInto dx = dy) with the same bits', async () => {
    const x = inputs(37, [6], 5);
    const dy = inputs(37, [], 6);
    const out = [];
    for (const acts of [simd, js]) {
      const tx = acts.tensor(x);
      const tdy = acts.tensor(dy);
      acts.backwardInto('relu6', { x: tx, dy: tdy, dx: tdy });
      acts.forwardInto('relu6', { x: tx, y: tx });
      out.push({ y: await tx.read(), dx: await tdy.read() });
      tx.dispose();
      tdy.dispose();
    }
    expectBits('relu6 in place forward', out[0]!.y, bitsOf(out[1]!.y), { x });
    expectBits('relu6 in place backward', out[0]!.dx, bitsOf(out[1]!.dx), { x, dy });
  });

  it('take tensors that are plain arrays (results of ops without SIMD kernels) through the JS kernels', async () => {
    const x = inputs(21, [], 9);
    const gelu = simd.forward('gelu', simd.tensor(x));
    const fast = simd.forward('relu', gelu);
    const g = await gelu.read();
    const reference = js.forward('relu', js.tensor(g));
    expectBits('relu(gelu(x))', await fast.read(), bitsOf(await reference.read()), { g });
  });
});

describe('CPU backend: the SIMD heap', () => {
  it('holds nothing after 3000 cycles of ops, in-place ops and layers whose tensors were disposed', async () => {
    const acts = await createActivations({ backend: 'cpu', cpuKernels: 'wasm-simd' });
    const kept = acts.tensor(new Float32Array([1, -2, 3]));
    const start = acts.cpuHeapStats.live;
    let grownAt = 0;
    let memory = 0;
    for (let i = 0; i < 3000; i++) {
      const n = 1 + ((i * 7919) % 4099);
      const x = acts.tensor(inputs(n, [], i));
      const dy = acts.tensor(inputs(n, [], i + 1));
      const y = acts.forward('leakyRelu', x);
      const dx = acts.backward('hardtanh', { x: y, dy });
      acts.forwardInto('relu', { x: dx, y: dx });
      const layer = acts.layer('relu');
      const z = layer.forward(x);
      const g = layer.backward(dy);
      for (const t of [x, dy, y, dx, z, g]) t.dispose();
      layer.dispose();
      if (acts.cpuHeapStats.live !== start) throw new Error(`cycle ${i}: ${acts.cpuHeapStats.live - start} bytes left in the heap`);
      // Freed blocks are reused: the memory stops growing once it has held the largest cycle.
      const now = acts.cpuHeapStats.memory;
      if (now !== memory) [memory, grownAt] = [now, i];
    }
    expect(grownAt).toBeLessThan(1500);
    kept.dispose();
    expect(acts.cpuHeapStats.live).toBe(0);
    acts.dispose();
  });

  it('frees blocks for reuse, refuses past its limit, and keeps views valid as the memory grows', async () => {
    const heap = await createSimdHeap(4 << 20);
    const a = heap.allocate(100_000)!;
    a.data.set(inputs(100_000, [], 1));
    const before = bitsOf(a.data).slice();
    expect(heap.allocate(1_000_000)).toBeUndefined(); // 400 kB + 4 MB > 4 MiB
    expect(heap.bytes).toBe(400_000);
    const b = heap.allocate(150_000)!;
    heap.release(b);
    expect(heap.bytes).toBe(400_000);
    // Many small blocks grow the memory (64 KiB pages); a's view is made again from the new buffer.
    const pages = heap.kernels.memory.buffer.byteLength;
    const small = Array.from({ length: 300 }, () => heap.allocate(1500)!);
    expect(heap.kernels.memory.buffer.byteLength).toBeGreaterThan(pages);
    expect(bitsOf(a.data)).toEqual(before);
    for (const s of small) heap.release(s);
    heap.release(a);
    expect(heap.bytes).toBe(0);
    expect(heap.allocate(0)).toBeUndefined(); // empty tensors need no block
  });
});
