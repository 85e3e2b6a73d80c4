// A small multilayer perceptron trained entirely on the GPU: the demo's Train tab and
// test/gpu/training.test.ts share it. The activations are the library's training layers
// (layer.forwardBias / backwardBias: the bias fused in, a 1-bit mask for relu, dead-unit
// telemetry), and for k > 1 classes the loss head's logSoftmax (acts.layer('logSoftmax'): its
// forward, and its backward from the output). The matmuls, the rest of the loss head and SGD are
// the small WGSL kernels in ./kernels/, which are demo code, not part of the library's API.
// Without WebGPU the tab trains the same network with ./cpu-mlp.ts (the library's layers on its
// CPU backend, these kernels in JS).
//
//   x [n, 2] → (· W₀ → act(· + b₀)) × hidden layers → · W_L + b_L → logits z [n, k]
//   k = 1: binary cross-entropy on a sigmoid (bce.wgsl);
//   k > 1: softmax cross-entropy, as PyTorch splits it: logp = logSoftmax(z) (the library),
//          loss = -mean logp[i, yᵢ] and dlogp (nll.wgsl), dz = logSoftmax's backward (the library).
//
// The decision boundary (predict) runs the same forward with each hidden layer in one kernel,
// dense.wgsl: the matmul with the bias and the activation in its epilogue, the activation being
// wgslFunctions(op, { attrs, prefix: 'act' }), the library's op as WGSL text (docs/fusion.md).
// PReLU is not offered as text (its slopes are a tensor): its boundary runs the training forward.
//
// PReLU (acts.layer('prelu', { alpha, axis: -1 })) has one learnable slope per hidden unit,
// 0.25 to start as in PyTorch, updated by the same SGD from the layer's dalpha. Its layer has no
// fused bias, so the bias is our kernel (bias.wgsl, in place on z) and db our column sum.

import {
  PreluLayer,
  wgslFunctions,
  type Activations,
  type Layer,
  type OpAttrs,
  type OpName,
  type SoftmaxLayer,
  type Tensor,
} from '../src/index.js';
import { normal, rng } from './datasets.js';
import bceWgsl from './kernels/bce.wgsl?raw';
import biasWgsl from './kernels/bias.wgsl?raw';
import colsumWgsl from './kernels/colsum.wgsl?raw';
import denseWgsl from './kernels/dense.wgsl?raw';
import matmulWgsl from './kernels/matmul.wgsl?raw';
import nllWgsl from './kernels/nll.wgsl?raw';
import sgdWgsl from './kernels/sgd.wgsl?raw';

/** A hidden activation: an elementwise op of the registry, or 'prelu' (learned slopes). */
export type MlpOp = OpName | 'prelu';

/** The network's shape and activation. */
export interface MlpOptions {
  /** The activation of every hidden layer ('prelu': a learned slope per unit, see the file comment). */
  readonly op: MlpOp;
  /** Its attributes (defaults for those not given), e.g. { alpha: 0.1 } for leakyRelu. Not for prelu. */
  readonly attrs?: Readonly<Record<string, number | string>>;
  /** Widths from input to output: [2, ...hidden, k]. k = 1 means two classes (BCE), k > 1 means k classes (softmax). */
  readonly sizes: readonly number[];
  /** Count dead units per hidden layer (only where units can die: see {@link countsDeadUnits}). */
  readonly telemetry?: boolean;
  /** SGD momentum (default 0: plain SGD). */
  readonly momentum?: number;
}

/** Weights [in, out] row-major and biases [out], per layer. */
export interface MlpParams {
  readonly weights: readonly Float32Array[];
  readonly biases: readonly Float32Array[];
}

/** The mean loss and the fraction classified right, for the batch of the last step. */
export interface MlpStats {
  readonly loss: number;
  readonly accuracy: number;
}

/**
 * What the Train tab needs of a network, on either side: {@link Mlp} (WebGPU) or CpuMlp
 * (demo/cpu-mlp.ts, the CPU fallback). `step` queues a step and returns at once; the reads wait
 * for every step queued before them.
 */
