import type { OpSpec } from './op-spec.js';

const theta = (a: { theta?: number }) => Math.fround(a.theta ?? 1);

export const spec: OpSpec = {
  op: 'thresholdedRelu',
  attrSets: [{}, { theta: 0 }, { theta: -2.5 }, { theta: 1e-40 }, { theta: 3 }],
  forward: (x, a) => (Number.isNaN(x) ? x : x > theta(a) ? x : 0),
  backward: (x, dy, a) => (x > theta(a) || Number.isNaN(x) ? dy : 0),
  examples: [
    { x: 1, y: 0, grad: 0 },
    { x: 1.0000001, y: 1.0000001, grad: 1 },
    { x: 0.5, y: 0, grad: 0 },
    { x: 0.5, y: 0.5, grad: 1, attrs: { theta: 0.25 } },
    { x: -1, y: -1, grad: 1, attrs: { theta: -2 } },
    { x: -0, y: -0, grad: 1, attrs: { theta: -2 } },
  ],
  points: [1, Math.fround(1 + 2 ** -23), Math.fround(1 - 2 ** -24), 3, -2.5, 1e-40],
  badAttrs: [{ attrs: { alpha: 1 }, argument: 'attrs.alpha' }],
};
