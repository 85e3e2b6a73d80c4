import { createActivations } from '../src/index.js';

declare global {
  interface Window {
    /** What the page computed, for the browser tests. */
    __demo?: { backend: string; fallbackReason?: string | undefined; xs: number[]; ys: number[]; grads: number[] };
  }
}

const $ = (id: string) => document.getElementById(id)!;

function fmt(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (Object.is(v, -0)) return '-0';
  return Math.abs(v) >= 1e6 || (v !== 0 && Math.abs(v) < 1e-3) ? v.toExponential(3) : String(Math.round(v * 1e4) / 1e4);
}

function plot(xs: Float32Array, series: { values: Float32Array; color: string }[]): void {
  const svg = $('plot');
  const [w, h, pad] = [640, 360, 36];
  const sx = (x: number) => pad + ((x + 10) / 20) * (w - 2 * pad);
  const sy = (y: number) => h - pad - ((y + 1) / 12) * (h - 2 * pad);
  const axes = [
    `<line x1="${sx(-10)}" y1="${sy(0)}" x2="${sx(10)}" y2="${sy(0)}" stroke="#999"/>`,
    `<line x1="${sx(0)}" y1="${sy(-1)}" x2="${sx(0)}" y2="${sy(11)}" stroke="#999"/>`,
    ...[-10, -5, 5, 10].map((t) => `<text x="${sx(t)}" y="${sy(0) + 16}" font-size="12" text-anchor="middle">${t}</text>`),
    ...[5, 10].map((t) => `<text x="${sx(0) - 6}" y="${sy(t) + 4}" font-size="12" text-anchor="end">${t}</text>`),
  ];
  const lines = series.map(({ values, color }) => {
    const points = Array.from(xs, (x, i) => `${sx(x).toFixed(1)},${sy(values[i]!).toFixed(1)}`).join(' ');
    return `<polyline fill="none" stroke="${color}" stroke-width="2.5" points="${points}"/>`;
  });
  svg.innerHTML = [...axes, ...lines].join('');
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

  // 801 points from -10 to 10; exact 0 included, where the gradient is 0.
  const xs = Float32Array.from({ length: 801 }, (_, i) => -10 + i / 40);
  const x = acts.tensor(xs);
  const ones = acts.tensor(new Float32Array(xs.length).fill(1));
  const [ys, grads] = await Promise.all([acts.forward('relu', x).read(), acts.backward('relu', { x, dy: ones }).read()]);
  plot(xs, [
    { values: ys, color: '#2b6cb0' },
    { values: grads, color: '#d9480f' },
  ]);

  const specials = new Float32Array([-Infinity, -3, -0, 0, 1e-45, 2.5, Infinity, NaN]);
  const sx = acts.tensor(specials);
  const sy = await acts.forward('relu', sx).read();
  const sg = await acts.backward('relu', { x: sx, dy: acts.tensor(new Float32Array(specials.length).fill(1)) }).read();
  $('specials').querySelector('tbody')!.innerHTML = Array.from(
    specials,
    (v, i) => `<tr><td>${fmt(v)}</td><td>${fmt(sy[i]!)}</td><td>${fmt(sg[i]!)}</td></tr>`,
  ).join('');

  window.__demo = { backend: acts.backend, fallbackReason: acts.fallbackReason, xs: [...xs], ys: [...ys], grads: [...grads] };
  acts.dispose();
}

main().catch((e: unknown) => {
  $('banner').textContent = `Error: ${e instanceof Error ? e.message : String(e)}`;
  console.error(e);
});
