import { describe, expect, it } from 'vitest';
import { createActivations, DeviceLostError, DisposedError, type Activations, type Tensor } from '../../src/index.js';
import { treeSumBits } from '../../src/numerics/exact.js';
import { f32ToHalfBits } from '../../src/numerics/half.js';
import { casesFor } from '../conformance/all.js';
import { countingDevice, type BufferCounts } from '../helpers/counting-device.js';
import { bitsOf, randomFloats, rng, toBits, uniformFloats } from '../helpers/float.js';
import { nodeGpu } from '../helpers/node-gpu.js';
import { reluGradReference, reluReference } from '../helpers/reference.js';
import { describeIfAvailable } from '../helpers/requirements.js';
import { registerConformance, webgpuContext } from '../helpers/vitest-suite.js';
import { expectBits } from '../helpers/compare.js';
import { forwarding } from '../helpers/forwarding.js';
import { poolBucket } from '../../src/gpu/pool.js';

const STORAGE = 0x80;
const MAP_READ = 0x01;
const UNIFORM = 0x40;
/** The params cache keeps at most this many small uniform buffers per device (device-cache.ts). */
const PARAMS_CAPACITY = 1024;

const found = await nodeGpu();
const missing = 'reason' in found ? found.reason : undefined;

/** A device of its own (an adapter hands out one device, so each needs a fresh adapter). */
async function newDevice(): Promise<GPUDevice> {
  if ('reason' in found) throw new Error(found.reason);
  const adapter = await found.gpu.requestAdapter();
  if (!adapter) throw new Error('no adapter');
  return adapter.requestDevice();
}

/** The largest params uniform: PReLU's broadcast (rank, perParam, 2 pad, then 3 × 8 strides) is 28 u32s. */
const PARAMS_MAX_BYTES = 112;
/** GPU against the CPU backend for the ops that are not exact: README's bound (ULP of float64) plus 1. */
const ULP = { sigmoid: 3 + 1, gelu: 6 + 1 } as const;

/** Labels of the live buffers other than the params cache's uniforms, with how many of each. */
function leaked(counts: BufferCounts): Record<string, number> {
  const out: Record<string, number> = {};
  for (const b of counts.live()) if (!(b.usage & UNIFORM)) out[b.label] = (out[b.label] ?? 0) + 1;
  return out;
}

/** The buffer pool's default cap (src/gpu/gpu-backend.ts, tuning.poolBytes). */
const POOL_BYTES = 64 * 1024 * 1024;

/**
 * Released tensor buffers wait in the pool, within its cap; checks that bound, then trims the
 * pool so that whatever non-uniform buffer is still alive is a leak, and returns those.
 */
function leakedAfterTrim(acts: Activations, counts: BufferCounts): Record<string, number> {
  const waiting = counts.live().filter((b) => !(b.usage & UNIFORM));
  expect(waiting.reduce((sum, b) => sum + b.size, 0)).toBeLessThanOrEqual(POOL_BYTES);
  expect(waiting.length).toBeLessThanOrEqual(256);
  acts.trimPool();
  return leaked(counts);
}

/**
 * After every submitted job is done: nothing alive but the params cache's uniforms, at most
 * PARAMS_CAPACITY of them and PARAMS_CAPACITY × `maxParamsBytes` bytes in all.
 */
async function expectOnlyParams(device: GPUDevice, counts: BufferCounts, label: string, maxParamsBytes: number): Promise<void> {
  await device.queue.onSubmittedWorkDone();
  const live = counts.live();
  const bytes = live.reduce((sum, b) => sum + b.size, 0);
  console.log(`[leaks] ${label}: ${counts.created} buffers created, ${counts.destroyed} destroyed, ${live.length} live (${bytes} bytes)`);
  expect(leaked(counts)).toEqual({});
  expect(live.length).toBeLessThanOrEqual(PARAMS_CAPACITY);
  expect(bytes).toBeLessThanOrEqual(PARAMS_CAPACITY * maxParamsBytes);
}

const SPECIALS = [0, -0, NaN, Infinity, -Infinity];

/** n floats uniform in [-range, range], with 1 in 32 a zero of either sign, NaN or an infinity. */
function mixedValues(next: () => number, n: number, range: number): Float32Array<ArrayBuffer> {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = next() < 1 / 32 ? SPECIALS[Math.floor(next() * SPECIALS.length)]! : (next() * 2 - 1) * range;
  return out;
}

/** n arbitrary f16 bit patterns (NaNs, infinities and subnormals included). */
function randomHalves(next: () => number, n: number): Uint16Array<ArrayBuffer> {
  return Uint16Array.from({ length: n }, () => Math.floor(next() * 65536));
}

/**
 * A mixed [rows, units]: mostly small (0 rows and odd sizes common), 300 rows (db in 2 tree-sum
 * passes), and 1 in 200 over 16,384 rows of 1 or 3 units (3 passes, ~50k elements).
 */
function mixedShape(next: () => number): [number, number] {
  const r = next();
  if (r < 0.005) return [16_385 + Math.floor(next() * 2000), pick(next, [1, 3])];
  const rows = r < 0.055 ? 0 : r < 0.105 ? 300 : Math.floor(next() ** 3 * 400);
  return [rows, pick(next, [1, 3, 7, 8, 33])];
}

