// Fusion snippets (wgslFunctions): a small matmul written here, with the activation in its
// epilogue compiled from the returned text, gives the same bits as the plain matmul followed by
// acts.forward (and its backward as acts.backward), for every op, scalar and vec4, several
// snippets to a module (one op with several attribute sets; every op together). Each module also
// runs the snippets over the ops' sweep of special values, every exponent and sign.
//
// The matmul is exact (small integers times multiples of 1/64, each row scaled by a power of two:
// no product or sum rounds), so any difference is the activation's; the plain kernel's output is
// checked against the JS product first. On the CPU backend, where no WGSL runs, the epilogue is
// the op's CPU reference (its JS kernels, src/ops/<op>.ts) on the JS product, against
// acts.forward and acts.backward there.
import { wgslFunctions, type Activations, type OpName, type WgslFunctions } from '../../src/index.js';
import { resolveAttrs } from '../../src/ops/define.js';
import { f32ToHalfBits, halfToF32Bits } from '../../src/numerics/half.js';
import { getOp, opNames, opVariants } from '../../src/ops/registry.js';
import { assert, expectBits } from '../helpers/compare.js';
import { bitsOf, hex, rng } from '../helpers/float.js';
import type { AttrValues } from '../ops/op-spec.js';
import { specs, sweepInputs } from './ops.js';
import type { ConformanceCase, ConformanceContext } from './relu.js';

const STORAGE = 0x80;
const UNIFORM = 0x40;
const COPY_SRC = 0x04;
const COPY_DST = 0x08;
const MAP_READ = 0x01;

/** C = A B with A M x K, B K x N (row-major). */
const M = 32;
const K = 8;
const N = 16;

/** A: integers in [-4, 4], row r scaled by 2^(r - 20); B: multiples of 1/64 in [-2, 2]. Every product and partial sum is exact in f32. */
function matmulInputs(): { a: Float32Array<ArrayBuffer>; b: Float32Array<ArrayBuffer> } {
  const next = rng(0xf05e);
  const a = Float32Array.from({ length: M * K }, (_, i) => (Math.floor(next() * 9) - 4) * 2 ** (Math.floor(i / K) - 20));
  const b = Float32Array.from({ length: K * N }, () => (Math.floor(next() * 257) - 128) / 64);
  return { a, b };
}

/** The product in float64, which is exact here; checked to be an f32 too. */
function matmulReference(a: Float32Array, b: Float32Array): Float32Array<ArrayBuffer> {
  const c = new Float32Array(M * N);
  for (let r = 0; r < M; r++) {
    for (let j = 0; j < N; j++) {
      let s = 0;
      for (let k = 0; k < K; k++) s += a[r * K + k]! * b[k * N + j]!;
      assert(Math.fround(s) === s, `the matmul is not exact at (${r}, ${j})`);
      c[r * N + j] = s;
    }
  }
  return c;
}

/** dy values: multiples of 1/256 in [-4, 4]. */
function gradients(n: number, seed: number): Float32Array<ArrayBuffer> {
  const next = rng(seed);
  return Float32Array.from({ length: n }, () => (Math.floor(next() * 2049) - 1024) / 256);
}

/** The sweep of test/conformance/ops.ts (special values, every exponent and sign), padded to a multiple of 4. */
function sweep(): Float32Array<ArrayBuffer> {
  const x = sweepInputs();
  const out = new Float32Array(Math.ceil(x.length / 4) * 4);
  out.set(x);
  return out;
}

/** Attributes as a label, -0 shown as such (JSON would print 0). */
function describeAttrs(attrs: AttrValues): string {
  const entries = Object.entries(attrs).map(([k, v]) => `${k}: ${Object.is(v, -0) ? '-0' : String(v)}`);
  return `{ ${entries.join(', ')} }`;
}

/** One snippet of a module: an op with attributes under a prefix. */
interface Variant {
  readonly op: OpName;
  readonly attrs: AttrValues;
  readonly fn: WgslFunctions;
}

