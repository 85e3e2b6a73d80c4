import { createActivations, gatedNames, opNames, type Activations, type OpName } from '../src/index.js';
import { lookupOp } from '../src/ops/registry.js';
import { setupBench, type BenchRow } from './bench.js';
import { TrainTab, type BoundaryReport, type TrainOptions, type TrainReport } from './train-tab.js';

/**
 * The ops that take rows, plotted along a line by computeRows: the gated units with a = 1 and
 * b = x, and the softmaxes over the two logits [x, 0].
 */
const ROW_OPS = [...gatedNames, 'softmax', 'logSoftmax'] as const;
/** What the picker and the legend call each of them: what is plotted against x. */
const ROW_LABELS: Record<(typeof ROW_OPS)[number], string> = {
  glu: 'glu(a = 1, b = x)',
  reglu: 'reglu(a = 1, b = x)',
  geglu: 'geglu(a = 1, b = x)',
  swiglu: 'swiglu(a = 1, b = x)',
  softmax: 'softmax([x, 0])[0]',
  logSoftmax: 'logSoftmax([x, 0])[0]',
};
const isRowOp = (op: string): op is (typeof ROW_OPS)[number] => (ROW_OPS as readonly string[]).includes(op);

/** y and dy/dx of each plotted op at xs. */
interface Curves {
  xs: number[];
  ops: Record<string, { y: number[]; grad: number[] }>;
}

/** What the page computed and can do, for the browser tests (window.__demo). */
interface DemoReport extends Curves {
  backend: string;
  fallbackReason?: string | undefined;
  /** The banner's text. */
  banner: string;
  adapter?: {
    vendor: string;
    architecture: string;
    device: string;
    description: string;
    /** The adapter offers shader-f16 / the library's device has it enabled. */
    f16Adapter: boolean;
    f16Device: boolean;
  };
  /** Curves per x range, keyed by the half-width ('10', '1', '0.1'); xs and ops above are '10'. */
  ranges: Record<string, Curves>;
  /** Ops left out of the plots, and why (ops that take a parameter tensor or change the shape). */
  skipped: Record<string, string>;
  /** Trains on the Train tab flat out and reports; see TrainTab.train. */
  train(options: TrainOptions): Promise<TrainReport>;
  /** The Train tab's decision boundary as last drawn, with its weights; see TrainTab.boundary. */
  boundary(): Promise<BoundaryReport>;
  /** The last benchmark run's rows, once the Benchmark tab's Run has finished. */
  bench?: BenchRow[];
  /** Whether that run paused a live training loop (timing never shares the device with it). */
  benchPausedTraining?: boolean;
}

declare global {
  interface Window {
    __demo?: DemoReport;
  }
}

const $ = (id: string) => document.getElementById(id)!;

const COLORS = ['#2b6cb0', '#d9480f', '#2f9e44', '#ae3ec9', '#f08c00', '#0c8599', '#e03131', '#5c940d'];
/** Stroke patterns (SVG stroke-dasharray): each repeat of the colours takes the next, so no two curves look alike. */
const DASHES = ['', '9 4', '2 3', '12 3 2 3'];
/** The look of the i-th curve checked: the colours first, then the colours again dashed (32 in all). */
const curveStyle = (i: number) => ({ color: COLORS[i % COLORS.length]!, dash: DASHES[Math.floor(i / COLORS.length) % DASHES.length]! });
const DEFAULT = ['relu', 'leakyRelu', 'gelu', 'sigmoid', 'tanh'];
/** Half-widths of the x ranges offered; 801 points each, exact 0 in the middle. */
const RANGES = [10, 1, 0.1];

function fmt(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (Object.is(v, -0)) return '-0';
  return Math.abs(v) >= 1e6 || (v !== 0 && Math.abs(v) < 1e-3) ? v.toExponential(3) : String(Math.round(v * 1e4) / 1e4);
}

/** A short label for an axis value: at most 3 significant digits. */
const tick = (v: number) => String(Number(v.toPrecision(3)));

