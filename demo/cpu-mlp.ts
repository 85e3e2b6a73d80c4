// The Train tab's MLP where the page has no WebGPU: the same network, data, initial weights and
// steps as ./mlp.ts, on the CPU. The activations are still the library's training layers, on its
// CPU backend (acts.layer(...).forwardBias / backwardBias: the bias fused in, the 1-bit mask for
// relu, readActivity for dead units; PReLU's layer and its dalpha), and so is the k-class loss
// head's logSoftmax (acts.layer('logSoftmax'), forward and backward); the matmuls, the rest of
// the loss head and SGD are plain JavaScript over Float32Arrays, the formulas of
// ./kernels/*.wgsl with the same loop order. Sums run in f64 and are stored as f32, where the GPU
// sums in f32 (and may fuse multiply-adds): the runs are comparable, not bit-identical.
//
// The library's tensors are read with `await t.read()`, so a step is async: `step()` queues it
// and returns (as Mlp's submits to the GPU queue), and every read waits for the steps before it.

import { PreluLayer, type Activations, type Layer, type OpAttrs, type OpName, type SoftmaxLayer, type Tensor } from '../src/index.js';
import {
  countsDeadUnits,
  PRELU_INIT,
  probabilities,
  type MlpOptions,
  type MlpParams,
  type MlpStats,
  type MlpOp,
  type Network,
} from './mlp.js';

/** c[m, n] = a[m, k] b[k, n], all row-major; c is new. */
function matmul(a: Float32Array, b: Float32Array, m: number, k: number, n: number): Float32Array {
  const c = new Float32Array(m * n);
  const row = new Float64Array(n);
  for (let i = 0; i < m; i++) {
    row.fill(0);
    for (let p = 0; p < k; p++) {
      const av = a[i * k + p]!;
      for (let j = 0; j < n; j++) row[j]! += av * b[p * n + j]!;
    }
    c.set(row, i * n);
  }
  return c;
}

/** dW[k, n] = aᵀ dz: a [m, k], dz [m, n] (matmul.wgsl's flag 1: A stored [k, m] as the activations [batch, units]). */
function matmulAt(a: Float32Array, dz: Float32Array, m: number, k: number, n: number): Float32Array {
  const c = new Float64Array(k * n);
  for (let i = 0; i < m; i++) {
    for (let p = 0; p < k; p++) {
      const av = a[i * k + p]!;
      for (let j = 0; j < n; j++) c[p * n + j]! += av * dz[i * n + j]!;
    }
  }
  return Float32Array.from(c);
}

/** da[m, k] = dz[m, n] Wᵀ: W stored [k, n] (matmul.wgsl's flag 2). */
function matmulBt(dz: Float32Array, w: Float32Array, m: number, n: number, k: number): Float32Array {
  const c = new Float32Array(m * k);
  for (let i = 0; i < m; i++) {
    for (let p = 0; p < k; p++) {
      let s = 0;
      for (let j = 0; j < n; j++) s += dz[i * n + j]! * w[p * n + j]!;
      c[i * k + p] = s;
    }
  }
  return c;
}

/** db[j] = Σ_i dz[i, j], in row order (colsum.wgsl). */
function colsum(dz: Float32Array, rows: number, cols: number): Float32Array {
  const db = new Float64Array(cols);
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) db[j]! += dz[i * cols + j]!;
  return Float32Array.from(db);
}

/** v = μ v + g; w -= lr v, in place (sgd.wgsl). */
function sgd(w: Float32Array, grad: Float32Array, v: Float32Array, lr: number, momentum: number): void {
  for (let i = 0; i < w.length; i++) {
    v[i] = momentum * v[i]! + grad[i]!;
    w[i]! -= lr * v[i]!;
  }
}

/** Tensors and layers one forward made; the backward reads them, then they are freed. */
interface Forward {
  /** The hidden activations, read back, per hidden layer. */
  readonly act: Float32Array[];
  readonly logits: Float32Array;
  readonly layers: (Layer | PreluLayer)[];
  /** What to dispose once backward is done (layers kept as the tab's are not in here). */
  readonly tensors: Tensor[];
  readonly ownLayers: (Layer | PreluLayer)[];
}

/** The MLP of ./mlp.ts on the CPU: see the file comment. */
export class CpuMlp implements Network {
  readonly acts: Activations;
  readonly sizes: readonly number[];
  readonly op: MlpOp;
  readonly attrs: Readonly<Record<string, number | string>> | undefined;
  readonly n: number;
  readonly k: number;
  readonly telemetry: boolean;
  readonly prelu: boolean;
  /** The CPU runs no WGSL: predict runs the training forward (the library's layers). */
  readonly fused = false;
  readonly #momentum: number;
  readonly #x: Float32Array;
  readonly #labels: Float32Array;
  readonly #w: Float32Array[];
  readonly #b: Float32Array[];
  readonly #vw: Float32Array[];
  readonly #vb: Float32Array[];
  /** PReLU only, per hidden layer: the slopes and their velocity. */
  readonly #alpha: Float32Array[];
  readonly #valpha: Float32Array[];
  /** The training layers (not PReLU's, made per step around the current slopes): they count dead units. */
  readonly #layers: Layer[];
  /** k > 1: the loss head's logSoftmax along the classes (it keeps logp for its backward). */
  readonly #head: SoftmaxLayer | undefined;
  #stats: MlpStats = { loss: NaN, accuracy: NaN };
  #queue: Promise<void> = Promise.resolve();
  #disposed = false;

