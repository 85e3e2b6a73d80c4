import { expect, it } from 'vitest';
import { createActivations, type Activations, type Tensor } from '../../src/index.js';
import { rng } from '../helpers/float.js';
import { nodeGpu } from '../helpers/node-gpu.js';
import { describeIfAvailable } from '../helpers/requirements.js';

// A small MLP trained entirely on the GPU through the layer API: x[N,2] -> x W1 + b1 -> act
// (layer.forwardBias: fused bias, a 1-bit mask for relu) -> h W2 + b2 -> sigmoid -> binary
// cross-entropy. The matmuls, the loss head and SGD are test-side WGSL (not the public API). It
// checks that the loss falls, and that one step's gradients match float64 finite differences.

const found = await nodeGpu();

const KERNELS = /* wgsl */ `
struct Mm { m: u32, k: u32, n: u32, flags: u32 }  // flags bit 0: A stored [k, m]; bit 1: B stored [n, k]
@group(0) @binding(0) var<uniform> mm: Mm;
@group(0) @binding(1) var<storage, read> a: array<f32>;
@group(0) @binding(2) var<storage, read> b: array<f32>;
@group(0) @binding(3) var<storage, read_write> c: array<f32>;

// C[m, n] = A[m, k] B[k, n], one invocation per output.
@compute @workgroup_size(64) fn matmul(@builtin(global_invocation_id) g: vec3<u32>) {
  let idx = g.x;
  if (idx >= mm.m * mm.n) { return; }
  let i = idx / mm.n;
  let j = idx % mm.n;
  var s = 0.0;
  for (var p = 0u; p < mm.k; p++) {
    let av = select(a[i * mm.k + p], a[p * mm.m + i], (mm.flags & 1u) != 0u);
    let bv = select(b[p * mm.n + j], b[j * mm.k + p], (mm.flags & 2u) != 0u);
    s += av * bv;
  }
  c[idx] = s;
}

struct Head { n: u32, lr: f32, pad0: u32, pad1: u32 }
@group(0) @binding(0) var<uniform> head: Head;
@group(0) @binding(1) var<storage, read> logits: array<f32>;   // h W2, [N]
@group(0) @binding(2) var<storage, read> labels: array<f32>;
@group(0) @binding(3) var<storage, read_write> dz: array<f32>;  // (sigmoid(z) - y) / N
@group(0) @binding(4) var<storage, read_write> loss: array<f32>; // per sample
@group(0) @binding(5) var<storage, read> b2: array<f32>;

// Stable BCE on z = logit + b2: max(z, 0) - z y + log(1 + exp(-|z|)).
@compute @workgroup_size(64) fn bce(@builtin(global_invocation_id) g: vec3<u32>) {
  let i = g.x;
  if (i >= head.n) { return; }
  let z = logits[i] + b2[0];
  let y = labels[i];
  let e = exp(-abs(z));
  let p = select(e / (1.0 + e), 1.0 / (1.0 + e), z >= 0.0);
  loss[i] = max(z, 0.0) - z * y + log(1.0 + e);
  dz[i] = (p - y) / f32(head.n);
}

// w -= lr * grad over head.n values; for b2 the gradient is the sum of dz, in order.
@group(0) @binding(6) var<storage, read_write> w: array<f32>;
@compute @workgroup_size(64) fn sgd(@builtin(global_invocation_id) g: vec3<u32>) {
  let i = g.x;
  if (i >= head.n) { return; }
  w[i] -= head.lr * logits[i];
}
@compute @workgroup_size(1) fn sgd_sum() {
  var s = 0.0;
  for (var i = 0u; i < head.n; i++) { s += logits[i]; }
  w[0] -= head.lr * s;
}
`;

/** Two interleaved half-moons, labels 0 and 1, with a little noise; deterministic. */
function moons(n: number, seed: number): { x: Float32Array<ArrayBuffer>; y: Float32Array<ArrayBuffer> } {
  const next = rng(seed);
  const x = new Float32Array(2 * n);
  const y = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const t = Math.PI * next();
    const upper = i % 2 === 0;
    x[2 * i] = (upper ? Math.cos(t) : 1 - Math.cos(t)) + 0.1 * (next() - 0.5);
    x[2 * i + 1] = (upper ? Math.sin(t) : 0.5 - Math.sin(t)) + 0.1 * (next() - 0.5);
    y[i] = upper ? 0 : 1;
  }
  return { x, y };
}

class Mlp {
  readonly device: GPUDevice;
  readonly module: GPUShaderModule;
  readonly pipelines: Record<'matmul' | 'bce' | 'sgd' | 'sgd_sum', GPUComputePipeline>;
  readonly w1: Tensor;
  readonly b1: Tensor;
  readonly w2: Tensor;
  readonly b2: Tensor;
  readonly x: Tensor;
  readonly labels: Tensor;
  readonly xw1: Tensor;
  readonly z2: Tensor;
  readonly dz2: Tensor;
  readonly dh: Tensor;
  readonly dw1: Tensor;
  readonly dw2: Tensor;
  readonly loss: Tensor;

