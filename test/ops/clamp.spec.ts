import type { AttrValues, OpSpec } from './op-spec.js';

// WebNN's clamp (MLClampOptions { minValue, maxValue }): no bound unless given, so the defaults
// are -Infinity and +Infinity; minValue == maxValue and infinite bounds allowed, minValue >
// maxValue a TypeError in WebNN (an InvalidArgumentError here). It runs hardtanh's kernels:
// x <= min gives min's bits, x >= max gives max's, NaN stays NaN; the gradient is dy strictly
// between the bounds (and at NaN), 0 at and past them.
const bounds = (a: AttrValues) => ({ lo: Math.fround(a.minValue ?? -Infinity), hi: Math.fround(a.maxValue ?? Infinity) });

export const spec: OpSpec = {
  op: 'clamp',
  attrSets: [
    {},
    { minValue: 0, maxValue: 6 },
    { minValue: 0 },
    { maxValue: -1.5 },
    { minValue: -Infinity, maxValue: 2.5 },
    { minValue: 0.75, maxValue: 0.75 },
    { minValue: -0, maxValue: 0 },
    { minValue: 1e-40, maxValue: Infinity },
  ],
  // min(max(x, minValue), maxValue) in that order (it matters only for equal bounds: -0 and +0).
  forward: (x, a) => {
    if (Number.isNaN(x)) return x;
    const { lo, hi } = bounds(a);
    const low = x <= lo ? lo : x;
    return low >= hi ? hi : low;
  },
  backward: (x, dy, a) => {
    const { lo, hi } = bounds(a);
    return x <= lo || x >= hi ? 0 : dy;
  },
  examples: [
    // The defaults bound nothing: every finite x comes back as it is, with gradient 1.
    { x: -3.4028234663852886e38, y: -3.4028234663852886e38, grad: 1 },
    { x: -7, y: -7, grad: 1 },
    { x: 0.5, y: 0.5, grad: 1 },
    { x: 1e30, y: 1e30, grad: 1 },
    { x: 3.4028234663852886e38, y: 3.4028234663852886e38, grad: 1 },
    // At an infinite bound x = ±Inf is the bound: y = x, gradient 0 (not strictly inside).
    { x: Infinity, y: Infinity, grad: 0 },
    { x: -Infinity, y: -Infinity, grad: 0 },
    { x: Number.NaN, y: Number.NaN, grad: 1 },
    // relu6 as WebNN writes it.
    { x: -1, y: 0, grad: 0, attrs: { minValue: 0, maxValue: 6 } },
    { x: 7, y: 6, grad: 0, attrs: { minValue: 0, maxValue: 6 } },
    { x: 2, y: 2, grad: 1, attrs: { minValue: 0, maxValue: 6 } },
    // One-sided.
    { x: -5, y: 0, grad: 0, attrs: { minValue: 0 } },
    { x: 5e37, y: 5e37, grad: 1, attrs: { minValue: 0 } },
    { x: 3, y: -1.5, grad: 0, attrs: { maxValue: -1.5 } },
    { x: -1e20, y: -1e20, grad: 1, attrs: { maxValue: -1.5 } },
    { x: -Infinity, y: -Infinity, grad: 0, attrs: { minValue: -Infinity, maxValue: 2.5 } },
    // Equal bounds: a constant, gradient 0 everywhere (NaN aside).
    { x: -2, y: 0.75, grad: 0, attrs: { minValue: 0.75, maxValue: 0.75 } },
    { x: 0.75, y: 0.75, grad: 0, attrs: { minValue: 0.75, maxValue: 0.75 } },
    { x: Infinity, y: 0.75, grad: 0, attrs: { minValue: 0.75, maxValue: 0.75 } },
    // -0 and +0 are equal bounds: x <= -0 gives min's -0, then -0 >= +0 gives max's +0.
    { x: -1, y: 0, grad: 0, attrs: { minValue: -0, maxValue: 0 } },
    { x: 1, y: 0, grad: 0, attrs: { minValue: -0, maxValue: 0 } },
  ],
  points: [6, 1.5, 2.5, 0.75, 1e-40, Math.fround(0.75 * (1 + 2 ** -23)), Math.fround(2.5 * (1 - 2 ** -24))],
  badAttrs: [
    { attrs: { minValue: 1, maxValue: 0 }, argument: 'attrs.minValue' },
    { attrs: { minValue: Infinity, maxValue: -Infinity }, argument: 'attrs.minValue' },
    { attrs: { minValue: 7, maxValue: 6.5 }, argument: 'attrs.minValue' },
    // hardtanh's and ONNX's names are not WebNN's.
    { attrs: { min: 0 }, argument: 'attrs.min' },
    { attrs: { max: 6 }, argument: 'attrs.max' },
  ],
};
