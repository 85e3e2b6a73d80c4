// The CPU backend's WebAssembly SIMD kernels against its JS kernels, which stay the reference
// (both are also checked against float64 by the conformance suites): the same bits for the exact
// ops and those whose float64 steps the SIMD kernels repeat, within 1 ULP and of the same kind for
// the exp family (their own exp, expm1, log1p, erfc), at every length (the vector pairs, the lone
// vector and the tail), over special values, values at the attributes' edges and random bit patterns.
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createActivations, type Activations, type Dtype, type Tensor } from '../../src/index.js';
import { createCpuBackend, type CpuBackend, type CpuStorage } from '../../src/cpu/cpu-backend.js';
import { HeapWords, createSimdHeap } from '../../src/cpu/simd.js';
import { NO_UPPER_KEY, orderedKey } from '../../src/numerics/bits.js';
import { treeSumBits } from '../../src/numerics/exact.js';
import { f32ToHalfBits, halfToF32Bits } from '../../src/numerics/half.js';
import { maxout } from '../../src/ops/maxout.js';
import { logSoftmax, softmax } from '../../src/ops/softmax.js';
import { prelu, preluBroadcast } from '../../src/ops/prelu.js';
import { resolveAttrs } from '../../src/ops/define.js';
import { getOp, lookupOp } from '../../src/ops/registry.js';
import { expectBits } from '../helpers/compare.js';
import {
  SPECIAL_BITS,
  bitsOf,
  floatsFromBits,
  fromBits,
  hex,
  randomFloats,
  rng,
  toBits,
  uniformFloats,
  ulpDistance,
} from '../helpers/float.js';

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
  { op: 'hardsigmoid', attrs: { alpha: -0.5, beta: 0.75 }, edges: [1.5, -0.5] }, // a negative slope (WebNN)
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

/** A CPU instance on each kernel set, made before the enclosing describe's tests and disposed after. */
function withKernelSets(set: (simd: Activations, js: Activations) => void): void {
  let made: Activations[] = [];
  beforeAll(async () => {
    made = [
      await createActivations({ backend: 'cpu', cpuKernels: 'wasm-simd' }),
      await createActivations({ backend: 'cpu', cpuKernels: 'js' }),
    ];
    set(made[0]!, made[1]!);
  });
  afterAll(() => {
    for (const a of made) a.dispose();
  });
}

