// Seeded 2-D toy datasets for the Train tab and test/gpu/training.test.ts: the same seed gives
// the same points, so a run can be reproduced.

/** Points in the plane with a class per point. */
export interface Dataset {
  /** [n, 2], row-major: x of point i at 2i, y at 2i + 1. */
  readonly x: Float32Array<ArrayBuffer>;
  /** The class of each point, 0 .. classes - 1, as f32 (what the GPU loss kernels read). */
  readonly y: Float32Array<ArrayBuffer>;
  readonly classes: number;
}

export const datasetNames = ['spiral', 'moons', 'circles'] as const;
export type DatasetName = (typeof datasetNames)[number];

/** Deterministic PRNG (mulberry32): uniform in [0, 1). The same generator as test/helpers/float.ts. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A standard normal sampler (Box-Muller, one value per two uniforms) over `next`. */
export function normal(next: () => number): () => number {
  return () => Math.sqrt(-2 * Math.log(next() + 1e-12)) * Math.cos(2 * Math.PI * next());
}

/** Two interleaved half-moons, labels 0 (even points) and 1 (odd), with a little noise. */
export function moons(n: number, seed: number): Dataset {
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
  return { x, y, classes: 2 };
}

/**
 * `classes` interleaved spiral arms (after CS231n's toy set): point i belongs to arm i % classes,
 * at radius r in (0, 1] and angle 2π(turns·r + arm/classes), plus Gaussian noise of `noise` radians.
 */
export function spiral(n: number, seed: number, classes = 3, turns = 1, noise = 0.2): Dataset {
  const next = rng(seed);
  const gauss = normal(next);
  const x = new Float32Array(2 * n);
  const y = new Float32Array(n);
  const perArm = Math.ceil(n / classes);
  for (let i = 0; i < n; i++) {
    const arm = i % classes;
    const r = (Math.floor(i / classes) + 1) / perArm;
    const t = 2 * Math.PI * (turns * r + arm / classes) + noise * gauss();
    x[2 * i] = r * Math.sin(t);
    x[2 * i + 1] = r * Math.cos(t);
    y[i] = arm;
  }
  return { x, y, classes };
}

/** Two concentric rings: the outer (radius 1) is class 0, the inner (radius 0.5) class 1. */
export function circles(n: number, seed: number, noise = 0.08): Dataset {
  const next = rng(seed);
  const gauss = normal(next);
  const x = new Float32Array(2 * n);
  const y = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const inner = i % 2 === 1;
    const t = 2 * Math.PI * next();
    const r = inner ? 0.5 : 1;
    x[2 * i] = r * Math.cos(t) + noise * gauss();
    x[2 * i + 1] = r * Math.sin(t) + noise * gauss();
    y[i] = inner ? 1 : 0;
  }
  return { x, y, classes: 2 };
}

/** A dataset by name. */
export function makeDataset(name: DatasetName, n: number, seed: number): Dataset {
  switch (name) {
    case 'spiral':
      return spiral(n, seed);
    case 'moons':
      return moons(n, seed);
    case 'circles':
      return circles(n, seed);
  }
}
