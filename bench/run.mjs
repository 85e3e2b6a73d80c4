// npm run bench: times, in one run, our ReLU forward and backward against baselines and other
// libraries on the same device and CPU, in Node (Dawn) and then in headless Chromium
// (navigator.gpu), and writes bench/results/<adapter>.{md,json},
// bench/results/chromium-<adapter>.{md,json} and bench/results/throughput.svg; in Node it also
// times each op's first use on a fresh device (bench/first-use.mjs: bench/results/first-use.*).
// Compare speeds as ratios within one run: absolute numbers on software adapters (SwiftShader)
// say little about real GPUs.
//
//   node bench/run.mjs [--quick] [--node-only | --browser-only] [--system-vulkan] [--swiglu-softmax | --cpu-simd]
//
// --quick          two sizes, fewer reps, 3 first-use rounds; results go to bench/results/quick-*
// --node-only      skip Chromium (also skipped, saying why, when there is no Chromium)
// --browser-only   only Chromium (npm run bench:browser): no Node bench, no first-use times
// --system-vulkan  use the system's Vulkan drivers as they are (BENCH_VULKAN=system does the
//                  same): Dawn is otherwise pointed at SwiftShader when VK_ICD_FILENAMES and
//                  VK_DRIVER_FILES are unset, and Chromium is told to use SwiftShader
// --swiglu-softmax only the swiglu and softmax rows (bench/swiglu-softmax.mjs): in Node our CPU
//                  backend against tfjs-cpu and tfjs-wasm, in Chromium ours against tfjs-webgpu;
//                  results go to bench/results/[chromium-]swiglu-softmax.{md,json} (and no
//                  first-use times, no plot). npm run bench runs these rows with all the others
// --cpu-simd       only the CPU SIMD rows (bench/cpu-simd.mjs), in Node: our SIMD kernels against
//                  our JS kernels and tfjs-wasm at 2^20; results go to bench/results/cpu-simd.{md,json}
// --overhead       only the per-op cost rows (1000 relu calls on 1024 elements), in Node and in
//                  Chromium beside tfjs-webgpu and ORT; results go to bench/results/[chromium-]overhead.*
//
// The contenders are listed in bench/node-bench.mjs and bench/browser/page.ts.
import { existsSync } from 'node:fs';
import { loadavg } from 'node:os';
import { resolve } from 'node:path';
import { addRatios, markdown, writeResult } from './report.mjs';

const root = resolve(import.meta.dirname, '..');
const args = new Set(process.argv.slice(2));
const known = ['--quick', '--node-only', '--browser-only', '--system-vulkan', '--swiglu-softmax', '--cpu-simd', '--overhead'];
for (const a of args) {
  if (!known.includes(a)) {
    console.error(`unknown option ${a}; options: ${known.join(' ')}`);
    process.exit(2);
  }
}
if (args.has('--node-only') && args.has('--browser-only')) {
  console.error('--node-only and --browser-only exclude each other');
  process.exit(2);
}
const quick = args.has('--quick');
const systemVulkan = args.has('--system-vulkan') || process.env.BENCH_VULKAN === 'system';
const onlys = ['--swiglu-softmax', '--cpu-simd', '--overhead'].filter((a) => args.has(a));
if (onlys.length > 1) {
  console.error(`${onlys.join(' and ')} exclude each other`);
  process.exit(2);
}
const only = onlys.length ? onlys[0].slice(2) : undefined;
const config = {
  root,
  quick,
  systemVulkan,
  only,
  sizes: quick ? [2 ** 10, 2 ** 18] : [2 ** 10, 2 ** 14, 2 ** 18, 2 ** 20, 2 ** 22, 2 ** 24],
  reps: quick ? 5 : 9,
  overheadCalls: 1000,
  log: (line) => process.stdout.write(`${line}\n`),
};

const t0 = performance.now();
/** The 1, 5 and 15 minute load averages, for the record: the machine may be shared. */
const load = () =>
  loadavg()
    .map((v) => v.toFixed(2))
    .join(', ');
const loadAtStart = load();
/** Prints a result and writes its files. */
function report(result, prefix) {
  addRatios(result.rows);
  result.meta.environment.push(`load average (1, 5, 15 min): ${loadAtStart} when the bench started, ${load()} when this part ended`);
  console.log(`\n${markdown(result)}`);
  const base = writeResult(root, result, { quick, prefix, ...(only ? { name: only } : {}) });
  console.log(`wrote ${base}.md and .json`);
}

if (!args.has('--browser-only')) {
  // The Node bench times the built package; the Chromium page imports src/ through Vite.
  if (!existsSync(resolve(root, 'dist/index.js'))) {
    console.error('dist/index.js is missing: run `npm run build` first (npm run bench does)');
    process.exit(2);
  }
  const { runNodeBench } = await import('./node-bench.mjs');
  report(await runNodeBench(config), '');
}

if (!args.has('--browser-only') && !only) {
  // First use per op, each on a new device, in child processes of its own (bench/first-use.mjs).
  const { addBefore, firstUseMarkdown, readBefore, runFirstUse, writeFirstUse } = await import('./first-use.mjs');
  try {
    const firstUse = addBefore(await runFirstUse({ root, quick, systemVulkan, log: config.log }), readBefore(root));
    console.log(`\n${firstUseMarkdown(firstUse)}`);
    console.log(`wrote ${writeFirstUse(root, firstUse, { quick })}.md and .json`);
  } catch (e) {
    console.error(`\nFirst-use bench failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
    process.exitCode = 1;
  }

  // acts.warmup against warming op by op and against no warm-up (bench/warmup.mjs), a child process.
  const { spawnSync } = await import('node:child_process');
  const warm = spawnSync(process.execPath, [resolve(root, 'bench/warmup.mjs'), '--rounds', quick ? '1' : '3'], { stdio: 'inherit' });
  if (warm.status !== 0) {
    console.error('\nWarm-up bench failed');
    process.exitCode = 1;
  }
}

if (!args.has('--node-only') && only !== 'cpu-simd') {
  const { chromiumMissing, runChromiumBench } = await import('./chromium.mjs');
  const missing = chromiumMissing();
  if (missing) {
    console.log(`\nChromium bench skipped: ${missing}`);
  } else {
    try {
      report(await runChromiumBench(config), 'chromium-');
    } catch (e) {
      console.error(`\nChromium bench failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
      process.exitCode = 1;
    }
  }
}

// The plot takes the newest Node and Chromium results of this mode, from this run or an earlier one.
if (!only) {
  const { writePlot } = await import('./plot.mjs');
  const svg = writePlot(root, { quick });
  if (svg) console.log(`wrote ${svg}`);
}
console.log(`bench took ${((performance.now() - t0) / 1000).toFixed(0)} s`);
// Dawn keeps the process alive; leave once everything is written.
process.exit(process.exitCode ?? 0);
