// Reporting for the Node and Chromium benches: ratios, markdown tables, result files. The timing
// itself is bench/timing.mjs, which the Chromium page imports too.
import { mkdirSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { SWIGLU_WIDTH } from './swiglu-softmax.mjs';

/** Fills `ratio` on every row that names a row to compare with. */
export function addRatios(rows) {
  for (const r of rows) {
    if (!r.against) continue;
    const ours = rows.find((o) => o.section === r.section && o.n === r.n && o.name === r.against);
    if (ours) r.ratio = r.medianMs / ours.medianMs;
  }
  return rows;
}

const fmt = (v, d = 3) => (v === undefined ? '' : v !== 0 && Math.abs(v) < 0.01 ? v.toExponential(2) : v.toFixed(d));
const pow2 = (n) => (Number.isInteger(Math.log2(n)) ? `2^${Math.log2(n)}` : String(n));

/** One row of a throughput table (the main one, or the workgroup sweep). */
const throughputRow = (r) =>
  `| ${r.section} | ${r.name} | ${pow2(r.n)} | ${fmt(r.medianMs, 4)} | ${fmt(r.minMs, 4)} | ${fmt(r.maxMs, 4)} | ${fmt(r.gelemPerS)} | ${fmt(r.gbPerS)} | ${fmt(r.ratio, 2)} | ${r.against ?? ''} | ${r.note ?? ''} |`;
const THROUGHPUT_HEAD = [
  '| section | contender | elements | median ms | min ms | max ms | Gelem/s | GB/s | ours × | against | note |',
  '| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- | --- |',
];

/**
 * The Markdown report: an environment header, the throughput table, the workgroup-size sweep
 * (where run), the per-op overhead table, notes.
 */
export function markdown(result) {
  const { meta, rows } = result;
  const through = rows.filter((r) => !['overhead', 'workgroup', 'fusion', 'swiglu-softmax'].includes(r.section));
  const gated = rows.filter((r) => r.section === 'swiglu-softmax');
  const sweep = rows.filter((r) => r.section === 'workgroup');
  const fusion = rows.filter((r) => r.section === 'fusion');
  const overhead = rows.filter((r) => r.section === 'overhead');
  const lines = [
    `# Benchmark: ${meta.adapter} (${meta.runtime})`,
    '',
    ...meta.environment.map((e) => `- ${e}`),
    '',
    `Median, min and max per call over ${meta.reps} timed batches after 2 warm-up batches; GPU rows are timed until the queue drains.`,
    "**ours ×** is this row's median time over the median of our row named in **against** at the same size: above 1, ours is faster.",
    'GB/s counts the bytes an ideal implementation moves (read x, write y: 8 bytes an element, 4 in f16; backward from x: 12; from the 1-bit mask: 8.125).',
    '',
  ];
  if (through.length) lines.push('## Throughput', '', ...THROUGHPUT_HEAD, ...through.map(throughputRow), '');
  if (gated.length) {
    lines.push(
      '## SwiGLU and softmax',
      '',
      `Ours against TensorFlow.js composing the same from its own ops (bench/swiglu-softmax.mjs), on the same shapes: swiglu's x is [elements / ${SWIGLU_WIDTH}, ${SWIGLU_WIDTH}], softmax's x [elements / L, L] along the last axis. Every call allocates its output and disposes it; the contenders of a case are timed round-robin, one batch each per round, after one warm-up call and one warm-up batch each. A batch is as many calls as make the fastest contender's batch last 100 ms (at most the run's batch for the size; the JSON gives each row's batch), and a case whose round takes over 20 s gets fewer rounds (at least 3; the note says how many). tfjs swiglu: split, mul(a, mul(b, sigmoid(b))); its gradient: the same split and sigmoid, concat of dy·b·s and dy·a·s·(1 + b(1 − s)), from x and dy as ours; softmax: tf.softmax; its gradient: tfjs-core's registered Softmax gradient from y and dy. GB/s: swiglu forward 6 bytes an element of x, backward 10; softmax 8 and 12.`,
      '',
      ...THROUGHPUT_HEAD,
      ...gated.map(throughputRow),
      '',
    );
  }
  if (sweep.length) {
    lines.push(
      '## Workgroup size',
      '',
      'relu forward (forwardInto) on instances that share one device and differ only in tuning.workgroupSize, timed round-robin (one batch of each per round). **ours ×** above 1: the default instance is faster.',
      '',
      ...THROUGHPUT_HEAD,
      ...sweep.map(throughputRow),
      '',
    );
  }
  if (fusion.length) {
    lines.push(
      '## Fused epilogue',
      '',
      `A vec4 matmul (K = 8, N = 256, M = elements / 256) with the activation in its epilogue from wgslFunctions, against the same matmul then acts.forwardInto (a second pass), and the matmul alone; one encoder per batch, timed round-robin. GB/s counts A, B and C once. **ours ×** above 1: the fused kernel is faster.`,
      '',
      ...THROUGHPUT_HEAD,
      ...fusion.map(throughputRow),
      '',
    );
  }
  if (overhead.length) {
    const calls = overhead[0].batch;
    lines.push(
      `## Per-op overhead: ${calls} calls on ${overhead[0].n} elements, wall time per call until the queue drains`,
      '',
      '| contender | median µs/call | min µs | max µs | ours × | against | note |',
      '| --- | ---: | ---: | ---: | ---: | --- | --- |',
      ...overhead.map(
        (r) =>
          `| ${r.name} | ${(r.medianMs * 1000).toFixed(1)} | ${(r.minMs * 1000).toFixed(1)} | ${(r.maxMs * 1000).toFixed(1)} | ${fmt(r.ratio, 2)} | ${r.against ?? ''} | ${r.note ?? ''} |`,
      ),
      '',
    );
  }
  if (meta.notes?.length) lines.push('## Notes', '', ...meta.notes.map((n) => `- ${n}`), '');
  return lines.join('\n');
}

/** A file-name slug for an adapter description. */
export const slug = (name) =>
  name
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '') || 'adapter';

/** Writes bench/results/<prefix><name, else the adapter's slug>.{md,json} and returns the base path. */
export function writeResult(root, result, { quick, prefix = '', name = slug(result.meta.adapter) }) {
  mkdirSync(resolve(root, 'bench/results'), { recursive: true });
  const base = resolve(root, `bench/results/${quick ? 'quick-' : ''}${prefix}${name}`);
  writeFileSync(`${base}.md`, markdown(result));
  writeFileSync(`${base}.json`, `${JSON.stringify(result, null, 2)}\n`);
  return base;
}