  constructor(
    readonly acts: Activations,
    readonly op: 'relu' | 'leakyRelu',
    readonly n: number,
    readonly hidden: number,
    data: { x: Float32Array; y: Float32Array },
    init: { w1: Float32Array; b1: Float32Array; w2: Float32Array; b2: Float32Array },
  ) {
    this.device = acts.device!;
    this.module = this.device.createShaderModule({ code: KERNELS });
    const make = (entryPoint: string) =>
      this.device.createComputePipeline({ layout: 'auto', compute: { module: this.module, entryPoint } });
    this.pipelines = { matmul: make('matmul'), bce: make('bce'), sgd: make('sgd'), sgd_sum: make('sgd_sum') };
    this.w1 = acts.tensor(init.w1, [2, hidden]);
    this.b1 = acts.tensor(init.b1);
    this.w2 = acts.tensor(init.w2, [hidden, 1]);
    this.b2 = acts.tensor(init.b2);
    this.x = acts.tensor(data.x, [n, 2]);
    this.labels = acts.tensor(data.y);
    const zeros = (...shape: number[]) => acts.tensor(new Float32Array(shape.reduce((p, d) => p * d, 1)), shape);
    this.xw1 = zeros(n, hidden);
    this.z2 = zeros(n);
    this.dz2 = zeros(n);
    this.dh = zeros(n, hidden);
    this.dw1 = zeros(2, hidden);
    this.dw2 = zeros(hidden);
    this.loss = zeros(n);
  }

  #run(pipeline: GPUComputePipeline, uniform: ArrayBuffer, buffers: Record<number, Tensor>, groups: number): void {
    const u = this.device.createBuffer({ size: 16, usage: 0x40 /* UNIFORM */, mappedAtCreation: true });
    new Uint8Array(u.getMappedRange()).set(new Uint8Array(uniform));
    u.unmap();
    const entries = [
      { binding: 0, resource: { buffer: u } },
      ...Object.entries(buffers).map(([b, t]) => ({ binding: Number(b), resource: { buffer: t.gpuBuffer.buffer } })),
    ];
    const enc = this.device.createCommandEncoder();
    const pass = enc.beginComputePass();
    pass.setPipeline(pipeline);
    pass.setBindGroup(0, this.device.createBindGroup({ layout: pipeline.getBindGroupLayout(0), entries }));
    pass.dispatchWorkgroups(groups);
    pass.end();
    this.device.queue.submit([enc.finish()]);
    u.destroy();
  }

  #matmul(a: Tensor, b: Tensor, c: Tensor, m: number, k: number, n: number, flags = 0): void {
    this.#run(this.pipelines.matmul, Uint32Array.of(m, k, n, flags).buffer, { 1: a, 2: b, 3: c }, Math.ceil((m * n) / 64));
  }

  #sgd(w: Tensor, grad: Tensor, lr: number, sum = false): void {
    const u = new ArrayBuffer(16);
    new Uint32Array(u)[0] = sum ? this.n : w.length;
    new Float32Array(u)[1] = lr;
    this.#run(sum ? this.pipelines.sgd_sum : this.pipelines.sgd, u, { 1: grad, 6: w }, sum ? 1 : Math.ceil(w.length / 64));
  }

  /** One full-batch step; returns the gradients it applied (the caller disposes them), or applies them. */
  step(layer: ReturnType<Activations['layer']>, lr: number): { db1: Tensor; dw1: Tensor; dw2: Tensor; dz2: Tensor } {
    const { n, hidden } = this;
    this.#matmul(this.x, this.w1, this.xw1, n, 2, hidden);
    const h = layer.forwardBias(this.xw1, this.b1);
    this.#matmul(h, this.w2, this.z2, n, hidden, 1);
    const u = new ArrayBuffer(16);
    new Uint32Array(u)[0] = n;
    this.#run(this.pipelines.bce, u, { 1: this.z2, 2: this.labels, 3: this.dz2, 4: this.loss, 5: this.b2 }, Math.ceil(n / 64));
    this.#matmul(h, this.dz2, this.dw2, hidden, n, 1, 1); // dW2 = h^T dz2
    this.#matmul(this.dz2, this.w2, this.dh, n, 1, hidden, 2); // dh = dz2 W2^T
    const { dx: dz1, db: db1 } = layer.backwardBias(this.dh);
    this.#matmul(this.x, dz1, this.dw1, 2, n, hidden, 1); // dW1 = x^T dz1
    if (lr > 0) {
      this.#sgd(this.w1, this.dw1, lr);
      this.#sgd(this.b1, db1, lr);
      this.#sgd(this.w2, this.dw2, lr);
      this.#sgd(this.b2, this.dz2, lr, true);
    }
    h.dispose();
    dz1.dispose();
    return { db1, dw1: this.dw1, dw2: this.dw2, dz2: this.dz2 };
  }

  async meanLoss(): Promise<number> {
    return (await this.loss.read()).reduce((s, v) => s + v, 0) / this.n;
  }
}