describe('CPU backend: WebAssembly SIMD kernels', () => {
  let simd: Activations;
  let js: Activations;
  withKernelSets((s, j) => {
    simd = s;
    js = j;
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

  it('leave the JS kernels of hardswish (f32 and f16), prelu (in a layout they take) and maxout out too', () => {
    const spies = [getOp('hardswish').cpu, prelu.cpu, maxout.cpu].flatMap((kernels) => [
      vi.spyOn(kernels, 'forward'),
      vi.spyOn(kernels, 'backward'),
    ]);
    try {
      const x = simd.tensor(
        new Float32Array(24).map((_, i) => i - 11),
        [2, 3, 4],
      );
      const alpha = simd.tensor(new Float32Array([0.5, 2, -1]));
      const dy = simd.tensor(new Float32Array(12), [2, 3, 2]);
      const outs: Tensor<Dtype>[] = [
        simd.forward('hardswish', x),
        simd.backward('hardswish', { x, dy: x }),
        simd.prelu(x, alpha, { axis: 1 }),
        ...Object.values(simd.preluBackward({ x, alpha, dy: x }, { axis: 1 })),
        simd.maxout(x, { pieces: 2 }),
        simd.maxoutBackward({ x, dy }, { pieces: 2 }),
      ];
      const h = simd.tensor(new Uint16Array([0x3c00, 0xbc00, 0x7e00]));
      outs.push(simd.forward('hardswish', h), h, x, alpha, dy);
      for (const spy of spies) expect(spy).not.toHaveBeenCalled();
      for (const t of outs) t.dispose();
    } finally {
      for (const spy of spies) spy.mockRestore();
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

  // PReLU: x's shape, alpha's shape, options; the slopes mix specials (NaN, ±Inf, ±0, subnormals)
  // with ordinary values, so Inf * 0, NaN slopes and subnormal products all occur.
  const PRELU: readonly { x: number[]; alpha: number[]; axis?: number }[] = [
    { x: [1003], alpha: [1] }, // one slope: one run
    { x: [7, 13], alpha: [13] }, // along the last axis: rows of 13 (3 vectors and a tail)
    { x: [5, 16], alpha: [16] },
    { x: [9, 4], alpha: [4] }, // two quads of rows (their terms transposed) and a row
    { x: [12, 37], alpha: [37] }, // three quads, nine vectors and a tail each
    { x: [3, 3], alpha: [3] },
    { x: [2, 5, 3, 7], alpha: [5], axis: 1 }, // PyTorch's channels: runs of 21
    { x: [2, 6, 8], alpha: [6], axis: 1 }, // runs of 8
    { x: [3, 4, 1, 5], alpha: [4, 1, 1] }, // channels after dropping sizes of 1
    { x: [2, 3, 4, 5], alpha: [3, 1, 5] }, // two followed runs: the JS kernels (no SIMD layout)
  ];

  for (const { x: xShape, alpha: aShape, axis } of PRELU) {
    it(`prelu x [${xShape.join(', ')}] alpha [${aShape.join(', ')}]${axis === undefined ? '' : ` axis ${axis}`}: y, dx and dalpha equal the JS kernels bit for bit`, async () => {
      const n = xShape.reduce((p, q) => p * q, 1);
      const slopes = aShape.reduce((p, q) => p * q, 1);
      const x = inputs(n, [0], n);
      const dy = inputs(n, [], n + 7);
      const alpha = inputs(slopes, [0.25, -2], slopes + 3);
      const results = [];
      for (const acts of [simd, js]) {
        const tx = acts.tensor(x, xShape);
        const ta = acts.tensor(alpha, aShape);
        const tdy = acts.tensor(dy, xShape);
        const options = axis === undefined ? {} : { axis };
        const y = acts.prelu(tx, ta, options);
        const { dx, dalpha } = acts.preluBackward({ x: tx, alpha: ta, dy: tdy }, options);
        results.push({ y: await y.read(), dx: await dx.read(), dalpha: await dalpha.read() });
        for (const t of [tx, ta, tdy, y, dx, dalpha]) t.dispose();
      }
      const [fast, reference] = results;
      expectBits('prelu forward', fast!.y, bitsOf(reference!.y), { x });
      expectBits('prelu dx', fast!.dx, bitsOf(reference!.dx), { x, dy });
      expectBits('prelu dalpha', fast!.dalpha, bitsOf(reference!.dalpha), { alpha });
    });
  }

  it('prelu: dalpha tree sums of rows of every length 1 to 40 (odd levels, NaN and Inf - Inf quieted, -0 kept)', async () => {
    for (let per = 1; per <= 40; per++) {
      const x = inputs(3 * per, [], per).map((v) => -Math.abs(v)); // every term counts
      const dy = inputs(3 * per, [], per + 50);
      const alpha = new Float32Array([0.5, -0, Number.NaN]);
      const results = [];
      for (const acts of [simd, js]) {
        const tx = acts.tensor(x, [3, per]);
        const ta = acts.tensor(alpha);
        const tdy = acts.tensor(dy, [3, per]);
        const { dx, dalpha } = acts.preluBackward({ x: tx, alpha: ta, dy: tdy }, { axis: 0 });
        results.push(await dalpha.read());
        for (const t of [tx, ta, tdy, dx, dalpha]) t.dispose();
      }
      expectBits(`prelu dalpha, rows of ${per}`, results[0]!, bitsOf(results[1]!), { alpha });
    }
  });

  const MAXOUT: readonly { shape: number[]; pieces: number; axis?: number }[] = [
    { shape: [1002], pieces: 2 },
    { shape: [7, 12], pieces: 3 },
    { shape: [5, 9], pieces: 9 },
    { shape: [3, 44], pieces: 4 }, // 33 groups of neighbours: 8 transposed steps and a tail
    { shape: [2, 7, 15], pieces: 5 }, // 42 groups, gathered four at a time, and a tail of 2
    { shape: [10, 3], pieces: 1 },
    { shape: [4, 6, 13], pieces: 2, axis: 1 }, // groups 13 apart: 3 vectors and a tail
    { shape: [3, 8, 4], pieces: 4, axis: 1 },
    { shape: [2, 5, 2], pieces: 5, axis: 1 },
  ];

  for (const { shape, pieces, axis } of MAXOUT) {
    it(`maxout [${shape.join(', ')}] pieces ${pieces}${axis === undefined ? '' : ` axis ${axis}`}: forward and backward equal the JS kernels bit for bit`, async () => {
      const n = shape.reduce((p, q) => p * q, 1);
      // Few distinct values (ties, -0 against +0, NaNs, infinities) besides random ones.
      const x = inputs(n, [0, 1], n).map((v, i) => (i % 5 === 1 ? Math.round(v) : v));
      const options = { pieces, ...(axis === undefined ? {} : { axis }) };
      const results = [];
      for (const acts of [simd, js]) {
        const tx = acts.tensor(x, shape);
        const y = acts.maxout(tx, options);
        const tdy = acts.tensor(inputs(y.length, [], 3), y.shape);
        const dx = acts.maxoutBackward({ x: tx, dy: tdy }, options);
        results.push({ y: await y.read(), dx: await dx.read() });
        for (const t of [tx, y, tdy, dx]) t.dispose();
      }
      const [fast, reference] = results;
      expectBits('maxout forward', fast!.y, bitsOf(reference!.y), {});
      expectBits('maxout backward', fast!.dx, bitsOf(reference!.dx), { x });
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
    const softsign = simd.forward('softsign', simd.tensor(x));
    const fast = simd.forward('relu', softsign);
    const g = await softsign.read();
    const reference = js.forward('relu', js.tensor(g));
    expectBits('relu(softsign(x))', await fast.read(), bitsOf(await reference.read()), { g });
  });
});

// The training layer's 1-bit masks: forward writes y and the mask words (bit i in word i >> 5),
// backward dx from the mask and dy. The SIMD kernels (gate_mask, leaky_mask, mask_inside beside
// clamp and prelu_forward; masked_select, masked_scaled, prelu_backward_mask) against the JS loops
// over op.mask.keep / op.mask.backward and PReLU's forwardMask / backwardMask, on the backends
// themselves (so the words can be read) and through the layers.
const MASK_CASES: readonly { op: string; attrs: Record<string, number>; edges: readonly number[] }[] = [
  { op: 'relu', attrs: {}, edges: [0] }, // NaN kept
  { op: 'leakyRelu', attrs: {}, edges: [0] }, // NaN not kept: alpha * dy there
  { op: 'leakyRelu', attrs: { alpha: 0 }, edges: [] }, // ±Inf dy off the mask: Inf * 0 = 0x7fc00000
  { op: 'leakyRelu', attrs: { alpha: -2 }, edges: [] },
  { op: 'leakyRelu', attrs: { alpha: 1e-30 }, edges: [] }, // subnormal products, kept
  { op: 'leakyRelu', attrs: { alpha: 3e38 }, edges: [] }, // overflow to ±Inf
  { op: 'relu6', attrs: {}, edges: [0, 6] },
  { op: 'hardtanh', attrs: {}, edges: [-1, 1] },
  { op: 'hardtanh', attrs: { min: 0.5, max: 0.75 }, edges: [0.5, 0.75] },
  { op: 'hardtanh', attrs: { min: -3, max: -2 }, edges: [-3, -2] },
  { op: 'clamp', attrs: {}, edges: [] }, // ±Inf bounds: only ±Inf itself is off the mask
  { op: 'clamp', attrs: { minValue: -0, maxValue: 0 }, edges: [0] }, // nothing inside but NaN
  { op: 'clip', attrs: { min: 2, max: -1 }, edges: [2, -1] }, // min > max
  { op: 'thresholdedRelu', attrs: {}, edges: [1] },
  { op: 'thresholdedRelu', attrs: { theta: -2.5 }, edges: [-2.5] },
  { op: 'thresholdedRelu', attrs: { theta: 0 }, edges: [0] },
];

// Whole words, a lone element, the tail of a word (31, 33, 63), a word and a vector (36), long
// odd runs.
const MASK_LENGTHS = [0, 1, 2, 3, 4, 5, 8, 31, 32, 33, 36, 63, 64, 65, 100, 1003, 4099];

/** Where the first few words differ (an empty list when none do). */
function wordMismatches(label: string, got: Uint32Array, want: Uint32Array): string[] {
  if (got.length !== want.length) return [`${label}: ${got.length} words, expected ${want.length}`];
  const out: string[] = [];
  for (let i = 0; i < got.length && out.length < 8; i++) {
    if (got[i] !== want[i]) out.push(`${label} word ${i}: got ${hex(got[i]!)}, expected ${hex(want[i]!)}`);
  }
  return out;
}

/** Random mask words, every bit (those past n too) set or not. */
function randomWords(count: number, seed: number): Uint32Array {
  return bitsOf(randomFloats(count, seed, 8)).map((b, i) => (b * 2654435761 + i) >>> 0);
}

describe("CPU backend: the training layer's mask kernels in WebAssembly SIMD", () => {
  let simd: CpuBackend;
  let js: CpuBackend;
  beforeAll(async () => {
    simd = await createCpuBackend('wasm-simd');
    js = await createCpuBackend('js');
  });
  afterAll(() => {
    simd.dispose();
    js.dispose();
  });

  /** u32 words on a backend, set to `fill` (a new heap block's contents are whatever was there). */
  function wordsOn(backend: CpuBackend, values: Uint32Array): CpuStorage {
    const w = backend.allocate(values.length, 'u32');
    (w as { words: Uint32Array }).words.set(values);
    return w;
  }

  /** forwardMask then backwardMask from its own mask and from `other` words, read back. */
  async function run(backend: CpuBackend, op: string, attrs: readonly number[], x: Float32Array, dy: Float32Array, other: Uint32Array) {
    const def = getOp(op);
    const n = x.length;
    const count = Math.ceil(n / 32);
    const tx = backend.upload(x);
    const tdy = backend.upload(dy);
    const y = backend.allocate(n, 'f32');
    const mask = wordsOn(backend, new Uint32Array(count).fill(0xffffffff)); // every bit past n must come back 0
    const inHeap = mask instanceof HeapWords;
    backend.forwardMask(def, tx, y, mask, n, attrs);
    const dx = backend.allocate(n, 'f32');
    backend.backwardMask(def, mask, tdy, dx, n, attrs);
    const given = wordsOn(backend, other);
    const dx2 = backend.allocate(n, 'f32');
    backend.backwardMask(def, given, tdy, dx2, n, attrs);
    const out = {
      y: await backend.read(y, n, 'f32'),
      words: await backend.read(mask, count, 'u32'),
      dx: await backend.read(dx, n, 'f32'),
      dx2: await backend.read(dx2, n, 'f32'),
      inHeap,
    };
    for (const t of [tx, tdy, y, mask, dx, given, dx2]) backend.release(t);
    return out;
  }

  for (const { op, attrs, edges } of MASK_CASES) {
    it(`${op} ${JSON.stringify(attrs)}: mask words, y and dx (from its mask and from random words) equal the JS kernels bit for bit at every length`, async () => {
      const def = getOp(op);
      const values = resolveAttrs(def, attrs);
      const keep = vi.spyOn(def.mask!, 'keep');
      const backward = vi.spyOn(def.mask!, 'backward');
      try {
        for (const n of MASK_LENGTHS) {
          const x = inputs(n, edges, n);
          const dy = inputs(n, [], n + 101);
          const other = randomWords(Math.ceil(n / 32), n + 5);
          const label = `${op} ${JSON.stringify(attrs)} n=${n}`;
          const fast = await run(simd, op, values, x, dy, other);
          // The SIMD kernels ran (operands in the heap; n = 0 needs no block): no JS keep or backward.
          expect(fast.inHeap, `${label}: mask in the heap`).toBe(n > 0);
          expect(keep).not.toHaveBeenCalled();
          expect(backward).not.toHaveBeenCalled();
          const reference = await run(js, op, values, x, dy, other);
          expect(wordMismatches(`${label} mask`, fast.words, reference.words)).toEqual([]);
          expectBits(`${label} forward`, fast.y, bitsOf(reference.y), { x });
          expectBits(`${label} backward from the mask`, fast.dx, bitsOf(reference.dx), { x, dy });
          expectBits(`${label} backward from random words`, fast.dx2, bitsOf(reference.dx2), { dy });
          keep.mockClear();
          backward.mockClear();
        }
      } finally {
        keep.mockRestore();
        backward.mockRestore();
      }
    });
  }

  for (const { x: xShape, alpha: aShape, axis } of [
    { x: [1003], alpha: [1] },
    { x: [7, 13], alpha: [13] }, // runs of 13 that start anywhere in a word
    { x: [5, 16], alpha: [16] },
    { x: [9, 4], alpha: [4] }, // two quads of rows (their terms transposed) and a row
    { x: [12, 37], alpha: [37] }, // three quads, nine vectors and a tail each
    { x: [3, 3], alpha: [3] },
    { x: [31], alpha: [31] },
    { x: [2, 5, 3, 7], alpha: [5], axis: 1 }, // runs of 21
    { x: [2, 6, 8], alpha: [6], axis: 1 },
    { x: [3, 4, 1, 5], alpha: [4, 1, 1] },
    { x: [2, 3, 4, 5], alpha: [3, 1, 5] }, // no SIMD layout: the JS kernels on both
  ] as { x: number[]; alpha: number[]; axis?: number }[]) {
    it(`prelu with frozen slopes, x [${xShape.join(', ')}] alpha [${aShape.join(', ')}]${axis === undefined ? '' : ` axis ${axis}`}: mask words, y and dx equal the JS kernels bit for bit`, async () => {
      const n = xShape.reduce((p, q) => p * q, 1);
      const slopes = aShape.reduce((p, q) => p * q, 1);
      const x = inputs(n, [0], n);
      const dy = inputs(n, [], n + 7);
      const alpha = inputs(slopes, [0.25, -2], slopes + 3);
      const other = randomWords(Math.ceil(n / 32), n);
      const b = preluBroadcast(xShape, aShape, axis);
      const results = [];
      const forwardMask = vi.spyOn(prelu.cpu, 'forwardMask');
      const backwardMask = vi.spyOn(prelu.cpu, 'backwardMask');
      try {
        for (const backend of [simd, js]) {
          const tx = backend.upload(x);
          const ta = backend.upload(alpha);
          const tdy = backend.upload(dy);
          const y = backend.allocate(n, 'f32');
          const mask = wordsOn(backend, new Uint32Array(Math.ceil(n / 32)).fill(0xffffffff));
          const given = wordsOn(backend, other);
          const dx = backend.allocate(n, 'f32');
          const dx2 = backend.allocate(n, 'f32');
          backend.perChannel(prelu, 'forward_mask', { x: tx, param: ta, out: y, mask }, n, b);
          backend.perChannel(prelu, 'backward_mask', { param: ta, dy: tdy, out: dx, mask }, n, b);
          backend.perChannel(prelu, 'backward_mask', { param: ta, dy: tdy, out: dx2, mask: given }, n, b);
          results.push({
            y: await backend.read(y, n, 'f32'),
            words: await backend.read(mask, Math.ceil(n / 32), 'u32'),
            dx: await backend.read(dx, n, 'f32'),
            dx2: await backend.read(dx2, n, 'f32'),
          });
          for (const t of [tx, ta, tdy, y, mask, given, dx, dx2]) backend.release(t);
          // The SIMD instance runs the JS kernels only where the layout has no SIMD kernels.
          if (backend === simd) expect(forwardMask.mock.calls.length).toBe(prelu.cpu.simd!.fits(b) ? 0 : 1);
        }
      } finally {
        forwardMask.mockRestore();
        backwardMask.mockRestore();
      }
      const [fast, reference] = results;
      expect(wordMismatches('prelu mask', fast!.words, reference!.words)).toEqual([]);
      expectBits('prelu forward', fast!.y, bitsOf(reference!.y), { x });
      expectBits('prelu dx from the mask', fast!.dx, bitsOf(reference!.dx), { x, dy });
      expectBits('prelu dx from random words', fast!.dx2, bitsOf(reference!.dx2), { dy });
    });
  }

  it('mask_inside: bit i is x[i] is NaN ? nan : lo < key(x[i]) < hi, for bounds at, between and past every key (±Inf, ±0, the i32 extremes)', async () => {
    const heap = await createSimdHeap(1 << 20);
    const n = 1003;
    const x = heap.allocate(n)!;
    const words = heap.allocateWords(Math.ceil(n / 32))!;
    const xs = inputs(n, [0, 1, -1], 9);
    x.data.set(xs);
    const xb = bitsOf(xs);
    const key = (b: number) => orderedKey(b);
    const INF_KEY = 0x7f800000;
    const bounds = [
      -(2 ** 31),
      -INF_KEY - 5,
      -INF_KEY - 1,
      -INF_KEY,
      key(toBits(-1)),
      -1,
      0,
      1,
      key(toBits(1)),
      INF_KEY,
      INF_KEY + 1,
      NO_UPPER_KEY,
    ];
    for (const lo of bounds) {
      for (const hi of bounds) {
        for (const nan of [true, false]) {
          words.words.fill(0xffffffff);
          heap.kernels.mask_inside(x.ptr, words.ptr, n, lo, hi, nan);
          const want = new Uint32Array(words.length);
          for (let i = 0; i < n; i++) {
            const b = xb[i]!;
            if ((b & 0x7fffffff) > 0x7f800000 ? nan : key(b) > lo && key(b) < hi) want[i >>> 5]! |= 1 << (i & 31);
          }
          expect(wordMismatches(`mask_inside lo ${lo} hi ${hi} nan ${nan}`, words.words, want)).toEqual([]);
        }
      }
    }
  });

  it('write nothing at length 0', async () => {
    const heap = await createSimdHeap(1 << 20);
    const [x, dy, out, alpha] = [1, 2, 3, 4].map(() => heap.allocate(8)!);
    const words = heap.allocateWords(2)!;
    out!.data.set(inputs(8, [], 1));
    words.words.set([0xaaaaaaaa, 0x55555555]);
    const before = { out: bitsOf(out!.data).slice(), words: words.words.slice() };
    const k = heap.kernels;
    k.mask_inside(x!.ptr, words.ptr, 0, 0, NO_UPPER_KEY, true);
    k.gate_mask(x!.ptr, out!.ptr, words.ptr, 0, 0, NO_UPPER_KEY, true);
    k.leaky_mask(x!.ptr, out!.ptr, words.ptr, 0, toBits(0.5));
    k.masked_select(words.ptr, dy!.ptr, out!.ptr, 0);
    k.masked_scaled(words.ptr, dy!.ptr, out!.ptr, 0, toBits(0.5));
    k.prelu_backward_mask(words.ptr, alpha!.ptr, dy!.ptr, out!.ptr, 0, 1, 1);
    expect(words.words).toEqual(before.words);
    expect(bitsOf(out!.data)).toEqual(before.out);
  });

  it("add the fused bias as the definition says on both kernel sets: IEEE's f32 sum, a NaN operand quieted (x's first), Inf - Inf 0x7fc00000", async () => {
    const sets = [
      await createActivations({ backend: 'cpu', cpuKernels: 'wasm-simd' }),
      await createActivations({ backend: 'cpu', cpuKernels: 'js' }),
    ];
    try {
      // Runs of channels (last axis: 29 with a tail, 3 under a vector), runs of inner (NCHW), one channel.
      const layouts = [
        { shape: [37, 29], axis: -1 },
        { shape: [400, 3], axis: -1 },
        { shape: [2, 3, 5, 7], axis: 1 },
        { shape: [1003], axis: 0 },
      ];
      for (const { shape, axis } of layouts) {
        const n = shape.reduce((p, q) => p * q, 1);
        const at = axis < 0 ? axis + shape.length : axis;
        const channels = shape[at]!;
        const inner = shape.slice(at + 1).reduce((p, q) => p * q, 1);
        const x = inputs(n, [1, -1], n);
        const bias = inputs(channels, [-1, Infinity], channels + 1);
        const xb = bitsOf(x);
        const bb = bitsOf(bias);
        // linear (alpha 1, beta 0) passes z on: 1 * z + 0 in float64, so -0 gives +0; NaNs keep their bits.
        const want = Uint32Array.from(xb, (xv, i) => {
          const c = Math.floor(i / inner) % channels;
          const nan = (v: number) => (v & 0x7fffffff) > 0x7f800000;
          if (nan(xv)) return (xv | 0x400000) >>> 0;
          if (nan(bb[c]!)) return (bb[c]! | 0x400000) >>> 0;
          const z = Math.fround(x[i]! + bias[c]!);
          return Number.isNaN(z) ? 0x7fc00000 : toBits(z === 0 ? 0 : z);
        });
        for (const acts of sets) {
          const layer = acts.layer('linear', {}, { axis });
          const tx = acts.tensor(x, shape);
          const tb = acts.tensor(bias);
          const y = layer.forwardBias(tx, tb);
          expectBits(`${acts.cpuKernels} forwardBias [${shape.join(', ')}] axis ${axis}`, await y.read(), want, { x });
          for (const t of [layer, tx, tb, y]) t.dispose();
        }
      }
    } finally {
      for (const acts of sets) acts.dispose();
    }
  });

  it('run under the layers (forward/backward, forwardBias/backwardBias, frozen PReLU) with the JS kernels left out and the same bits', async () => {
    const acts = {
      simd: await createActivations({ backend: 'cpu', cpuKernels: 'wasm-simd' }),
      js: await createActivations({ backend: 'cpu', cpuKernels: 'js' }),
    };
    const spies = [
      ...['relu', 'leakyRelu', 'relu6', 'hardtanh', 'thresholdedRelu'].flatMap((op) => [
        vi.spyOn(getOp(op).mask!, 'keep'),
        vi.spyOn(getOp(op).mask!, 'backward'),
      ]),
      vi.spyOn(prelu.cpu, 'forwardMask'),
      vi.spyOn(prelu.cpu, 'backwardMask'),
    ];
    try {
      const shape = [37, 29]; // 1073 elements: words, a vector tail and an element tail
      const x = inputs(37 * 29, [0, 1, 6], 3);
      const dy = inputs(37 * 29, [], 4);
      const bias = inputs(29, [0], 5);
      const alpha = inputs(29, [0.25], 6);
      for (const op of ['relu', 'leakyRelu', 'relu6', 'hardtanh', 'thresholdedRelu', 'prelu'] as const) {
        const out = [];
        for (const a of [acts.simd, acts.js]) {
          const tx = a.tensor(x, shape);
          const tdy = a.tensor(dy, shape);
          const tb = a.tensor(bias);
          const ta = a.tensor(alpha);
          const got: Record<string, Float32Array> = {};
          if (op === 'prelu') {
            const layer = a.layer('prelu', { alpha: ta }, { learnAlpha: false });
            const y = layer.forward(tx);
            const dx = layer.backward(tdy);
            Object.assign(got, { y: await y.read(), dx: await dx.read() });
            for (const t of [layer, y, dx]) t.dispose();
          } else {
            const layer = a.layer(op);
            expect(layer.keeps).toBe('mask');
            const y = layer.forward(tx);
            const dx = layer.backward(tdy);
            const yb = layer.forwardBias(tx, tb);
            const { dx: dxb, db } = layer.backwardBias(tdy);
            Object.assign(got, { y: await y.read(), dx: await dx.read(), yb: await yb.read(), dxb: await dxb.read(), db: await db.read() });
            for (const t of [layer, y, dx, yb, dxb, db]) t.dispose();
          }
          out.push(got);
          for (const t of [tx, tdy, tb, ta]) t.dispose();
        }
        for (const key of Object.keys(out[1]!)) expectBits(`${op} layer ${key}`, out[0]![key]!, bitsOf(out[1]![key]!), { x });
      }
      // The JS instance ran the JS mask kernels (the spies see calls); the SIMD one none of them.
      expect(spies.some((s) => s.mock.calls.length > 0)).toBe(true);
      for (const spy of spies) spy.mockClear();
      for (const op of ['relu', 'leakyRelu', 'relu6', 'hardtanh', 'thresholdedRelu'] as const) {
        const layer = acts.simd.layer(op);
        const tx = acts.simd.tensor(x, shape);
        const y = layer.forward(tx);
        const dx = layer.backward(acts.simd.tensor(dy, shape));
        const yb = layer.forwardBias(tx, acts.simd.tensor(bias));
        const { dx: dxb, db } = layer.backwardBias(acts.simd.tensor(dy, shape));
        for (const t of [layer, tx, y, dx, yb, dxb, db]) t.dispose();
      }
      const frozen = acts.simd.layer('prelu', { alpha: acts.simd.tensor(alpha) }, { learnAlpha: false });
      frozen.backward(frozen.forward(acts.simd.tensor(x, shape))).dispose();
      frozen.dispose();
      for (const spy of spies) expect(spy).not.toHaveBeenCalled();
    } finally {
      for (const spy of spies) spy.mockRestore();
      acts.simd.dispose();
      acts.js.dispose();
    }
  });
});

// The exp family's SIMD kernels compute each JS kernel's float64 formula with their own exp, expm1
// and log1p (src/cpu/wasm/kernels.ts) in place of Math's, so a result may differ from the JS
// kernel's where the two float64 values straddle an f32 rounding boundary: by 1 ULP at most, never
// in kind (NaN, infinity, zero, sign). Measured over 2^24 inputs per op and direction (every 512th
// bit pattern and 2^23 values evenly in [-32, 32]): no result differed. Both kernel sets are also
// held to the ops' bounds against float64 by the CPU conformance suite.
const EXP_CASES: readonly { op: string; attrs: Record<string, number | string>; edges: readonly number[] }[] = [
  { op: 'sigmoid', attrs: {}, edges: [0, 36.7, -745.2, -745.1] },
  { op: 'tanh', attrs: {}, edges: [0, 0.17, 0.35, 19.1, 22] },
  { op: 'silu', attrs: {}, edges: [-64, -1.2784645, -745.2, 709.8] },
  { op: 'elu', attrs: {}, edges: [0, -0.34, -0.35, -40] },
  { op: 'elu', attrs: { alpha: 0.3 }, edges: [0, -1e-30, -88] },
  { op: 'elu', attrs: { alpha: 2.5 }, edges: [-1.2297624e-16] }, // expm1 of a tiny x is x itself
  { op: 'selu', attrs: {}, edges: [0, -1, -745.2] },
  { op: 'celu', attrs: {}, edges: [0, -1, -40] },
  { op: 'celu', attrs: { alpha: -2 }, edges: [0, -1418, -1420] }, // x / alpha > 0: expm1 and exp overflow
  { op: 'celu', attrs: { alpha: 2 ** 127 }, edges: [-1, -3e38] },
  { op: 'softplus', attrs: {}, edges: [20, 0, -64, -745.2] },
  { op: 'softplus', attrs: { beta: 3, threshold: 5 }, edges: [5 / 3, -21.34] },
  { op: 'softplus', attrs: { beta: 1e-30, threshold: 0 }, edges: [0, 6.4e31] },
  { op: 'gelu', attrs: {}, edges: [0, 1.06066017, -2.12132034, 3.53553391, -5.65685425, -38.1837662, -38.6] }, // erfc's intervals
  { op: 'gelu', attrs: { approximate: 'tanh' }, edges: [0, -5.4, -18, -3e12] },
  { op: 'mish', attrs: {}, edges: [20, -64, -745.2, 0] },
  // Not of the exp family, but float64 steps too (measured: equal to the JS kernels).
  { op: 'softsign', attrs: {}, edges: [0, 1, -1, 3.4e38] },
  { op: 'linear', attrs: {}, edges: [] },
  { op: 'linear', attrs: { alpha: -2.5, beta: 0.75 }, edges: [0.3] },
  { op: 'linear', attrs: { alpha: 0, beta: 3e38 }, edges: [] }, // Inf * 0, and sums past the f32 range
];

/**
 * Throws a diff table where the SIMD result is more than 1 ULP from the JS kernel's or differs in
 * kind (NaN, ±Inf, ±0, sign); returns how many results differ at all (NaN payloads aside).
 */
function againstJs(label: string, got: Float32Array, want: Float32Array, inputs: Readonly<Record<string, Float32Array>>): number {
  const g = bitsOf(got);
  const w = bitsOf(want);
  const kind = (b: number, v: number) => (Number.isNaN(v) ? 'NaN' : `${b >>> 31}${Math.abs(v) === Infinity ? 'I' : v === 0 ? 'Z' : 'F'}`);
  const rows: string[] = [];
  let bad = 0;
  let differ = 0;
  for (let i = 0; i < g.length; i++) {
    if (g[i] === w[i] || (Number.isNaN(got[i]!) && Number.isNaN(want[i]!))) continue;
    differ++;
    const d = ulpDistance(g[i]!, w[i]!);
    if (d <= 1 && kind(g[i]!, got[i]!) === kind(w[i]!, want[i]!)) continue;
    bad++;
    if (rows.length < 10) {
      const ins = Object.entries(inputs).map(([k, v]) => `${k}=${v[i]} (${hex(bitsOf(v)[i]!)})`);
      rows.push(
        `  ${String(i).padStart(7)} | ${ins.join(' ')} | JS ${want[i]} (${hex(w[i]!)}) | SIMD ${got[i]} (${hex(g[i]!)}) | ulp ${d}`,
      );
    }
  }
  if (bad > 0) throw new Error(`${label}: ${bad} of ${g.length} results off\n    index | inputs | JS | SIMD | ulp\n${rows.join('\n')}`);
  return differ;
}

describe('CPU backend: WebAssembly SIMD kernels of the exp family', () => {
  let simd: Activations;
  let js: Activations;
  withKernelSets((s, j) => {
    simd = s;
    js = j;
  });

  /**
   * Forward and backward on both kernel sets. An op whose gradient comes from y is given x as y, so
   * that both get the same saved values (and every kind of them).
   */
  async function both(op: string, attrs: Record<string, number | string>, x: Float32Array, dy: Float32Array) {
    const results = [];
    for (const acts of [simd, js]) {
      const tx = acts.tensor(x);
      const tdy = acts.tensor(dy);
      const y = acts.forward(op as 'relu', tx, attrs as never);
      const saved = getOp(op).backwardFrom === 'y' ? { y: tx } : { x: tx };
      const dx = acts.backward(op as 'relu', { ...saved, dy: tdy } as never, attrs as never);
      results.push({ y: await y.read(), dx: await dx.read() });
      for (const t of [tx, tdy, y, dx]) t.dispose();
    }
    return { fast: results[0]!, reference: results[1]! };
  }

  for (const { op, attrs, edges } of EXP_CASES) {
    it(`${op} ${JSON.stringify(attrs)}: within 1 ULP of the JS kernels and of the same kind, at every length and on 2^18 values`, async () => {
      let differ = 0;
      let total = 0;
      for (const n of [...LENGTHS, 1 << 18]) {
        // Specials, edges and random bits; past the short lengths, values across the op's curve.
        const x = inputs(n, edges, n);
        if (n > 1003) x.set(uniformFloats(n >> 1, n, 40), n >> 2);
        const dy = inputs(n, [], n + 101);
        const { fast, reference } = await both(op, attrs, x, dy);
        const saved = getOp(op).backwardFrom === 'y' ? { y: x } : { x };
        const label = `${op} ${JSON.stringify(attrs)} n=${n}`;
        differ += againstJs(`${label} forward`, fast.y, reference.y, { x });
        differ += againstJs(`${label} backward`, fast.dx, reference.dx, { ...saved, dy });
        total += 2 * n;
      }
      // Bit for bit but where float64 values straddle an f32 rounding boundary: measured none.
      // softsign and linear repeat IEEE operations (no polynomials): the same bits, NaN payloads aside.
      if (op === 'softsign' || op === 'linear') expect(differ).toBe(0);
      else expect(differ).toBeLessThanOrEqual(total * 1e-5);
    });
  }

  it('leave the JS kernels out', () => {
    const kernels = ['sigmoid', 'tanh', 'silu', 'elu', 'selu', 'celu', 'softplus', 'gelu', 'mish', 'softsign', 'linear'].map(
      (op) => getOp(op).cpu,
    );
    const spies = kernels.flatMap((k) => [vi.spyOn(k, 'forward'), vi.spyOn(k, 'backward')]);
    try {
      const x = simd.tensor(new Float32Array([-3, -1, -0, 0.5, 2, 30, -70]));
      const outs: Tensor<Dtype>[] = [];
      for (const op of ['sigmoid', 'tanh', 'silu', 'elu', 'selu', 'celu', 'softplus', 'mish', 'softsign', 'linear'] as const) {
        const y = simd.forward(op, x);
        outs.push(y, simd.backward(op, getOp(op).backwardFrom === 'y' ? { y, dy: x } : { x, dy: x }));
      }
      for (const approximate of ['none', 'tanh'] as const) {
        outs.push(simd.forward('gelu', x, { approximate }), simd.backward('gelu', { x, dy: x }, { approximate }));
      }
      for (const spy of spies) expect(spy).not.toHaveBeenCalled();
      for (const t of [x, ...outs]) t.dispose();
    } finally {
      for (const spy of spies) spy.mockRestore();
    }
  });

  it("run the gated units' gates too: the JS kernels stay out, and with a = 1 y is forward(gate, b) bit for bit", async () => {
    const gates = { glu: 'sigmoid', reglu: 'relu', geglu: 'gelu', swiglu: 'silu' } as const;
    const kernels = Object.values(gates).map((op) => getOp(op).cpu);
    const spies = kernels.flatMap((k) => [vi.spyOn(k, 'forward'), vi.spyOn(k, 'backward')]);
    try {
      const b = inputs(4001, [-3, 0, 3, 30], 77);
      const x = simd.tensor(
        Float32Array.from({ length: 2 * b.length }, (_, i) => (i < b.length ? 1 : b[i - b.length]!)),
        [2, b.length],
      );
      const dy = simd.tensor(randomFloats(b.length, 78, 3), [1, b.length]);
      for (const [unit, gate] of Object.entries(gates) as [keyof typeof gates, (typeof gates)[keyof typeof gates]][]) {
        const y = simd.forward(unit, x, { axis: 0 });
        const dx = simd.backward(unit, { x, dy }, { axis: 0 });
        const want = simd.forward(gate, simd.tensor(b));
        // 1 * g quiets a signalling NaN g (as the GPU's multiply does); every other value is g's.
        const quieted = bitsOf(await want.read()).map((bits) => ((bits & 0x7fffffff) > 0x7f800000 ? (bits | 0x400000) >>> 0 : bits));
        expectBits(`${unit} with a = 1 against forward(${gate}, b)`, await y.read(), quieted, { x: b });
        for (const t of [y, dx, want]) t.dispose();
      }
      for (const spy of spies) expect(spy).not.toHaveBeenCalled();
      for (const t of [x, dy]) t.dispose();
    } finally {
      for (const spy of spies) spy.mockRestore();
    }
  });

  // Runs of half * inner neighbours: 21 along the last axis (5 vectors and a tail), 4 * 9 along
  // axis 1, 4001 along axis 0 (one run), and 3 (under GATED_RUN_MIN: the gathering path).
  const GATED: readonly { shape: number[]; axis: number }[] = [
    { shape: [37, 42], axis: -1 },
    { shape: [5, 8, 9], axis: 1 },
    { shape: [2, 4001], axis: 0 },
    { shape: [40, 6], axis: 1 },
  ];
  for (const unit of ['glu', 'reglu', 'geglu', 'swiglu'] as const) {
    it(`${unit}: forward and backward on the heap within 1 ULP of the JS kernels, of the same kind, at every layout`, async () => {
      let differ = 0;
      let total = 0;
      for (const { shape, axis } of GATED) {
        const n = shape.reduce((p, q) => p * q, 1);
        const x = inputs(n, [-3, 0, 3, 30], n);
        x.set(uniformFloats(n >> 1, n, 8), n >> 2);
        const results = [];
        for (const acts of [simd, js]) {
          // On the heap, runs of 16 and more leave the gathering JS kernels out.
          const gathering = lookupOp(unit).cpu as object as { forward: () => void; backward: () => void };
          const spies = acts === simd ? [vi.spyOn(gathering, 'forward'), vi.spyOn(gathering, 'backward')] : [];
          try {
            const tx = acts.tensor(x, shape);
            const y = acts.forward(unit, tx, { axis });
            const tdy = acts.tensor(inputs(y.length, [], n + 5), y.shape);
            const dx = acts.backward(unit, { x: tx, dy: tdy }, { axis });
            results.push({ y: await y.read(), dx: await dx.read() });
            for (const t of [tx, y, tdy, dx]) t.dispose();
            for (const spy of spies) expect(spy).toHaveBeenCalledTimes(shape[1] === 6 ? 1 : 0);
          } finally {
            for (const spy of spies) spy.mockRestore();
          }
        }
        const [fast, reference] = results as [(typeof results)[0], (typeof results)[0]];
        const label = `${unit} [${shape.join(', ')}] axis ${axis}`;
        differ += againstJs(`${label} forward`, fast.y, reference.y, {});
        differ += againstJs(`${label} backward`, fast.dx, reference.dx, { x });
        total += fast.y.length + fast.dx.length;
      }
      // The gates' SIMD kernels are within 1 ULP (measured: equal); the products are IEEE's.
      if (unit === 'reglu') expect(differ).toBe(0);
      else expect(differ).toBeLessThanOrEqual(total * 1e-5);
    });
  }
});

// softmax and logSoftmax: the SIMD kernels (src/cpu/wasm/softmax.ts) repeat the JS kernels' f32
// operations in the same order, row sums included, so every bit agrees; NaN outputs are always
// 0x7fc00000. Rows along the last axis and along an inner axis (four rows side by side), forward
// and backward, every row length through the sums' lane counts (1 to 64 lanes, partial vectors).
const ROW_LENGTHS = [1, 2, 3, 4, 5, 7, 31, 63, 64, 65, 100, 127, 128, 129, 1000, 4096];
const ROW_KINDS = 16;
/** Values near zero and the bottom of the range: ±0, subnormals, the smallest normal, 1e-7, -Inf. */
const SMALL_BITS = [0x00000000, 0x80000000, 0x00000001, 0x80000001, 0x007fffff, 0x807fffff, 0x00800000, 0x33d6bf95, 0xff800000];

/** x for row r of `len` elements (its kind r % ROW_KINDS). */
function softmaxRow(len: number, r: number): Float32Array {
  const seed = len * 131 + r;
  const next = rng(seed);
  const pick = () => Math.floor(next() * len);
  switch (r % ROW_KINDS) {
    case 1: {
      // Small values, specials near zero and -Inf, and the maximum three times.
      const row = uniformFloats(len, seed, 3);
      for (let j = 0; j < len; j += 3) row[j] = fromBits(SMALL_BITS[(j / 3 + r) % SMALL_BITS.length]!);
      for (const j of [pick(), pick(), len - 1]) row[j] = 5;
      return row;
    }
    case 2:
      // Magnitudes up to 3e38 of both signs: x - max overflows to -Inf.
      return Float32Array.from({ length: len }, () => (next() < 0.5 ? -1 : 1) * 10 ** (next() * 76 - 38) * 3);
    case 3: {
      // Max 0, the rest down to -120: exp underflows to subnormals and 0; -104 and its neighbours.
      const row = uniformFloats(len, seed, 60).map((v) => v - 60);
      const edges = [-104, fromBits(toBits(-104) + 1), fromBits(toBits(-104) - 1), -103.97, -87.3];
      for (let j = 1; j < len; j += 4) row[j] = edges[(j >> 2) % edges.length]!;
      row[pick()] = 0;
      return row;
    }
    case 4: {
      const row = uniformFloats(len, seed, 20);
      row.set(floatsFromBits([[0x7fc00000, 0x7fc00001, 0xffc12345, 0x7f800001][r % 4]!]), r % 2 ? len - 1 : pick());
      return row;
    }
    case 5: {
      const row = uniformFloats(len, seed, 20);
      row[pick()] = Infinity;
      return row;
    }
    case 6:
      return new Float32Array(len).fill(-Infinity);
    case 7:
      return Float32Array.from({ length: len }, (_, j) => (j % 3 === 1 ? 0 : -0));
    case 8:
      return new Float32Array(len).fill(-0);
    case 9:
      // Arbitrary bit patterns, every exponent, made finite.
      return floatsFromBits(bitsOf(randomFloats(len, seed, 8)).map((b) => ((b & 0x7f800000) === 0x7f800000 ? b & 0xff7fffff : b)));
    case 10:
      // Past exp's limits, for y in logSoftmax's backward: exp(y) overflows above 89.
      return uniformFloats(len, seed, 110).map((v) => v - 10);
    case 11:
    case 12: {
      // One term of 1, the rest below 2^-36: the sum's hi is 1, so logSoftmax's value is its lo,
      // whose roundings show the order of the sum (and y at the maximum is -lo).
      const row = uniformFloats(len, seed, 7.5).map((v) => v - 32.5);
      row[pick()] = 0;
      return row;
    }
    default:
      return uniformFloats(len, seed, 20);
  }
}

/** Row r's arbitrary y for backward (its own kind, shifted) and its dy: r % 5 picks ordinary values, specials near zero, a NaN, ±Inf, or magnitudes near 3e38. */
function gradRows(len: number, r: number): { y: Float32Array; dy: Float32Array } {
  const seed = len * 37 + r + 5;
  const next = rng(seed);
  if (r % ROW_KINDS >= 13) {
    // The sum's order made visible: y = 1 and dy small but for +2e38 twice and -2e38 twice at
    // random places, so two of one sign meeting first overflow and the order decides finite,
    // ±Inf or NaN.
    const dy = uniformFloats(len, seed, 1);
    for (const v of [2e38, 2e38, -2e38, -2e38]) dy[Math.floor(next() * len)] = v;
    return { y: new Float32Array(len).fill(1), dy };
  }
  const dy = uniformFloats(len, seed, 2);
  const at = Math.floor(next() * len);
  switch (r % 5) {
    case 1:
      for (let j = 0; j < len; j += 2) dy[j] = fromBits(SMALL_BITS[(j / 2 + r) % (SMALL_BITS.length - 1)]!);
      break;
    case 2:
      dy.set(floatsFromBits([0xffc12345]), at);
      break;
    case 3:
      dy[at] = r % 2 ? Infinity : -Infinity;
      break;
    case 4:
      for (let j = 0; j < len; j++) dy[j] = (next() < 0.5 ? -3e38 : 3e38) * next();
      break;
  }
  return { y: softmaxRow(len, r + 3), dy };
}

/** rows.length = outer * inner rows laid out as [outer, len, inner]: row o * inner + i's element k at (o * len + k) * inner + i. */
function layRows(rows: readonly Float32Array[], len: number, inner: number): Float32Array {
  const out = new Float32Array(rows.length * len);
  const outBits = bitsOf(out);
  rows.forEach((row, r) => {
    const o = Math.floor(r / inner);
    const i = r % inner;
    const b = bitsOf(row);
    for (let k = 0; k < len; k++) outBits[(o * len + k) * inner + i] = b[k]!;
  });
  return out;
}

/** x, an arbitrary y and dy for `count` rows of len laid out with `inner`. */
function softmaxCase(count: number, len: number, inner: number): { x: Float32Array; y2: Float32Array; dy: Float32Array } {
  const lay = (rows: readonly Float32Array[]) => layRows(rows, len, inner);
  const grads = Array.from({ length: count }, (_, r) => gradRows(len, r));
  return {
    x: lay(Array.from({ length: count }, (_, r) => softmaxRow(len, r))),
    y2: lay(grads.map((g) => g.y)),
    dy: lay(grads.map((g) => g.dy)),
  };
}

describe('CPU backend: WebAssembly SIMD softmax and logSoftmax', () => {
  let simd: Activations;
  let js: Activations;
  withKernelSets((s, j) => {
    simd = s;
    js = j;
  });

  /**
   * Forward on x, then backward twice: from the JS forward's y (what training feeds it) and from
   * arbitrary y, both with the same dy. All on both kernel sets, compared bit for bit.
   */
  async function compareRows(
    op: 'softmax' | 'logSoftmax',
    shape: number[],
    axis: number,
    x: Float32Array,
    y2: Float32Array,
    dy: Float32Array,
  ) {
    const results: { y: Float32Array; dx: Float32Array; dx2: Float32Array }[] = [];
    let y1: Float32Array = new Float32Array(0);
    for (const acts of [js, simd]) {
      const tx = acts.tensor(x, shape);
      const y = acts.forward(op, tx, { axis });
      if (acts === js) y1 = await y.read();
      const ty1 = acts.tensor(y1, shape);
      const ty2 = acts.tensor(y2, shape);
      const tdy = acts.tensor(dy, shape);
      const dx = acts.backward(op, { y: ty1, dy: tdy }, { axis });
      const dx2 = acts.backward(op, { y: ty2, dy: tdy }, { axis });
      results.push({ y: await y.read(), dx: await dx.read(), dx2: await dx2.read() });
      for (const t of [tx, y, ty1, ty2, tdy, dx, dx2]) t.dispose();
    }
    const [reference, fast] = results as [(typeof results)[0], (typeof results)[0]];
    const label = `${op} [${shape.join(', ')}] axis ${axis}`;
    expectBits(`${label} forward`, fast.y, bitsOf(reference.y), { x });
    expectBits(`${label} backward from its y`, fast.dx, bitsOf(reference.dx), { y: y1, dy });
    expectBits(`${label} backward from other y`, fast.dx2, bitsOf(reference.dx2), { y: y2, dy });
  }

  for (const op of ['softmax', 'logSoftmax'] as const) {
    it(`${op} along the last axis: forward and backward equal the JS kernels bit for bit, rows of 1 to 4096`, async () => {
      for (const len of ROW_LENGTHS) {
        const { x, y2, dy } = softmaxCase(ROW_KINDS, len, 1);
        await compareRows(op, [ROW_KINDS, len], -1, x, y2, dy);
      }
    });

    it(`${op} along an inner axis (four rows a vector, a partial group): bit for bit`, async () => {
      for (const len of [1, 3, 7, 64, 65, 100]) {
        // Groups of four and a partial one (inner 5, 13), whole groups (4), partial only (2, 3).
        for (const [outer, inner] of [
          [4, 5],
          [4, 4],
          [1, 3],
          [2, 2],
          [2, 13],
        ] as const) {
          const { x, y2, dy } = softmaxCase(outer * inner, len, inner);
          await compareRows(op, [outer, len, inner], 1, x, y2, dy);
        }
      }
    });
  }

  it('leave the JS kernels out, along the last axis and an inner one', () => {
    const spies = [softmax.cpu, logSoftmax.cpu].flatMap((kernels) => [vi.spyOn(kernels, 'forward'), vi.spyOn(kernels, 'backward')]);
    try {
      for (const axis of [-1, 0]) {
        const x = simd.tensor(uniformFloats(24, 1, 3), [6, 4]);
        for (const op of ['softmax', 'logSoftmax'] as const) {
          const y = simd.forward(op, x, { axis });
          simd.backward(op, { y, dy: x }, { axis }).dispose();
          y.dispose();
        }
        x.dispose();
      }
      for (const spy of spies) expect(spy).not.toHaveBeenCalled();
      const x = js.tensor(uniformFloats(8, 2, 3), [2, 4]);
      js.forward('softmax', x).dispose();
      expect(spies[0]).toHaveBeenCalledTimes(1);
      x.dispose();
    } finally {
      for (const spy of spies) spy.mockRestore();
    }
  });
});

/** The first few indices where got and want differ, with the input there (an empty list when none do). */
function mismatches(got: ArrayLike<number>, want: ArrayLike<number>, input: ArrayLike<number>): string[] {
  const out: string[] = [];
  if (got.length !== want.length) return [`length ${got.length}, expected ${want.length}`];
  for (let i = 0; i < got.length && out.length < 8; i++) {
    if (got[i] !== want[i]) out.push(`[${i}] input ${hex(input[i]!)}: got ${hex(got[i]!)}, expected ${hex(want[i]!)}`);
  }
  return out;
}

describe("CPU backend: a layer's bias-gradient sums (strided rows) in WebAssembly SIMD", () => {
  // rows (channels) x len = outer * inner values: row r's value k at ((k / inner) * rows + r) * inner + k % inner.
  const LAYOUTS: readonly { rows: number; outer: number; inner: number }[] = [
    { rows: 29, outer: 37, inner: 1 }, // [batch, units]: seven groups of four and one that overlaps
    { rows: 3, outer: 1000, inner: 1 }, // fewer rows than a vector
    { rows: 1, outer: 5, inner: 1 },
    { rows: 4, outer: 1, inner: 1 }, // len 1: the padding's add
    { rows: 6, outer: 2, inner: 35 }, // NCHW, gathered inner apart
    { rows: 64, outer: 3, inner: 16 },
    { rows: 5, outer: 7, inner: 3 }, // len 21: partials of 16, 4 and 1 left
    { rows: 8, outer: 4096, inner: 1 }, // len 4096: a power of two
  ];
  for (const { rows, outer, inner } of LAYOUTS) {
    it(`rows ${rows}, outer ${outer}, inner ${inner}: the JS tree sum's bits, row by row`, async () => {
      const backend = await createCpuBackend('wasm-simd');
      const len = outer * inner;
      // Specials (NaN payloads, infinities, ±0, subnormals), ±2^100 whose grouping decides
      // overflow and cancellation, and random values.
      const x = inputs(rows * len, [2 ** 100, -(2 ** 100), 3e38], rows + len);
      const xb = bitsOf(x);
      const want = Uint32Array.from({ length: rows }, (_, r) =>
        treeSumBits(len, (k) => xb[(Math.floor(k / inner) * rows + r) * inner + (k % inner)]!),
      );
      const input = backend.upload(x);
      const { sums } = backend.rowSums(input, rows, len, inner);
      const got = new Float32Array(await backend.read(sums, rows, 'f32'));
      backend.release(input);
      backend.release(sums);
      expectBits(`rows ${rows} len ${len} inner ${inner}`, got, want, {});
      // The same without specials: finite sums whose rounding depends on the tree's grouping.
      const finite = Float32Array.from({ length: rows * len }, (_, i) => ((i * 2654435761) % 1000) * (i % 3 === 0 ? 1e7 : 1e-3) - 300);
      const fb = bitsOf(finite);
      const want2 = Uint32Array.from({ length: rows }, (_, r) =>
        treeSumBits(len, (k) => fb[(Math.floor(k / inner) * rows + r) * inner + (k % inner)]!),
      );
      const input2 = backend.upload(finite);
      const second = backend.rowSums(input2, rows, len, inner).sums;
      expectBits(`finite rows ${rows} len ${len} inner ${inner}`, new Float32Array(await backend.read(second, rows, 'f32')), want2, {});
      backend.release(input2);
      backend.release(second);
    });
  }
});

describe('CPU backend: f16 conversions in WebAssembly SIMD', () => {
  let simd: CpuBackend;
  beforeAll(async () => {
    simd = await createCpuBackend('wasm-simd');
  });

  /** The backend's widening of halves, read back as f32 bits. */
  async function widen(halves: Uint16Array): Promise<Uint32Array> {
    const h = simd.upload(halves);
    const f = simd.allocate(halves.length, 'f32');
    simd.convert('widen', h, f);
    const out = await simd.read(f, halves.length, 'f32');
    simd.release(h);
    simd.release(f);
    return bitsOf(out);
  }

  /** The backend's rounding of f32s (given as bits) to halves. */
  async function narrow(bits: Uint32Array): Promise<Uint16Array> {
    const f = simd.upload(floatsFromBits(bits));
    const h = simd.allocate(bits.length, 'f16');
    simd.convert('narrow', f, h);
    const out = await simd.read(h, bits.length, 'f16');
    simd.release(f);
    simd.release(h);
    return out;
  }

  it('widen every one of the 65536 halves to the bits of halfToF32Bits, in vectors and the tail', async () => {
    expect(simd.cpuKernels).toBe('wasm-simd');
    for (const n of [65536, 65531]) {
      // Every half (n = 65536); else the last n % 8, one at a time, include ±Inf and NaNs.
      const halves = Uint16Array.from({ length: n }, (_, i) => (i * 40503) & 0xffff);
      if (n < 65536) halves.set([0x7c00, 0xfe01, 0x8001], n - 3);
      expect(mismatches(await widen(halves), Uint32Array.from(halves, halfToF32Bits), halves)).toEqual([]);
    }
  });

  it('round f32s to the halves of f32ToHalfBits: every half, the midpoints to its neighbours and their neighbours, specials, random bits', async () => {
    // For each half h: its f32 value, the value halfway to the next half up, and the f32s either
    // side of both: ties (to even), just below and just above each rounding boundary.
    const pool: number[] = [...SPECIAL_BITS];
    for (let h = 0; h < 0x10000; h++) {
      const b = halfToF32Bits(h);
      const mid = (b + (1 << 12)) >>> 0; // the mantissa bit below the half's last, for normal halves
      pool.push(b, (b + 1) >>> 0, (b - 1) >>> 0, mid, (mid + 1) >>> 0, (mid - 1) >>> 0);
    }
    // Around the subnormal range, the overflow threshold 65520 and the flush to zero below 2^-25.
    for (const v of [2 ** -14, 2 ** -24, 2 ** -25, 3 * 2 ** -26, 65504, 65520, 65519.996]) {
      const b = toBits(v);
      for (let d = -3; d <= 3; d++) pool.push((b + d) >>> 0, ((b + d) | 0x80000000) >>> 0);
    }
    pool.push(...bitsOf(randomFloats(20011, 7, 8)));
    for (const n of [pool.length, pool.length - 5, 7, 1]) {
      const bits = Uint32Array.from(pool.slice(0, n));
      expect(mismatches(await narrow(bits), Uint16Array.from(bits, f32ToHalfBits), bits)).toEqual([]);
    }
  });

  it('f16 ops (widen, the SIMD f32 kernel, round once) equal the JS path bit for bit', async () => {
    const acts = await createActivations({ backend: 'cpu', cpuKernels: 'wasm-simd' });
    const js = await createActivations({ backend: 'cpu', cpuKernels: 'js' });
    try {
      // Ops whose NaN bits are defined (gelu's, say, are the engine's: a JIT tier may flip a sign).
      for (const op of ['relu', 'leakyRelu', 'hardswish', 'hardsigmoid', 'relu6'] as const) {
        for (const n of [0, 3, 8, 13, 1003]) {
          const x = Uint16Array.from({ length: n }, (_, i) => (i * 40503 + n) & 0xffff);
          const dy = Uint16Array.from({ length: n }, (_, i) => (i * 12345 + 7) & 0xffff);
          const out = [];
          for (const a of [acts, js]) {
            const tx = a.tensor(x);
            const tdy = a.tensor(dy);
            const y = a.forward(op, tx);
            const dx = a.backward(op, { x: tx, dy: tdy });
            out.push({ y: await y.read(), dx: await dx.read() });
            for (const t of [tx, tdy, y, dx]) t.dispose();
          }
          expect(mismatches(out[0]!.y, out[1]!.y, x), `${op} f16 forward n=${n}`).toEqual([]);
          expect(mismatches(out[0]!.dx, out[1]!.dx, x), `${op} f16 backward n=${n}`).toEqual([]);
        }
      }
      expect(acts.cpuHeapStats.live).toBe(0);
    } finally {
      acts.dispose();
      js.dispose();
    }
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