function pick<T>(next: () => number, items: readonly T[]): T {
  return items[Math.floor(next() * items.length)]!;
}

/** Distance between two f16 bit patterns in f16 ULP (±0 equal; NaN only meets NaN). */
function halfUlp(a: number, b: number): number {
  const nan = (h: number) => (h & 0x7fff) > 0x7c00;
  if (nan(a) || nan(b)) return nan(a) && nan(b) ? 0 : Infinity;
  const line = (h: number) => (h & 0x8000 ? -(h & 0x7fff) : h);
  return Math.abs(line(a) - line(b));
}

/** Checks two f16 results are within maxUlp (0: the same bits), naming the first differences. */
function expectHalves(label: string, got: Uint16Array, expected: Uint16Array, maxUlp: number): void {
  expect(got.length, `${label}: length`).toBe(expected.length);
  const bad: string[] = [];
  for (let i = 0; i < got.length && bad.length < 10; i++) {
    const ok = maxUlp === 0 ? got[i] === expected[i] : halfUlp(got[i]!, expected[i]!) <= maxUlp;
    if (!ok) bad.push(`[${i}] expected 0x${expected[i]!.toString(16)}, got 0x${got[i]!.toString(16)}`);
  }
  expect(bad, label).toEqual([]);
}

/** db as the GPU sums it (tree-sum.wgsl): each unit's column of dx [rows, units], in a fixed binary tree. */
function treeColumnSums(dx: Float32Array, rows: number, units: number): Uint32Array {
  const bits = bitsOf(dx);
  return Uint32Array.from({ length: units }, (_, c) => treeSumBits(rows, (k) => bits[k * units + c]!));
}

type Ending = 'backward' | 'pending' | 'twice';
type Tally = Record<string, number>;

function tally(seen: Tally, key: string): void {
  seen[key] = (seen[key] ?? 0) + 1;
}

/**
 * One training step through a layer of relu (1-bit mask, telemetry), sigmoid (keeps y) or gelu
 * (keeps x, or the z = x + b it made): forward or forwardBias, maybe readActivity, then backward
 * (backwardBias), or a second forward first ('twice'), or dispose with the forward pending.
 * Every random draw happens before the first await, so concurrent cycles stay reproducible.
 */
async function activationLayerCycle(
  acts: Activations,
  cpu: Activations,
  next: () => number,
  check: boolean,
  seen: Tally,
  kind: 'relu' | 'sigmoid' | 'gelu',
  ending: Ending,
): Promise<void> {
  const [rows, units] = mixedShape(next);
  const shape = [rows, units];
  const bias = next() < 0.5;
  const xData = mixedValues(next, rows * units, 4);
  const bData = uniformFloats(units, Math.floor(next() * 2 ** 31), 1);
  const dyData = uniformFloats(rows * units, Math.floor(next() * 2 ** 31), 2);
  const disposeX = kind === 'relu' && next() < 0.5;
  const watch = kind === 'relu' && next() < 0.5;
  tally(seen, `${kind}${bias ? ' bias' : ''} ${ending}`);
  if (bias && rows > 128) tally(seen, rows > 128 * 128 ? 'db in 3 tree-sum passes' : 'db in 2 tree-sum passes');

  const layer = kind === 'relu' ? acts.layer('relu', {}, { telemetry: true }) : acts.layer(kind);
  const x = acts.tensor(xData, shape);
  const b = acts.tensor(bData);
  const made: Tensor[] = [x, b];
  const forward = () => (bias ? layer.forwardBias(x, b) : layer.forward(x));
  let y = forward();
  if (ending === 'twice') {
    made.push(y);
    y = forward(); // replaces what the first forward kept
  }
  made.push(y);
  if (disposeX) x.dispose(); // the mask is all relu's backward needs
  const activity = watch ? layer.readActivity() : undefined;
  let dx: Tensor | undefined;
  let db: Tensor | undefined;
  if (ending === 'pending') {
    // Dispose with the forward pending: the mask, the z it made or the y it refers to must go.
    if (!activity) layer.dispose();
  } else {
    const dy = acts.tensor(dyData, shape);
    if (bias) ({ dx, db } = layer.backwardBias(dy));
    else dx = layer.backward(dy);
    made.push(dy, dx, ...(db ? [db] : []));
    expect(layer.retainedBytes).toBe(0);
  }
  const [yv, dxv, dbv, act] = await Promise.all([y.read(), dx?.read(), db?.read(), activity]);
  layer.dispose();
  expect(layer.retainedBytes).toBe(0);
  for (const t of made) t.dispose();
  if (!check) return;

  // The same step on the CPU backend.
  tally(seen, 'checked against the CPU');
  const cl = kind === 'relu' ? cpu.layer('relu', {}, { telemetry: true }) : cpu.layer(kind);
  const cx = cpu.tensor(xData, shape);
  const cb = cpu.tensor(bData);
  const cy = bias ? cl.forwardBias(cx, cb) : cl.forward(cx);
  const ulp = kind === 'relu' ? 0 : ULP[kind];
  const inputs = { x: xData };
  expectBits(`${kind} y [${rows}, ${units}]`, yv, bitsOf(await cy.read()), inputs, ulp);
  if (act) expect(act).toEqual(await cl.readActivity());
  const cdy = cpu.tensor(dyData, shape);
  const extra: Tensor[] = [];
  if (dxv) {
    let want: { dx: Tensor; db?: Tensor };
    // sigmoid's gradient comes from y: give the CPU the GPU's y, so only the backward is compared.
    if (kind === 'sigmoid') want = { dx: cpu.backward('sigmoid', { y: cpu.tensor(yv, shape), dy: cdy }) };
    else want = bias ? cl.backwardBias(cdy) : { dx: cl.backward(cdy) };
    extra.push(want.dx, ...(want.db ? [want.db] : []));
    expectBits(`${kind} dx [${rows}, ${units}]`, dxv, bitsOf(await want.dx.read()), { x: xData, dy: dyData }, ulp);
    // db: the CPU layer's (relu: dx is exact), else the CPU's tree sum of the GPU's dx.
    if (dbv) {
      const sums = kind === 'relu' && want.db ? bitsOf(await want.db.read()) : treeColumnSums(dxv, rows, units);
      expectBits(`${kind} db`, dbv, sums, {});
    }
  }
  cl.dispose();
  for (const t of [cx, cb, cy, cdy, ...extra]) t.dispose();
}