  constructor(acts: Activations, options: MlpOptions, data: { readonly x: Float32Array; readonly y: Float32Array }, params: MlpParams) {
    this.acts = acts;
    this.sizes = [...options.sizes];
    this.op = options.op;
    this.attrs = options.attrs;
    this.n = data.y.length;
    this.k = this.sizes[this.sizes.length - 1]!;
    this.#momentum = options.momentum ?? 0;
    this.prelu = options.op === 'prelu';
    this.telemetry = (options.telemetry ?? false) && countsDeadUnits(acts, options.op);
    if (this.sizes.length < 2 || this.sizes[0] !== 2 || data.x.length !== 2 * this.n) throw new Error('the MLP takes 2-D points');
    this.#x = Float32Array.from(data.x);
    this.#labels = Float32Array.from(data.y);
    this.#w = params.weights.map((w) => Float32Array.from(w));
    this.#b = params.biases.map((b) => Float32Array.from(b));
    this.#vw = params.weights.map((w) => new Float32Array(w.length));
    this.#vb = params.biases.map((b) => new Float32Array(b.length));
    const widths = this.sizes.slice(1, -1);
    this.#alpha = this.prelu ? widths.map((width) => new Float32Array(width).fill(PRELU_INIT)) : [];
    this.#valpha = this.#alpha.map((a) => new Float32Array(a.length));
    this.#layers = this.prelu ? [] : widths.map(() => this.#layer(this.telemetry));
    this.#head = this.k > 1 ? acts.layer('logSoftmax', { axis: -1 }) : undefined;
  }

  step(lr: number): void {
    this.#checkLive();
    this.#queue = this.#queue.then(() => this.#step(lr));
  }

  async stats(): Promise<MlpStats> {
    await this.#queue;
    return this.#stats;
  }

