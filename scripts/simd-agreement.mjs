// How often the CPU backend's WebAssembly SIMD kernels of the exp family differ from its JS
// reference kernels (docs/performance.md, "The exp family"): 2^24 inputs per op and direction,
// every 512th f32 bit pattern (all exponents, both signs, NaNs and infinities) and 2^23 values
// evenly spaced in [-32, 32], with dy from 1 to 2. Prints, per op and direction, how many results
// differ (NaN payloads aside), by how many ULP at most, and whether any differs in kind (NaN,
// ±Inf, ±0, sign). Runs the built package: `npm run build && node scripts/simd-agreement.mjs`.
import { createActivations } from '../dist/index.js';

const CASES = [
  ['sigmoid', {}],
  ['tanh', {}],
  ['silu', {}],
  ['elu', {}],
  ['selu', {}],
  ['celu', { alpha: 2.5 }],
  ['softplus', {}],
  ['gelu', {}],
  ['gelu', { approximate: 'tanh' }],
  ['mish', {}],
];
const FROM_Y = new Set(['sigmoid', 'tanh']);

const half = 1 << 23;
const bits = new Uint32Array(2 * half);
for (let i = 0; i < half; i++) bits[i] = (i * 512 + 97) >>> 0;
const x = new Float32Array(bits.buffer);
for (let i = 0; i < half; i++) x[half + i] = ((i + 0.5) / half - 0.5) * 64;
const dy = Float32Array.from({ length: x.length }, (_, i) => 1 + ((i * 7919) % 1000) / 1000);

const simd = await createActivations({ backend: 'cpu', cpuKernels: 'wasm-simd' });
const js = await createActivations({ backend: 'cpu', cpuKernels: 'js' });
const line = (b) => (b >>> 31 ? -(b & 0x7fffffff) : b);
const kind = (b, v) => (Number.isNaN(v) ? 'NaN' : `${b >>> 31}${Math.abs(v) === Infinity ? 'I' : v === 0 ? 'Z' : 'F'}`);

for (const [op, attrs] of CASES) {
  const out = [];
  for (const acts of [simd, js]) {
    const tx = acts.tensor(x);
    const tdy = acts.tensor(dy);
    const y = acts.forward(op, tx, attrs);
    // From y: both kernel sets get x as y, so they differentiate the same values.
    const dx = acts.backward(op, { ...(FROM_Y.has(op) ? { y: tx } : { x: tx }), dy: tdy }, attrs);
    out.push({ forward: await y.read(), backward: await dx.read() });
    for (const t of [tx, tdy, y, dx]) t.dispose();
  }
  for (const direction of ['forward', 'backward']) {
    const got = out[0][direction];
    const want = out[1][direction];
    const g = new Uint32Array(got.buffer);
    const w = new Uint32Array(want.buffer);
    let differ = 0;
    let ulp = 0;
    let kinds = 0;
    for (let i = 0; i < g.length; i++) {
      if (g[i] === w[i] || (Number.isNaN(got[i]) && Number.isNaN(want[i]))) continue;
      differ++;
      if (kind(g[i], got[i]) !== kind(w[i], want[i])) kinds++;
      else ulp = Math.max(ulp, Math.abs(line(g[i]) - line(w[i])));
    }
    console.log(`${op} ${JSON.stringify(attrs)} ${direction}: ${differ} of ${g.length} differ, at most ${ulp} ULP, ${kinds} in kind`);
  }
}
simd.dispose();
js.dispose();