export interface Network {
  /** Widths from input to output: [2, ...hidden, k]. */
  readonly sizes: readonly number[];
  /** Samples in the training batch. */
  readonly n: number;
  /** Outputs of the last layer: 1 (BCE) or the number of classes (softmax). */
  readonly k: number;
  /** Whether the hidden layers count dead units (readActivity). */
  readonly telemetry: boolean;
  /** Whether the hidden layers are PReLU with learned slopes. */
  readonly prelu: boolean;
  /** Whether predict runs each hidden layer as one kernel with the activation fused in (WebGPU, every op but prelu). */
  readonly fused: boolean;
  /** One full-batch step: forward, loss, backward, and (lr > 0) an SGD update. */
  step(lr: number): void;
  /** The mean loss and accuracy of the last step's forward (before its update). */
  stats(): Promise<MlpStats>;
  /** The dead fraction per hidden layer after the last forward, or null without telemetry. */
  readDead(): Promise<number[] | null>;
  /** PReLU's current slopes per hidden layer, or null for other ops. */
  readSlopes(): Promise<Float32Array[] | null>;
  /** Class probabilities at `points` ([g, 2]): [g] values of p(class 1) for k = 1, else [g, k] softmax rows. */
  predict(points: Float32Array): Promise<Float32Array>;
  /** The current parameters. */
  readParams(): Promise<MlpParams>;
  /** Frees what the network holds. The Activations instance stays usable. */
  dispose(): void;
}

/**
 * He-initialised parameters: weights N(0, 2/fan-in) drawn layer after layer from one seeded
 * stream, hidden biases 0.01 (so ReLUs start alive), output biases 0.
 */
export function initParams(sizes: readonly number[], seed: number): MlpParams {
  const gauss = normal(rng(seed));
  const weights: Float32Array[] = [];
  const biases: Float32Array[] = [];
  for (let l = 0; l + 1 < sizes.length; l++) {
    const [fanIn, fanOut] = [sizes[l]!, sizes[l + 1]!];
    weights.push(Float32Array.from({ length: fanIn * fanOut }, () => gauss() * Math.sqrt(2 / fanIn)));
    biases.push(new Float32Array(fanOut).fill(l + 2 < sizes.length ? 0.01 : 0));
  }
  return { weights, biases };
}

/**
 * Class probabilities from logits z (the output bias added), for the boundary's colours: [g]
 * values of sigmoid(z) for k = 1, else [g, k] softmax rows, in float64 (max-subtracted) and
 * stored as f32. In JavaScript, not the library's softmax: its deterministic exp costs about
 * 0.3 s for the 64 × 64 grid on SwiftShader, which would halve the live loop there.
 */
export function probabilities(z: Float32Array, k: number): Float32Array {
  const out = new Float32Array(z.length);
  if (k === 1) return out.map((_, i) => 1 / (1 + Math.exp(-z[i]!)));
  const e = new Float64Array(k);
  for (let row = 0; row < z.length; row += k) {
    let m = -Infinity;
    for (let j = 0; j < k; j++) m = Math.max(m, z[row + j]!);
    let s = 0;
    for (let j = 0; j < k; j++) s += e[j] = Math.exp(z[row + j]! - m);
    for (let j = 0; j < k; j++) out[row + j] = e[j]! / s;
  }
  return out;
}

/** PReLU's slopes start here (PyTorch's default). */
export const PRELU_INIT = 0.25;

/** Does `op` keep a 1-bit mask as a layer? (prelu keeps x and its own slopes.) */
export function keepsMask(acts: Activations, op: MlpOp): boolean {
  if (op === 'prelu') return false;
  const probe = acts.layer(op);
  const masked = probe.keeps === 'mask';
  probe.dispose();
  return masked;
}

/**
 * Can `op`'s units die, and can its layer count them? A dead unit is off for every sample and so
 * gets no gradient and never learns again. Counting needs the 1-bit mask (readActivity counts
 * from it), and the op must pass nothing where the bit is off: relu and thresholdedRelu do, and
 * relu6 and hardtanh outside their clip. leakyRelu's layer keeps a mask too, but it passes 0.01·dy
 * below 0, and prelu its learned slope times dy: a unit off on every sample still learns.
 */
