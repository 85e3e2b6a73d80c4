// First-use latency per op: how long a fresh instance takes to give its first forward and first
// backward of one op, WGSL compile included. Node (Dawn), the built package (dist/index.js).
//
//   node bench/first-use.mjs [--quick] [--dist DIR] [--before] [--system-vulkan]
//
// --quick          3 rounds instead of 9; results go to bench/results/quick-first-use.*
// --dist DIR       time the package built in DIR (default dist/): measure another checkout
// --before         write the result as bench/results/first-use-before.{md,json}, the baseline
//                  that later runs compare with (ratio columns)
// --system-vulkan  the system's Vulkan drivers as they are (else SwiftShader, as node-bench.mjs)
//
// For every op of the registry (elementwise, their WebNN/ONNX variants, prelu, maxout, the gated
// units, softmax and logSoftmax): (a) createActivations({ backend: 'webgpu' })
// on a new device, (b) from there to the first forward on 1024 elements and its read() resolving,
// (c) then the first backward and its read(). Nothing is shared between ops: each gets its own
// device, disposed after. Each round runs in a child process of its own, which first warms up
// (one untimed relu on a device of its own: JS compilation, Dawn's and SwiftShader's own start-up)
// and then times every op in an order shuffled per round with a fixed seed. At the end the child
// times its first op again on yet another device: were compiled pipelines cached across devices
// in the process, that repeat would come out far faster (the notes give the ratio).
//
// `npm run bench` runs this after the Node bench (bench/run.mjs).
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { loadavg } from 'node:os';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { benchData } from './timing.mjs';

/** Chromium's SwiftShader Vulkan driver (as in test/helpers/node-gpu.ts). */
const SWIFTSHADER_ICD = '/usr/lib/chromium/vk_swiftshader_icd.json';
const N = 1024;
const SEED = 0x5eed;

/**
 * Times first use of every op, one child process per round. `dist`: the built package's folder.
 * Returns { meta, rows }, rows sorted as the registry lists the ops, with medians over rounds.
 */
export async function runFirstUse({ root, dist = resolve(root, 'dist'), quick = false, systemVulkan = false, log = () => {} }) {
  const env = { ...process.env };
  const vulkan = systemVulkan
    ? 'system Vulkan drivers (--system-vulkan)'
    : env.VK_ICD_FILENAMES || env.VK_DRIVER_FILES
      ? ['VK_ICD_FILENAMES', 'VK_DRIVER_FILES']
          .filter((k) => env[k])
          .map((k) => `${k}=${env[k]}`)
          .join(' ')
      : existsSync(SWIFTSHADER_ICD)
        ? `VK_ICD_FILENAMES=${(env.VK_ICD_FILENAMES = SWIFTSHADER_ICD)} (SwiftShader)`
        : 'system Vulkan drivers (no SwiftShader found)';
  const { gatedNames, opNames, opVariants } = await import(pathToFileURL(resolve(dist, 'index.js')).href);
  // Every name forward/backward take: the variants run their op's kernels under other defaults.
  const ops = [...opNames, ...Object.keys(opVariants), 'prelu', 'maxout', ...gatedNames, 'softmax', 'logSoftmax'];
  const rounds = quick ? 3 : 9;
  // The 1, 5 and 15 minute load averages, for the record: the machine may be shared.
  const load = () =>
    loadavg()
      .map((v) => v.toFixed(2))
      .join(', ');
  const loadAtStart = load();
  const runs = [];
  for (let round = 0; round < rounds; round++) {
    const order = shuffled(ops, SEED + round);
    runs.push(await child(root, env, { dist, order }));
    log(`first use: round ${round + 1}/${rounds} done`);
  }
  const median = (values) => {
    const sorted = [...values].sort((a, b) => a - b);
    return sorted[Math.floor(sorted.length / 2)];
  };
  const rows = ops.map((op) => {
    const times = runs.map((r) => r.times[op]);
    return {
      op,
      createMs: median(times.map((t) => t.create)),
      forwardMs: median(times.map((t) => t.forward)),
      backwardMs: median(times.map((t) => t.backward)),
      forwardRuns: times.map((t) => t.forward),
      backwardRuns: times.map((t) => t.backward),
    };
  });
  const repeats = runs.map((r) => {
    const first = r.times[r.order[0]];
    return { op: r.order[0], first: first.forward + first.backward, again: r.repeat.forward + r.repeat.backward };
  });
  const againRatio = median(repeats.map((r) => r.again / r.first));
  const { adapter, versions } = runs[0];
  return {
    meta: {
      runtime: `Node ${process.version}`,
      adapter,
      date: new Date().toISOString(),
      rounds,
      n: N,
      dist,
      versions,
      environment: [
        `adapter: ${adapter}, Dawn via webgpu ${versions.webgpu}; ${vulkan}`,
        `Node ${process.version}, ${process.platform} ${process.arch}, ${new Date().toISOString().slice(0, 10)}`,
        `package timed: ${dist}`,
        `load average (1, 5, 15 min): ${loadAtStart} at the start, ${load()} at the end`,
      ],
      notes: [
        `Cross-device cache check: each round times its first op once more on a new device at the end: ${repeats
          .map((r) => `${r.op} ${r.first.toFixed(0)} ms then ${r.again.toFixed(0)} ms`)
          .join('; ')} (forward + backward), median again ÷ first ${againRatio.toFixed(2)}. ${
          againRatio > 0.6
            ? 'Compiles are not reused across devices (what the repeat saves is the process warming up further).'
            : 'The repeat is much faster: something compiled may be reused across devices, which would make these first-use times too low.'
        }`,
      ],
    },
    rows,
  };
}

