// Canvas drawing for the Train tab: line charts over steps and the decision boundary. Canvases
// keep a fixed drawing size (their width/height attributes) and CSS scales them to the page.

import type { Dataset } from './datasets.js';

/** Class colours: the boundary's tint and the points. */
export const CLASS_COLORS: readonly (readonly [number, number, number])[] = [
  [43, 108, 176],
  [217, 72, 15],
  [47, 158, 68],
];

const rgb = ([r, g, b]: readonly number[]) => `rgb(${r}, ${g}, ${b})`;

/** One line of a chart: (x, y) points. */
export interface Series {
  readonly points: readonly (readonly [number, number])[];
  readonly color: string;
  readonly label: string;
}

/** A y axis: linear or log10, with its range. */
export interface Axis {
  readonly min: number;
  readonly max: number;
  readonly log?: boolean;
  readonly format?: (v: number) => string;
}

function context(canvas: HTMLCanvasElement): CanvasRenderingContext2D {
  const ctx = canvas.getContext('2d')!;
  ctx.setTransform(1, 0, 0, 1, 0, 0);
  ctx.clearRect(0, 0, canvas.width, canvas.height);
  ctx.fillStyle = '#fff';
  ctx.fillRect(0, 0, canvas.width, canvas.height);
  ctx.font = '13px system-ui, sans-serif';
  return ctx;
}

/**
 * Lines over steps 0..xMax against a left axis (and, optionally, a right axis for series whose
 * label is in `right.labels`); `message` is written in the middle instead when there is nothing to draw.
 */
export function drawLines(
  canvas: HTMLCanvasElement,
  series: readonly Series[],
  xMax: number,
  left: Axis,
  right?: Axis & { readonly labels: readonly string[] },
  message?: string,
): void {
  const ctx = context(canvas);
  const [w, h] = [canvas.width, canvas.height];
  const pad = { l: 52, r: right ? 48 : 14, t: 12, b: 30 };
  const sx = (x: number) => pad.l + (x / Math.max(1, xMax)) * (w - pad.l - pad.r);
  const scale = (axis: Axis) => (y: number) => {
    const f = axis.log ? (v: number) => Math.log10(Math.max(v, axis.min)) : (v: number) => v;
    const t = (f(Math.min(Math.max(y, axis.min), axis.max)) - f(axis.min)) / (f(axis.max) - f(axis.min));
    return h - pad.b - t * (h - pad.t - pad.b);
  };
  const ly = scale(left);
  // Frame, and ticks at each end of each axis (and every decade on a log axis).
  ctx.strokeStyle = '#999';
  ctx.strokeRect(pad.l, pad.t, w - pad.l - pad.r, h - pad.t - pad.b);
  ctx.fillStyle = '#57606a';
  ctx.textAlign = 'right';
  const fmt = left.format ?? ((v: number) => String(v));
  const ticks = left.log
    ? Array.from({ length: Math.round(Math.log10(left.max / left.min)) + 1 }, (_, i) => left.min * 10 ** i)
    : [left.min, (left.min + left.max) / 2, left.max];
  for (const t of ticks) ctx.fillText(fmt(t), pad.l - 6, ly(t) + 4);
  if (right) {
    const ry = scale(right);
    const rf = right.format ?? ((v: number) => String(v));
    ctx.textAlign = 'left';
    for (const t of [right.min, (right.min + right.max) / 2, right.max]) ctx.fillText(rf(t), w - pad.r + 6, ry(t) + 4);
  }
  ctx.textAlign = 'center';
  ctx.fillText('0', sx(0), h - 10);
  ctx.fillText(`${xMax} steps`, sx(xMax) - 24, h - 10);
  if (message) {
    ctx.fillStyle = '#57606a';
    ctx.font = '15px system-ui, sans-serif';
    const lines = message.split('\n');
    lines.forEach((line, i) => ctx.fillText(line, w / 2 + pad.l / 2, h / 2 + (i - (lines.length - 1) / 2) * 20));
    return;
  }
  ctx.lineWidth = 2;
  let legendX = pad.l + 8;
  for (const s of series) {
    const sy = right?.labels.includes(s.label) ? scale(right) : ly;
    ctx.strokeStyle = s.color;
    ctx.beginPath();
    s.points.forEach(([x, y], i) => (i === 0 ? ctx.moveTo(sx(x), sy(y)) : ctx.lineTo(sx(x), sy(y))));
    ctx.stroke();
    ctx.fillStyle = s.color;
    ctx.textAlign = 'left';
    ctx.fillText(s.label, legendX, pad.t + 16);
    legendX += ctx.measureText(s.label).width + 16;
  }
}