/** One step through a PReLU layer: alpha per unit or shared; dalpha replaced at the next backward, freed by dispose. */
async function preluLayerCycle(acts: Activations, cpu: Activations, next: () => number, check: boolean, seen: Tally, ending: Ending) {
  const [rows, units] = mixedShape(next);
  const shape = [rows, units];
  const slopes = next() < 0.7 ? units : 1;
  const xData = mixedValues(next, rows * units, 4);
  const alphaData = uniformFloats(slopes, Math.floor(next() * 2 ** 31), 0.5);
  const dyData = mixedValues(next, rows * units, 2);
  tally(seen, `prelu ${ending}`);

  const alpha = acts.tensor(alphaData);
  const layer = acts.layer('prelu', { alpha, axis: -1 });
  const x = acts.tensor(xData, shape);
  const dy = acts.tensor(dyData, shape);
  const made: Tensor[] = [alpha, x, dy];
  let first: Tensor | undefined;
  if (ending === 'twice') {
    made.push(layer.forward(x), layer.backward(dy));
    first = layer.dalpha;
  }
  const y = layer.forward(x);
  made.push(y);
  let dx: Tensor | undefined;
  if (ending !== 'pending') {
    dx = layer.backward(dy);
    made.push(dx);
    if (first) expect(first.disposed).toBe(true); // the second backward freed the first dalpha
  } else if (next() < 0.5) layer.dispose();
  const dalpha = layer.dalpha;
  const [yv, dxv, dav] = await Promise.all([y.read(), dx?.read(), ending === 'pending' ? undefined : dalpha?.read()]);
  layer.dispose();
  if (dalpha) expect(dalpha.disposed).toBe(true);
  for (const t of made) t.dispose();
  if (!check) return;

  tally(seen, 'checked against the CPU');
  const cx = cpu.tensor(xData, shape);
  const ca = cpu.tensor(alphaData);
  const cdy = cpu.tensor(dyData, shape);
  const cy = cpu.prelu(cx, ca, { axis: -1 });
  expectBits(`prelu y [${rows}, ${units}]`, yv, bitsOf(await cy.read()), { x: xData });
  const want = cpu.preluBackward({ x: cx, alpha: ca, dy: cdy }, { axis: -1 });
  if (dxv) expectBits(`prelu dx [${rows}, ${units}]`, dxv, bitsOf(await want.dx.read()), { x: xData, dy: dyData });
  if (dav) expectBits(`prelu dalpha [${rows}, ${units}]`, dav, bitsOf(await want.dalpha.read()), {});
  for (const t of [cx, ca, cdy, cy, want.dx, want.dalpha]) t.dispose();
}

/** One step through a maxout layer: [rows, units × pieces] to [rows, units] and back. */
async function maxoutLayerCycle(acts: Activations, cpu: Activations, next: () => number, check: boolean, seen: Tally, ending: Ending) {
  const [rows, units] = mixedShape(next);
  const pieces = pick(next, [1, 2, 3, 4]);
  const xData = mixedValues(next, rows * units * pieces, 4);
  const dyData = mixedValues(next, rows * units, 2);
  tally(seen, `maxout ${ending}`);

  const layer = acts.layer('maxout', { pieces });
  const x = acts.tensor(xData, [rows, units * pieces]);
  const dy = acts.tensor(dyData, [rows, units]);
  const made: Tensor[] = [x, dy];
  if (ending === 'twice') made.push(layer.forward(x));
  const y = layer.forward(x);
  made.push(y);
  let dx: Tensor | undefined;
  if (ending !== 'pending') {
    dx = layer.backward(dy);
    made.push(dx);
  } else if (next() < 0.5) layer.dispose();
  const [yv, dxv] = await Promise.all([y.read(), dx?.read()]);
  layer.dispose();
  for (const t of made) t.dispose();
  if (!check) return;

  tally(seen, 'checked against the CPU');
  const cx = cpu.tensor(xData, [rows, units * pieces]);
  const cdy = cpu.tensor(dyData, [rows, units]);
  const cy = cpu.maxout(cx, { pieces });
  const cdx = cpu.maxoutBackward({ x: cx, dy: cdy }, { pieces });
  expectBits(`maxout y [${rows}, ${units} × ${pieces}]`, yv, bitsOf(await cy.read()), {});
  if (dxv) expectBits(`maxout dx [${rows}, ${units} × ${pieces}]`, dxv, bitsOf(await cdx.read()), { x: xData });
  for (const t of [cx, cdy, cy, cdx]) t.dispose();
}

