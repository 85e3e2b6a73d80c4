import type { OpSpec } from './op-spec.js';

const below6 = Math.fround(6 - 2 ** -21); // the f32 just below 6 (its ulp there is 2^-21)
const above6 = 6 + 2 ** -21;

export const spec: OpSpec = {
  op: 'relu6',
  attrSets: [{}],
  // min(max(x, 0), 6) with PyTorch's clamp semantics: x <= 0 gives +0 (so -0 too), NaN stays NaN.
  forward: (x) => (Number.isNaN(x) ? x : x <= 0 ? 0 : x >= 6 ? 6 : x),
  // PyTorch's hardtanh_backward(min 0, max 6): a NaN compares false, so it passes dy.
  backward: (x, dy) => (x <= 0 || x >= 6 ? 0 : dy),
  examples: [
    { x: -1, y: 0, grad: 0 },
    { x: -0, y: 0, grad: 0 },
    { x: 0, y: 0, grad: 0 },
    { x: 2 ** -149, y: 2 ** -149, grad: 1 },
    { x: -(2 ** -149), y: 0, grad: 0 },
    { x: 3, y: 3, grad: 1 },
    { x: below6, y: below6, grad: 1 },
    { x: 6, y: 6, grad: 0 },
    { x: above6, y: 6, grad: 0 },
    { x: Infinity, y: 6, grad: 0 },
    { x: -Infinity, y: 0, grad: 0 },
    { x: Number.NaN, y: Number.NaN, grad: 1 },
  ],
  points: [6, below6, above6, 5, 7, 2 ** -149, 1e-40],
  badAttrs: [{ attrs: { max: 6 }, argument: 'attrs.max' }],
};
