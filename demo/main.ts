import { createActivations, opNames, type Activations } from '../src/index.js';

/** What the page computed, for the browser tests: per op, y and dy/dx at xs. */
interface DemoReport {
  backend: string;
  fallbackReason?: string | undefined;
  xs: number[];
  ops: Record<string, { y: number[]; grad: number[] }>;
}

declare global {
  interface Window {
    __demo?: DemoReport;
  }
}

const $ = (id: string) => document.getElementById(id)!;

// The formula shown beside each op (defaults for the attributes).
const FORMULAS: Record<string, string> = {
  relu: 'max(0, x)',
  thresholdedRelu: 'x > 1 ? x : 0',
  leakyRelu: 'x > 0 ? x : 0.01x',
  relu6: 'min(max(x, 0), 6)',
  hardtanh: 'clamp(x, −1, 1)',
  sigmoid: '1 / (1 + e^−x)',
  tanh: 'tanh x',
  elu: 'x > 0 ? x : e^x − 1',
  selu: '1.0507 · (x > 0 ? x : 1.6733 (e^x − 1))',
  celu: 'max(0, x) + min(0, e^x − 1)',
  softplus: 'log(1 + e^x)',
  silu: 'x · σ(x)',
  mish: 'x · tanh(softplus x)',
  gelu: 'x · Φ(x)',
  hardsigmoid: 'clamp(x/6 + 1/2, 0, 1)',
  hardswish: 'x · relu6(x + 3) / 6',
};
const COLORS = ['#2b6cb0', '#d9480f', '#2f9e44', '#ae3ec9', '#f08c00', '#0c8599', '#e03131', '#5c940d'];
const DEFAULT = ['relu', 'leakyRelu', 'gelu', 'sigmoid', 'tanh'];

function fmt(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (Object.is(v, -0)) return '-0';
  return Math.abs(v) >= 1e6 || (v !== 0 && Math.abs(v) < 1e-3) ? v.toExponential(3) : String(Math.round(v * 1e4) / 1e4);
}

function plot(svg: Element, xs: Float32Array, series: { values: ArrayLike<number>; color: string }[], [lo, hi]: [number, number]): void {
  const [w, h, pad] = [640, 360, 36];
  const sx = (x: number) => pad + ((x + 10) / 20) * (w - 2 * pad);
  const sy = (y: number) => h - pad - ((Math.min(Math.max(y, lo), hi) - lo) / (hi - lo)) * (h - 2 * pad);
  const ticks = [lo, 0, hi].filter((t, i, a) => a.indexOf(t) === i);
  const axes = [
    `<line x1="${sx(-10)}" y1="${sy(0)}" x2="${sx(10)}" y2="${sy(0)}" stroke="#999"/>`,
    `<line x1="${sx(0)}" y1="${sy(lo)}" x2="${sx(0)}" y2="${sy(hi)}" stroke="#999"/>`,
    ...[-10, -5, 5, 10].map((t) => `<text x="${sx(t)}" y="${sy(0) + 16}" font-size="12" text-anchor="middle">${t}</text>`),
    ...ticks.filter((t) => t !== 0).map((t) => `<text x="${sx(0) - 6}" y="${sy(t) + 4}" font-size="12" text-anchor="end">${t}</text>`),
  ];
  const lines = series.map(({ values, color }) => {
    const points = Array.from(xs, (x, i) => `${sx(x).toFixed(1)},${sy(values[i]!).toFixed(1)}`).join(' ');
    return `<polyline fill="none" stroke="${color}" stroke-width="2.2" stroke-opacity="0.9" points="${points}"/>`;
  });
  svg.innerHTML = [...axes, ...lines].join('');
}

/** y and dy/dx of every op at xs, on the library's backend. */
async function computeAll(acts: Activations, xs: Float32Array): Promise<DemoReport['ops']> {
  const x = acts.tensor(xs);
  const ones = acts.tensor(new Float32Array(xs.length).fill(1));
  const out: DemoReport['ops'] = {};
  for (const op of opNames) {
    const y = acts.forward(op, x);
    const grad = acts.backward(op, { x, y, dy: ones });
    const [yv, gv] = await Promise.all([y.read(), grad.read()]);
    out[op] = { y: [...yv], grad: [...gv] };
    y.dispose();
    grad.dispose();
  }
  x.dispose();
  ones.dispose();
  return out;
}

async function main(): Promise<void> {
  const acts = await createActivations();
  const banner = $('banner');
  if (acts.backend === 'webgpu') {
    const a = acts.adapterInfo;
    const name = [a?.vendor, a?.architecture, a?.description].filter(Boolean).join(' · ') || 'an unnamed adapter';
    banner.textContent = `Running on WebGPU: ${name}`;
    banner.className = 'banner gpu';
    $('where').textContent = 'GPU';
  } else {
    banner.textContent = `WebGPU unavailable, running on the CPU backend: ${acts.fallbackReason ?? 'asked for'}`;
    banner.className = 'banner cpu';
    $('where').textContent = 'CPU (fallback)';
  }

  // 801 points from -10 to 10, exact 0 included.
  const xs = Float32Array.from({ length: 801 }, (_, i) => -10 + i / 40);
  const results = await computeAll(acts, xs);

  const picker = $('ops');
  for (const op of opNames) {
    const label = document.createElement('label');
    label.innerHTML = `<input type="checkbox" value="${op}" ${DEFAULT.includes(op) ? 'checked' : ''}/> ${op}`;
    picker.append(label);
  }
  const redraw = () => {
    const chosen = [...picker.querySelectorAll<HTMLInputElement>('input:checked')].map((i) => i.value);
    const series = chosen.map((op, i) => ({ op, color: COLORS[i % COLORS.length]! }));
    plot(
      $('plot-y'),
      xs,
      series.map((s) => ({ values: results[s.op]!.y, color: s.color })),
      [-2, 10],
    );
    plot(
      $('plot-grad'),
      xs,
      series.map((s) => ({ values: results[s.op]!.grad, color: s.color })),
      [-0.5, 1.6],
    );
    $('legend').innerHTML = series
      .map((s) => `<li><span style="color:${s.color}">■</span> <b>${s.op}</b> <code>${FORMULAS[s.op] ?? ''}</code></li>`)
      .join('');
  };
  picker.addEventListener('change', redraw);
  redraw();

  const specials = new Float32Array([-Infinity, -3, -0, 0, 1e-45, 2.5, Infinity, NaN]);
  const sx = acts.tensor(specials);
  const sy = await acts.forward('relu', sx).read();
  const sg = await acts.backward('relu', { x: sx, dy: acts.tensor(new Float32Array(specials.length).fill(1)) }).read();
  $('specials').querySelector('tbody')!.innerHTML = Array.from(
    specials,
    (v, i) => `<tr><td>${fmt(v)}</td><td>${fmt(sy[i]!)}</td><td>${fmt(sg[i]!)}</td></tr>`,
  ).join('');

  window.__demo = { backend: acts.backend, fallbackReason: acts.fallbackReason, xs: [...xs], ops: results };
  acts.dispose();
}

main().catch((e: unknown) => {
  $('banner').textContent = `Error: ${e instanceof Error ? e.message : String(e)}`;
  console.error(e);
});
