// The Train tab: controls, the live loop (a few steps per animation frame, then a readback), and
// the drawings; and `train()`, the same run flat out for tests (window.__demo.train). It trains on
// the GPU, or on the CPU where the library fell back to its CPU backend.

import { opNames, type Activations } from '../src/index.js';
import { boundsOf, drawBoundary, drawLines, gridPoints, type Bounds } from './charts.js';
import { datasetNames, type DatasetName } from './datasets.js';
import type { MlpOp } from './mlp.js';
import { Trainer, type Sample, type TrainConfig } from './trainer.js';

/** Activations offered for training, in this order (prelu, and those the registry has). */
const TRAIN_OPS = [
  'relu',
  'leakyRelu',
  'prelu',
  'gelu',
  'silu',
  'tanh',
  'elu',
  'selu',
  'celu',
  'mish',
  'softplus',
  'hardswish',
  'relu6',
  'sigmoid',
  'thresholdedRelu',
];
const LEARNING_RATES = [0.003, 0.01, 0.03, 0.1, 0.3, 1, 3];
const WIDTHS = [4, 8, 16, 32, 64];
const DEPTHS = [1, 2, 3];
const MOMENTA = [0, 0.5, 0.9];
const DEFAULTS = { dataset: 'spiral', op: 'relu', lr: 0.1, width: 32, depth: 2, momentum: 0.9, seed: 1 } as const;
/** The boundary grid is GRID × GRID points. */
const GRID = 64;
/** The live loop stops by itself here. */
const MAX_STEPS = 20_000;
/** Most steps per animation frame: the GPU's and the CPU's (each step there blocks the page). */
const MAX_BATCH = { gpu: 64, cpu: 16 } as const;
/** What the tab's note says of where the steps run, on the CPU (the page's text is the GPU's). */
const CPU_HOW =
  "No WebGPU on this page, so every step runs on the CPU instead, full batch: the hidden activations are the library's " +
  "training layers on its CPU backend (bias fused in, a 1-bit mask for relu, the same dead-unit counts), and so is the spiral's " +
  'loss head, logSoftmax over its 3 classes; the matmuls, the rest of the loss and SGD are plain JavaScript over Float32Arrays, the ' +
  "formulas of the demo's WGSL kernels, from the same seeded weights as on the GPU.";
const LAYER_COLORS = ['#2b6cb0', '#d9480f', '#2f9e44'];

/** A run for window.__demo.train: a config and a number of steps. */
export interface TrainOptions extends TrainConfig {
  readonly steps: number;
  /** Read the loss and dead units every this many steps (default 10). */
  readonly every?: number;
}

/** What window.__demo.train returns. */
export interface TrainReport {
  readonly config: Required<TrainConfig>;
  readonly steps: number;
  /** Training accuracy and mean loss of the final weights. */
  readonly accuracy: number;
  readonly loss: number;
  /** Every sample taken: loss, accuracy and dead fraction per layer (null without a mask). */
  readonly history: readonly Sample[];
  /** Dead fraction per hidden layer of the final weights, or null when its units cannot die or it keeps no mask. */
  readonly dead: readonly number[] | null;
  /** PReLU: the final mean slope per hidden layer, and every slope (per layer, per unit); else null. */
  readonly slopes: readonly number[] | null;
  readonly alpha: readonly (readonly number[])[] | null;
  /** The first sampled step whose forward was at least 95% right, or null. */
  readonly firstStepAt95: number | null;
  /** Wall time of the run, in ms. */
  readonly ms: number;
}

/** What window.__demo.boundary returns: the decision boundary as last drawn, and the weights it came from. */
export interface BoundaryReport {
  readonly config: Required<TrainConfig>;
  /** The grid's points [g, 2] (x0, x1 per point). */
  readonly points: readonly number[];
  /** Per point p(class 1) (k = 1), or the k class probabilities. */
  readonly probs: readonly number[];
  readonly k: number;
  /** Whether the hidden layers ran fused (one kernel each, with the op's wgslFunctions). */
  readonly fused: boolean;
  /** Per layer, weights [in, out] row-major and biases [out]. */
  readonly weights: readonly (readonly number[])[];
  readonly biases: readonly (readonly number[])[];
}

