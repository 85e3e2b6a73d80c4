import { expect, it } from 'vitest';
import { moons, spiral } from '../../demo/datasets.js';
import { initParams, Mlp } from '../../demo/mlp.js';
import { createActivations } from '../../src/index.js';
import { nodeGpu } from '../helpers/node-gpu.js';
import { describeIfAvailable } from '../helpers/requirements.js';

// A small MLP trained entirely on the GPU through the layer API: x[N,2] -> x W1 + b1 -> act
// (layer.forwardBias: fused bias, a 1-bit mask for relu) -> h W2 + b2 -> sigmoid -> binary
// cross-entropy, or for 3 classes -> logSoftmax (the library's layer) -> negative log-likelihood.
// The matmuls, the rest of the loss head and SGD are the demo's WGSL (demo/mlp.ts and
// demo/kernels/, shared with the demo's Train tab; not the public API). It checks that the loss
// falls, and that one step's loss and gradients match float64 (finite differences).

const found = await nodeGpu();

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

/** The 3-class network's mean softmax cross-entropy in float64 (log Σ e^z - z_y, max-subtracted). */
function crossEntropy64(
  data: { x: Float32Array; y: Float32Array },
  p: { w1: Float64Array; b1: Float64Array; w2: Float64Array; b2: Float64Array },
  hidden: number,
  k: number,
): number {
  const n = data.y.length;
  let total = 0;
  for (let i = 0; i < n; i++) {
    const z = Array.from(p.b2);
    for (let j = 0; j < hidden; j++) {
      const a = Math.max(0, data.x[2 * i]! * p.w1[j]! + data.x[2 * i + 1]! * p.w1[hidden + j]! + p.b1[j]!);
      for (let c = 0; c < k; c++) z[c]! += a * p.w2[j * k + c]!;
    }
    const m = Math.max(...z);
    total += m + Math.log(z.reduce((s, v) => s + Math.exp(v - m), 0)) - z[data.y[i]!]!;
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
      const mlp = new Mlp(acts, { op, sizes: [2, hidden, 1] }, moons(n, 3), initParams([2, hidden, 1], 11));
      mlp.step(0);
      const start = (await mlp.stats()).loss;
      for (let s = 0; s < 400; s++) mlp.step(1.0);
      mlp.step(0);
      const end = (await mlp.stats()).loss;
      console.log(`[training] ${op}: mean BCE ${start.toFixed(4)} -> ${end.toFixed(4)} after 400 steps`);
      expect(start).toBeGreaterThan(0.3);
      expect(end).toBeLessThan(0.1);
      mlp.dispose();
      acts.dispose();
    });

    it(`${op}: one step's gradients equal float64 central differences`, async () => {
      if ('reason' in found) return;
      const acts = await createActivations({ backend: 'webgpu', gpu: found.gpu });
      const n = 8;
      const hidden = 4;
      const data = moons(n, 5);
      const p0 = initParams([2, hidden, 1], 17);
      const mlp = new Mlp(acts, { op, sizes: [2, hidden, 1] }, data, p0);
      mlp.step(0);
      const [l1, l2] = mlp.grads;
      const grads = { w1: await l1!.dw.read(), b1: await l1!.db.read(), w2: await l2!.dw.read(), b2: await l2!.db.read() };
      const params = {
        w1: Float64Array.from(p0.weights[0]!),
        b1: Float64Array.from(p0.biases[0]!),
        w2: Float64Array.from(p0.weights[1]!),
        b2: Float64Array.from(p0.biases[1]!),
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
      mlp.dispose();
      acts.dispose();
    });
  }

  const fusedCases = [
    { op: 'relu' },
    { op: 'leakyRelu', attrs: { alpha: 0.2 } },
    { op: 'gelu', attrs: { approximate: 'tanh' } },
    { op: 'elu', attrs: { alpha: 0.5 } },
    { op: 'tanh' },
  ] as const;
  for (const c of fusedCases) {
    it(`the boundary's fused forward (dense.wgsl with wgslFunctions('${c.op}')) gives the training forward's bits`, async () => {
      if ('reason' in found) return;
      const acts = await createActivations({ backend: 'webgpu', gpu: found.gpu });
      const sizes = [2, 8, 8, 3];
      const data = spiral(30, 3);
      const mlp = new Mlp(acts, { op: c.op, ...('attrs' in c ? { attrs: c.attrs } : {}), sizes }, data, initParams(sizes, 23));
      expect(mlp.fused).toBe(true);
      const g = 257;
      const points = Float32Array.from({ length: 2 * g }, (_, i) => 1.5 * Math.sin(1.7 * i + 0.3));
      const fused = await mlp.predict(points);
      const unfused = await mlp.predict(points, { fused: false });
      expect(fused).toHaveLength(g * 3);
      const differ = [...fused.keys()].filter((i) => !Object.is(fused[i], unfused[i]));
      expect(differ, `${differ.length} of ${fused.length} differ, first at ${differ[0]}`).toEqual([]);
      // And both are the network's: rows of probabilities, not a constant.
      for (let i = 0; i < g; i++) expect(fused[3 * i]! + fused[3 * i + 1]! + fused[3 * i + 2]!).toBeCloseTo(1, 6);
      expect(new Set(fused).size).toBeGreaterThan(g);
      mlp.dispose();
      acts.dispose();
    });
  }

  it("3 classes, the head on the library's logSoftmax: one step's loss and gradients equal float64", async () => {
    if ('reason' in found) return;
    const acts = await createActivations({ backend: 'webgpu', gpu: found.gpu });
    const [n, hidden, k] = [12, 5, 3];
    const data = spiral(n, 7);
    const p0 = initParams([2, hidden, k], 19);
    // Larger output weights than He's, so that the softmax rows are far from uniform.
    const w2 = p0.weights[1]!.map((v) => 3 * v);
    const b2 = Float32Array.from([0.5, -0.25, 0.125]);
    const p = { weights: [p0.weights[0]!, w2], biases: [p0.biases[0]!, b2] };
    const mlp = new Mlp(acts, { op: 'relu', sizes: [2, hidden, k] }, data, p);
    mlp.step(0);
    const { loss } = await mlp.stats();
    const [l1, l2] = mlp.grads;
    const grads = { w1: await l1!.dw.read(), b1: await l1!.db.read(), w2: await l2!.dw.read(), b2: await l2!.db.read() };
    const params = {
      w1: Float64Array.from(p.weights[0]!),
      b1: Float64Array.from(p.biases[0]!),
      w2: Float64Array.from(w2),
      b2: Float64Array.from(b2),
    };
    const loss64 = crossEntropy64(data, params, hidden, k);
    console.log(`[training] 3 classes: mean cross-entropy ${loss} on the GPU, ${loss64} in float64`);
    expect(loss64).toBeGreaterThan(0.5);
    expect(Math.abs(loss - loss64)).toBeLessThanOrEqual(1e-5 * loss64);
    const h = 1e-4;
    for (const name of ['w1', 'b1', 'w2', 'b2'] as const) {
      params[name].forEach((v, i) => {
        params[name][i] = v + h;
        const up = crossEntropy64(data, params, hidden, k);
        params[name][i] = v - h;
        const down = crossEntropy64(data, params, hidden, k);
        params[name][i] = v;
        const numeric = (up - down) / (2 * h);
        const analytic = grads[name][i]!;
        expect(Math.abs(analytic - numeric), `d${name}[${i}]: GPU ${analytic}, finite difference ${numeric}`).toBeLessThanOrEqual(
          1e-4 + 1e-3 * Math.abs(numeric),
        );
      });
    }
    mlp.dispose();
    acts.dispose();
  });
});
