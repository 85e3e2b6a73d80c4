import type { AttrValues, OpSpec } from './op-spec.js';

// WebNN's (and ONNX's) hardSigmoid: max(0, min(1, alpha * x + beta)) with alpha = 0.2 and beta =
// 0.5 by default (PyTorch's hardsigmoid, the same kernels, has alpha = 1/6). The attributes as
// the GPU sees them: f32.
const alpha = (a: AttrValues) => Math.fround(a.alpha ?? 0.2);
const beta = (a: AttrValues) => Math.fround(a.beta ?? 0.5);
const line = (x: number, a: AttrValues) => alpha(a) * x + beta(a);

export const spec: OpSpec = {
  op: 'hardSigmoid',
  attrSets: [{}, { alpha: 1 / 6 }, { alpha: -0.2, beta: 0.3 }, { alpha: 0.5, beta: 0.25 }, { beta: 0.75 }],
  forward: (x, a) => {
    if (Number.isNaN(x)) return x;
    const v = line(x, a);
    return v <= 0 ? 0 : v >= 1 ? 1 : v;
  },
  backward: (x, dy, a) => {
    if (Number.isNaN(x)) return x;
    const v = line(x, a);
    return v > 0 && v < 1 ? dy * alpha(a) : 0;
  },
  // By hand with WebNN's defaults: 0.2 * x + 0.5, so the kinks are at -2.5 and 2.5 (not ±3).
  examples: [
    { x: 0, y: 0.5, grad: 0.2 },
    { x: 1, y: 0.7, grad: 0.2 },
    { x: -1, y: 0.3, grad: 0.2 },
    { x: 2, y: 0.9, grad: 0.2 },
    { x: -2, y: 0.1, grad: 0.2 },
    { x: 2.5, y: 1, grad: 0 },
    { x: -2.5, y: 0, grad: 0 },
    { x: 3, y: 1, grad: 0 },
    { x: -3, y: 0, grad: 0 },
    { x: Infinity, y: 1, grad: 0 },
    { x: -Infinity, y: 0, grad: 0 },
    // WPT's first hardSigmoid case (default options): 0.05907066911458969 -> 0.5118141174316406.
    { x: 0.05907066911458969, y: 0.5118141174316406, grad: 0.2 },
    { x: 0.5, y: 0.75, grad: 0.5, attrs: { alpha: 0.5, beta: 0.5 } },
    { x: -1, y: 0, grad: 0, attrs: { alpha: 0.5, beta: 0.25 } },
    // WebNN takes any alpha: a negative one mirrors the op (0 is refused here: docs/ops.md).
    { x: 1, y: Math.fround(0.3) - Math.fround(0.2), grad: Math.fround(-0.2), attrs: { alpha: -0.2, beta: 0.3 } },
    { x: -1, y: Math.fround(0.2) + Math.fround(0.3), grad: Math.fround(-0.2), attrs: { alpha: -0.2, beta: 0.3 } },
    { x: 2, y: 0, grad: 0, attrs: { alpha: -0.2, beta: 0.3 } },
    { x: -4, y: 1, grad: 0, attrs: { alpha: -0.2, beta: 0.3 } },
    { x: Infinity, y: 0, grad: 0, attrs: { alpha: -0.2, beta: 0.3 } },
  ],
  points: [2.5, 5, 2, 3, 1.25, 3.75].flatMap((k) => [k, Math.fround(k * (1 + 2 ** -23)), Math.fround(k * (1 - 2 ** -24))]),
  badAttrs: [
    { attrs: { alpha: 0 }, argument: 'attrs.alpha' },
    { attrs: { alpha: -0 }, argument: 'attrs.alpha' },
    { attrs: { alpha: 1e39 }, argument: 'attrs.alpha' },
    { attrs: { alpha: NaN }, argument: 'attrs.alpha' },
    { attrs: { beta: 1e39 }, argument: 'attrs.beta' },
    { attrs: { gamma: 1 }, argument: 'attrs.gamma' },
  ],
};