/** Adds the baseline's medians and before ÷ now to each row (above 1: faster now). */
export function addBefore(result, before) {
  if (!before) return result;
  for (const r of result.rows) {
    const b = before.rows.find((o) => o.op === r.op);
    if (!b) continue;
    r.beforeForwardMs = b.forwardMs;
    r.beforeBackwardMs = b.backwardMs;
    r.forwardRatio = b.forwardMs / r.forwardMs;
    r.backwardRatio = b.backwardMs / r.backwardMs;
  }
  result.meta.before = { date: before.meta.date, dist: before.meta.dist, rounds: before.meta.rounds };
  return result;
}

const ms = (v) => (v === undefined ? '' : v.toFixed(1));
const times = (v) => (v === undefined ? '' : `${v.toFixed(2)}×`);

/** The Markdown report: environment, the table per op (and against the baseline, when given), notes. */
export function firstUseMarkdown(result) {
  const { meta, rows } = result;
  const compare = rows.some((r) => r.beforeForwardMs !== undefined);
  const sum = (key, of = rows) => of.reduce((s, r) => s + (r[key] ?? 0), 0);
  // The ratios of the total compare only the ops the baseline has.
  const had = rows.filter((r) => r.beforeForwardMs !== undefined);
  const total = {
    op: '**all ops**',
    createMs: sum('createMs'),
    forwardMs: sum('forwardMs'),
    backwardMs: sum('backwardMs'),
    ...(compare
      ? {
          beforeForwardMs: sum('beforeForwardMs'),
          beforeBackwardMs: sum('beforeBackwardMs'),
          forwardRatio: sum('beforeForwardMs') / sum('forwardMs', had),
          backwardRatio: sum('beforeBackwardMs') / sum('backwardMs', had),
        }
      : {}),
  };
  const line = (r) =>
    compare
      ? `| ${r.op} | ${ms(r.createMs)} | ${ms(r.forwardMs)} | ${ms(r.backwardMs)} | ${ms(r.beforeForwardMs)} | ${ms(r.beforeBackwardMs)} | ${times(r.forwardRatio)} | ${times(r.backwardRatio)} |`
      : `| ${r.op} | ${ms(r.createMs)} | ${ms(r.forwardMs)} | ${ms(r.backwardMs)} |`;
  return [
    `# First use per op: ${meta.adapter} (${meta.runtime})`,
    '',
    ...meta.environment.map((e) => `- ${e}`),
    '',
    `Median over ${meta.rounds} round${meta.rounds === 1 ? '' : 's'}, each in its own process (warmed up on a device of its own), ops in a shuffled order, every op on a new device.`,
    `**create**: createActivations({ backend: 'webgpu' }). **forward**: from there to the first forward on ${meta.n} elements and its read() resolving (upload, WGSL module and pipeline compile, dispatch, readback). **backward**: then the first backward and its read() (prelu: dx and dalpha; maxout: dx; gated units: dx from x and a dy of y's shape; softmax and logSoftmax: dx from y).`,
    ...(compare
      ? [
          `**before** columns: bench/results/first-use-before.json (${meta.before.date.slice(0, 10)}, ${meta.before.rounds} rounds, ${meta.before.dist}); **×** is before ÷ now: above 1, first use is faster now. The total's **×** compares only the ops the baseline has.`,
        ]
      : []),
    '',
    compare
      ? '| op | create ms | forward ms | backward ms | before forward ms | before backward ms | forward × | backward × |'
      : '| op | create ms | forward ms | backward ms |',
    compare ? '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |' : '| --- | ---: | ---: | ---: |',
    ...rows.map(line),
    line(total),
    '',
    ...(meta.notes.length ? ['## Notes', '', ...meta.notes.map((n) => `- ${n}`), ''] : []),
  ].join('\n');
}

