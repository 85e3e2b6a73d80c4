// The SwiGLU and softmax rows (issue 15), shared by the Node bench (node-bench.mjs: our CPU
// backend against tfjs-cpu and tfjs-wasm) and the Chromium page (browser/page.ts: ours on
// navigator.gpu against tfjs-webgpu). Types: swiglu-softmax.d.mts.
//
// At n elements of x, from 2^14 to 2^22:
//   swiglu forward                 acts.forward('swiglu', x), x [n / 4096, 4096]: a and b of 2048
//   swiglu backward (from x)       acts.backward('swiglu', { x, dy }), dy [n / 4096, 2048]
//   softmax forward, rows of L     acts.forward('softmax', x), x [n / L, L], L = 128, 4096, 65536
//   softmax backward (from y)      acts.backward('softmax', { y, dy })
// against TensorFlow.js composing the same from its own ops, on tensors of the same shapes:
//   swiglu           [a, b] = split(x, 2, -1); mul(a, mul(b, sigmoid(b)))  (tfjs has no silu op)
//   swiglu gradient  the same split, s = sigmoid(b); concat([dy * b * s, dy * a * s * (1 + b (1 - s))], -1):
//                    from x and dy, as ours, not tf.grad (which would run the forward again first)
//   softmax          tf.softmax(x) along the last axis
//   softmax gradient tfjs-core's registered Softmax gradient (gradients/Softmax_grad.ts), what
//                    tf.grad runs backward: dyTimesY = mul(dy, y); sub(dyTimesY, mul(sum(dyTimesY,
//                    -1, keepDims), y))
// Every call allocates its output and disposes it, ours and tfjs's alike (neither has an
// "into" form for these). The contenders of one case are timed round-robin, one batch each per
// round, so a load that drifts (the machine is shared) falls on all of them alike.
import { benchData, measure } from './timing.mjs';

/** x's last axis for swiglu: halves a and b of 2048, as a LLaMA-sized MLP's hidden width. */
export const SWIGLU_WIDTH = 4096;
/** softmax's row lengths: an attention row, a vocabulary-sized one, a long one. */
export const SOFTMAX_ROWS = [128, 4096, 65536];

/** The sizes of `sizes` these rows run at: 2^14 to 2^22. */
export const swigluSoftmaxSizes = (sizes) => sizes.filter((n) => n >= 2 ** 14 && n <= 2 ** 22);

/** TensorFlow.js's compositions (see the top of this file); `tf` is @tensorflow/tfjs-core. */
export const tfjsCompositions = {
  swiglu: (tf, x) =>
    tf.tidy(() => {
      const [a, b] = tf.split(x, 2, -1);
      return tf.mul(a, tf.mul(b, tf.sigmoid(b)));
    }),
  swigluGrad: (tf, x, dy) =>
    tf.tidy(() => {
      const [a, b] = tf.split(x, 2, -1);
      const s = tf.sigmoid(b);
      const da = tf.mul(dy, tf.mul(b, s));
      const db = tf.mul(tf.mul(dy, a), tf.mul(s, tf.add(1, tf.mul(b, tf.sub(1, s)))));
      return tf.concat([da, db], -1);
    }),
  softmax: (tf, x) => tf.softmax(x),
  softmaxGrad: (tf, y, dy) =>
    tf.tidy(() => {
      const dyTimesY = tf.mul(dy, y);
      return tf.sub(dyTimesY, tf.mul(tf.sum(dyTimesY, -1, true), y));
    }),
};

const sigmoid = (v) => 1 / (1 + Math.exp(-v));