/**
 * One round of the functional PReLU and maxout calls on x [N, C, H, W]: slopes per channel (axis
 * 1), shared, ONNX-style [C, 1, 1] or along the last axis; preluBackward (its terms and tree-sum
 * partials are temporaries), or backward('prelu') by name (which frees dalpha itself); maxout
 * along axis 1 or the last.
 */
async function familyCycle(acts: Activations, cpu: Activations, next: () => number, check: boolean, seen: Tally): Promise<void> {
  const large = next() < 0.01;
  const n = large ? pick(next, [2, 3]) : pick(next, [0, 1, 2, 3]);
  const c = large ? pick(next, [1, 3]) : pick(next, [1, 3, 4, 7]);
  const h = large ? 100 + Math.floor(next() * 60) : pick(next, [1, 2, 5, 16]);
  const w = large ? 101 : pick(next, [1, 3, 8, 9]);
  const shape = [n, c, h, w];
  const form = pick(next, ['channel', 'shared', 'onnx', 'last'] as const);
  const alphaShape = { channel: [c], shared: [1], onnx: [c, 1, 1], last: [w] }[form];
  // PyTorch's channels ask for axis 1; the others broadcast from the right (the default) or name the last axis.
  const options = form === 'last' ? { axis: -1 } : form === 'channel' ? { axis: 1 } : {};
  const byName = next() < 0.25;
  const pieces = pick(next, [1, 2, 3, 4]);
  const groupAxis = pick(next, [1, -1]);
  const mShape = groupAxis === 1 ? [n, c * pieces, h] : [n, h, c * pieces];
  const mOut = groupAxis === 1 ? [n, c, h] : [n, h, c];
  const len = n * c * h * w;
  const xData = mixedValues(next, len, 4);
  const alphaData = uniformFloats(
    alphaShape.reduce((p, d) => p * d, 1),
    Math.floor(next() * 2 ** 31),
    0.5,
  );
  const dyData = mixedValues(next, len, 2);
  const mData = mixedValues(next, n * c * pieces * h, 4);
  const dmData = mixedValues(next, n * c * h, 2);
  tally(seen, `prelu ${form}${byName ? ' by name' : ''}`);
  if (n * h * w > 128 * 128) tally(seen, 'dalpha in 3 tree-sum passes');

  const x = acts.tensor(xData, shape);
  const alpha = acts.tensor(alphaData, alphaShape);
  const dy = acts.tensor(dyData, shape);
  const m = acts.tensor(mData, mShape);
  const dm = acts.tensor(dmData, mOut);
  const y = acts.prelu(x, alpha, options);
  let dx: Tensor;
  let dalpha: Tensor | undefined;
  if (byName) dx = acts.backward('prelu', { x, dy }, { alpha, ...options });
  else ({ dx, dalpha } = acts.preluBackward({ x, alpha, dy }, options));
  const my = acts.maxout(m, { pieces, axis: groupAxis });
  const mdx = acts.maxoutBackward({ x: m, dy: dm }, { pieces, axis: groupAxis });
  const made = [x, alpha, dy, m, dm, y, dx, my, mdx, ...(dalpha ? [dalpha] : [])];
  const [yv, dxv, dav, myv, mdxv] = await Promise.all([y.read(), dx.read(), dalpha?.read(), my.read(), mdx.read()]);
  for (const t of made) t.dispose();
  if (!check) return;

  tally(seen, 'checked against the CPU');
  const cx = cpu.tensor(xData, shape);
  const ca = cpu.tensor(alphaData, alphaShape);
  const cdy = cpu.tensor(dyData, shape);
  const cm = cpu.tensor(mData, mShape);
  const cdm = cpu.tensor(dmData, mOut);
  const want = cpu.preluBackward({ x: cx, alpha: ca, dy: cdy }, options);
  const cy = cpu.prelu(cx, ca, options);
  const cmy = cpu.maxout(cm, { pieces, axis: groupAxis });
  const cmdx = cpu.maxoutBackward({ x: cm, dy: cdm }, { pieces, axis: groupAxis });
  const at = `[${shape.join(', ')}] alpha [${alphaShape.join(', ')}]`;
  expectBits(`prelu y ${at}`, yv, bitsOf(await cy.read()), { x: xData });
  expectBits(`prelu dx ${at}`, dxv, bitsOf(await want.dx.read()), { x: xData, dy: dyData });
  if (dav) expectBits(`prelu dalpha ${at}`, dav, bitsOf(await want.dalpha.read()), {});
  expectBits(`maxout y [${mShape.join(', ')}] / ${pieces}`, myv, bitsOf(await cmy.read()), {});
  expectBits(`maxout dx [${mShape.join(', ')}] / ${pieces}`, mdxv, bitsOf(await cmdx.read()), { x: mData });
  for (const t of [cx, ca, cdy, cm, cdm, want.dx, want.dalpha, cy, cmy, cmdx]) t.dispose();
}

