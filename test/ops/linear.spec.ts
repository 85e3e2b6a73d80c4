import type { AttrValues, OpSpec } from './op-spec.js';

// WebNN's linear: alpha * x + beta, alpha = 1 and beta = 0 by default; dx = alpha * dy. float64
// reference on the f32 attributes (alpha * x is exact in float64, the sum rounds once).
const alpha = (a: AttrValues) => Math.fround(a.alpha ?? 1);
const beta = (a: AttrValues) => Math.fround(a.beta ?? 0);
const third = Math.fround(1 / 3);

export const spec: OpSpec = {
  op: 'linear',
  attrSets: [
    {},
    { alpha: 2, beta: 1 },
    { alpha: -0.5, beta: 0.25 },
    { alpha: 3, beta: -1 },
    { alpha: 0.1, beta: -2.5 },
    { alpha: 0 },
    { beta: 1e-3 },
  ],
  forward: (x, a) => alpha(a) * x + beta(a),
  backward: (_x, dy, a) => alpha(a) * dy,
  examples: [
    // The defaults are the identity.
    { x: 3, y: 3, grad: 1 },
    { x: -2.5, y: -2.5, grad: 1 },
    { x: 1e-40, y: 1e-40, grad: 1 },
    { x: Infinity, y: Infinity, grad: 1 },
    { x: Number.NaN, y: Number.NaN, grad: 1 },
    { x: 3, y: 7, grad: 2, attrs: { alpha: 2, beta: 1 } },
    { x: -4, y: -7, grad: 2, attrs: { alpha: 2, beta: 1 } },
    { x: 1, y: -0.25, grad: -0.5, attrs: { alpha: -0.5, beta: 0.25 } },
    { x: Infinity, y: -Infinity, grad: -0.5, attrs: { alpha: -0.5, beta: 0.25 } },
    { x: 0.5, y: 0.5, grad: 3, attrs: { alpha: 3, beta: -1 } },
    // 3 * fround(1/3) - 1 = 2^-25: the sum cancels, the product's rounding error is the answer.
    { x: third, y: 2 ** -25, grad: 3, attrs: { alpha: 3, beta: -1 } },
    // fround(0.1) * 25 - 2.5 = 5 * 2^-27 (fround(0.1) = 13421773 * 2^-27).
    { x: 25, y: 5 * 2 ** -27, grad: Math.fround(0.1), attrs: { alpha: 0.1, beta: -2.5 } },
    { x: 123, y: 0, grad: 0, attrs: { alpha: 0 } },
  ],
  // Where alpha * x cancels beta, and its f32 neighbours.
  points: [third, 0.5, 25, 2 / 3, 0.5].flatMap((k) => [k, Math.fround(k * (1 + 2 ** -23)), Math.fround(k * (1 - 2 ** -24))]),
  badAttrs: [
    { attrs: { alpha: 1e39 }, argument: 'attrs.alpha' },
    { attrs: { minValue: 0 }, argument: 'attrs.minValue' },
  ],
};
