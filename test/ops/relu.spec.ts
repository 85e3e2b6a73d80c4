import type { OpSpec } from './op-spec.js';

export const spec: OpSpec = {
  op: 'relu',
  attrSets: [{}],
  forward: (x) => (Number.isNaN(x) ? x : x > 0 ? x : 0),
  backward: (x, dy) => (x > 0 || Number.isNaN(x) ? dy : 0),
  examples: [
    { x: -10, y: 0, grad: 0 },
    { x: -0, y: 0, grad: 0 },
    { x: 0, y: 0, grad: 0 },
    { x: 2.5, y: 2.5, grad: 1 },
    { x: Infinity, y: Infinity, grad: 1 },
  ],
  badAttrs: [{ attrs: { alpha: 0.1 }, argument: 'attrs.alpha' }],
};