/** float64 references: y and dx of swiglu and softmax over rows of `width`. */
const reference = {
  swiglu(x, width) {
    const h = width / 2;
    const y = new Float64Array(x.length / 2);
    for (let i = 0; i < y.length; i++) {
      const base = Math.floor(i / h) * width + (i % h);
      const b = x[base + h];
      y[i] = x[base] * b * sigmoid(b);
    }
    return y;
  },
  swigluGrad(x, dy, width) {
    const h = width / 2;
    const dx = new Float64Array(x.length);
    for (let i = 0; i < dy.length; i++) {
      const base = Math.floor(i / h) * width + (i % h);
      const a = x[base];
      const b = x[base + h];
      const s = sigmoid(b);
      dx[base] = dy[i] * b * s;
      dx[base + h] = dy[i] * a * s * (1 + b * (1 - s));
    }
    return dx;
  },
  softmax(x, width) {
    const y = new Float64Array(x.length);
    for (let r = 0; r < x.length; r += width) {
      let max = -Infinity;
      for (let i = r; i < r + width; i++) max = Math.max(max, x[i]);
      let sum = 0;
      for (let i = r; i < r + width; i++) sum += y[i] = Math.exp(x[i] - max);
      for (let i = r; i < r + width; i++) y[i] /= sum;
    }
    return y;
  },
  softmaxGrad(y, dy, width) {
    const dx = new Float64Array(y.length);
    for (let r = 0; r < y.length; r += width) {
      let dot = 0;
      for (let i = r; i < r + width; i++) dot += dy[i] * y[i];
      for (let i = r; i < r + width; i++) dx[i] = y[i] * (dy[i] - dot);
    }
    return dx;
  },
};

/** The largest |got - want| over the largest |want|: about 1e-7 for a right f32 answer. */
function relativeError(got, want) {
  let err = 0;
  let scale = 0;
  for (let i = 0; i < want.length; i++) {
    // NaN in got (or a wrong length) counts as wrong.
    const d = Math.abs(got[i] - want[i]);
    err = Number.isNaN(d) ? Infinity : Math.max(err, d);
    scale = Math.max(scale, Math.abs(want[i]));
  }
  return got.length === want.length ? err / scale : Infinity;
}

/**
 * A check fails above this relative error. f32 rounding gives about 1e-7, a plain f32 sum of 65,536
 * terms (tfjs's softmax gradient) up to 1e-3; a wrong answer (another axis, a lost half) about 1.
 */
export const CHECK_LIMIT = 1e-2;

/** The swiglu and softmax outputs' check against float64, as one note. */
export function checkNote(checks) {
  const bad = checks.filter((c) => !(c.error <= CHECK_LIMIT));
  const worst = Math.max(...checks.map((c) => c.error));
  return bad.length
    ? `WRONG OUTPUT against float64 (largest error over largest value above ${CHECK_LIMIT}): ${bad.map((c) => `${c.name} ${c.error.toExponential(1)}`).join('; ')}`
    : `swiglu and softmax outputs, forward and backward, checked against float64 once per op and row length (at its first size; the row's note gives the error there), every contender: largest error over largest value at most ${worst.toExponential(1)} (a wrong answer would be about 1; limit ${CHECK_LIMIT}).`;
}

/**
 * The cases at n elements of x: swiglu, and softmax for each row length that fits in n.
 * `suffix` ends the row names ('' or ', rows of L').
 */
function cases(n) {
  return [
    { op: 'swiglu', width: SWIGLU_WIDTH, suffix: '' },
    ...SOFTMAX_ROWS.filter((w) => w <= n).map((w) => ({ op: 'softmax', width: w, suffix: `, rows of ${w}` })),
  ];
}

/** A case's time budget: fewer rounds than `reps` (at least 3) where one round takes longer. */
export const ROUND_BUDGET_MS = 20_000;
/** The fewest rounds a case gets, however slow. */
export const MIN_ROUNDS = 3;
/** How long the fastest contender's batch lasts at least (where `batch` allows). */
export const BATCH_MS = 100;

