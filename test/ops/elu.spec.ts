import type { AttrValues, OpSpec } from './op-spec.js';

const alpha = (a: AttrValues) => Math.fround(a.alpha ?? 1);

export const spec: OpSpec = {
  op: 'elu',
  attrSets: [{}, { alpha: 0.5 }, { alpha: 2.5 }, { alpha: -0.7 }],
  forward: (x, a) => (x > 0 ? x : alpha(a) * Math.expm1(x)),
  // PyTorch: NaN is not <= 0, so it takes the linear branch's gradient dy.
  // exp(x) > 0 for every x > -Inf, so an infinite dy * alpha stays infinite where exp underflows
  // (x < -745); at x = -Inf it is Inf * 0 = NaN.
  backward: (x, dy, a) => {
    if (x > 0 || Number.isNaN(x)) return dy;
    const m = dy * alpha(a);
    return Math.abs(m) === Infinity && x > -Infinity ? m : m * Math.exp(x);
  },
  examples: [
    { x: 0, y: 0, grad: 1 },
    { x: -0, y: -0, grad: 1 },
    { x: 0, y: 0, grad: 2.5, attrs: { alpha: 2.5 } },
    { x: 0.5, y: 0.5, grad: 1 },
    { x: -1, y: -0.6321205588285577, grad: 0.36787944117144233 },
    { x: -2, y: -0.8646647167633873, grad: 0.1353352832366127 },
    { x: -2, y: -1.7293294335267746, grad: 0.2706705664732254, attrs: { alpha: 2 } },
    { x: -88, y: -1, grad: 6.054601895401186e-39 },
    { x: -Infinity, y: -1, grad: 0 },
    { x: Infinity, y: Infinity, grad: 1 },
    { x: 1e-40, y: 1e-40, grad: 1 },
  ],
  // 0.3466: where expm1 leaves its polynomial; 16.6: k = 24, where it switches to exp; the rest
  // near exp's underflow and the flush to -alpha.
  points: [1e-40, 2 ** -25, 0.3465, 0.3467, 16.6, 16.7, 17.33, 30, 87.3, 88, 103, 104],
};