  async readDead(): Promise<number[] | null> {
    await this.#queue;
    if (!this.telemetry) return null;
    const activity = await Promise.all(this.#layers.map((l) => l.readActivity()));
    return activity.map((a) => a.deadFraction);
  }

  async readSlopes(): Promise<Float32Array[] | null> {
    await this.#queue;
    return this.prelu ? this.#alpha.map((a) => a.slice()) : null;
  }

  /** A forward with the current parameters (its own layers: the training layers' counts stay), as Mlp.predict. */
  predict(points: Float32Array): Promise<Float32Array> {
    this.#checkLive();
    const result = this.#queue.then(async () => {
      const g = points.length / 2;
      const f = await this.#forward(Float32Array.from(points), g, null);
      this.#free(f);
      return probabilities(f.logits, this.k);
    });
    // A failed predict changes nothing: later steps and reads need not fail with it.
    this.#queue = result.then(
      () => undefined,
      () => undefined,
    );
    return result;
  }

  async readParams(): Promise<MlpParams> {
    await this.#queue;
    return { weights: this.#w.map((w) => w.slice()), biases: this.#b.map((b) => b.slice()) };
  }

  dispose(): void {
    if (this.#disposed) return;
    this.#disposed = true;
    // After the queued work (which stops at the next step): a step may be using the layers.
    const free = () => [...this.#layers, ...(this.#head ? [this.#head] : [])].forEach((layer) => layer.dispose());
    void this.#queue.then(free, free);
  }

  async #step(lr: number): Promise<void> {
    if (this.#disposed) return;
    const { n, k } = this;
    const hidden = this.sizes.length - 2;
    const f = await this.#forward(this.#x, n, this.#layers);
    // The loss head: per sample the loss, dL/dz for the mean loss, and right or not. k = 1: as
    // bce.wgsl; k > 1: the library's logSoftmax, then as nll.wgsl, then the library's backward.
    const z = f.logits; // the output bias added, by #forward
    let dz: Float32Array = new Float32Array(n * k);
    let loss = 0;
    let right = 0;
    if (!this.#head) {
      for (let i = 0; i < n; i++) {
        const [zi, y] = [z[i]!, this.#labels[i]!];
        const e = Math.exp(-Math.abs(zi));
        const p = zi >= 0 ? 1 / (1 + e) : e / (1 + e);
        loss += Math.max(zi, 0) - zi * y + Math.log(1 + e);
        dz[i] = (p - y) / n;
        right += zi > 0 === y > 0.5 ? 1 : 0;
      }
    } else {
      const zT = this.acts.tensor(z, [n, k]);
      const logpT = this.#head.forward(zT);
      const logp = await logpT.read();
      const dlogp = new Float32Array(n * k);
      for (let i = 0; i < n; i++) {
        const [row, y] = [i * k, this.#labels[i]!];
        let best = 0;
        for (let j = 1; j < k; j++) if (logp[row + j]! > logp[row + best]!) best = j;
        dlogp[row + y] = -1 / n;
        loss -= logp[row + y]!;
        right += best === y ? 1 : 0;
      }
      const dlogpT = this.acts.tensor(dlogp, [n, k]);
      const dzT = this.#head.backward(dlogpT); // dz = dlogp - exp(logp) Σ dlogp
      dz = await dzT.read();
      for (const t of [zT, logpT, dlogpT, dzT]) t.dispose();
    }
    this.#stats = { loss: loss / n, accuracy: right / n };

    // Backward: the dense layers here, the activations by the library's layers.
    const dw: Float32Array[] = [];
    const db: Float32Array[] = [];
    const dalpha: Float32Array[] = [];
    const inLast = this.sizes[hidden]!;
    dw[hidden] = matmulAt(f.act[hidden - 1] ?? this.#x, dz, n, inLast, k);
    db[hidden] = colsum(dz, n, k);
    let da = hidden > 0 ? matmulBt(dz, this.#w[hidden]!, n, k, inLast) : null;
    for (let l = hidden - 1; l >= 0; l--) {
      const width = this.sizes[l + 1]!;
      const layer = f.layers[l]!;
      const daT = this.acts.tensor(da!, [n, width]);
      let dx: Float32Array;
      if (layer instanceof PreluLayer) {
        const dxT = layer.backward(daT);
        dx = await dxT.read();
        dalpha[l] = await layer.dalpha!.read();
        db[l] = colsum(dx, n, width);
        dxT.dispose();
      } else {
        const g = layer.backwardBias(daT);
        [dx, db[l]] = await Promise.all([g.dx.read(), g.db.read()]);
        g.dx.dispose();
        g.db.dispose();
      }
      daT.dispose();
      dw[l] = matmulAt(f.act[l - 1] ?? this.#x, dx, n, this.sizes[l]!, width);
      da = l > 0 ? matmulBt(dx, this.#w[l]!, n, width, this.sizes[l]!) : null;
    }
    this.#free(f);
    if (lr > 0) {
      this.#w.forEach((w, l) => sgd(w, dw[l]!, this.#vw[l]!, lr, this.#momentum));
      this.#b.forEach((b, l) => sgd(b, db[l]!, this.#vb[l]!, lr, this.#momentum));
      this.#alpha.forEach((a, l) => sgd(a, dalpha[l]!, this.#valpha[l]!, lr, this.#momentum));
    }
  }

  /**
   * x [g, 2] through every layer: per hidden layer z = input · W (here), then the library's layer
   * (forwardBias, or for prelu z + b here and a PReLU layer around the current slopes); the logits
   * come back with the output bias added (as bias.wgsl adds it on the GPU). `layers`: the training
   * layers, or null for a forward of its own (predict).
   */
  async #forward(x: Float32Array, g: number, layers: Layer[] | null): Promise<Forward> {
    const hidden = this.sizes.length - 2;
    const f: Forward = { act: [], logits: new Float32Array(0), layers: [], tensors: [], ownLayers: [] };
    let input = x;
    for (let l = 0; l < hidden; l++) {
      const width = this.sizes[l + 1]!;
      const z = matmul(input, this.#w[l]!, g, this.sizes[l]!, width);
      let y: Tensor;
      if (this.prelu) {
        const b = this.#b[l]!;
        for (let i = 0; i < z.length; i++) z[i]! += b[i % width]!;
        const alpha = this.acts.tensor(this.#alpha[l]!);
        const layer = this.acts.layer('prelu', { alpha, axis: -1 });
        const zT = this.acts.tensor(z, [g, width]);
        y = layer.forward(zT); // keeps zT (ours) until backward
        f.layers.push(layer);
        f.ownLayers.push(layer);
        f.tensors.push(alpha, zT, y);
      } else {
        const layer = layers?.[l] ?? this.#layer(false);
        if (!layers) f.ownLayers.push(layer);
        const [zT, bT] = [this.acts.tensor(z, [g, width]), this.acts.tensor(this.#b[l]!)];
        y = layer.forwardBias(zT, bT); // keeps the mask, its own z, or y (freed after backward)
        f.layers.push(layer);
        f.tensors.push(zT, bT, y);
      }
      input = await y.read();
      f.act.push(input);
    }
    const logits = matmul(input, this.#w[hidden]!, g, this.sizes[hidden]!, this.k);
    const b = this.#b[hidden]!;
    for (let i = 0; i < logits.length; i++) logits[i]! += b[i % this.k]!; // z = logits + b_L in f32, as bias.wgsl
    return { ...f, logits };
  }

  #free(f: Forward): void {
    for (const t of f.tensors) t.dispose();
    for (const layer of f.ownLayers) layer.dispose();
  }

  #layer(telemetry: boolean): Layer {
    return this.acts.layer(this.op as OpName, this.attrs as OpAttrs<OpName> | undefined, telemetry ? { telemetry: true } : {});
  }

  #checkLive(): void {
    if (this.#disposed) throw new Error('the MLP was disposed');
  }
}