/** The f16 ops that are exact (the f32 op is, so rounding once gives the CPU's bits), and two that are not. */
const HALF_OPS = ['relu', 'leakyRelu', 'hardtanh', 'sigmoid', 'gelu'] as const;

/**
 * One round on f16 tensors: forward/backward through the f16 kernels, or prelu/preluBackward or
 * maxout/maxoutBackward, which widen to temporary f32 tensors and narrow the results back.
 */
async function halfCycle(acts: Activations, cpu: Activations, next: () => number, check: boolean, seen: Tally): Promise<void> {
  const what = pick(next, ['elementwise', 'prelu', 'maxout'] as const);
  const [rows, wide] = mixedShape(next);
  const units = Math.min(wide, 8);
  const op = pick(next, HALF_OPS);
  const slopes = next() < 0.7 ? units : 1;
  const pieces = pick(next, [1, 2, 3]);
  const shape = what === 'maxout' ? [rows, units * pieces] : [rows, units];
  const outShape = [rows, units];
  const xBits = randomHalves(next, rows * shape[1]!);
  const dyBits = randomHalves(next, rows * units);
  // Slopes as halves of values in [-0.5, 0.5].
  const alphaBits = Uint16Array.from(uniformFloats(slopes, Math.floor(next() * 2 ** 31), 0.5), (v) => f32ToHalfBits(toBits(v)));
  tally(seen, what === 'elementwise' ? `f16 ${op}` : `f16 ${what}`);
  if ((rows * shape[1]!) % 2 === 1) tally(seen, 'f16 odd length');

  const x = acts.tensor(xBits, shape);
  const dy = acts.tensor(dyBits, outShape);
  const made: Tensor<'f16'>[] = [x, dy];
  let outs: Tensor<'f16'>[];
  if (what === 'elementwise') {
    const y = acts.forward(op, x);
    outs = [y, acts.backward(op, op === 'sigmoid' ? { y, dy } : { x, dy })];
  } else if (what === 'prelu') {
    const alpha = acts.tensor(alphaBits);
    made.push(alpha);
    const r = acts.preluBackward({ x, alpha, dy }, { axis: -1 });
    outs = [acts.prelu(x, alpha, { axis: -1 }), r.dx, r.dalpha];
  } else {
    outs = [acts.maxout(x, { pieces }), acts.maxoutBackward({ x, dy }, { pieces })];
  }
  const got = await Promise.all(outs.map((t) => t.read()));
  for (const t of [...made, ...outs]) t.dispose();
  if (!check) return;

  tally(seen, 'checked against the CPU');
  const cx = cpu.tensor(xBits, shape);
  const cdy = cpu.tensor(dyBits, outShape);
  const inputs = [cx, cdy];
  let want: Tensor<'f16'>[];
  if (what === 'elementwise') {
    // sigmoid's gradient from the GPU's y, so only the backward is compared.
    const saved = op === 'sigmoid' ? { y: cpu.tensor(got[0]!, shape) } : { x: cx };
    inputs.push(...Object.values(saved));
    want = [cpu.forward(op, cx), cpu.backward(op, { ...saved, dy: cdy })];
  } else if (what === 'prelu') {
    const ca = cpu.tensor(alphaBits);
    inputs.push(ca);
    const r = cpu.preluBackward({ x: cx, alpha: ca, dy: cdy }, { axis: -1 });
    want = [cpu.prelu(cx, ca, { axis: -1 }), r.dx, r.dalpha];
  } else {
    want = [cpu.maxout(cx, { pieces }), cpu.maxoutBackward({ x: cx, dy: cdy }, { pieces })];
  }
  // The f32 op rounded once: the same bits as the CPU's where the op is exact; sigmoid and gelu
  // are within a few f32 ULP, which may round to the neighbouring half.
  const ulp = what === 'elementwise' && (op === 'sigmoid' || op === 'gelu') ? 1 : 0;
  const names = what === 'elementwise' ? ['y', 'dx'] : what === 'prelu' ? ['y', 'dx', 'dalpha'] : ['y', 'dx'];
  for (let i = 0; i < want.length; i++) {
    expectHalves(`f16 ${what === 'elementwise' ? op : what} ${names[i]} [${shape.join(', ')}]`, got[i]!, await want[i]!.read(), ulp);
  }
  for (const t of [...inputs, ...want]) t.dispose();
}

/**
 * Runs `cycles` cycles (100 at a time, 1 in 10 checked against the CPU) on an instance behind a
 * buffer-counting device. After every batch the pool stays within its cap and, trimmed, nothing
 * but params uniforms is alive; at the end the uniforms are within the cache's bound too. Returns
 * what the cycles tallied.
 */
