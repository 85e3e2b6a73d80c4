// npm run bench: times, in one run, our ReLU forward and backward against baselines on the same
// device and CPU, and writes bench/results/<adapter>.{md,json}. Compare speeds as ratios within
// one run: absolute numbers on software adapters (SwiftShader) say little about real GPUs.
//
// Contenders (GPU, Node + Dawn):
//   relu forward / backward   the library, on its own tensors
//   copy (roofline)           copyBufferToBuffer of the same bytes: one read + one write
//   plain vec4 kernel         a minimal hand-written vec4 WGSL relu (max(x, 0)), one dispatch
// Contenders (CPU):
//   cpu relu forward          the CPU backend
//   Float32Array.set          a plain copy of the same bytes
import { writeFileSync, mkdirSync, existsSync } from 'node:fs';
import { resolve } from 'node:path';

const root = resolve(import.meta.dirname, '..');
const SWIFTSHADER = '/usr/lib/chromium/vk_swiftshader_icd.json';
if (!process.env.VK_ICD_FILENAMES && !process.env.VK_DRIVER_FILES && existsSync(SWIFTSHADER)) process.env.VK_ICD_FILENAMES = SWIFTSHADER;

const { createActivations } = await import(resolve(root, 'dist/index.js'));
const { create } = await import('webgpu');

const quick = process.argv.includes('--quick');
const SIZES = quick ? [2 ** 10, 2 ** 18] : [2 ** 10, 2 ** 14, 2 ** 18, 2 ** 20, 2 ** 22, 2 ** 24];
const REPS = quick ? 5 : 9;

/** Median, min and max of one contender's per-call times (ms), from `reps` timed batches. */
async function measure(fn, { batch, reps }) {
  for (let i = 0; i < 2; i++) await fn(batch); // warm-up: compile, allocate, page in
  const times = [];
  for (let r = 0; r < reps; r++) {
    const t0 = performance.now();
    await fn(batch);
    times.push((performance.now() - t0) / batch);
  }
  times.sort((a, b) => a - b);
  return { median: times[Math.floor(times.length / 2)], min: times[0], max: times[times.length - 1] };
}

/** Enough calls per timed batch that a batch lasts a few milliseconds at least. */
const batchFor = (n) => Math.max(1, Math.min(200, Math.round(2 ** 22 / n)));

const gpu = create([]);
const acts = await createActivations({ backend: 'webgpu', gpu });
const device = acts.device;
const adapterName =
  [acts.adapterInfo?.vendor, acts.adapterInfo?.architecture, acts.adapterInfo?.description].filter(Boolean).join(' ') || 'unknown adapter';

const plainModule = device.createShaderModule({
  label: 'bench.plain-relu',
  code: `@group(0) @binding(0) var<storage, read> x: array<vec4<f32>>;
@group(0) @binding(1) var<storage, read_write> y: array<vec4<f32>>;
@compute @workgroup_size(256) fn main(@builtin(global_invocation_id) g: vec3<u32>, @builtin(num_workgroups) n: vec3<u32>) {
  let i = g.y * n.x * 256u + g.x;
  if (i < arrayLength(&y)) { y[i] = max(x[i], vec4<f32>(0.0)); }
}`,
});
const plain = device.createComputePipeline({ layout: 'auto', compute: { module: plainModule, entryPoint: 'main' } });

const rows = [];
function record(group, name, n, bytesMoved, t, baseline) {
  rows.push({
    group,
    name,
    n,
    medianMs: t.median,
    minMs: t.min,
    maxMs: t.max,
    gelemPerS: n / t.median / 1e6,
    gbPerS: bytesMoved / t.median / 1e6,
    baseline,
  });
}