function plot(
  svg: Element,
  xs: ArrayLike<number>,
  half: number,
  series: { op: string; values: ArrayLike<number>; color: string; dash: string }[],
  [lo, hi]: [number, number],
): void {
  const [w, h, pad] = [640, 360, 40];
  const sx = (x: number) => pad + ((x + half) / (2 * half)) * (w - 2 * pad);
  const sy = (y: number) => h - pad - ((Math.min(Math.max(y, lo), hi) - lo) / (hi - lo)) * (h - 2 * pad);
  const y0 = sy(Math.min(Math.max(0, lo), hi));
  const axes = [
    `<line x1="${sx(-half)}" y1="${y0}" x2="${sx(half)}" y2="${y0}" stroke="#999"/>`,
    `<line x1="${sx(0)}" y1="${sy(lo)}" x2="${sx(0)}" y2="${sy(hi)}" stroke="#999"/>`,
    ...[-half, -half / 2, half / 2, half].map(
      (t) => `<text x="${sx(t)}" y="${Math.min(y0 + 16, h - 4)}" font-size="12" text-anchor="middle">${tick(t)}</text>`,
    ),
    ...[lo, hi]
      .filter((t) => t !== 0)
      .map((t) => `<text x="${sx(0) - 6}" y="${sy(t) + 4}" font-size="12" text-anchor="end">${tick(t)}</text>`),
  ];
  const lines = series.map(({ op, values, color, dash }) => {
    const points = Array.from(xs, (x, i) => `${sx(x).toFixed(1)},${sy(values[i]!).toFixed(1)}`).join(' ');
    const dashed = dash ? ` stroke-dasharray="${dash}"` : '';
    return `<polyline data-op="${op}" fill="none" stroke="${color}"${dashed} stroke-width="2.2" stroke-opacity="0.9" points="${points}"/>`;
  });
  svg.innerHTML = [...axes, ...lines].join('');
  // The y range shown, for the browser test to check that no curve is clipped.
  svg.setAttribute('data-y-range', `${lo} ${hi}`);
}

/**
 * The y range that shows every finite value of these series (0 included), with a margin, so no
 * curve is clipped (logSoftmax falls to -10 at x = -10, selu's derivative rises to 1.76).
 */
function yRange(values: ArrayLike<number>[], fallback: [number, number]): [number, number] {
  let [lo, hi] = [0, 0];
  for (const v of values) {
    for (let i = 0; i < v.length; i++) {
      if (Number.isFinite(v[i])) [lo, hi] = [Math.min(lo, v[i]!), Math.max(hi, v[i]!)];
    }
  }
  if (hi - lo <= 0) return fallback;
  const margin = 0.08 * (hi - lo);
  return [lo - (lo < 0 ? margin : 0), hi + margin];
}

/**
 * y and dy/dx of every elementwise op at xs, on the library's backend. Ops that cannot be run
 * as y = op(x) on their own (a parameter tensor, a changed shape) are left out, with the reason.
 */