export function countsDeadUnits(acts: Activations, op: MlpOp): boolean {
  return op !== 'leakyRelu' && keepsMask(acts, op);
}

type Kernel = 'matmul' | 'bce' | 'nll' | 'colsum' | 'sgd' | 'bias' | 'dense';
const SOURCES: Record<Exclude<Kernel, 'dense'>, string> = {
  matmul: matmulWgsl,
  bce: bceWgsl,
  nll: nllWgsl,
  colsum: colsumWgsl,
  sgd: sgdWgsl,
  bias: biasWgsl,
};
const UNIFORM = 0x40;
const COPY_DST = 0x08;

/** The forward buffers for a batch of a given size: pre-activations per hidden layer and the logits. */
interface Pass {
  readonly n: number;
  readonly x: Tensor;
  readonly z: Tensor[];
  readonly logits: Tensor;
  readonly layers: (Layer | PreluLayer)[];
}

/** An MLP whose parameters, data and every step live on the GPU. See the file comment. */
export class Mlp implements Network {
  readonly acts: Activations;
  readonly device: GPUDevice;
  readonly sizes: readonly number[];
  readonly op: MlpOp;
  readonly attrs: Readonly<Record<string, number | string>> | undefined;
  /** Samples in the training batch (the whole dataset: full-batch steps). */
  readonly n: number;
  /** Outputs of the last layer: 1 (BCE) or the number of classes (softmax). */
  readonly k: number;
  /** Whether the hidden layers count dead units (readActivity). */
  readonly telemetry: boolean;
  /** Whether the hidden layers are PReLU with learned slopes. */
  readonly prelu: boolean;
  readonly #momentum: number;
  /** Whether predict fuses each hidden layer's activation into its matmul (every op but prelu). */
  readonly fused: boolean;
  /** Every kernel's pipeline; 'dense' (the fused hidden layer, for predict) where `fused`. */
  readonly #pipelines: Partial<Record<Kernel, GPUComputePipeline>>;
  readonly #uniforms = new Map<string, GPUBuffer>();
  readonly #w: Tensor[];
  readonly #b: Tensor[];
  readonly #vw: Tensor[];
  readonly #vb: Tensor[];
  readonly #dw: Tensor[];
  /** PReLU only, per hidden layer: the slopes [width], their velocity, and db (our column sum). */
  readonly #alpha: Tensor[];
  readonly #valpha: Tensor[];
  readonly #dbPrelu: Tensor[];
  readonly #dbOut: Tensor;
  readonly #labels: Tensor;
  readonly #train: Pass;
  /** k > 1: the loss head's logSoftmax along the classes (it keeps logp for its backward). */
  readonly #head: SoftmaxLayer | undefined;
  /** k = 1: dz from bce.wgsl; k > 1: dlogp from nll.wgsl (dz is then the head's backward). */
  readonly #dz: Tensor;
  readonly #da: Tensor[];
  readonly #stats: Tensor;
  /** The hidden layers' db from backwardBias (ours to dispose), or #dbPrelu. */
  #dbHidden: Tensor[] = [];
  #eval: Pass | undefined;
  /** Whether #eval is for the fused forward (no layers). */
  #evalFused = false;
  #encoder: GPUCommandEncoder | undefined;
  #pass: GPUComputePassEncoder | undefined;
  #errors: Promise<GPUError | null>[] = [];
  #disposed = false;