async function leakCycles(
  label: string,
  seed: number,
  cycles: number,
  cycle: (acts: Activations, cpu: Activations, next: () => number, check: boolean, seen: Tally) => Promise<void>,
): Promise<Tally> {
  const base = await newDevice();
  const { device, counts } = countingDevice(base);
  const acts = await createActivations({ device });
  const cpu = await createActivations({ backend: 'cpu' });
  const next = rng(seed);
  const BATCH = 100;
  const seen: Tally = {};
  for (let done = 0; done < cycles; done += BATCH) {
    const batch: Promise<void>[] = [];
    for (let i = 0; i < BATCH; i++) batch.push(cycle(acts, cpu, next, (done + i) % 10 === 0, seen));
    await Promise.all(batch);
    // Every cycle disposed what it made: only params uniforms may be left, even mid-run.
    expect(leakedAfterTrim(acts, counts), `after ${done + BATCH} cycles`).toEqual({});
  }
  console.log(`[leaks] ${label} cycles: ${JSON.stringify(seen)}`);
  acts.trimPool();
  await expectOnlyParams(device, counts, `${cycles} ${label} cycles`, PARAMS_MAX_BYTES);
  acts.dispose();
  cpu.dispose();
  base.destroy();
  return seen;
}

describeIfAvailable('reliability on Dawn', missing, () => {
  it('leaks nothing over 100,000 forward/backward/read/dispose cycles of mixed sizes', async () => {
    if ('reason' in found) return;
    const base = await newDevice();
    const { device, counts } = countingDevice(base);
    const acts = await createActivations({ device });
    const next = rng(7);
    const CYCLES = 100_000;
    const BATCH = 250;
    let checked = 0;
    for (let done = 0; done < CYCLES; done += BATCH) {
      const batch = [];
      for (let i = 0; i < BATCH; i++) {
        const n = Math.floor(next() ** 3 * 5000);
        const op = next() < 0.5 ? 'relu' : 'thresholdedRelu';
        const x = acts.tensor(new Float32Array(n).fill(-1 + 2 * next()));
        const y = acts.forward(op, x);
        const dx = acts.backward(op, { x, dy: y });
        batch.push(
          Promise.all([y.read(), dx.read()]).then(([yv, dv]) => {
            checked += yv.length + dv.length;
            for (const t of [x, y, dx]) t.dispose();
          }),
        );
      }
      await Promise.all(batch);
    }
    await device.queue.onSubmittedWorkDone();
    // What waits in the pool is bounded by its cap; trimmed, nothing but params uniforms is left.
    const pooled = counts.live().filter((b) => b.usage & STORAGE);
    expect(pooled.reduce((sum, b) => sum + b.size, 0)).toBeLessThanOrEqual(POOL_BYTES);
    console.log(`[leaks] ${CYCLES} cycles: ${pooled.length} buffers waiting in the pool, trimmed`);
    acts.trimPool();
    const live = counts.live();
    console.log(`[leaks] ${CYCLES} cycles: ${counts.created} buffers created, ${counts.destroyed} destroyed, ${live.length} live`);
    expect(live.filter((b) => b.usage & STORAGE)).toEqual([]);
    expect(live.filter((b) => b.usage & MAP_READ)).toEqual([]);
    const params = live.filter((b) => b.usage & UNIFORM);
    expect(params.length).toBeLessThanOrEqual(PARAMS_CAPACITY);
    expect(live.length).toBe(params.length);
    expect(live.reduce((sum, b) => sum + b.size, 0)).toBeLessThanOrEqual(PARAMS_CAPACITY * 32);
    expect(checked).toBeGreaterThan(0);
    acts.dispose();
    base.destroy();
  });

  it('leaks nothing over 12,000 layer cycles of mixed sizes: relu (mask, telemetry), sigmoid, gelu, prelu, maxout; fused bias; dispose mid-step', async () => {
    if ('reason' in found) return;
    const CYCLES = 12_000;
    const seen = await leakCycles('layer', 11, CYCLES, (acts, cpu, next, check, seen) => {
      const kind = pick(next, ['relu', 'sigmoid', 'gelu', 'prelu', 'maxout'] as const);
      const ending = pick(next, ['backward', 'backward', 'pending', 'twice'] as const);
      if (kind === 'prelu') return preluLayerCycle(acts, cpu, next, check, seen, ending);
      if (kind === 'maxout') return maxoutLayerCycle(acts, cpu, next, check, seen, ending);
      return activationLayerCycle(acts, cpu, next, check, seen, kind, ending);
    });
    for (const key of ['relu bias pending', 'gelu bias twice', 'sigmoid bias backward', 'prelu twice', 'maxout pending']) {
      expect(seen[key], key).toBeGreaterThan(0);
    }
    expect(seen['db in 2 tree-sum passes']).toBeGreaterThan(0);
    expect(seen['db in 3 tree-sum passes']).toBeGreaterThan(0);
    expect(seen['checked against the CPU']).toBe(CYCLES / 10);
  });

  it('leaks nothing over 8,000 prelu/preluBackward/maxout/maxoutBackward cycles of mixed shapes (temporaries included)', async () => {
    if ('reason' in found) return;
    const CYCLES = 8_000;
    const seen = await leakCycles('prelu/maxout', 12, CYCLES, familyCycle);
    expect(seen['dalpha in 3 tree-sum passes']).toBeGreaterThan(0);
    expect(seen['checked against the CPU']).toBe(CYCLES / 10);
  });

  it('leaks nothing over 8,000 f16 cycles of mixed sizes: forward/backward, prelu and maxout (widened and narrowed)', async () => {
    if ('reason' in found) return;
    const CYCLES = 8_000;
    const seen = await leakCycles('f16', 13, CYCLES, halfCycle);
    expect(seen['f16 odd length']).toBeGreaterThan(0);
    expect(seen['checked against the CPU']).toBe(CYCLES / 10);
  });

  it("with backend 'auto', falls back to the CPU when a lost device cannot be replaced, and says why", async () => {
    if ('reason' in found) return;
    // A GPU that hands out one adapter, then none.
    let adapters = 0;
    const stingy = {
      requestAdapter: async (options?: GPURequestAdapterOptions) => (adapters++ === 0 ? found.gpu.requestAdapter(options) : null),
    } as unknown as GPU;
    const acts = await createActivations({ gpu: stingy });
    expect(acts.backend).toBe('webgpu');
    const old = acts.tensor([1, 2]);
    const lost = acts.device!;
    lost.destroy();
    await lost.lost;
    await acts.ready();
    expect(acts.backend).toBe('cpu');
    expect(acts.fallbackReason).toMatch(/device was lost.*no new device could be had.*returned null/);
    await expect(old.read()).rejects.toBeInstanceOf(DeviceLostError);
    expect(() => acts.forward('relu', old)).toThrow(DeviceLostError);
    expect([...(await acts.forward('relu', acts.tensor([-1, 2])).read())]).toEqual([0, 2]);
    acts.dispose();
  });

  it('dispose() destroys every tensor buffer the instance made, read or not', async () => {
    if ('reason' in found) return;
    const base = await newDevice();
    const { device, counts } = countingDevice(base);
    const acts = await createActivations({ device });
    const x = acts.tensor(randomFloats(1000, 1));
    const kept = [x, acts.forward('relu', x), acts.backward('relu', { x, dy: x }), acts.tensor([1, 2, 3])];
    await kept[1]!.read();
    acts.dispose();
    expect(counts.live().filter((b) => b.usage & (STORAGE | MAP_READ))).toEqual([]);
    for (const t of kept) expect(t.disposed).toBe(true);
    await expect(kept[1]!.read()).rejects.toBeInstanceOf(DisposedError);
    base.destroy();
  });

  /** Layers with a forward pending (mask, telemetry counts, z, y), a prelu dalpha, f16 tensors and results. */
  function leaveEverythingOpen(acts: Activations): void {
    const x = acts.tensor(randomFloats(300 * 7, 3), [300, 7]);
    const b = acts.tensor(randomFloats(7, 4));
    const relu = acts.layer('relu', {}, { telemetry: true });
    relu.forwardBias(x, b);
    const plain = acts.layer('relu', {}, { telemetry: true });
    plain.forward(x);
    acts.layer('gelu').forwardBias(x, b);
    acts.layer('sigmoid').forward(x);
    const prelu = acts.layer('prelu', { alpha: acts.tensor(randomFloats(7, 5)), axis: -1 });
    prelu.forward(x);
    prelu.backward(x);
    prelu.forward(x);
    acts.layer('maxout', { pieces: 7 }).forward(x);
    const h = acts.tensor(
      Uint16Array.from({ length: 301 * 7 }, (_, i) => (i * 2654435761) >>> 16),
      [301, 7],
    );
    acts.forward('gelu', h);
    acts.preluBackward({ x: h, alpha: acts.tensor(new Uint16Array([0x3400])), dy: h });
    acts.maxout(h, { pieces: 7 });
  }

  it('dispose() on a borrowed device destroys every buffer the instance made: layers with a forward pending, telemetry, dalpha, f16', async () => {
    if ('reason' in found) return;
    const base = await newDevice();
    const { device, counts } = countingDevice(base);
    const acts = await createActivations({ device });
    leaveEverythingOpen(acts);
    await device.queue.onSubmittedWorkDone();
    expect(Object.keys(leaked(counts)).length).toBeGreaterThan(5);
    acts.dispose();
    // Not only the tensors: the layers' masks and telemetry counts too (labels name any left).
    expect(leaked(counts)).toEqual({});
    base.destroy();
  });

  it('dispose() on a device of its own destroys the device, with everything left open on it', async () => {
    if ('reason' in found) return;
    let made: { device: GPUDevice; counts: BufferCounts } | undefined;
    const gpu = {
      requestAdapter: async (options?: GPURequestAdapterOptions) => {
        const adapter = await found.gpu.requestAdapter(options);
        if (!adapter) return null;
        return forwarding(adapter, {
          requestDevice: async (descriptor?: GPUDeviceDescriptor) => {
            made = countingDevice(await adapter.requestDevice(descriptor));
            return made.device;
          },
        });
      },
    } as unknown as GPU;
    const acts = await createActivations({ gpu });
    expect(acts.device).toBe(made!.device);
    leaveEverythingOpen(acts);
    const before = made!.counts.live().length;
    expect(before).toBeGreaterThan(0);
    acts.dispose();
    const lost = await made!.device.lost;
    expect(lost.reason).toBe('destroyed');
    console.log(`[leaks] own device: ${before} buffers live before dispose(), freed with the device`);
  });

  it('keeps 64 reads in flight at once, each with its own data', async () => {
    if ('reason' in found) return;
    const acts = await createActivations({ gpu: found.gpu });
    const inputs = Array.from({ length: 64 }, (_, i) => randomFloats(1 + i * 97, 100 + i));
    const reads = inputs.map((x) => acts.forward('relu', acts.tensor(x)).read());
    const results = await Promise.all(reads);
    results.forEach((y, i) => expectBits(`read ${i}`, y, reluReference(inputs[i]!), { x: inputs[i]! }));
    acts.dispose();
  });

  it('two instances share one device; disposing one leaves the other working', async () => {
    if ('reason' in found) return;
    const device = await newDevice();
    const a = await createActivations({ device });
    const b = await createActivations({ device });
    const x = randomFloats(777, 5);
    const ta = a.tensor(x);
    const tb = b.tensor(x);
    a.dispose();
    await expect(ta.read()).rejects.toBeInstanceOf(DisposedError);
    expectBits('b after a.dispose()', await b.forward('relu', tb).read(), reluReference(x), { x });
    b.dispose();
    device.destroy();
  });

  it("runs work encoded into the caller's encoder when they submit it late, after later work of ours", async () => {
    if ('reason' in found) return;
    const acts = await createActivations({ gpu: found.gpu });
    const x = randomFloats(4099, 9);
    const dy = randomFloats(4099, 10);
    const tx = acts.tensor(x);
    const tdy = acts.tensor(dy);
    const out = acts.tensor(new Float32Array(4099));
    const enc = acts.device!.createCommandEncoder();
    acts.backwardInto('relu', { x: tx, dy: tdy, dx: out }, {}, { encoder: enc });
    const meanwhile = acts.forward('relu', tx); // submitted by us before the caller's encoder
    expectBits('ours first', await meanwhile.read(), reluReference(x), { x });
    acts.device!.queue.submit([enc.finish()]);
    expectBits('theirs, late', await out.read(), reluGradReference(x, dy), { x, dy });
    acts.dispose();
  });
});

