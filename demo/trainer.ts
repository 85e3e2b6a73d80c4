// The Train tab's engine, free of the DOM: a dataset, an MLP (on the GPU, or on the CPU where the
// library fell back to its CPU backend), and what was measured as it learned. The tab drives it
// from animation frames; window.__demo.train drives it flat out.

import type { Activations } from '../src/index.js';
import { makeDataset, type Dataset, type DatasetName } from './datasets.js';
import { CpuMlp } from './cpu-mlp.js';
import { initParams, Mlp, type MlpOp, type Network } from './mlp.js';

/** What a run is: the data, the network and the optimiser. The same config gives the same run. */
export interface TrainConfig {
  readonly dataset: DatasetName;
  readonly op: MlpOp;
  readonly lr: number;
  /** Units per hidden layer. */
  readonly width: number;
  /** Hidden layers (1 to 3). */
  readonly depth: number;
  /** Seeds the data and the initial weights. */
  readonly seed: number;
  /** Points in the dataset (default 300). */
  readonly points?: number;
  /** SGD momentum (default 0.9). */
  readonly momentum?: number;
}

/**
 * One measurement: after `step` steps, the loss and accuracy of that step's forward, dead units
 * per hidden layer, and for prelu the mean slope per hidden layer.
 */
export interface Sample {
  readonly step: number;
  readonly loss: number;
  readonly accuracy: number;
  /** Dead fraction per hidden layer; null when its units cannot die or there is no mask to count from. */
  readonly dead: readonly number[] | null;
  /** PReLU's mean learned slope per hidden layer; null for other ops. */
  readonly slopes: readonly number[] | null;
}

const mean = (a: Float32Array) => a.reduce((s, v) => s + v, 0) / a.length;

export class Trainer {
  readonly config: Required<TrainConfig>;
  readonly data: Dataset;
  /** Mlp on WebGPU, CpuMlp on the CPU backend: the same network from the same seeded weights. */
  readonly mlp: Network;
  /** Where it trains. */
  readonly on: 'gpu' | 'cpu';
  readonly history: Sample[] = [];
  steps = 0;

  constructor(acts: Activations, config: TrainConfig) {
    this.config = { points: 300, momentum: 0.9, ...config };
    const { dataset, op, width, depth, seed, points, momentum } = this.config;
    this.data = makeDataset(dataset, points, seed);
    const k = this.data.classes === 2 ? 1 : this.data.classes;
    const sizes = [2, ...Array.from({ length: depth }, () => width), k];
    const options = { op, sizes, telemetry: true, momentum };
    this.on = acts.device ? 'gpu' : 'cpu';
    this.mlp = acts.device
      ? new Mlp(acts, options, this.data, initParams(sizes, seed))
      : new CpuMlp(acts, options, this.data, initParams(sizes, seed));
  }

  /** Queues `count` steps at learning rate `lr`: submitted to the GPU, or chained on the CPU; `sample()` waits for them. */
  run(count: number, lr = this.config.lr): void {
    for (let i = 0; i < count; i++) this.mlp.step(lr);
    this.steps += count;
  }

  /** Reads the last step's loss, accuracy, dead units and slopes (waits for the queued steps) and records them. */
  async sample(): Promise<Sample> {
    const s = await this.#measure();
    this.history.push(s);
    return s;
  }

  /** The loss and accuracy of the current weights (one forward with no update; not counted as a step). */
  async evaluate(): Promise<Sample> {
    this.mlp.step(0);
    return this.#measure();
  }

  async #measure(): Promise<Sample> {
    const { loss, accuracy } = await this.mlp.stats();
    const [dead, slopes] = await Promise.all([this.mlp.readDead(), this.mlp.readSlopes()]);
    return { step: this.steps, loss, accuracy, dead, slopes: slopes?.map(mean) ?? null };
  }

  dispose(): void {
    this.mlp.dispose();
  }
}