/**
 * Times the contenders round-robin. First each runs one untimed call (compile, page in, and a
 * probe of its speed); the batch is then as many calls as make the fastest contender's batch
 * last BATCH_MS, at most `batch` (the same for all: SwiftShader takes seconds a call for some of
 * these, where batchFor's count would take minutes). Then rounds of one timed batch each, the
 * first round also warming each up with one untimed batch (`setup` runs untimed before each
 * batch): `reps` rounds, or as many as fit in ROUND_BUDGET_MS after the first (at least
 * MIN_ROUNDS). Returns one timing per contender, its `reps` the rounds run.
 */
async function roundRobin(contenders, { batch: most, reps }) {
  let fastest = Infinity;
  for (const c of contenders) {
    await c.setup?.(1);
    const t0 = performance.now();
    await c.run(1);
    fastest = Math.min(fastest, performance.now() - t0);
  }
  const batch = Math.max(1, Math.min(most, Math.ceil(BATCH_MS / fastest)));
  const times = contenders.map(() => []);
  let rounds = reps;
  for (let round = 0; round < rounds; round++) {
    for (const [i, c] of contenders.entries()) {
      const t = await measure(c.run, { batch, reps: 1, warmup: round === 0 ? 1 : 0, setup: c.setup });
      times[i].push(t.median);
    }
    if (round === 0) {
      const roundMs = times.reduce((sum, ts) => sum + ts[0] * batch, 0);
      rounds = Math.max(MIN_ROUNDS, Math.min(reps, Math.floor(ROUND_BUDGET_MS / roundMs)));
    }
  }
  return times.map((ts) => {
    const sorted = ts.sort((a, b) => a - b);
    return { median: sorted[Math.floor(sorted.length / 2)], min: sorted[0], max: sorted[sorted.length - 1], reps: rounds, batch };
  });
}

/**
 * Adds the rows at n elements (see the top of this file) through add(name, bytes, timing,
 * against?, note?). `ours`: { prefix ('' on the GPU, 'cpu ' on the CPU), acts, drain }.
 * `libraries`: [{ name ('tfjs-webgpu', ...), tf, drain, use? (makes it tf's backend) }]. Each
 * case (op and row length) not yet in the set `checkedCases` is first checked: every
 * contender's output against float64, reported through checked(name, relative error) and in
 * the rows' notes at that size.
 */
