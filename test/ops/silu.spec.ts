import type { OpSpec } from './op-spec.js';

export const spec: OpSpec = {
  op: 'silu',
  attrSets: [{}],
  // The limits at the infinities (PyTorch gives NaN there: -Inf * 0, Inf * 0).
  forward: (x) => (x === -Infinity ? 0 : x / (1 + Math.exp(-x))),
  backward: (x, dy) => {
    if (x === Infinity) return dy;
    if (x === -Infinity) return 0;
    const s = 1 / (1 + Math.exp(-x));
    const g = s + x * s * (1 - s);
    // silu'(x) is not 0 at any f32 x; where it underflows (x < -709, s = 0) its sign is that of
    // 1 + x, and an infinite dy stays infinite.
    return g === 0 && Math.abs(dy) === Infinity ? dy * Math.sign(1 + x) : dy * g;
  },
  examples: [
    { x: 0, y: 0, grad: 0.5 },
    { x: 1, y: 0.7310585786300049, grad: 0.9276705118714867 },
    { x: -1, y: -0.2689414213699951, grad: 0.07232948812851327 },
    { x: 2, y: 1.7615941559557649, grad: 1.0907842487848955 },
    { x: -5, y: -0.03346425462142428, grad: -0.02654743242966592 },
    { x: -Infinity, y: 0, grad: 0 },
    { x: Infinity, y: Infinity, grad: 1 },
    { x: 100, y: 100, grad: 1 },
  ],
  points: [1e-40, 2 ** -25, 0.3465, 0.3467, 16, 17, 30, 87.3, 88, 89, 103, 104],
};