const nextFrame = () => new Promise<void>((resolve) => requestAnimationFrame(() => resolve()));
const pct = (v: number) => `${Number((100 * v).toFixed(1))}%`;

export class TrainTab {
  readonly #acts: Activations | undefined;
  /** Where it trains: on the GPU, or on the CPU where the library fell back. */
  readonly #on: 'gpu' | 'cpu';
  readonly #form: HTMLFormElement;
  readonly #startButton: HTMLButtonElement;
  readonly #status: HTMLElement;
  readonly #canvases: { boundary: HTMLCanvasElement; loss: HTMLCanvasElement; dead: HTMLCanvasElement };
  #trainer: Trainer | undefined;
  #bounds: Bounds | undefined;
  #grid: Float32Array | undefined;
  #running = false;
  #loop: Promise<void> | undefined;
  /** The probabilities last drawn on the boundary, and the grid. */
  #drawn: { readonly points: Float32Array; readonly probs: Float32Array } | undefined;

  constructor(acts: Activations | undefined, unavailable: string | undefined) {
    this.#acts = acts;
    this.#on = acts?.device ? 'gpu' : 'cpu';
    const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
    this.#form = $('train-controls');
    this.#startButton = $('train-start');
    this.#status = $('train-status');
    this.#canvases = { boundary: $('train-boundary'), loss: $('train-loss'), dead: $('train-dead') };
    const fill = (name: string, values: readonly (string | number)[], selected: string | number) => {
      const select = this.#form.elements.namedItem(name) as HTMLSelectElement;
      select.innerHTML = values.map((v) => `<option value="${v}" ${v === selected ? 'selected' : ''}>${v}</option>`).join('');
    };
    fill('dataset', datasetNames, DEFAULTS.dataset);
    fill(
      'op',
      TRAIN_OPS.filter((op) => op === 'prelu' || (opNames as readonly string[]).includes(op)),
      DEFAULTS.op,
    );
    fill('lr', LEARNING_RATES, DEFAULTS.lr);
    fill('width', WIDTHS, DEFAULTS.width);
    fill('depth', DEPTHS, DEFAULTS.depth);
    fill('momentum', MOMENTA, DEFAULTS.momentum);
    if (!this.#acts) {
      this.#status.textContent = `Training needs the library, and it did not start: ${unavailable ?? 'no instance'}.`;
      for (const el of this.#form.querySelectorAll<HTMLInputElement | HTMLButtonElement>('select, input, button')) el.disabled = true;
      return;
    }
    if (this.#on === 'cpu') {
      for (const el of document.querySelectorAll('.train-where')) el.textContent = 'CPU';
      $('train-how').textContent = CPU_HOW;
    }
    this.#form.addEventListener('change', (e) => {
      if ((e.target as HTMLElement).getAttribute('name') === 'lr') return; // applies live
      void this.#reset();
    });
    this.#form.addEventListener('submit', (e) => e.preventDefault());
    this.#startButton.addEventListener('click', () => (this.#running ? void this.#stop() : this.#start()));
    $('train-reset').addEventListener('click', () => void this.#reset());
    void this.#reset();
  }

  /**
   * Stops the live loop while `work` runs (the Benchmark tab's timing would otherwise share the
   * device with it), then starts it again if it was running. Returns whether it was.
   */
  async paused(work: () => Promise<void>): Promise<boolean> {
    const was = this.#running;
    await this.#stop();
    try {
      await work();
    } finally {
      if (was) this.#start();
    }
    return was;
  }

