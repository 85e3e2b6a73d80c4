// bench/results/throughput.svg: throughput (Gelem/s, log scale) against size (log scale) for every
// contender, one panel for Node and one for Chromium, drawn by hand from the result JSON.
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';

const PALETTE = [
  '#1f77b4',
  '#d62728',
  '#2ca02c',
  '#ff7f0e',
  '#9467bd',
  '#8c564b',
  '#e377c2',
  '#7f7f7f',
  '#bcbd22',
  '#17becf',
  '#393b79',
  '#637939',
  '#843c39',
  '#7b4173',
  '#e7ba52',
  '#000000',
  '#6b6ecf',
  '#ad494a',
  '#b5cf6b',
  '#a55194',
];
/** Line style by role: ours solid and thick, baselines dotted, other libraries dashed. */
const STYLE = {
  ours: { width: 2.5, dash: '' },
  baseline: { width: 1.5, dash: ' stroke-dasharray="2 3"' },
  library: { width: 1.5, dash: ' stroke-dasharray="7 3"' },
};
const role = (r) => (r.ours ? 'ours' : /^(tfjs|ort)-/.test(r.name) ? 'library' : 'baseline');
const seriesName = (r) => `${r.section}: ${r.name}`;
/**
 * The throughput rows: not the per-op overhead, nor the workgroup sweep (two sizes), the fused
 * epilogue or swiglu and softmax (each in a table of its own).
 */
const plotted = (r) => !['overhead', 'workgroup', 'fusion', 'swiglu-softmax'].includes(r.section);
const esc = (s) => String(s).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** The newest result (by meta.date) in bench/results for Node (chromium false) or Chromium. */
function newest(dir, { quick, chromium }) {
  let best;
  for (const f of readdirSync(dir)) {
    if (!f.endsWith('.json') || f.startsWith('quick-') !== quick) continue;
    if (f.replace(/^quick-/, '').startsWith('chromium-') !== chromium) continue;
    try {
      const r = JSON.parse(readFileSync(resolve(dir, f), 'utf8'));
      // Only results with throughput rows: not first-use.json, nor the swiglu-softmax-only runs.
      const throughput = Array.isArray(r.rows) && r.rows.some((row) => plotted(row) && row.gelemPerS > 0);
      if (r.meta?.date && throughput && (!best || r.meta.date > best.meta.date)) best = r;
    } catch {
      // not a result file
    }
  }
  return best;
}

/**
 * One panel: axes, grid, a polyline per contender, and its legend; `top` is its y offset, `colors`
 * maps a contender to its colour (the same in both panels).
 */
function panel(title, result, top, colors) {
  const left = 70;
  const width = 560;
  const height = 330;
  const rows = result.rows.filter((r) => plotted(r) && r.gelemPerS > 0);
  const names = [...new Set(rows.map(seriesName))];
  const xs = rows.map((r) => Math.log2(r.n));
  const ys = rows.map((r) => Math.log10(r.gelemPerS));
  const [x0, x1] = [Math.min(...xs), Math.max(...xs)];
  const [y0, y1] = [Math.floor(Math.min(...ys)), Math.ceil(Math.max(...ys))];
  const px = (v) => left + ((v - x0) / Math.max(1, x1 - x0)) * width;
  const py = (v) => top + 30 + height - ((v - y0) / Math.max(1, y1 - y0)) * height;
  const out = [`<text x="${left}" y="${top + 18}" font-size="15" font-weight="bold">${esc(title)}</text>`];
  for (let e = y0; e <= y1; e++) {
    out.push(`<line x1="${left}" x2="${left + width}" y1="${py(e)}" y2="${py(e)}" stroke="#ddd"/>`);
    out.push(`<text x="${left - 6}" y="${py(e) + 4}" text-anchor="end">${10 ** e >= 1 ? 10 ** e : (10 ** e).toFixed(-e)}</text>`);
  }
  for (let e = Math.ceil(x0); e <= x1; e += 2) {
    out.push(`<line x1="${px(e)}" x2="${px(e)}" y1="${py(y0)}" y2="${py(y1)}" stroke="#eee"/>`);
    out.push(`<text x="${px(e)}" y="${py(y0) + 16}" text-anchor="middle">2^${e}</text>`);
  }
  out.push(`<rect x="${left}" y="${py(y1)}" width="${width}" height="${height}" fill="none" stroke="#888"/>`);
  out.push(`<text x="${left + width / 2}" y="${py(y0) + 34}" text-anchor="middle">elements</text>`);
  out.push(`<text transform="translate(${left - 48} ${py((y0 + y1) / 2)}) rotate(-90)" text-anchor="middle">Gelem/s (log)</text>`);
  names.forEach((name, i) => {
    const color = colors.get(name);
    const series = rows.filter((r) => seriesName(r) === name).sort((a, b) => a.n - b.n);
    const ours = series[0].ours;
    const { width: strokeWidth, dash } = STYLE[role(series[0])];
    const points = series.map((r) => `${px(Math.log2(r.n)).toFixed(1)},${py(Math.log10(r.gelemPerS)).toFixed(1)}`);
    out.push(`<polyline fill="none" stroke="${color}" stroke-width="${strokeWidth}"${dash} points="${points.join(' ')}"/>`);
    for (const p of points) out.push(`<circle cx="${p.split(',')[0]}" cy="${p.split(',')[1]}" r="2.5" fill="${color}"/>`);
    const ly = top + 40 + i * 17;
    out.push(
      `<line x1="${left + width + 20}" x2="${left + width + 44}" y1="${ly - 4}" y2="${ly - 4}" stroke="${color}" stroke-width="${strokeWidth}"${dash}/>`,
    );
    out.push(`<text x="${left + width + 50}" y="${ly}"${ours ? ' font-weight="bold"' : ''}>${esc(name)}</text>`);
  });
  return { svg: out.join('\n'), height: Math.max(height + 80, 60 + names.length * 17) };
}

/** Writes the plot from the newest Node and Chromium results; returns its path (undefined if none). */
export function writePlot(root, { quick }) {
  const dir = resolve(root, 'bench/results');
  const parts = [
    ['Node', newest(dir, { quick, chromium: false })],
    ['Chromium', newest(dir, { quick, chromium: true })],
  ].filter(([, r]) => r);
  if (!parts.length) return undefined;
  const colors = new Map();
  for (const name of new Set(parts.flatMap(([, r]) => r.rows.filter(plotted).map(seriesName))))
    colors.set(name, PALETTE[colors.size % PALETTE.length]);
  let top = 36;
  const body = [
    '<text x="70" y="22" font-size="13">Throughput (Gelem/s) against elements, log-log; solid: ours, dotted: baselines, dashed: other libraries.</text>',
  ];
  for (const [label, r] of parts) {
    const p = panel(`${label}: ${r.meta.adapter}, ${r.meta.runtime}, ${r.meta.date.slice(0, 10)}`, r, top, colors);
    body.push(p.svg);
    top += p.height + 20;
  }
  const file = resolve(dir, `${quick ? 'quick-' : ''}throughput.svg`);
  writeFileSync(
    file,
    [
      `<svg xmlns="http://www.w3.org/2000/svg" width="1000" height="${top}" viewBox="0 0 1000 ${top}" font-family="sans-serif" font-size="12">`,
      `<rect width="1000" height="${top}" fill="white"/>`,
      ...body,
      '</svg>',
      '',
    ].join('\n'),
  );
  return file;
}