for (const n of SIZES) {
  const data = Float32Array.from({ length: n }, (_, i) => ((i * 2654435761) % 2001) / 100 - 10);
  const x = acts.tensor(data);
  const dy = acts.tensor(data);
  const y = acts.tensor(new Float32Array(n));
  const batch = batchFor(n);
  const bytes = n * 4;
  const wait = () => device.queue.onSubmittedWorkDone();

  const fwd = await measure(
    async (k) => {
      for (let i = 0; i < k; i++) acts.forwardInto('relu', { x, y });
      await wait();
    },
    { batch, reps: REPS },
  );
  record('gpu', 'relu forward', n, 2 * bytes, fwd, 'copy (roofline)');

  const bwd = await measure(
    async (k) => {
      for (let i = 0; i < k; i++) acts.backwardInto('relu', { x, dy, dx: y });
      await wait();
    },
    { batch, reps: REPS },
  );
  record('gpu', 'relu backward (from x)', n, 3 * bytes, bwd, 'copy (roofline)');

  const copy = await measure(
    async (k) => {
      const enc = device.createCommandEncoder();
      for (let i = 0; i < k; i++) enc.copyBufferToBuffer(x.gpuBuffer.buffer, 0, y.gpuBuffer.buffer, 0, bytes);
      device.queue.submit([enc.finish()]);
      await wait();
    },
    { batch, reps: REPS },
  );
  record('gpu', 'copy (roofline)', n, 2 * bytes, copy, undefined);

  if (n % 4 === 0 && n / 4 / 256 <= 65535 * 65535) {
    const group = device.createBindGroup({
      layout: plain.getBindGroupLayout(0),
      entries: [
        { binding: 0, resource: { buffer: x.gpuBuffer.buffer, size: bytes } },
        { binding: 1, resource: { buffer: y.gpuBuffer.buffer, size: bytes } },
      ],
    });
    const groups = Math.ceil(n / 4 / 256);
    const gy = Math.ceil(groups / 65535);
    const p = await measure(
      async (k) => {
        for (let i = 0; i < k; i++) {
          const enc = device.createCommandEncoder();
          const pass = enc.beginComputePass();
          pass.setPipeline(plain);
          pass.setBindGroup(0, group);
          pass.dispatchWorkgroups(Math.ceil(groups / gy), gy);
          pass.end();
          device.queue.submit([enc.finish()]);
        }
        await wait();
      },
      { batch, reps: REPS },
    );
    record('gpu', 'plain vec4 kernel', n, 2 * bytes, p, undefined);
  }
  for (const t of [x, dy, y]) t.dispose();

  const cpu = await createActivations({ backend: 'cpu' });
  const cx = cpu.tensor(data);
  const cy = cpu.tensor(new Float32Array(n));
  const cf = await measure(
    async (k) => {
      for (let i = 0; i < k; i++) cpu.forwardInto('relu', { x: cx, y: cy });
    },
    { batch, reps: REPS },
  );
  record('cpu', 'cpu relu forward', n, 2 * bytes, cf, 'Float32Array.set');
  const dst = new Float32Array(n);
  const set = await measure(
    async (k) => {
      for (let i = 0; i < k; i++) dst.set(data);
    },
    { batch, reps: REPS },
  );
  record('cpu', 'Float32Array.set', n, 2 * bytes, set, undefined);
  cpu.dispose();
  process.stdout.write(`n=${n} done\n`);
}
acts.dispose();

// Ratio of each contender to its baseline at the same size (> 1: faster than the baseline).
for (const r of rows) {
  const base = rows.find((b) => b.n === r.n && b.name === r.baseline);
  r.speedVsBaseline = base ? base.medianMs / r.medianMs : undefined;
  const plainRow = rows.find((b) => b.n === r.n && b.name === 'plain vec4 kernel');
  if (r.name === 'relu forward' && plainRow) r.speedVsPlainKernel = plainRow.medianMs / r.medianMs;
}

const fmt = (v, d = 3) => (v === undefined ? '' : v < 0.01 ? v.toExponential(2) : v.toFixed(d));
const lines = [
  `# Benchmark: ${adapterName}`,
  '',
  `Node ${process.version}, ${new Date().toISOString().slice(0, 10)}, median/min/max over ${REPS} timed batches after warm-up; per call, until the queue drains.`,
  '',
  '| group | contender | elements | median ms | min ms | max ms | Gelem/s | GB/s | × baseline | × plain kernel |',
  '|---|---|---:|---:|---:|---:|---:|---:|---:|---:|',
  ...rows.map(
    (r) =>
      `| ${r.group} | ${r.name} | ${r.n} | ${fmt(r.medianMs, 4)} | ${fmt(r.minMs, 4)} | ${fmt(r.maxMs, 4)} | ${fmt(r.gelemPerS)} | ${fmt(r.gbPerS)} | ${r.baseline ? `${fmt(r.speedVsBaseline, 2)} vs ${r.baseline}` : ''} | ${fmt(r.speedVsPlainKernel, 2)} |`,
  ),
  '',
];
const slug =
  adapterName
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '') || 'adapter';
mkdirSync(resolve(root, 'bench/results'), { recursive: true });
const base = resolve(root, `bench/results/${quick ? 'quick-' : ''}${slug}`);
writeFileSync(`${base}.md`, lines.join('\n'));
writeFileSync(
  `${base}.json`,
  JSON.stringify({ adapter: adapterName, node: process.version, date: new Date().toISOString(), reps: REPS, rows }, null, 2),
);
console.log(lines.join('\n'));
console.log(`wrote ${base}.md and .json`);
process.exit(0);
