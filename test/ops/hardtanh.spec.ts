import type { OpSpec } from './op-spec.js';

const bounds = (a: { min?: number; max?: number }) => ({ lo: Math.fround(a.min ?? -1), hi: Math.fround(a.max ?? 1) });
const next = (v: number, by: number) => Math.fround(v + by);

export const spec: OpSpec = {
  op: 'hardtanh',
  attrSets: [
    {},
    { min: 0, max: 6 },
    { min: -2.5, max: 0.5 },
    { min: -1e-40, max: 1e-40 },
    { min: -0, max: 2 },
    { min: 1, max: 3 },
    { min: -3e38, max: 3e38 },
  ],
  // min(max(x, min), max) with PyTorch's clamp semantics: x <= min gives min (its bits, so -0
  // with min = +0 is +0), x >= max gives max, NaN stays NaN.
  forward: (x, a) => {
    const { lo, hi } = bounds(a);
    return Number.isNaN(x) ? x : x <= lo ? lo : x >= hi ? hi : x;
  },
  // PyTorch's hardtanh_backward: a NaN compares false, so it passes dy.
  backward: (x, dy, a) => {
    const { lo, hi } = bounds(a);
    return x <= lo || x >= hi ? 0 : dy;
  },
  examples: [
    { x: -2, y: -1, grad: 0 },
    { x: -1, y: -1, grad: 0 },
    { x: next(-1, 2 ** -24), y: next(-1, 2 ** -24), grad: 1 },
    { x: 0.5, y: 0.5, grad: 1 },
    { x: -0, y: -0, grad: 1 },
    { x: 1, y: 1, grad: 0 },
    { x: 2, y: 1, grad: 0 },
    { x: Infinity, y: 1, grad: 0 },
    { x: -Infinity, y: -1, grad: 0 },
    { x: Number.NaN, y: Number.NaN, grad: 1 },
    { x: 3, y: 2, grad: 0, attrs: { min: -2, max: 2 } },
    { x: -0, y: 0, grad: 0, attrs: { min: 0, max: 6 } },
    { x: 0, y: -0, grad: 0, attrs: { min: -0, max: 6 } },
    { x: 2 ** -149, y: 2 ** -149, grad: 0, attrs: { min: 2 ** -149, max: 1 } },
    { x: 2 ** -148, y: 2 ** -148, grad: 1, attrs: { min: 2 ** -149, max: 1 } },
    { x: -1, y: -(2 ** -149), grad: 0, attrs: { min: -(2 ** -149), max: 1 } },
  ],
  points: [2.5, 0.5, 3, 6, 3e38, 1e-40, next(1, 2 ** -23), next(1, -(2 ** -24)), next(2.5, 2 ** -22), next(0.5, 2 ** -25), 2 ** -149],
  badAttrs: [
    { attrs: { lo: 0 }, argument: 'attrs.lo' },
    { attrs: { min: -1, maxVal: 1 }, argument: 'attrs.maxVal' },
    { attrs: { min: 2 }, argument: 'attrs.min' },
    { attrs: { min: 1, max: 1 }, argument: 'attrs.min' },
  ],
};
