import type { OpSpec } from './op-spec.js';

export const spec: OpSpec = {
  op: 'softsign',
  attrSets: [{}],
  forward: (x) => (Number.isNaN(x) ? x : Number.isFinite(x) ? x / (1 + Math.abs(x)) : Math.sign(x)),
  backward: (x, dy) => dy / (1 + Math.abs(x)) ** 2,
  examples: [
    { x: 0, y: 0, grad: 1 },
    { x: 1, y: 0.5, grad: 0.25 },
    { x: -3, y: -0.75, grad: 0.0625 },
    { x: 0.25, y: 0.2, grad: 0.64 },
    { x: Infinity, y: 1, grad: 0 },
    { x: -Infinity, y: -1, grad: 0 },
  ],
  points: [2 ** 24, 2 ** 25, 1.3e19, 1.85e19],
  badAttrs: [{ attrs: { alpha: 0.1 }, argument: 'attrs.alpha' }],
};
