import type { OpSpec } from './op-spec.js';

export const spec: OpSpec = {
  op: 'sigmoid',
  attrSets: [{}],
  forward: (x) => (x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x))),
  backward: (y, dy) => dy * y * (1 - y),
  examples: [
    { x: 0, y: 0.5, grad: 0.25 },
    { x: -0, y: 0.5, grad: 0.25 },
    { x: Infinity, y: 1, grad: 0 },
    { x: -Infinity, y: 0, grad: 0 },
    { x: 2, y: 0.8807970779778823, grad: 0.10499358540350662 },
    { x: -100, y: 3.720075976020836e-44 },
  ],
  points: [-88, -87, 15, 16, 17, 88, 89, 103, 104, -104],
};