export async function swigluSoftmaxRows({ n, ours, libraries, opts, add, checkedCases, checked }) {
  const { acts, prefix } = ours;
  const loop = (drain, call) => async (k) => {
    for (let i = 0; i < k; i++) call();
    await drain();
  };
  for (const { op, width, suffix } of cases(n)) {
    const rows = n / width;
    const shape = [rows, width];
    const data = benchData(n);
    const gated = op === 'swiglu';
    // dy has y's shape: [rows, width / 2] for swiglu, x's for softmax. Another pattern than x's.
    const dyShape = gated ? [rows, width / 2] : shape;
    const dyData = benchData(2 * n).subarray(n, n + (gated ? n / 2 : n));
    const forwardName = `${prefix}${op} forward${suffix}`;
    const backwardName = `${prefix}${op} backward (from ${gated ? 'x' : 'y'})${suffix}`;
    const composed = gated ? 'split, mul, sigmoid' : 'tf.softmax';
    const composedGrad = gated ? 'split, sigmoid, mul, add, sub, concat' : "tfjs-core's Softmax gradient";

    // Ours: y kept for softmax's backward (and for the check).
    const x = acts.tensor(data, shape);
    const dy = acts.tensor(dyData, dyShape);
    const y = acts.forward(op, x);
    const grads = gated ? { x, dy } : { y, dy };
    const libs = [];
    for (const lib of libraries) {
      await lib.use?.();
      const { tf } = lib;
      const tx = tf.tensor(data, shape);
      const tdy = tf.tensor(dyData, dyShape);
      const ty = gated ? undefined : tfjsCompositions.softmax(tf, tx);
      libs.push({ ...lib, tx, tdy, ty });
    }

    // name -> the largest error over the largest value against float64, where checked at this size.
    const errors = new Map();
    const record = (name, error) => {
      errors.set(name, error);
      checked(name, error);
    };
    /** A row's note: what it is, its rounds when fewer than opts.reps, its error where checked at this size. */
    const noted = (name, note, t) =>
      [
        note,
        ...(t.reps < opts.reps ? [`${t.reps} rounds`] : []),
        ...(errors.has(name) ? [`vs float64: ${errors.get(name).toExponential(1)}`] : []),
      ].join('; ');
    if (!checkedCases.has(`${op}${suffix}`)) {
      checkedCases.add(`${op}${suffix}`);
      const want = gated ? reference.swiglu(data, width) : reference.softmax(data, width);
      const wantDx = gated ? reference.swigluGrad(data, dyData, width) : reference.softmaxGrad(want, dyData, width);
      const dx = acts.backward(op, grads);
      record(forwardName, relativeError(await y.read(), want));
      record(backwardName, relativeError(await dx.read(), wantDx));
      dx.dispose();
      for (const lib of libs) {
        await lib.use?.();
        const ly = gated ? tfjsCompositions.swiglu(lib.tf, lib.tx) : lib.ty;
        const ldx = gated ? tfjsCompositions.swigluGrad(lib.tf, lib.tx, lib.tdy) : tfjsCompositions.softmaxGrad(lib.tf, lib.ty, lib.tdy);
        record(`${lib.name} ${op}${suffix}`, relativeError(await ly.data(), want));
        record(`${lib.name} ${op} gradient${suffix}`, relativeError(await ldx.data(), wantDx));
        if (gated) ly.dispose();
        ldx.dispose();
      }
    }

    const forward = await roundRobin(
      [
        { run: loop(ours.drain, () => acts.forward(op, x).dispose()) },
        ...libs.map((lib) => ({
          setup: lib.use,
          run: loop(lib.drain, () =>
            (gated ? tfjsCompositions.swiglu(lib.tf, lib.tx) : tfjsCompositions.softmax(lib.tf, lib.tx)).dispose(),
          ),
        })),
      ],
      opts,
    );
    // Bytes an ideal implementation moves: swiglu reads x and writes half of it; softmax reads x, writes y.
    const forwardBytes = gated ? 6 * n : 8 * n;
    add(forwardName, forwardBytes, forward[0], undefined, noted(forwardName, 'allocates y per call', forward[0]));
    libs.forEach((lib, i) => {
      const name = `${lib.name} ${op}${suffix}`;
      add(name, forwardBytes, forward[i + 1], forwardName, noted(name, composed, forward[i + 1]));
    });

    const backward = await roundRobin(
      [
        { run: loop(ours.drain, () => acts.backward(op, grads).dispose()) },
        ...libs.map((lib) => ({
          setup: lib.use,
          run: loop(lib.drain, () =>
            (gated
              ? tfjsCompositions.swigluGrad(lib.tf, lib.tx, lib.tdy)
              : tfjsCompositions.softmaxGrad(lib.tf, lib.ty, lib.tdy)
            ).dispose(),
          ),
        })),
      ],
      opts,
    );
    // swiglu reads x and dy (half), writes dx; softmax reads y and dy, writes dx.
    const backwardBytes = gated ? 10 * n : 12 * n;
    add(backwardName, backwardBytes, backward[0], undefined, noted(backwardName, 'allocates dx per call', backward[0]));
    libs.forEach((lib, i) => {
      const name = `${lib.name} ${op} gradient${suffix}`;
      add(name, backwardBytes, backward[i + 1], backwardName, noted(name, composedGrad, backward[i + 1]));
    });

    for (const t of [x, dy, y]) t.dispose();
    for (const lib of libs) for (const t of [lib.tx, lib.tdy, lib.ty]) t?.dispose();
  }
}