  constructor(acts: Activations, options: MlpOptions, data: { readonly x: Float32Array; readonly y: Float32Array }, params: MlpParams) {
    if (!acts.device) throw new Error('the MLP trains on WebGPU; this instance runs on the CPU backend');
    this.acts = acts;
    this.device = acts.device;
    this.sizes = [...options.sizes];
    this.op = options.op;
    this.attrs = options.attrs;
    this.n = data.y.length;
    this.k = this.sizes[this.sizes.length - 1]!;
    this.#momentum = options.momentum ?? 0;
    this.prelu = options.op === 'prelu';
    this.telemetry = (options.telemetry ?? false) && countsDeadUnits(acts, options.op);
    const layerCount = this.sizes.length - 1;
    if (layerCount < 1 || this.sizes[0] !== 2 || data.x.length !== 2 * this.n) throw new Error('the MLP takes 2-D points');
    const sources: Partial<Record<Kernel, string>> = { ...SOURCES };
    this.fused = !this.prelu;
    if (this.fused) {
      // The library's op as WGSL functions (act_forward), in front of the kernel that calls it.
      const attrs = this.attrs ? { attrs: this.attrs as OpAttrs<OpName> } : {};
      sources.dense = `${wgslFunctions(this.op as OpName, { ...attrs, prefix: 'act' }).code}\n${denseWgsl}`;
    }
    this.#pipelines = Object.fromEntries(
      Object.entries(sources).map(([name, code]) => {
        const label = name === 'dense' ? `mlp.dense.${this.op}` : `mlp.${name}`;
        const module = this.device.createShaderModule({ label, code });
        return [name, this.device.createComputePipeline({ label, layout: 'auto', compute: { module, entryPoint: 'main' } })];
      }),
    );
    const zeros = (...shape: number[]) => acts.tensor(new Float32Array(shape.reduce((p, d) => p * d, 1)), shape);
    this.#w = params.weights.map((w, l) => acts.tensor(w, [this.sizes[l]!, this.sizes[l + 1]!]));
    this.#b = params.biases.map((b) => acts.tensor(b));
    this.#vw = params.weights.map((w) => zeros(w.length));
    this.#vb = params.biases.map((b) => zeros(b.length));
    this.#dw = params.weights.map((w) => zeros(w.length));
    const widths = this.prelu ? this.sizes.slice(1, -1) : [];
    this.#alpha = widths.map((width) => acts.tensor(new Float32Array(width).fill(PRELU_INIT)));
    this.#valpha = widths.map((width) => zeros(width));
    this.#dbPrelu = widths.map((width) => zeros(width));
    this.#dbOut = zeros(this.k);
    this.#labels = acts.tensor(data.y);
    this.#train = this.#makePass(this.n, { telemetry: this.telemetry, layers: true });
    this.device.queue.writeBuffer(this.#train.x.gpuBuffer.buffer, 0, Float32Array.from(data.x));
    this.#head = this.k > 1 ? acts.layer('logSoftmax', { axis: -1 }) : undefined;
    this.#dz = zeros(this.n, this.k);
    this.#da = this.sizes.slice(1, -1).map((width) => zeros(this.n, width));
    this.#stats = zeros(2 * this.n);
  }

  /** The hidden layers' activation layers (PreluLayer for prelu). */
  get layers(): readonly (Layer | PreluLayer)[] {
    return this.#train.layers;
  }