/** The square of the plane the boundary covers: data extent plus a margin. */
export interface Bounds {
  readonly x0: number;
  readonly y0: number;
  readonly size: number;
}

export function boundsOf(data: Dataset): Bounds {
  let [minX, maxX, minY, maxY] = [Infinity, -Infinity, Infinity, -Infinity];
  for (let i = 0; i < data.y.length; i++) {
    const [x, y] = [data.x[2 * i]!, data.x[2 * i + 1]!];
    [minX, maxX, minY, maxY] = [Math.min(minX, x), Math.max(maxX, x), Math.min(minY, y), Math.max(maxY, y)];
  }
  const size = Math.max(maxX - minX, maxY - minY) * 1.2;
  return { x0: (minX + maxX) / 2 - size / 2, y0: (minY + maxY) / 2 - size / 2, size };
}

/** Centres of a res × res grid over `b`, row 0 at the top, as [res², 2] points. */
export function gridPoints(b: Bounds, res: number): Float32Array {
  const out = new Float32Array(2 * res * res);
  for (let r = 0; r < res; r++) {
    for (let c = 0; c < res; c++) {
      out[2 * (r * res + c)] = b.x0 + ((c + 0.5) / res) * b.size;
      out[2 * (r * res + c) + 1] = b.y0 + b.size - ((r + 0.5) / res) * b.size;
    }
  }
  return out;
}

/**
 * The decision boundary: each grid cell tinted by its class probabilities (`probs`: [res²] of
 * p(class 1) when k = 1, else [res², k]), then the training points on top.
 */
export function drawBoundary(canvas: HTMLCanvasElement, data: Dataset, b: Bounds, res: number, probs?: Float32Array, k = 1): void {
  const ctx = context(canvas);
  const [w, h] = [canvas.width, canvas.height];
  if (probs) {
    const image = new ImageData(res, res);
    for (let i = 0; i < res * res; i++) {
      const p = k === 1 ? [1 - probs[i]!, probs[i]!] : Array.from({ length: k }, (_, j) => probs[i * k + j]!);
      const mix = [0, 0, 0];
      p.forEach((pj, j) => CLASS_COLORS[j]!.forEach((v, c) => (mix[c]! += pj * v)));
      const strength = 0.45 * Math.max(...p); // lighter where the network is unsure
      mix.forEach((v, c) => (image.data[4 * i + c] = Math.round(255 * (1 - strength) + v * strength)));
      image.data[4 * i + 3] = 255;
    }
    const tile = document.createElement('canvas');
    [tile.width, tile.height] = [res, res];
    tile.getContext('2d')!.putImageData(image, 0, 0);
    ctx.imageSmoothingEnabled = true;
    ctx.drawImage(tile, 0, 0, w, h);
  }
  const px = (x: number) => ((x - b.x0) / b.size) * w;
  const py = (y: number) => h - ((y - b.y0) / b.size) * h;
  ctx.lineWidth = 1;
  ctx.strokeStyle = '#fff';
  for (let i = 0; i < data.y.length; i++) {
    ctx.fillStyle = rgb(CLASS_COLORS[data.y[i]!]!);
    ctx.beginPath();
    ctx.arc(px(data.x[2 * i]!), py(data.x[2 * i + 1]!), 4, 0, 2 * Math.PI);
    ctx.fill();
    ctx.stroke();
  }
}
