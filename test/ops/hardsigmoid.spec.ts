import type { AttrValues, OpSpec } from './op-spec.js';

// The attributes as the GPU sees them: f32.
const alpha = (a: AttrValues) => Math.fround(a.alpha ?? 1 / 6);
const beta = (a: AttrValues) => Math.fround(a.beta ?? 0.5);
const linear = (x: number, a: AttrValues) => alpha(a) * x + beta(a);
const third = Math.fround(1 / 3);

export const spec: OpSpec = {
  op: 'hardsigmoid',
  attrSets: [{}, { alpha: 0.2 }, { alpha: -0.5, beta: 0.75 }, { alpha: 0.5, beta: 0.25 }, { alpha: 3, beta: -1 }],
  forward: (x, a) => {
    if (Number.isNaN(x)) return x;
    const v = linear(x, a);
    return v <= 0 ? 0 : v >= 1 ? 1 : v;
  },
  backward: (x, dy, a) => {
    if (Number.isNaN(x)) return x;
    const v = linear(x, a);
    return v > 0 && v < 1 ? dy * alpha(a) : 0;
  },
  examples: [
    { x: 0, y: 0.5, grad: Math.fround(1 / 6) },
    { x: -3, y: 0, grad: 0 },
    { x: 3, y: 1, grad: 0 },
    { x: 1, y: Math.fround(1 / 6) + 0.5, grad: Math.fround(1 / 6) },
    // fround(1/6) * -2 + 0.5 = 0.16666665673255920...
    { x: -2, y: 0.1666666567325592, grad: Math.fround(1 / 6) },
    { x: -4, y: 0, grad: 0 },
    { x: 100, y: 1, grad: 0 },
    { x: Infinity, y: 1, grad: 0 },
    { x: -Infinity, y: 0, grad: 0 },
    { x: -1, y: 0.3, grad: 0.2, attrs: { alpha: 0.2 } },
    { x: 2.5, y: 1, grad: 0, attrs: { alpha: 0.2 } },
    { x: 1, y: 0.75, grad: 0.5, attrs: { alpha: 0.5, beta: 0.25 } },
    { x: 0.5, y: 0.5, grad: 3, attrs: { alpha: 3, beta: -1 } },
    // 3 * fround(1/3) - 1 = 2^-25: the sum cancels, the product's rounding error is the answer.
    { x: third, y: 2 ** -25, grad: 3, attrs: { alpha: 3, beta: -1 } },
    { x: -third, y: 0, grad: 0, attrs: { alpha: 3, beta: -1 } },
  ],
  // The kinks of every attribute set and their f32 neighbours, where alpha * x + beta cancels
  // or rounds onto 1.
  points: [3, 2.5, 0.5, 1.5, 2, 4, 1, third, Math.fround(2 / 3)].flatMap((k) => [
    k,
    Math.fround(k * (1 + 2 ** -23)),
    Math.fround(k * (1 - 2 ** -24)),
    Math.fround(k * (1 + 2 ** -22)),
  ]),
  badAttrs: [
    { attrs: { alpha: 0 }, argument: 'attrs.alpha' },
    { attrs: { alpha: -0 }, argument: 'attrs.alpha' },
    { attrs: { alpha: 1e-50 }, argument: 'attrs.alpha' },
    { attrs: { beta: 1e39 }, argument: 'attrs.beta' },
    { attrs: { gamma: 1 }, argument: 'attrs.gamma' },
  ],
};