function variant(op: OpName, attrs: AttrValues, width: 1 | 4, prefix: string): Variant {
  return { op, attrs, fn: wgslFunctions(op, { attrs: attrs as never, width, prefix }) };
}

/**
 * The test kernel: the snippets, then one entry point whose `mode` picks the plain matmul (0),
 * the matmul with the activation as epilogue (1) or the gradient's epilogue (2), or the
 * activation (3) or its gradient (4) on inputs read from `a` directly; `which` picks the snippet.
 * One invocation computes one E (f32 or vec4<f32>) of the output.
 */
function kernel(variants: readonly Variant[], width: 1 | 4): string {
  const e = width === 4 ? 'vec4<f32>' : 'f32';
  const lanes = (f: (l: number) => string) => (width === 4 ? `vec4<f32>(${[0, 1, 2, 3].map(f).join(', ')})` : f(0));
  const forwardCases = variants.map((v, i) => `    case ${i}u: { return ${v.fn.forward}(x); }`);
  const backwardCases = variants.map((v, i) => {
    const saved = v.fn.backwardFrom === 'y' ? `${v.fn.forward}(x)` : 'x';
    return `    case ${i}u: { return ${v.fn.backward}(${saved}, dy); }`;
  });
  const backwardGiven = variants.map((v, i) => `    case ${i}u: { return ${v.fn.backward}(saved, dy); }`);
  return `${variants.map((v) => v.fn.code).join('\n')}
struct Job { mode: u32, which: u32, count: u32, k: u32, n: u32 }
@group(0) @binding(0) var<uniform> job: Job;
@group(0) @binding(1) var<storage, read> a: array<f32>;
@group(0) @binding(2) var<storage, read> b: array<f32>;
@group(0) @binding(3) var<storage, read> dy: array<${e}>;
@group(0) @binding(4) var<storage, read_write> out: array<${e}>;

// Output element i covers row i / (n / W), columns (i % (n / W)) * W onwards.
fn matmul(i: u32) -> ${e} {
  let per_row = job.n / ${width}u;
  let row = i / per_row;
  let col = (i % per_row) * ${width}u;
  var acc = ${e}(0.0);
  for (var k = 0u; k < job.k; k++) {
    acc += a[row * job.k + k] * ${lanes((l) => `b[k * job.n + col + ${l}u]`)};
  }
  return acc;
}

fn given(i: u32) -> ${e} {
  return ${lanes((l) => `a[i * ${width}u + ${l}u]`)};
}

fn act_forward(x: ${e}) -> ${e} {
  switch job.which {
${forwardCases.join('\n')}
    default: { return x; }
  }
}

fn act_backward(x: ${e}, dy: ${e}) -> ${e} {
  switch job.which {
${backwardCases.join('\n')}
    default: { return x; }
  }
}

fn act_backward_given(saved: ${e}, dy: ${e}) -> ${e} {
  switch job.which {
${backwardGiven.join('\n')}
    default: { return saved; }
  }
}

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) id: vec3<u32>) {
  let i = id.x;
  if (i >= job.count) {
    return;
  }
  switch job.mode {
    case 0u: { out[i] = matmul(i); }
    case 1u: { out[i] = act_forward(matmul(i)); }
    case 2u: { out[i] = act_backward(matmul(i), dy[i]); }
    case 3u: { out[i] = act_forward(given(i)); }
    default: { out[i] = act_backward_given(given(i), dy[i]); }
  }
}
`;
}

/** Runs the test kernel of one module on a device. */
class Module {
  readonly #device: GPUDevice;
  readonly #pipeline: GPUComputePipeline;
  readonly #width: number;

  constructor(device: GPUDevice, code: string, width: 1 | 4, label: string) {
    this.#device = device;
    this.#width = width;
    const module = device.createShaderModule({ code, label });
    this.#pipeline = device.createComputePipeline({ layout: 'auto', compute: { module, entryPoint: 'main' }, label });
  }

