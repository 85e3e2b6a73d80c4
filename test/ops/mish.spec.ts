import type { OpSpec } from './op-spec.js';

// softplus(x) = log(1 + exp(x)), exact to float64 for x > 40 as x itself.
const softplus = (x: number) => (x > 40 ? x : Math.log1p(Math.exp(x)));

export const spec: OpSpec = {
  op: 'mish',
  attrSets: [{}],
  // The limit 0 at -Inf (PyTorch gives NaN there: -Inf * 0).
  forward: (x) => (x === -Infinity ? 0 : x * Math.tanh(softplus(x))),
  backward: (x, dy) => {
    if (x === Infinity) return dy;
    if (x === -Infinity) return 0;
    const t = Math.tanh(softplus(x));
    // s from exp(x) for x < 0, so that it underflows together with t (1 / (1 + exp(-x)) is 0
    // from x = -709.8 on, while t is not until -745, which would leave g = t > 0).
    const s = x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x));
    const g = t + x * s * (1 - t * t);
    // mish'(x) is not 0 at any f32 x; where it underflows (x < -745, s = t = 0) its sign is that
    // of 1 + x, and an infinite dy stays infinite.
    return g === 0 && Math.abs(dy) === Infinity ? dy * Math.sign(1 + x) : dy * g;
  },
  examples: [
    { x: 0, y: 0, grad: 0.6 },
    { x: 1, y: 0.8650983882673103, grad: 1.0490362200997922 },
    { x: -1, y: -0.3034014613741089, grad: 0.05921675587739495 },
    { x: 2, y: 1.9439589595339946, grad: 1.0693179342794896 },
    { x: 0.5, y: 0.3752452113048951, grad: 0.8864243753577273 },
    { x: -5, y: -0.033576237730161704, grad: -0.026747498019901932 },
    { x: -Infinity, y: 0, grad: 0 },
    { x: Infinity, y: Infinity, grad: 1 },
    { x: 30, y: 30, grad: 1 },
  ],
  // 20: where the kernels switch to y = x, dx = dy.
  points: [
    1e-40,
    2 ** -25,
    0.3465,
    0.3467,
    20,
    Math.fround(20 * (1 + 2 ** -23)),
    Math.fround(20 * (1 - 2 ** -24)),
    44,
    87.3,
    88,
    89,
    103,
    104,
  ],
};
