import type { AttrValues, OpSpec } from './op-spec.js';

const alpha = (a: AttrValues) => Math.fround(a.alpha ?? 1);

export const spec: OpSpec = {
  op: 'celu',
  attrSets: [{}, { alpha: 2 }, { alpha: 1.5 }, { alpha: 0.3 }, { alpha: 2 ** 127 }, { alpha: -3 }],
  forward: (x, a) => Math.max(0, x) + Math.min(0, alpha(a) * Math.expm1(x / alpha(a))),
  // PyTorch (elu with input scale 1/alpha): NaN is not <= 0, so its gradient is dy.
  // exp(q) is a positive number, finite for finite q: dy = +-Inf gives +-Inf for q > -Inf and
  // dy = +-0 gives +-0 for q < +Inf (alpha < 0), where exp(q) alone would be 0 or Inf in float64.
  backward: (x, dy, a) => {
    if (x > 0 || Number.isNaN(x)) return dy;
    const q = x / alpha(a);
    if ((Math.abs(dy) === Infinity && q > -Infinity) || (dy === 0 && q < Infinity)) return dy;
    return dy * Math.exp(q);
  },
  examples: [
    { x: 0, y: 0, grad: 1 },
    { x: -0, y: 0, grad: 1 },
    { x: 3, y: 3, grad: 1 },
    { x: -1, y: -0.6321205588285577, grad: 0.36787944117144233 },
    { x: -1, y: -0.7869386805747332, grad: 0.6065306597126334, attrs: { alpha: 2 } },
    { x: -3, y: -1.5537396797031402, grad: 0.22313016014842982, attrs: { alpha: 2 } },
    { x: -1, y: -0.729874321451112, grad: 0.513417119032592, attrs: { alpha: 1.5 } },
    { x: -Infinity, y: -2, grad: 0, attrs: { alpha: 2 } },
    { x: Infinity, y: Infinity, grad: 1 },
  ],
  points: [1e-40, 2 ** -25, 0.3465, 0.5199, 0.104, 16.6, 25, 30, 45, 60, 87.3, 88, 103, 104, 131, 132, 155],
  badAttrs: [
    { attrs: { alpha: 0 }, argument: 'attrs.alpha' },
    { attrs: { alpha: -0 }, argument: 'attrs.alpha' },
    { attrs: { alpha: 1e-50 }, argument: 'attrs.alpha' },
  ],
};