describe('buffer pool size classes (poolBucket)', () => {
  it('are multiples of 16, at least the size asked and less than 25% above it, in 4 steps per doubling', () => {
    let previous = 0;
    const classes = new Set<number>();
    for (let bytes = 1; bytes <= 1 << 20; bytes += bytes < 4096 ? 1 : 61) {
      const size = poolBucket(bytes);
      expect(size % 16, `${bytes} bytes`).toBe(0);
      expect(size, `${bytes} bytes`).toBeGreaterThanOrEqual(bytes);
      if (bytes > 64) expect(size, `${bytes} bytes`).toBeLessThan(1.25 * bytes);
      expect(size, `${bytes} bytes`).toBeGreaterThanOrEqual(previous);
      previous = size;
      if (bytes > 64) classes.add(size);
    }
    // (64, 2^20] is 14 doublings of 4 classes each.
    expect(classes.size).toBe(14 * 4);
    expect([4000, 3500, 3584, 3585, 1 << 30].map(poolBucket)).toEqual([4096, 3584, 3584, 4096, 1 << 30]);
  });
});

describeIfAvailable('buffer pool on Dawn', missing, () => {
  it('rounds up to a class only where the pool could keep the buffer and a whole-buffer binding still fits', async () => {
    if ('reason' in found) return;
    const base = await newDevice();
    // The same device, reporting a lower maxStorageBufferBindingSize (1,000,000 bytes).
    const limits = forwarding(base.limits, { maxStorageBufferBindingSize: 1_000_000 });
    const device = forwarding(base, { limits });
    const sizeOf = (acts: Activations, n: number) => {
      const t = acts.tensor(new Float32Array(n).fill(1));
      const size = t.gpuBuffer.buffer.size;
      t.dispose();
      return size;
    };
    const acts = await createActivations({ device });
    expect(sizeOf(acts, 1000)).toBe(4096);
    // 996,000 bytes: its class (1 MiB) would not fit one binding; 1,000,016 never did.
    expect(sizeOf(acts, 249_000)).toBe(996_000);
    expect(sizeOf(acts, 250_004)).toBe(poolBucket(1_000_016));
    // Larger than the pool: never kept, so never rounded.
    const small = await createActivations({ device, tuning: { poolBytes: 8192 } });
    expect(sizeOf(small, 1000)).toBe(4096);
    expect(sizeOf(small, 2100)).toBe(8400);
    const off = await createActivations({ device, tuning: { poolBytes: 0 } });
    expect(sizeOf(off, 1000)).toBe(4000);
    // f16 on the class-sized buffers, read back exactly.
    const h = acts.tensor(Uint16Array.from({ length: 1001 }, (_, i) => (i % 2 ? 0x3c00 : 0xbc00)));
    const y = acts.forward('relu', h);
    expect(Array.from(await y.read())).toEqual(Array.from({ length: 1001 }, (_, i) => (i % 2 ? 0x3c00 : 0)));
    for (const a of [acts, small, off]) a.dispose();
    base.destroy();
  });
});

// The whole conformance suite once more, on a compatibility-mode device (at most 128
// invocations per workgroup): the kernels must adapt to its limits.
describeIfAvailable('conformance on Dawn in compatibility mode', missing, () => {
  if ('reason' in found) return;
  const { gpu } = found;
  registerConformance('featureLevel: compatibility', casesFor('webgpu'), async () => {
    const ctx = await webgpuContext(gpu, { featureLevel: 'compatibility' });
    const device = ctx.acts.device!;
    expect(device.features.has('core-features-and-limits')).toBe(false);
    expect(device.limits.maxComputeInvocationsPerWorkgroup).toBeLessThanOrEqual(128);
    return ctx;
  });
});
