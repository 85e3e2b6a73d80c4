// acts.warmup: compiling a model's ops in parallel (createComputePipelineAsync) against warming
// them one at a time (await acts.warmup([op]) for each op in turn), and against no warm-up at all
// (each op's first forward and backward, read back, in turn). Node (Dawn), the built package.
//
//   node bench/warmup.mjs [--rounds N]
//
// Each measurement gets a device of its own (Dawn does not reuse compiles across devices); the
// three contenders alternate within each round, in a rotated order. Prints a markdown table of
// the medians and their ratios; writes bench/results/warmup.{md,json}.
import { mkdirSync, writeFileSync, existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const root = resolve(import.meta.dirname, '..');
const SWIFTSHADER_ICD = '/usr/lib/chromium/vk_swiftshader_icd.json';
if (!process.env.VK_ICD_FILENAMES && existsSync(SWIFTSHADER_ICD)) process.env.VK_ICD_FILENAMES = SWIFTSHADER_ICD;
const rounds = Number(process.argv[process.argv.indexOf('--rounds') + 1] || 3);

const webgpu = await import('webgpu');
Object.assign(globalThis, webgpu.globals);
const gpu = webgpu.create([]); // kept referenced while its devices live
const adapter = await gpu.requestAdapter();
const lib = await import(pathToFileURL(resolve(root, 'dist/index.js')).href);
const ops = [...lib.opNames, 'prelu', 'maxout', ...lib.gatedNames, 'softmax', 'logSoftmax'];

async function fresh() {
  // An adapter makes one device: each measurement asks for its own.
  const device = await (await gpu.requestAdapter()).requestDevice();
  return { device, acts: await lib.createActivations({ device }) };
}

/** Each op's first forward and backward, read back, in turn. */
async function firstCalls(acts) {
  const x = acts.tensor(
    new Float32Array(1024).map((_, i) => Math.sin(i)),
    [16, 64],
  );
  for (const op of ops) {
    if (op === 'prelu') {
      const alpha = acts.tensor([0.25]);
      await acts.preluBackward({ x, alpha, dy: acts.prelu(x, alpha) }).dalpha.read();
    } else if (op === 'maxout') {
      await acts.maxoutBackward({ x, dy: acts.maxout(x, { pieces: 2 }) }, { pieces: 2 }).read();
    } else if (op === 'softmax' || op === 'logSoftmax' || op === 'sigmoid' || op === 'tanh') {
      await acts.backward(op, { y: acts.forward(op, x), dy: x }).read();
    } else {
      await acts.backward(op, { x, dy: acts.forward(op, x) }).read();
    }
  }
}

const contenders = {
  'warmup(all ops)': async (acts) => acts.warmup(ops),
  'warmup([op]) one at a time': async (acts) => {
    for (const op of ops) await acts.warmup([op]);
  },
  'no warmup: first calls in turn': firstCalls,
};

const times = Object.fromEntries(Object.keys(contenders).map((k) => [k, []]));
const names = Object.keys(contenders);
for (let round = 0; round < rounds; round++) {
  for (let j = 0; j < names.length; j++) {
    const name = names[(round + j) % names.length];
    const { device, acts } = await fresh();
    const t0 = performance.now();
    await contenders[name](acts);
    times[name].push(performance.now() - t0);
    acts.dispose();
    device.destroy();
  }
  console.error(`warmup bench: round ${round + 1}/${rounds}`);
}
const median = (v) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)];
const base = median(times['warmup(all ops)']);
const lines = [
  `| contender (${ops.length} ops, forward and backward kernels) | median ms | × warmup(all ops) |`,
  '| --- | --- | --- |',
  ...names.map((n) => `| ${n} | ${median(times[n]).toFixed(0)} | ${(median(times[n]) / base).toFixed(2)} |`),
];
const md = `${lines.join('\n')}\n\n${rounds} rounds, Dawn on ${(await adapter.info?.description) || 'SwiftShader'}, ${new Date().toISOString().slice(0, 10)}.\n`;
console.log(md);
mkdirSync(resolve(root, 'bench/results'), { recursive: true });
writeFileSync(resolve(root, 'bench/results/warmup.md'), md);
writeFileSync(resolve(root, 'bench/results/warmup.json'), JSON.stringify({ ops, times }, null, 2));
process.exit(0);