  /**
   * The gradients of the last step, per layer: dW [in, out] and db [out], and for a PReLU hidden
   * layer dalpha [out] (else null). They stay valid until the next step.
   */
  get grads(): readonly { readonly dw: Tensor; readonly db: Tensor; readonly dalpha: Tensor | null }[] {
    return this.#dw.map((dw, l) => {
      const layer = this.#train.layers[l];
      const dalpha = layer instanceof PreluLayer ? (layer.dalpha ?? null) : null;
      return { dw, db: l < this.#dbHidden.length ? this.#dbHidden[l]! : this.#dbOut, dalpha };
    });
  }

  /** The dead fraction per hidden layer after the last forward, or null without telemetry. */
  async readDead(): Promise<number[] | null> {
    if (!this.telemetry) return null;
    const activity = await Promise.all(this.#train.layers.map((l) => (l as Layer).readActivity()));
    return activity.map((a) => a.deadFraction);
  }

  /** PReLU's current slopes, per hidden layer ([width] each), or null for other ops. */
  async readSlopes(): Promise<Float32Array[] | null> {
    if (!this.prelu) return null;
    await this.#checkErrors();
    return Promise.all(this.#alpha.map((a) => a.read()));
  }

  /**
   * One full-batch step: forward, loss, backward, and (lr > 0) an SGD update. Nothing is read
   * back; `stats()` reads the loss and accuracy of this step's forward.
   */
  step(lr: number): void {
    this.#checkLive();
    if (!this.prelu) for (const db of this.#dbHidden) db.dispose();
    this.#dbHidden = [];
    const { n, k } = this;
    const hidden = this.sizes.length - 2;
    const act = this.#forward(this.#train);
    const used: Tensor[] = [...act];
    const last = act[hidden - 1] ?? this.#train.x;
    const inLast = this.sizes[hidden]!;
    const z = this.#train.logits; // z = logits + b_L, in place, by #forward
    let dz = this.#dz;
    if (!this.#head) {
      this.#dispatch('bce', [n, 0, 0, 0], [z, this.#labels, this.#dz, this.#stats], n);
    } else {
      this.#flush(); // the layer submits its own work: ours must go first
      const logp = this.#head.forward(z);
      this.#dispatch('nll', [n, k, 0, 0], [logp, this.#labels, this.#dz, this.#stats], n); // the loss and dlogp
      this.#flush();
      dz = this.#head.backward(this.#dz); // dz = dlogp - exp(logp) Σ dlogp
      used.push(logp, dz);
    }
    this.#matmul(last, dz, this.#dw[hidden]!, inLast, n, k, 1); // dW = aᵀ dz
    this.#dispatch('colsum', [n, k, 0, 0], [dz, this.#dbOut], k); // db = Σ rows of dz
    if (hidden > 0) this.#matmul(dz, this.#w[hidden]!, this.#da[hidden - 1]!, n, k, inLast, 2); // da = dz Wᵀ
    const dbs: Tensor[] = [];
    for (let l = hidden - 1; l >= 0; l--) {
      this.#flush();
      const layer = this.#train.layers[l]!;
      let dx: Tensor;
      if (layer instanceof PreluLayer) {
        dx = layer.backward(this.#da[l]!); // and layer.dalpha
        const db = this.#dbPrelu[l]!;
        this.#dispatch('colsum', [n, this.sizes[l + 1]!, 0, 0], [dx, db], this.sizes[l + 1]!);
        dbs[l] = db;
      } else {
        const g = layer.backwardBias(this.#da[l]!);
        dx = g.dx;
        dbs[l] = g.db;
      }
      used.push(dx);
      const input = l > 0 ? act[l - 1]! : this.#train.x;
      this.#matmul(input, dx, this.#dw[l]!, this.sizes[l]!, n, this.sizes[l + 1]!, 1);
      if (l > 0) this.#matmul(dx, this.#w[l]!, this.#da[l - 1]!, n, this.sizes[l + 1]!, this.sizes[l]!, 2);
    }
    this.#dbHidden = dbs;
    if (lr > 0) {
      this.#w.forEach((w, l) => this.#sgd(w, this.#dw[l]!, this.#vw[l]!, lr));
      this.#b.forEach((b, l) => this.#sgd(b, l < hidden ? dbs[l]! : this.#dbOut, this.#vb[l]!, lr));
      this.#alpha.forEach((a, l) => this.#sgd(a, (this.#train.layers[l] as PreluLayer).dalpha!, this.#valpha[l]!, lr));
    }
    this.#flush();
    for (const t of used) t.dispose();
  }

  /** The mean loss and accuracy of the last step's forward (before its update). */
  async stats(): Promise<MlpStats> {
    await this.#checkErrors();
    const s = await this.#stats.read();
    let loss = 0;
    let right = 0;
    for (let i = 0; i < this.n; i++) {
      loss += s[i]!;
      right += s[this.n + i]!;
    }
    return { loss: loss / this.n, accuracy: right / this.n };
  }

  /**
   * Class probabilities at `points` ([g, 2]), from a forward pass on the GPU with the current
   * parameters: [g] values of p(class 1) for k = 1, else [g, k] softmax rows. Each hidden layer
   * is one fused kernel (dense.wgsl with the op's wgslFunctions) where `fused`, unless `{ fused:
   * false }` asks for the training forward (matmul, then the library's layer).
   */
  async predict(points: Float32Array, options: { readonly fused?: boolean } = {}): Promise<Float32Array> {
    this.#checkLive();
    const g = points.length / 2;
    const fused = this.fused && (options.fused ?? true);
    if (this.#eval?.n !== g || this.#evalFused !== fused) {
      this.#disposePass(this.#eval);
      this.#eval = this.#makePass(g, { telemetry: false, layers: !fused });
      this.#evalFused = fused;
    }
    const pass = this.#eval;
    this.device.queue.writeBuffer(pass.x.gpuBuffer.buffer, 0, Float32Array.from(points));
    const act = fused ? this.#forwardFused(pass) : this.#forward(pass);
    this.#flush();
    for (const t of act) t.dispose();
    await this.#checkErrors();
    return probabilities(await pass.logits.read(), this.k);
  }

  /** The current parameters, read back. */
  async readParams(): Promise<MlpParams> {
    await this.#checkErrors();
    return { weights: await Promise.all(this.#w.map((w) => w.read())), biases: await Promise.all(this.#b.map((b) => b.read())) };
  }

  /** Frees every buffer and layer. The Activations instance stays usable. */
  dispose(): void {
    if (this.#disposed) return;
    this.#disposed = true;
    this.#flush();
    this.#disposePass(this.#train);
    this.#disposePass(this.#eval);
    if (!this.prelu) for (const t of this.#dbHidden) t.dispose();
    for (const t of [...this.#w, ...this.#b, ...this.#vw, ...this.#vb, ...this.#dw, ...this.#da]) t.dispose();
    for (const t of [...this.#alpha, ...this.#valpha, ...this.#dbPrelu]) t.dispose();
    for (const t of [this.#dbOut, this.#labels, this.#dz, this.#stats]) t.dispose();
    this.#head?.dispose();
    for (const u of this.#uniforms.values()) u.destroy();
    this.#uniforms.clear();
  }

  /** The forward pass through every layer into pass.logits (the output bias added); returns the hidden activations (the caller disposes them). */
  #forward(pass: Pass): Tensor[] {
    const act: Tensor[] = [];
    let input = pass.x;
    const hidden = this.sizes.length - 2;
    for (let l = 0; l < hidden; l++) {
      const [z, layer, width] = [pass.z[l]!, pass.layers[l]!, this.sizes[l + 1]!];
      this.#matmul(input, this.#w[l]!, z, pass.n, this.sizes[l]!, width);
      if (layer instanceof PreluLayer) this.#dispatch('bias', [pass.n, width, 0, 0], [this.#b[l]!, z], pass.n * width); // z += b
      this.#flush(); // the layer submits its own work: ours must go first
      input = layer instanceof PreluLayer ? layer.forward(z) : layer.forwardBias(z, this.#b[l]!); // prelu keeps z (ours) until backward
      act.push(input);
    }
    this.#matmul(input, this.#w[hidden]!, pass.logits, pass.n, this.sizes[hidden]!, this.k);
    this.#dispatch('bias', [pass.n, this.k, 0, 0], [this.#b[hidden]!, pass.logits], pass.n * this.k); // z = logits + b_L
    return act;
  }

  /**
   * The forward pass into pass.logits (the output bias added) with one dense.wgsl dispatch per
   * hidden layer: z[l] = act(input · W + b), the activation fused in. Returns no tensors to free.
   */
  #forwardFused(pass: Pass): Tensor[] {
    let input = pass.x;
    const hidden = this.sizes.length - 2;
    for (let l = 0; l < hidden; l++) {
      const [fanIn, width] = [this.sizes[l]!, this.sizes[l + 1]!];
      this.#dispatch('dense', [pass.n, fanIn, width, 0], [input, this.#w[l]!, this.#b[l]!, pass.z[l]!], pass.n * width);
      input = pass.z[l]!;
    }
    this.#matmul(input, this.#w[hidden]!, pass.logits, pass.n, this.sizes[hidden]!, this.k);
    this.#dispatch('bias', [pass.n, this.k, 0, 0], [this.#b[hidden]!, pass.logits], pass.n * this.k); // z = logits + b_L
    return [];
  }

  /** Buffers for a forward of n points, and (`layers`) the library's layers for #forward. */
  #makePass(n: number, { telemetry, layers }: { readonly telemetry: boolean; readonly layers: boolean }): Pass {
    const zeros = (...shape: number[]) => this.acts.tensor(new Float32Array(shape.reduce((p, d) => p * d, 1)), shape);
    const widths = this.sizes.slice(1, -1);
    return {
      n,
      x: zeros(n, 2),
      z: widths.map((w) => zeros(n, w)),
      logits: zeros(n, this.k),
      layers: (layers ? widths : []).map((_, l) =>
        this.prelu
          ? this.acts.layer('prelu', { alpha: this.#alpha[l]!, axis: -1 })
          : this.acts.layer(this.op as OpName, this.attrs as OpAttrs<OpName> | undefined, telemetry ? { telemetry: true } : {}),
      ),
    };
  }

  #disposePass(pass: Pass | undefined): void {
    if (!pass) return;
    for (const t of [pass.x, pass.logits, ...pass.z]) t.dispose();
    for (const layer of pass.layers) layer.dispose();
  }

  /** C[m, n] = A[m, k] B[k, n]; flags 1: A stored [k, m], 2: B stored [n, k]. */
  #matmul(a: Tensor, b: Tensor, c: Tensor, m: number, k: number, n: number, flags = 0): void {
    this.#dispatch('matmul', [m, k, n, flags], [a, b, c], m * n);
  }

  #sgd(w: Tensor, grad: Tensor, velocity: Tensor, lr: number): void {
    const u = new Uint32Array(4);
    const f = new Float32Array(u.buffer);
    u[0] = w.length;
    f[1] = lr;
    f[2] = this.#momentum;
    this.#dispatch('sgd', u, [grad, w, velocity], w.length);
  }

  /** Encodes one dispatch of `kernel` over `invocations`, its uniform (4 words) at binding 0 and `tensors` from binding 1. */
  #dispatch(kernel: Kernel, uniform: ArrayLike<number>, tensors: readonly Tensor[], invocations: number): void {
    const pipeline = this.#pipelines[kernel];
    if (!pipeline) throw new Error(`the MLP has no ${kernel} kernel (${this.op})`);
    const entries: GPUBindGroupEntry[] = [{ binding: 0, resource: { buffer: this.#uniform(Uint32Array.from(uniform)) } }];
    tensors.forEach((t, i) => entries.push({ binding: i + 1, resource: { buffer: t.gpuBuffer.buffer } }));
    if (!this.#pass) {
      this.device.pushErrorScope('validation');
      this.#encoder = this.device.createCommandEncoder({ label: 'mlp' });
      this.#pass = this.#encoder.beginComputePass({ label: 'mlp' });
    }
    this.#pass.setPipeline(pipeline);
    this.#pass.setBindGroup(0, this.device.createBindGroup({ label: `mlp.${kernel}`, layout: pipeline.getBindGroupLayout(0), entries }));
    this.#pass.dispatchWorkgroups(Math.ceil(invocations / 64));
  }

  /** A uniform buffer holding these four words, made once per distinct content. */
  #uniform(words: Uint32Array<ArrayBuffer>): GPUBuffer {
    const key = words.join(',');
    let buffer = this.#uniforms.get(key);
    if (!buffer) {
      buffer = this.device.createBuffer({ label: `mlp.uniform(${key})`, size: 16, usage: UNIFORM | COPY_DST });
      this.device.queue.writeBuffer(buffer, 0, words);
      this.#uniforms.set(key, buffer);
    }
    return buffer;
  }

  /** Submits what we encoded (before any library call, which submits its own work). */
  #flush(): void {
    if (!this.#pass) return;
    this.#pass.end();
    this.device.queue.submit([this.#encoder!.finish()]);
    this.#errors.push(this.device.popErrorScope());
    this.#pass = undefined;
    this.#encoder = undefined;
  }

  async #checkErrors(): Promise<void> {
    const errors = await Promise.all(this.#errors);
    this.#errors = [];
    const first = errors.find((e) => e !== null);
    if (first) throw new Error(`MLP kernel validation error: ${first.message}`);
  }

  #checkLive(): void {
    if (this.#disposed) throw new Error('the MLP was disposed');
  }
}
