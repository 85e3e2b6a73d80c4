import type { AttrValues, OpSpec } from './op-spec.js';

// ONNX's Clip: Min(max, Max(input, min)), unbounded unless min or max is given (as ONNX's
// reference implementation: no clipping without bounds); min > max allowed and gives max
// everywhere. hardtanh's kernels: ties go to the bound's bits, NaN stays NaN; the gradient is dy
// strictly between the bounds (and at NaN), 0 at and past them (so 0 everywhere when min >= max).
const bounds = (a: AttrValues) => ({ lo: Math.fround(a.min ?? -Infinity), hi: Math.fround(a.max ?? Infinity) });

export const spec: OpSpec = {
  op: 'clip',
  attrSets: [{}, { min: 0, max: 6 }, { max: 6 }, { min: -1 }, { min: 3, max: 1 }, { min: -2.5, max: -2.5 }, { min: -Infinity, max: 0 }],
  forward: (x, a) => {
    if (Number.isNaN(x)) return x;
    const { lo, hi } = bounds(a);
    const low = x <= lo ? lo : x; // Max(input, min)
    return low >= hi ? hi : low; // Min(max, ...)
  },
  backward: (x, dy, a) => {
    const { lo, hi } = bounds(a);
    return x <= lo || x >= hi ? 0 : dy;
  },
  examples: [
    // No bounds by default (hardtanh's would be [-1, 1]).
    { x: -2, y: -2, grad: 1 },
    { x: 2, y: 2, grad: 1 },
    { x: 1e38, y: 1e38, grad: 1 },
    { x: Infinity, y: Infinity, grad: 0 },
    { x: Number.NaN, y: Number.NaN, grad: 1 },
    // The case: clip(x, max = 6) bounds only from above.
    { x: -7, y: -7, grad: 1, attrs: { max: 6 } },
    { x: 9, y: 6, grad: 0, attrs: { max: 6 } },
    { x: -7, y: 0, grad: 0, attrs: { min: 0, max: 6 } },
    { x: -3, y: -1, grad: 0, attrs: { min: -1 } },
    { x: 40, y: 40, grad: 1, attrs: { min: -1 } },
    // min > max: ONNX sets every value to max.
    { x: 5, y: 1, grad: 0, attrs: { min: 3, max: 1 } },
    { x: 2, y: 1, grad: 0, attrs: { min: 3, max: 1 } },
    { x: -7, y: 1, grad: 0, attrs: { min: 3, max: 1 } },
    { x: -Infinity, y: 1, grad: 0, attrs: { min: 3, max: 1 } },
    { x: 0, y: -2.5, grad: 0, attrs: { min: -2.5, max: -2.5 } },
  ],
  points: [6, 1, 3, 2.5, Math.fround(6 * (1 + 2 ** -23)), Math.fround(3 * (1 - 2 ** -24))],
  badAttrs: [
    // WebNN's and hardtanh's other names are not ONNX's.
    { attrs: { minValue: 0 }, argument: 'attrs.minValue' },
    { attrs: { maxVal: 1 }, argument: 'attrs.maxVal' },
  ],
};