function init(hidden: number, seed: number) {
  const next = rng(seed);
  const normal = () => Math.sqrt(-2 * Math.log(next() + 1e-12)) * Math.cos(2 * Math.PI * next());
  return {
    w1: Float32Array.from({ length: 2 * hidden }, () => normal() * Math.sqrt(2 / 2)),
    b1: new Float32Array(hidden).fill(0.01),
    w2: Float32Array.from({ length: hidden }, () => normal() * Math.sqrt(2 / hidden)),
    b2: new Float32Array(1),
  };
}

/** The same network's mean loss in float64, independently of the GPU code. */
function loss64(
  op: 'relu' | 'leakyRelu',
  data: { x: Float32Array; y: Float32Array },
  p: { w1: Float64Array; b1: Float64Array; w2: Float64Array; b2: Float64Array },
  hidden: number,
): number {
  const n = data.y.length;
  let total = 0;
  for (let i = 0; i < n; i++) {
    let z = p.b2[0]!;
    for (let j = 0; j < hidden; j++) {
      const a = data.x[2 * i]! * p.w1[j]! + data.x[2 * i + 1]! * p.w1[hidden + j]! + p.b1[j]!;
      z += (a > 0 ? a : op === 'relu' ? 0 : 0.01 * a) * p.w2[j]!;
    }
    total += Math.max(z, 0) - z * data.y[i]! + Math.log1p(Math.exp(-Math.abs(z)));
  }
  return total / n;
}

describeIfAvailable('training an MLP on the GPU with the layer API (Dawn)', 'reason' in found ? found.reason : undefined, () => {
  for (const op of ['relu', 'leakyRelu'] as const) {
    it(`${op}: the loss on two moons falls below 0.1 in 400 full-batch steps`, async () => {
      if ('reason' in found) return;
      const acts = await createActivations({ backend: 'webgpu', gpu: found.gpu });
      const n = 256;
      const hidden = 32;
      const mlp = new Mlp(acts, op, n, hidden, moons(n, 3), init(hidden, 11));
      const layer = acts.layer(op);
      mlp.step(layer, 0).db1.dispose();
      const start = await mlp.meanLoss();
      for (let s = 0; s < 400; s++) mlp.step(layer, 1.0).db1.dispose();
      mlp.step(layer, 0).db1.dispose();
      const end = await mlp.meanLoss();
      console.log(`[training] ${op}: mean BCE ${start.toFixed(4)} -> ${end.toFixed(4)} after 400 steps`);
      expect(start).toBeGreaterThan(0.3);
      expect(end).toBeLessThan(0.1);
      acts.dispose();
    });

    it(`${op}: one step's gradients equal float64 central differences`, async () => {
      if ('reason' in found) return;
      const acts = await createActivations({ backend: 'webgpu', gpu: found.gpu });
      const n = 8;
      const hidden = 4;
      const data = moons(n, 5);
      const p0 = init(hidden, 17);
      const mlp = new Mlp(acts, op, n, hidden, data, p0);
      const { db1, dw1, dw2, dz2 } = mlp.step(acts.layer(op), 0);
      const grads = {
        w1: await dw1.read(),
        b1: await db1.read(),
        w2: await dw2.read(),
        b2: Float32Array.of((await dz2.read()).reduce((s, v) => s + v, 0)),
      };
      const params = {
        w1: Float64Array.from(p0.w1),
        b1: Float64Array.from(p0.b1),
        w2: Float64Array.from(p0.w2),
        b2: Float64Array.from(p0.b2),
      };
      const h = 1e-4;
      for (const name of ['w1', 'b1', 'w2', 'b2'] as const) {
        params[name].forEach((v, i) => {
          params[name][i] = v + h;
          const up = loss64(op, data, params, hidden);
          params[name][i] = v - h;
          const down = loss64(op, data, params, hidden);
          params[name][i] = v;
          const numeric = (up - down) / (2 * h);
          const analytic = grads[name][i]!;
          expect(Math.abs(analytic - numeric), `${op} d${name}[${i}]: GPU ${analytic}, finite difference ${numeric}`).toBeLessThanOrEqual(
            1e-3 + 1e-2 * Math.abs(numeric),
          );
        });
      }
      db1.dispose();
      acts.dispose();
    });
  }
});