/**
 * Writes bench/results/[quick-]first-use.{md,json}, or first-use-before.* with `before`, and
 * returns the base path.
 */
export function writeFirstUse(root, result, { quick, before = false }) {
  mkdirSync(resolve(root, 'bench/results'), { recursive: true });
  const base = resolve(root, `bench/results/${before ? 'first-use-before' : `${quick ? 'quick-' : ''}first-use`}`);
  writeFileSync(`${base}.md`, firstUseMarkdown(result));
  writeFileSync(`${base}.json`, `${JSON.stringify(result, null, 2)}\n`);
  return base;
}

/** The baseline written by --before, if there is one. */
export function readBefore(root) {
  const path = resolve(root, 'bench/results/first-use-before.json');
  return existsSync(path) ? JSON.parse(readFileSync(path, 'utf8')) : undefined;
}

/** `items` in an order shuffled by a seeded generator (mulberry32, Fisher-Yates). */
function shuffled(items, seed) {
  let s = seed >>> 0;
  const random = () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}

/** Runs one round in a child process (this file with --child) and returns what it printed. */
function child(root, env, job) {
  return new Promise((done, fail) => {
    const proc = spawn(process.execPath, [import.meta.filename, '--child', JSON.stringify(job)], { cwd: root, env });
    let out = '';
    let err = '';
    proc.stdout.on('data', (d) => (out += d));
    proc.stderr.on('data', (d) => (err += d));
    proc.on('error', fail);
    proc.on('close', (code) => {
      // The Vulkan loader's complaint about XDG_RUNTIME_DIR is noise; anything else is reported.
      const stderr = err
        .split('\n')
        .filter((l) => l && !l.includes('XDG_RUNTIME_DIR'))
        .join('\n');
      if (code !== 0) return fail(new Error(`first-use child exited with ${code}:\n${stderr}`));
      try {
        done(JSON.parse(out.trim().split('\n').pop()));
      } catch {
        fail(new Error(`first-use child printed no result:\n${out}\n${stderr}`));
      }
    });
  });
}