async function computeAll(acts: Activations, xs: Float32Array, skipped: Record<string, string>): Promise<Curves['ops']> {
  const x = acts.tensor(xs);
  const ones = acts.tensor(new Float32Array(xs.length).fill(1));
  const out: Curves['ops'] = {};
  for (const op of opNames as readonly OpName[]) {
    let y;
    try {
      y = acts.forward(op, x);
    } catch (e) {
      skipped[op] = e instanceof Error ? e.message : String(e);
      continue;
    }
    if (y.length !== x.length) {
      skipped[op] = `changes the shape (${x.length} inputs, ${y.length} outputs)`;
      y.dispose();
      continue;
    }
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

/**
 * y and dy/dx of the ops that take rows, along the line xs, on the library's backend. The gated
 * units split each row [a, b] along the last axis: rows [1, x] give y = 1 · gate(x), and backward
 * with dy = 1 gives [dy/da, dy/db], of which dy/db = gate'(x) is plotted. The softmaxes normalise
 * the rows [x, 0]: column 0 is softmax([x, 0])[0] = sigmoid(x) (logSoftmax: -softplus(-x)), and
 * backward with dy = [1, 0] gives its derivative in column 0.
 */
async function computeRows(acts: Activations, xs: Float32Array): Promise<Curves['ops']> {
  const n = xs.length;
  const rows = (first: (x: number) => number, second: (x: number) => number) =>
    acts.tensor(
      Float32Array.from({ length: 2 * n }, (_, i) => (i % 2 === 0 ? first(xs[i >> 1]!) : second(xs[i >> 1]!))),
      [n, 2],
    );
  const column = (v: Float32Array, c: number) => Array.from({ length: n }, (_, i) => v[2 * i + c]!);
  const out: Curves['ops'] = {};
  const ab = rows(
    () => 1,
    (x) => x,
  );
  const ones = acts.tensor(new Float32Array(n).fill(1), [n, 1]);
  for (const op of gatedNames) {
    const y = acts.forward(op, ab, { axis: -1 });
    const dx = acts.backward(op, { x: ab, dy: ones }, { axis: -1 });
    const [yv, dv] = await Promise.all([y.read(), dx.read()]);
    out[op] = { y: [...yv], grad: column(dv, 1) };
    y.dispose();
    dx.dispose();
  }
  const logits = rows(
    (x) => x,
    () => 0,
  );
  const dy = rows(
    () => 1,
    () => 0,
  );
  for (const op of ['softmax', 'logSoftmax'] as const) {
    const y = acts.forward(op, logits, { axis: -1 });
    const dx = acts.backward(op, { y, dy }, { axis: -1 });
    const [yv, dv] = await Promise.all([y.read(), dx.read()]);
    out[op] = { y: column(yv, 0), grad: column(dv, 0) };
    y.dispose();
    dx.dispose();
  }
  for (const t of [ab, ones, logits, dy]) t.dispose();
  return out;
}

/** The banner: the adapter and its f16 support, or why the page fell back to the CPU. */
async function describeBackend(acts: Activations): Promise<Pick<DemoReport, 'banner' | 'adapter'>> {
  const banner = $('banner');
  if (acts.backend !== 'webgpu') {
    banner.textContent = `WebGPU unavailable, running on the CPU backend: ${acts.fallbackReason ?? 'asked for'}`;
    banner.className = 'banner cpu';
    $('where').textContent = 'CPU (fallback)';
    return { banner: banner.textContent };
  }
  const a = acts.adapterInfo ?? { vendor: '', architecture: '', device: '', description: '' };
  // The library needs no shader-f16 (f16 tensors are packed halves computed in f32); ask an
  // adapter whether it offers it anyway.
  let f16Adapter = false;
  try {
    f16Adapter = (await navigator.gpu.requestAdapter())?.features.has('shader-f16') ?? false;
  } catch {
    // No second adapter to ask: report what the device has.
  }
  const f16Device = acts.device!.features.has('shader-f16');
  const name = [a.vendor, a.architecture, a.device, a.description].filter(Boolean).join(' · ') || 'an unnamed adapter';
  const f16 = f16Adapter
    ? `shader-f16: the adapter has it${f16Device ? ', enabled on the device' : ''}; f16 tensors run as packed halves computed in f32`
    : 'shader-f16: not offered by this adapter; f16 tensors still run (packed halves, computed in f32)';
  banner.innerHTML = '';
  banner.append(`Running on WebGPU: ${name}`, document.createElement('br'), f16);
  banner.className = 'banner gpu';
  $('where').textContent = 'GPU';
  return { banner: banner.textContent, adapter: { ...a, f16Adapter, f16Device } };
}

function setupTabs(): void {
  const tabs = [...document.querySelectorAll<HTMLButtonElement>('[role=tab]')];
  const show = (id: string) => {
    for (const t of tabs) {
      const on = t.id === id;
      t.setAttribute('aria-selected', String(on));
      $(t.getAttribute('aria-controls')!).hidden = !on;
    }
  };
  for (const t of tabs) {
    t.addEventListener('click', () => {
      show(t.id);
      history.replaceState(null, '', `#${t.id.replace('tab-', '')}`);
    });
  }
  const fromHash = `tab-${location.hash.slice(1)}`;
  if (tabs.some((t) => t.id === fromHash)) show(fromHash);
}

async function main(): Promise<void> {
  setupTabs();
  const acts = await createActivations();
  const backend = await describeBackend(acts);

  const skipped: Record<string, string> = {};
  const ranges: Record<string, Curves> = {};
  for (const half of RANGES) {
    const xs = Float32Array.from({ length: 801 }, (_, i) => ((i - 400) * half) / 400);
    ranges[String(half)] = { xs: [...xs], ops: { ...(await computeAll(acts, xs, skipped)), ...(await computeRows(acts, xs)) } };
  }
  const plotted = Object.keys(ranges['10']!.ops);
  if (Object.keys(skipped).length) {
    $('skipped').hidden = false;
    $('skipped').textContent = `Not plotted: ${Object.entries(skipped)
      .map(([op, why]) => `${op} (${why})`)
      .join('; ')}.`;
  }

  const picker = $('ops');
  for (const op of plotted) {
    const label = document.createElement('label');
    label.innerHTML = `<input type="checkbox" value="${op}" ${DEFAULT.includes(op) ? 'checked' : ''}/> ${isRowOp(op) ? ROW_LABELS[op] : op}`;
    picker.append(label);
  }
  const rangePicker = $('range');
  const redraw = () => {
    const half = Number(rangePicker.querySelector<HTMLInputElement>('input:checked')!.value);
    const { xs, ops } = ranges[String(half)]!;
    const chosen = [...picker.querySelectorAll<HTMLInputElement>('input:checked')].map((i) => i.value);
    const series = chosen.map((op, i) => ({ op, ...curveStyle(i) }));
    const ys = series.map((s) => ops[s.op]!.y);
    const grads = series.map((s) => ops[s.op]!.grad);
    plot(
      $('plot-y'),
      xs,
      half,
      ys.map((values, i) => ({ ...series[i]!, values })),
      yRange(ys, [-1, 1]),
    );
    plot(
      $('plot-grad'),
      xs,
      half,
      grads.map((values, i) => ({ ...series[i]!, values })),
      yRange(grads, [-0.5, 1.6]),
    );
    for (const el of document.querySelectorAll('.range-label')) el.textContent = `${tick(-half)} to ${tick(half)}`;
    $('legend').innerHTML = series
      .map((s) => {
        const name = isRowOp(s.op) ? ROW_LABELS[s.op] : s.op;
        const def = lookupOp(s.op);
        const formula = 'formula' in def ? def.formula : '';
        const dashed = s.dash ? ` stroke-dasharray="${s.dash}"` : '';
        const swatch = `<svg class="curve-swatch" data-op="${s.op}" width="36" height="10" aria-hidden="true"><line x1="0" y1="5" x2="36" y2="5" stroke="${s.color}"${dashed} stroke-width="2.2"/></svg>`;
        return `<li>${swatch} <b>${name}</b> <code>${formula}</code></li>`;
      })
      .join('');
  };
  picker.addEventListener('change', redraw);
  rangePicker.addEventListener('change', redraw);
  redraw();

  const specials = new Float32Array([-Infinity, -3, -0, 0, 1e-45, 2.5, Infinity, NaN]);
  const sx = acts.tensor(specials);
  const ones = acts.tensor(new Float32Array(specials.length).fill(1));
  const sy = await acts.forward('relu', sx).read();
  const sg = await acts.backward('relu', { x: sx, dy: ones }).read();
  $('specials').querySelector('tbody')!.innerHTML = Array.from(
    specials,
    (v, i) => `<tr><td>${fmt(v)}</td><td>${fmt(sy[i]!)}</td><td>${fmt(sg[i]!)}</td></tr>`,
  ).join('');

  const trainTab = new TrainTab(acts, acts.fallbackReason);
  const report: DemoReport = {
    backend: acts.backend,
    fallbackReason: acts.fallbackReason,
    ...backend,
    ...ranges['10']!,
    ranges,
    skipped,
    train: (options) => trainTab.train(options),
    boundary: () => trainTab.boundary(),
  };
  setupBench(
    acts,
    acts.fallbackReason,
    (rows, paused) => {
      report.bench = rows;
      report.benchPausedTraining = paused;
    },
    (work) => trainTab.paused(work),
  );
  window.__demo = report;
}

main().catch((e: unknown) => {
  $('banner').textContent = `Error: ${e instanceof Error ? e.message : String(e)}`;
  console.error(e);
});
