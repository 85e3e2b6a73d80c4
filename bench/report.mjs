// Reporting for the Node and Chromium benches: ratios, markdown tables, result files. The timing
// itself is bench/timing.mjs, which the Chromium page imports too.
import { mkdirSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';

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
  const through = rows.filter((r) => r.section !== 'overhead' && r.section !== 'workgroup' && r.section !== 'fusion');
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
    '## Throughput',
    '',
    ...THROUGHPUT_HEAD,
    ...through.map(throughputRow),
    '',
  ];
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

/** Writes bench/results/<prefix><slug>.{md,json} and returns the base path. */
export function writeResult(root, result, { quick, prefix = '' }) {
  mkdirSync(resolve(root, 'bench/results'), { recursive: true });
  const base = resolve(root, `bench/results/${quick ? 'quick-' : ''}${prefix}${slug(result.meta.adapter)}`);
  writeFileSync(`${base}.md`, markdown(result));
  writeFileSync(`${base}.json`, `${JSON.stringify(result, null, 2)}\n`);
  return base;
}
