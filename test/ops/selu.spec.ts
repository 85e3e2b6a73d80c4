import type { AttrValues, OpSpec } from './op-spec.js';

const alpha = (a: AttrValues) => Math.fround(a.alpha ?? 1.6732632423543772);
const scale = (a: AttrValues) => Math.fround(a.scale ?? 1.0507009873554805);

export const spec: OpSpec = {
  op: 'selu',
  attrSets: [{}, { alpha: 1, scale: 1 }, { alpha: 0.25, scale: 3 }, { scale: -2 }],
  forward: (x, a) => scale(a) * (x > 0 ? x : alpha(a) * Math.expm1(x)),
  // PyTorch: NaN is not <= 0, so it takes the linear branch's gradient dy * scale.
  // exp(x) > 0 for every x > -Inf, so an infinite dy * scale * alpha stays infinite where exp
  // underflows (x < -745); at x = -Inf it is Inf * 0 = NaN.
  backward: (x, dy, a) => {
    if (x > 0 || Number.isNaN(x)) return dy * scale(a);
    const m = dy * scale(a) * alpha(a);
    return Math.abs(m) === Infinity && x > -Infinity ? m : m * Math.exp(x);
  },
  // Worked with the f32 defaults alpha = 1.6732631921768188, scale = 1.0507010221481323.
  examples: [
    { x: 0, y: 0, grad: 1.7580993463430303 },
    { x: 1, y: 1.0507010221481323, grad: 1.0507010221481323 },
    { x: -1, y: -1.1113307412864784, grad: 0.646768605056552 },
    { x: -2, y: -1.5201664733475928, grad: 0.23793287299543764 },
    { x: -1, y: -0.6321205588285577, grad: 0.36787944117144233, attrs: { alpha: 1, scale: 1 } },
    { x: -Infinity, y: -1.7580993463430303, grad: 0 },
    { x: Infinity, y: Infinity, grad: 1.0507010221481323 },
  ],
  points: [1e-40, 2 ** -25, 0.3465, 0.3467, 16.6, 16.7, 30, 87.3, 88, 103, 104],
};
