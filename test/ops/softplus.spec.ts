import type { AttrValues, OpSpec } from './op-spec.js';

const beta = (a: AttrValues) => Math.fround(a.beta ?? 1);
const threshold = (a: AttrValues) => Math.fround(a.threshold ?? 20);

export const spec: OpSpec = {
  op: 'softplus',
  attrSets: [{}, { beta: 2 }, { beta: 0.5, threshold: 5 }, { beta: 1.7, threshold: 100 }, { threshold: 0 }, { beta: 3e-3 }],
  // log(1 + exp(b)) = max(b, 0) + log1p(exp(-|b|)), which does not overflow in float64.
  forward: (x, a) => {
    const b = beta(a) * x;
    return b > threshold(a) ? x : (Math.max(b, 0) + Math.log1p(Math.exp(-Math.abs(b)))) / beta(a);
  },
  backward: (x, dy, a) => {
    const b = beta(a) * x;
    // sigmoid(b) > 0 for every b > -Inf, so an infinite dy stays infinite where exp(-b) overflows
    // (b < -709); at b = -Inf it is Inf / Inf = NaN.
    if (b > threshold(a) || (Math.abs(dy) === Infinity && b > -Infinity)) return dy;
    return dy / (1 + Math.exp(-b));
  },
  examples: [
    { x: 0, y: 0.6931471805599453, grad: 0.5 },
    { x: 1, y: 1.3132616875182228, grad: 0.7310585786300049 },
    { x: -2, y: 0.1269280110429725, grad: 0.11920292202211755 },
    { x: 3, y: 3.048587351573742, grad: 0.9525741268224334 },
    { x: 20, y: 20.000000002061153, grad: 0.9999999979388464 },
    { x: 20.000002, y: 20.000002, grad: 1 },
    { x: 1, y: 1.063464005521486, grad: 0.8807970779778824, attrs: { beta: 2 } },
    { x: 1, y: 1.0986976572438336, grad: 0.8455347411442325, attrs: { beta: 1.7 } },
    { x: -2, y: 0.01931086260242134, grad: 0.03229546171798307, attrs: { beta: 1.7 } },
    { x: 0.5, y: 0.5, grad: 1, attrs: { threshold: 0 } },
    { x: 0, y: 0.6931471805599453, grad: 0.5, attrs: { threshold: 0 } },
    { x: -Infinity, y: 0, grad: 0 },
    { x: Infinity, y: Infinity, grad: 1 },
  ],
  // The thresholds (20, 5 / 0.5 = 10, 100 / 1.7, 20 / 3e-3) and their neighbours, where
  // beta * x is not exact in f32; exp's overflow (88.7) below a threshold of 100.
  points: [
    20,
    Math.fround(20 * (1 + 2 ** -23)),
    Math.fround(20 * (1 - 2 ** -24)),
    10,
    Math.fround(10 * (1 + 2 ** -23)),
    Math.fround(100 / Math.fround(1.7)),
    Math.fround(Math.fround(100 / Math.fround(1.7)) * (1 + 2 ** -23)),
    Math.fround(Math.fround(100 / Math.fround(1.7)) * (1 - 2 ** -24)),
    Math.fround(20 / Math.fround(3e-3)),
    Math.fround(Math.fround(20 / Math.fround(3e-3)) * (1 + 2 ** -23)),
    52.2,
    60,
    88.7,
    104,
    1e-40,
  ],
  badAttrs: [
    { attrs: { beta: 0 }, argument: 'attrs.beta' },
    { attrs: { beta: -1 }, argument: 'attrs.beta' },
    { attrs: { beta: 1e-50 }, argument: 'attrs.beta' },
    { attrs: { threshold: -1 }, argument: 'attrs.threshold' },
    { attrs: { threshold: 1e-40 }, argument: 'attrs.threshold' },
  ],
};