/** The child: warm up, then time every op of `order` on a device each, and the first one again. */
async function childMain({ dist, order }) {
  const { createActivations } = await import(pathToFileURL(resolve(dist, 'index.js')).href);
  const { create } = await import('webgpu');
  const gpu = create([]);
  const data = benchData(N);
  const once = async (op) => {
    const t0 = performance.now();
    const acts = await createActivations({ backend: 'webgpu', gpu });
    const t1 = performance.now();
    const made = [];
    const keep = (t) => (made.push(t), t);
    let forward;
    let backward;
    if (op === 'prelu') {
      const x = keep(acts.tensor(data, [4, 16, 16]));
      const alpha = keep(acts.tensor(Float32Array.from({ length: 16 }, (_, i) => 0.01 * (i + 1))));
      await keep(acts.prelu(x, alpha)).read();
      forward = performance.now();
      const { dx, dalpha } = acts.preluBackward({ x, alpha, dy: x });
      await Promise.all([keep(dx).read(), keep(dalpha).read()]);
      backward = performance.now();
    } else if (op === 'maxout') {
      const x = keep(acts.tensor(data, [4, 256]));
      const y = keep(acts.maxout(x, { pieces: 4 }));
      await y.read();
      forward = performance.now();
      await keep(acts.maxoutBackward({ x, dy: y }, { pieces: 4 })).read();
      backward = performance.now();
    } else {
      const x = keep(acts.tensor(data));
      const y = keep(acts.forward(op, x));
      await y.read();
      forward = performance.now();
      // dy has y's shape (half of x's for the gated units); softmax's backward reads y, the rest x.
      await keep(acts.backward(op, { x, y, dy: y.length === x.length ? x : y })).read();
      backward = performance.now();
    }
    const info = acts.adapterInfo;
    for (const t of made) t.dispose();
    acts.dispose();
    return { create: t1 - t0, forward: forward - t1, backward: backward - forward, info };
  };
  const warm = await once('relu');
  const times = {};
  for (const op of order) times[op] = await once(op);
  const repeat = await once(order[0]);
  const adapter = [warm.info?.vendor, warm.info?.architecture, warm.info?.description].filter(Boolean).join(' ') || 'unknown adapter';
  const version = (pkg) => createRequire(import.meta.url)(`${pkg}/package.json`).version;
  for (const t of [...Object.values(times), repeat]) delete t.info;
  process.stdout.write(
    `${JSON.stringify({ order, times, repeat, adapter, versions: { node: process.version, webgpu: version('webgpu') } })}\n`,
  );
}

const args = process.argv.slice(2);
if (import.meta.filename === process.argv[1]) {
  if (args[0] === '--child') {
    await childMain(JSON.parse(args[1]));
    // Dawn keeps the process alive.
    process.exit(0);
  }
  const known = ['--quick', '--dist', '--before', '--system-vulkan'];
  const flags = new Set();
  let dist;
  for (let i = 0; i < args.length; i++) {
    if (!known.includes(args[i])) {
      console.error(`unknown option ${args[i]}; options: ${known.join(' ')}`);
      process.exit(2);
    }
    if (args[i] === '--dist') dist = resolve(args[++i] ?? '.');
    else flags.add(args[i]);
  }
  const root = resolve(import.meta.dirname, '..');
  dist ??= resolve(root, 'dist');
  if (!existsSync(resolve(dist, 'index.js'))) {
    console.error(`${dist}/index.js is missing: run \`npm run build\` first`);
    process.exit(2);
  }
  const quick = flags.has('--quick');
  const before = flags.has('--before');
  const systemVulkan = flags.has('--system-vulkan') || process.env.BENCH_VULKAN === 'system';
  const result = await runFirstUse({ root, dist, quick, systemVulkan, log: (l) => console.log(l) });
  if (!before) addBefore(result, readBefore(root));
  console.log(`\n${firstUseMarkdown(result)}`);
  console.log(`wrote ${writeFirstUse(root, result, { quick, before })}.md and .json`);
}