  /**
   * Trains `options.steps` full-batch steps as fast as the GPU (or the CPU) goes (no animation frames),
   * sampling every `options.every` steps, then draws the result and reports it.
   */
  async train(options: TrainOptions): Promise<TrainReport> {
    if (!this.#acts) throw new Error('training needs the library, and it did not start');
    await this.#stop();
    this.#setControls(options);
    const trainer = await this.#reset(options);
    const every = options.every ?? 10;
    const t0 = performance.now();
    let firstStepAt95: number | null = null;
    while (trainer.steps < options.steps) {
      trainer.run(Math.min(every, options.steps - trainer.steps));
      const s = await trainer.sample();
      if (firstStepAt95 === null && s.accuracy >= 0.95) firstStepAt95 = s.step;
    }
    const final = await trainer.evaluate();
    const alpha = await trainer.mlp.readSlopes();
    const ms = performance.now() - t0;
    await this.#drawBoundary();
    this.#drawCurves();
    this.#showStatus(final);
    return {
      config: trainer.config,
      steps: trainer.steps,
      accuracy: final.accuracy,
      loss: final.loss,
      history: trainer.history,
      dead: final.dead,
      slopes: final.slopes,
      alpha: alpha?.map((a) => [...a]) ?? null,
      firstStepAt95,
      ms,
    };
  }

  /**
   * The decision boundary as last drawn (after `train()`: of its final weights), with those
   * weights, for the test to recompute on the CPU.
   */
  async boundary(): Promise<BoundaryReport> {
    const trainer = this.#trainer;
    if (!trainer || !this.#drawn) throw new Error('no boundary drawn yet');
    await this.#stop();
    const { weights, biases } = await trainer.mlp.readParams();
    return {
      config: trainer.config,
      points: [...this.#drawn.points],
      probs: [...this.#drawn.probs],
      k: trainer.mlp.k,
      fused: trainer.mlp.fused,
      weights: weights.map((w) => [...w]),
      biases: biases.map((b) => [...b]),
    };
  }

  #config(): TrainConfig {
    const value = (name: string) => (this.#form.elements.namedItem(name) as HTMLInputElement | HTMLSelectElement).value;
    return {
      dataset: value('dataset') as DatasetName,
      op: value('op') as MlpOp,
      lr: Number(value('lr')),
      width: Number(value('width')),
      depth: Number(value('depth')),
      momentum: Number(value('momentum')),
      seed: Math.max(0, Math.floor(Number(value('seed')) || 0)),
    };
  }

  #setControls(c: TrainConfig): void {
    const set = (name: string, v: string | number) => {
      const el = this.#form.elements.namedItem(name) as HTMLInputElement | HTMLSelectElement;
      if (el instanceof HTMLSelectElement && ![...el.options].some((o) => o.value === String(v))) el.add(new Option(String(v)));
      el.value = String(v);
    };
    set('dataset', c.dataset);
    set('op', c.op);
    set('lr', c.lr);
    set('width', c.width);
    set('depth', c.depth);
    set('momentum', c.momentum ?? DEFAULTS.momentum);
    set('seed', c.seed);
  }

  /** Stops the loop and starts over from the controls (or `config`): new data, new weights, step 0. */
  async #reset(config: TrainConfig = this.#config()): Promise<Trainer> {
    await this.#stop();
    this.#trainer?.dispose();
    const trainer = new Trainer(this.#acts!, config);
    this.#trainer = trainer;
    this.#bounds = boundsOf(trainer.data);
    this.#grid = gridPoints(this.#bounds, GRID);
    this.#drawn = undefined;
    drawBoundary(this.#canvases.boundary, trainer.data, this.#bounds, GRID);
    this.#drawCurves();
    const where = trainer.on === 'cpu' ? ', training on the CPU (no WebGPU)' : '';
    this.#status.textContent = `Ready: ${trainer.data.y.length} points, ${trainer.config.depth} × ${trainer.config.width} ${trainer.config.op} units${where}.`;
    return trainer;
  }

  #start(): void {
    if (this.#running || !this.#trainer) return;
    this.#running = true;
    this.#startButton.textContent = 'Stop';
    this.#loop = this.#animate(this.#trainer).catch((e: unknown) => {
      this.#status.textContent = `Error: ${e instanceof Error ? e.message : String(e)}`;
      console.error(e);
    });
  }

  async #stop(): Promise<void> {
    this.#running = false;
    await this.#loop;
    this.#loop = undefined;
    this.#startButton.textContent = 'Start';
  }

  /** A few steps per frame (as many as keep a frame near 30-80 ms), then a readback and a redraw. */
  async #animate(trainer: Trainer): Promise<void> {
    const maxBatch = MAX_BATCH[trainer.on];
    let batch = trainer.on === 'cpu' ? 1 : 2;
    let boundaryAt = 0;
    while (this.#running && trainer.steps < MAX_STEPS) {
      const t0 = performance.now();
      trainer.run(batch, this.#config().lr);
      const s = await trainer.sample();
      const dt = performance.now() - t0;
      batch = dt < 30 ? Math.min(batch * 2, maxBatch) : dt > 80 ? Math.max(1, batch >> 1) : batch;
      if (performance.now() - boundaryAt > 300) {
        await this.#drawBoundary();
        boundaryAt = performance.now();
      }
      this.#drawCurves();
      this.#showStatus(s);
      await nextFrame();
    }
    if (this.#running) await this.#drawBoundary();
    this.#running = false;
    this.#startButton.textContent = 'Start';
  }

  async #drawBoundary(): Promise<void> {
    const trainer = this.#trainer!;
    const probs = await trainer.mlp.predict(this.#grid!);
    this.#drawn = { points: this.#grid!, probs };
    drawBoundary(this.#canvases.boundary, trainer.data, this.#bounds!, GRID, probs, trainer.mlp.k);
  }

  #drawCurves(): void {
    const trainer = this.#trainer!;
    const h = trainer.history;
    const xMax = Math.max(10, h[h.length - 1]?.step ?? 0);
    const losses = h.map((s) => s.loss).filter((v) => v > 0 && Number.isFinite(v));
    const decade = (v: number, round: (x: number) => number) => 10 ** round(Math.log10(v));
    const lossAxis = {
      min: losses.length ? Math.max(1e-4, decade(Math.min(...losses), Math.floor)) : 0.01,
      max: losses.length ? Math.max(decade(Math.max(...losses), Math.ceil), 0.1) : 10,
      log: true,
      format: (v: number) => (v >= 0.01 ? String(v) : v.toExponential(0)),
    };
    drawLines(
      this.#canvases.loss,
      [
        { label: 'loss', color: '#2b6cb0', points: h.map((s) => [s.step, s.loss] as const) },
        { label: 'accuracy', color: '#d9480f', points: h.map((s) => [s.step, s.accuracy] as const) },
      ],
      xMax,
      lossAxis,
      { min: 0, max: 1, format: pct, labels: ['accuracy'] },
      h.length ? undefined : 'Press Start',
    );
    const { op, depth } = trainer.config;
    const na = trainer.mlp.telemetry ? undefined : deadNa(op);
    drawLines(
      this.#canvases.dead,
      Array.from({ length: depth }, (_, l) => ({
        label: `layer ${l + 1}`,
        color: LAYER_COLORS[l % LAYER_COLORS.length]!,
        points: h.map((s) => [s.step, s.dead?.[l] ?? 0] as const),
      })),
      xMax,
      { min: 0, max: 1, format: pct },
      undefined,
      na ?? (h.length ? undefined : 'Press Start'),
    );
  }

  #showStatus(s: Sample): void {
    const dead = s.dead ? s.dead.map((d, l) => `layer ${l + 1} ${pct(d)}`).join(', ') : 'n/a';
    const slopes = s.slopes ? ` · mean slope: ${s.slopes.map((a, l) => `layer ${l + 1} ${a.toFixed(3)}`).join(', ')}` : '';
    const loss = Number.isFinite(s.loss) ? s.loss.toPrecision(3) : `${s.loss} (diverged)`;
    this.#status.textContent = `step ${s.step} · loss ${loss} · accuracy ${pct(s.accuracy)} · dead units: ${dead}${slopes}`;
  }
}

/** Why the dead-unit chart is empty for `op` (see countsDeadUnits in mlp.ts). */
function deadNa(op: MlpOp): string {
  if (op === 'leakyRelu') return 'n/a: leakyRelu passes 0.01·dy below 0,\nso its units cannot die';
  if (op === 'prelu') {
    return 'n/a: prelu passes slope·dy below 0 (one learned\nslope per unit, mean per layer in the status line),\nso its units cannot die unless a slope reaches 0';
  }
  return `n/a: ${op}'s layer keeps no 1-bit mask to count from`;
}
