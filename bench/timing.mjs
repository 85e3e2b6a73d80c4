// Timing shared by the Node bench (bench/node-bench.mjs) and the Chromium page
// (bench/browser/page.ts): no Node or browser APIs beyond performance.now(). Types in timing.d.mts.

/** Deterministic values in [-10, 10], about half of them negative. */
export const benchData = (n) => Float32Array.from({ length: n }, (_, i) => ((i * 2654435761) % 2001) / 100 - 10);

/**
 * benchData(n) as f16 bits (rounded to nearest even), for acts.tensor(Uint16Array). Handles zero
 * and normal values only, which is all benchData makes (magnitudes 0.01 to 10).
 */
export function benchHalves(n) {
  const f = new Float32Array(benchData(n));
  const bits = new Uint32Array(f.buffer);
  return Uint16Array.from(bits, (b) => {
    const sign = (b >>> 16) & 0x8000;
    if ((b & 0x7fffffff) === 0) return sign;
    // Rebias the exponent (127 -> 15) and keep the top 10 mantissa bits, rounding the other 13.
    const half = ((((b >>> 23) & 0xff) - 112) << 10) | ((b & 0x7fffff) >>> 13);
    const rest = b & 0x1fff;
    return sign | (rest > 0x1000 || (rest === 0x1000 && half & 1) ? half + 1 : half);
  });
}

/**
 * Median, min and max of one contender's per-call time (ms) over `reps` timed batches of `batch`
 * calls, after `warmup` untimed batches (compile, allocate, page in). `setup(batch)`, if given,
 * runs untimed before every batch.
 */
export async function measure(fn, { batch, reps, warmup = 2, setup }) {
  for (let i = 0; i < warmup; i++) {
    if (setup) await setup(batch);
    await fn(batch);
  }
  const times = [];
  for (let r = 0; r < reps; r++) {
    if (setup) await setup(batch);
    const t0 = performance.now();
    await fn(batch);
    times.push((performance.now() - t0) / batch);
  }
  times.sort((a, b) => a - b);
  return { median: times[Math.floor(times.length / 2)], min: times[0], max: times[times.length - 1], reps, batch };
}

/** Enough calls per timed batch that a batch lasts a few milliseconds at least. */
export const batchFor = (n) => Math.max(1, Math.min(200, Math.round(2 ** 22 / n)));

/**
 * One result row. `against` names our row this one is compared with, at the same size;
 * `ratio` (filled by addRatios) is this row's median over that row's: above 1, ours is faster.
 */
export function row(section, name, n, bytesMoved, t, against, note) {
  return {
    section,
    name,
    // Our rows are named 'relu ...', 'swiglu ...', 'softmax ...' (GPU) or 'cpu relu ...' and so on;
    // every other row is a baseline or another library.
    ours: /^(cpu )?(relu|swiglu|softmax) /.test(name),
    n,
    medianMs: t.median,
    minMs: t.min,
    maxMs: t.max,
    reps: t.reps,
    batch: t.batch,
    gelemPerS: n / t.median / 1e6,
    gbPerS: bytesMoved / t.median / 1e6,
    ...(against ? { against } : {}),
    ...(note ? { note } : {}),
  };
}
