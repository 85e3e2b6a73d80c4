import type { OpSpec } from './op-spec.js';

export const spec: OpSpec = {
  op: 'tanh',
  attrSets: [{}],
  forward: (x) => Math.tanh(x),
  backward: (y, dy) => dy * (1 - y * y),
  examples: [
    { x: 0, y: 0, grad: 1 },
    { x: -0, y: -0, grad: 1 },
    { x: Infinity, y: 1, grad: 0 },
    { x: -Infinity, y: -1, grad: 0 },
    { x: 0.5, y: 0.46211715726000974, grad: 0.7864477329659274 },
    { x: 1, y: 0.7615941559557649, grad: 0.4199743416140261 },
    { x: 2, y: 0.9640275800758169, grad: 0.07065082485316447 },
    // No gradient here: from y, 1 - y^2 near |y| = 1 amplifies y's rounding (2^-25) ~100-fold,
    // past the 1e-6 the suite allows against hand-worked gradients.
    { x: -3, y: -0.9950547536867305 },
    { x: 100, y: 1, grad: 0 },
    { x: 1e-30, y: 1e-30, grad: 1 },
  ],
  // 2^-13 and 10: the library's pass-through and saturation switches; 0.1733: |2x| = ln2/2, where
  // expm1 leaves its polynomial; 9.01: where tanh rounds to 1; 44, 89: where exp(2x) would overflow.
  points: [2 ** -13, Math.fround(2 ** -13 * (1 - 2 ** -24)), 0.1733, 0.1734, 9, 9.01, 9.02, 10, 44, 89, 100],
};