  #upload(data: Float32Array<ArrayBuffer>, usage: number): GPUBuffer {
    const buffer = this.#device.createBuffer({ size: Math.max(16, data.byteLength), usage: usage | COPY_DST });
    this.#device.queue.writeBuffer(buffer, 0, data);
    return buffer;
  }

  /** out[0 .. count * width) for `mode` and `which`, with a (and b, dy) as inputs. */
  async run(
    mode: number,
    which: number,
    a: Float32Array<ArrayBuffer>,
    b: Float32Array<ArrayBuffer>,
    dy: Float32Array<ArrayBuffer>,
    length: number,
  ): Promise<Float32Array> {
    const count = length / this.#width;
    const device = this.#device;
    const job = this.#upload(new Float32Array(new Uint32Array([mode, which, count, K, N, 0, 0, 0]).buffer), UNIFORM);
    const buffers = [this.#upload(a, STORAGE), this.#upload(b, STORAGE), this.#upload(dy.length ? dy : new Float32Array(4), STORAGE)];
    const out = device.createBuffer({ size: length * 4, usage: STORAGE | COPY_SRC });
    const staging = device.createBuffer({ size: length * 4, usage: MAP_READ | COPY_DST });
    const bind = device.createBindGroup({
      layout: this.#pipeline.getBindGroupLayout(0),
      entries: [job, ...buffers, out].map((buffer, binding) => ({ binding, resource: { buffer } })),
    });
    const encoder = device.createCommandEncoder();
    const pass = encoder.beginComputePass();
    pass.setPipeline(this.#pipeline);
    pass.setBindGroup(0, bind);
    pass.dispatchWorkgroups(Math.ceil(count / 64));
    pass.end();
    encoder.copyBufferToBuffer(out, 0, staging, 0, length * 4);
    device.queue.submit([encoder.finish()]);
    await staging.mapAsync(MAP_READ);
    const result = new Float32Array(staging.getMappedRange().slice(0));
    staging.unmap();
    for (const buffer of [job, ...buffers, out, staging]) buffer.destroy();
    return result;
  }
}

/** acts.forward and acts.backward on this backend: the unfused reference. */
async function unfused(acts: Activations, v: Variant, x: Float32Array<ArrayBuffer>, dy: Float32Array<ArrayBuffer>, yForBackward: boolean) {
  const tx = acts.tensor(x);
  const ty = acts.forward(v.op, tx, v.attrs as never);
  const tdy = acts.tensor(dy);
  // Backward from the epilogue's x: y is computed from it first where the gradient reads y.
  const saved = v.fn.backwardFrom === 'y' ? { y: yForBackward ? ty : tx } : { x: tx };
  const tdx = acts.backward(v.op, { ...saved, dy: tdy }, v.attrs as never);
  const [y, dx] = [await ty.read(), await tdx.read()];
  for (const t of [tx, ty, tdy, tdx]) t.dispose();
  return { y, dx };
}

/** The CPU reference epilogue: the op's JS kernels (src/ops/<op>.ts). */
function cpuEpilogue(v: Variant, x: Float32Array, dy: Float32Array, yForBackward: boolean) {
  const def = getOp(v.op);
  const values = resolveAttrs(def, v.attrs);
  const y = new Float32Array(x.length);
  def.cpu.forward(x, y, values);
  const dx = new Float32Array(x.length);
  def.cpu.backward(def.backwardFrom === 'y' && yForBackward ? y : x, dy, dx, values);
  return { y, dx };
}

/** Checks every variant of one module, fused against unfused, on the matmul and on the sweep. */
async function checkModule(ctx: ConformanceContext, variants: readonly Variant[], width: 1 | 4, label: string): Promise<void> {
  const { a, b } = matmulInputs();
  const c = matmulReference(a, b);
  const dy = gradients(M * N, 5);
  const xs = sweep();
  const dys = gradients(xs.length, 6);
  const device = ctx.acts.device;
  const module = device ? new Module(device, kernel(variants, width), width, `fusion test ${label}`) : undefined;
  if (module) expectBits(`${label}: plain matmul`, await module.run(0, 0, a, b, dy, M * N), bitsOf(c), {});
  const failures: string[] = [];
  const expect = (...args: Parameters<typeof expectBits>) => {
    try {
      expectBits(...args);
    } catch (e) {
      failures.push((e as Error).message.split('\n').slice(0, 4).join('\n'));
    }
  };
  for (const [which, v] of variants.entries()) {
    const name = `${label}: ${v.fn.forward} (${v.op} ${describeAttrs(v.attrs)})`;
    const matmul = await unfused(ctx.acts, v, c, dy, true);
    const given = await unfused(ctx.acts, v, xs, dys, false);
    if (module) {
      expect(`${name} matmul epilogue forward`, await module.run(1, which, a, b, dy, M * N), bitsOf(matmul.y), { x: c });
      expect(`${name} sweep forward`, await module.run(3, which, xs, b, dys, xs.length), bitsOf(given.y), { x: xs });
      expect(`${name} matmul epilogue backward`, await module.run(2, which, a, b, dy, M * N), bitsOf(matmul.dx), { x: c, dy });
      expect(`${name} sweep backward`, await module.run(4, which, xs, b, dys, xs.length), bitsOf(given.dx), { saved: xs, dy: dys });
    } else {
      // The JS kernels against this backend's (the WebAssembly SIMD ones by default): an ULP op
      // promises a NaN for a NaN, not its bits (the exp family's SIMD kernels keep a NaN x's bits
      // where the JS kernels give the engine's NaN, whose sign a JIT tier may flip).
      const exact = getOp(v.op).accuracy.kind === 'exact';
      const same = (got: Float32Array, expected: Float32Array) =>
        exact
          ? bitsOf(expected)
          : bitsOf(expected).map((bits, i) => (Number.isNaN(got[i]!) && Number.isNaN(expected[i]!) ? bitsOf(got)[i]! : bits));
      const fusedMatmul = cpuEpilogue(v, c, dy, true);
      const fusedGiven = cpuEpilogue(v, xs, dys, false);
      expect(`${name} CPU epilogue forward`, fusedMatmul.y, same(fusedMatmul.y, matmul.y), { x: c });
      expect(`${name} CPU epilogue backward`, fusedMatmul.dx, same(fusedMatmul.dx, matmul.dx), { x: c, dy });
      expect(`${name} CPU sweep forward`, fusedGiven.y, same(fusedGiven.y, given.y), { x: xs });
      expect(`${name} CPU sweep backward`, fusedGiven.dx, same(fusedGiven.dx, given.dx), { saved: xs, dy: dys });
    }
  }
  if (failures.length) throw new Error(failures.join('\n'));
}

/** Every attribute set of the op's spec under its own prefix; an op with one set gets it twice. */
function variantsOf(op: OpName, width: 1 | 4): Variant[] {
  const spec = specs.find((s) => s.op === op);
  assert(spec, `no spec for ${op}`);
  const sets = spec.attrSets.length > 1 ? spec.attrSets : [spec.attrSets[0] ?? {}, spec.attrSets[0] ?? {}];
  return sets.map((attrs, i) => variant(op, attrs, width, `v${i}`));
}

export const fusionCases: readonly ConformanceCase[] = [
  ...opNames.map((op): ConformanceCase => ({
    name: `fusion: ${op} in a matmul epilogue (every attribute set in one module, scalar and vec4) = matmul + acts.forward/backward`,
    async run(ctx) {
      for (const width of [1, 4] as const) await checkModule(ctx, variantsOf(op, width), width, `${op} width ${width}`);
    },
  })),
  {
    name: 'fusion: every op (and the clip alias) in one module, scalar and vec4, each = matmul + acts.forward/backward',
    async run(ctx) {
      const all = [...opNames, ...(Object.keys(opVariants) as OpName[])];
      for (const width of [1, 4] as const) {
        const variants = all.map((op) => variant(op, {}, width, wgslFunctions(op).forward.replace(/_forward$/, '')));
        await checkModule(ctx, variants, width, `all ops width ${width}`);
      }
    },
  },
];

/** Every half, and dy: random finite halves in [-4, 4] mixed with every half in another order. */
const HALVES = Uint16Array.from({ length: 65536 }, (_, i) => i);
function dyHalves(): Uint16Array<ArrayBuffer> {
  const next = rng(0xf16f);
  return Uint16Array.from({ length: 65536 }, (_, i) =>
    next() < 0.5 ? (i * 40503) & 0xffff : f32ToHalfBits(bitsOf(Float32Array.of((next() * 2 - 1) * 4))[0]!),
  );
}

const isHalfNaN = (h: number) => (h & 0x7fff) > 0x7c00;

/**
 * Halves bit for bit, except that a NaN need only meet a NaN: a WGSL conversion between f16 and
 * f32 need not keep a NaN's payload (the f16 functions compute in f32 through f32(x) and f16(y)).
 */
function expectHalves(label: string, got: Uint16Array, expected: Uint16Array, x: Uint16Array): void {
  const rows: string[] = [];
  let bad = 0;
  for (let i = 0; i < got.length; i++) {
    const g = got[i]!;
    const e = expected[i]!;
    if (g === e || (isHalfNaN(g) && isHalfNaN(e))) continue;
    bad++;
    if (rows.length < 8) rows.push(`  ${i}: x = ${hex(x[i]!)}: expected ${hex(e)}, got ${hex(g)}`);
  }
  if (bad) throw new Error(`${label}: ${bad} of ${got.length} halves differ\n${rows.join('\n')}`);
}

/** The f16 test kernel: every snippet of the module on array<f16> (or vec4<f16>), forward (mode 0) or backward (1). */
function halfKernel(fns: readonly WgslFunctions[], width: 1 | 4): string {
  const e = width === 4 ? 'vec4<f16>' : 'f16';
  const cases = (f: (fn: WgslFunctions) => string) => fns.map((fn, i) => `    case ${i}u: { out[i] = ${f(fn)}; }`).join('\n');
  return `enable f16;
${fns.map((fn) => fn.code).join('\n')}
struct Job { mode: u32, which: u32, count: u32 }
@group(0) @binding(0) var<uniform> job: Job;
@group(0) @binding(1) var<storage, read> x: array<${e}>;
@group(0) @binding(2) var<storage, read> dy: array<${e}>;
@group(0) @binding(3) var<storage, read_write> out: array<${e}>;

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) id: vec3<u32>) {
  let i = id.y * 65535u * 64u + id.x;
  if (i >= job.count) {
    return;
  }
  if (job.mode == 0u) {
    switch job.which {
${cases((fn) => `${fn.forward}(x[i])`)}
      default: {}
    }
  } else {
    switch job.which {
${cases((fn) => `${fn.backward}(x[i], dy[i])`)}
      default: {}
    }
  }
}
`;
}

/** Runs the f16 kernel once: out for `mode` and `which`, over the halves. */
async function runHalf(
  device: GPUDevice,
  pipeline: GPUComputePipeline,
  width: number,
  mode: number,
  which: number,
  x: Uint16Array<ArrayBuffer>,
  dy: Uint16Array<ArrayBuffer>,
) {
  const upload = (data: ArrayBufferView<ArrayBuffer>, usage: number) => {
    const buffer = device.createBuffer({ size: Math.max(16, data.byteLength), usage: usage | COPY_DST });
    device.queue.writeBuffer(buffer, 0, data);
    return buffer;
  };
  const count = x.length / width;
  const inputs = [upload(new Uint32Array([mode, which, count, 0]), UNIFORM), upload(x, STORAGE), upload(dy, STORAGE)];
  const out = device.createBuffer({ size: x.byteLength, usage: STORAGE | COPY_SRC });
  const staging = device.createBuffer({ size: x.byteLength, usage: MAP_READ | COPY_DST });
  const encoder = device.createCommandEncoder();
  const pass = encoder.beginComputePass();
  pass.setPipeline(pipeline);
  pass.setBindGroup(
    0,
    device.createBindGroup({
      layout: pipeline.getBindGroupLayout(0),
      entries: [...inputs, out].map((buffer, binding) => ({ binding, resource: { buffer } })),
    }),
  );
  pass.dispatchWorkgroups(Math.ceil(count / 64));
  pass.end();
  encoder.copyBufferToBuffer(out, 0, staging, 0, x.byteLength);
  device.queue.submit([encoder.finish()]);
  await staging.mapAsync(MAP_READ);
  const result = new Uint16Array(staging.getMappedRange().slice(0));
  staging.unmap();
  for (const buffer of [...inputs, out, staging]) buffer.destroy();
  return result;
}

/** acts.forward and acts.backward on f16 tensors of the halves: what the f16 functions must give. */
async function unfusedHalf(acts: Activations, op: OpName, x: Uint16Array, dy: Uint16Array) {
  const tx = acts.tensor(x);
  const ty = acts.forward(op, tx);
  const tdy = acts.tensor(dy);
  // Backward on the given halves as `saved` (x, or y for ops whose gradient reads y).
  const tdx = acts.backward(op, getOp(op).backwardFrom === 'y' ? { y: tx, dy: tdy } : { x: tx, dy: tdy });
  const [y, dx] = [await ty.read(), await tdx.read()];
  for (const t of [tx, ty, tdy, tdx]) t.dispose();
  return { y, dx };
}

/** The CPU reference of the f16 functions: the op's JS kernels on the widened halves, rounded once. */
function cpuHalf(op: OpName, x: Uint16Array, dy: Uint16Array) {
  const def = getOp(op);
  const values = resolveAttrs(def, {});
  const wide = (h: Uint16Array) => new Float32Array(Uint32Array.from(h, halfToF32Bits).buffer);
  const narrow = (f: Float32Array) => Uint16Array.from(bitsOf(f), f32ToHalfBits);
  const y = new Float32Array(x.length);
  const dx = new Float32Array(x.length);
  def.cpu.forward(wide(x), y, values);
  def.cpu.backward(wide(x), wide(dy), dx, values);
  return { y: narrow(y), dx: narrow(dx) };
}

export const fusionHalfCases: readonly ConformanceCase[] = [
  {
    name: 'fusion: f16 functions of every op (scalar and vec4, one module each) on all 65536 halves = acts.forward/backward on f16 tensors, where the adapter has shader-f16',
    async run(ctx) {
      const dy = dyHalves();
      if (!ctx.gpu) {
        for (const op of opNames) {
          const want = await unfusedHalf(ctx.acts, op, HALVES, dy);
          const got = cpuHalf(op, HALVES, dy);
          expectHalves(`${op} f16 CPU reference forward`, got.y, want.y, HALVES);
          expectHalves(`${op} f16 CPU reference backward`, got.dx, want.dx, HALVES);
        }
        return;
      }
      const adapter = await ctx.gpu.requestAdapter();
      // Dawn and Chromium on SwiftShader have no shader-f16 here; Deno on lavapipe has.
      if (!adapter?.features.has('shader-f16')) {
        console.log('[fusion] no shader-f16 on this adapter: the f16 functions are not compiled here');
        return;
      }
      const device = await adapter.requestDevice({ requiredFeatures: ['shader-f16'] });
      const acts = await ctx.create({ device });
      try {
        for (const width of [1, 4] as const) {
          const fns = opNames.map((op) => wgslFunctions(op, { dtype: 'f16', width }));
          assert(
            fns.every((fn) => fn.enables.includes('f16') && fn.type === (width === 4 ? 'vec4<f16>' : 'f16')),
            'f16 functions say what they need',
          );
          const module = device.createShaderModule({ code: halfKernel(fns, width), label: `fusion test f16 width ${width}` });
          const pipeline = device.createComputePipeline({ layout: 'auto', compute: { module, entryPoint: 'main' } });
          for (const [which, op] of opNames.entries()) {
            const want = await unfusedHalf(acts, op, HALVES, dy);
            expectHalves(`${op} f16 width ${width} forward`, await runHalf(device, pipeline, width, 0, which, HALVES, dy), want.y, HALVES);
            expectHalves(
              `${op} f16 width ${width} backward`,
              await runHalf(device, pipeline, width, 1, which, HALVES, dy),
              want.dx,
              HALVES,
            );
          }
        }
      } finally {
        acts.dispose();
        device.destroy();
      }
    },
  },
];
