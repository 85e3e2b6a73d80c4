// logSoftmax, a row-normalising op: its conformance cases on every backend
// (test/conformance/ops.ts collects them), against float64 and the CPU twin's bits
// (test/helpers/softmax-reference.ts).
import { rowCases } from '../helpers/softmax-reference.js';

export const cases = rowCases('logSoftmax', [
  // x - 3 - log(1 + e^-1 + e^-2); dx for dy = e0: e0 - softmax(x).
  {
    x: [1, 2, 3],
    y: [-2.4076059644443806, -1.4076059644443804, -0.4076059644443804],
    dx: [0.9099694268296196, -0.24472847105479764, -0.6652409557748218],
  },
  { x: [0, 0], y: [-Math.LN2, -Math.LN2], dx: [0.5, -0.5] },
  { x: [-Infinity, 0], y: [-Infinity, 0] },
  { x: [5], y: [0], dx: [0] },
  // One logit far above the other: log(1 + e^-30) = 9.357622968839737e-14, kept, not rounded to 0.
  { x: [30, 0], y: [-9.357622968839737e-14, -30.000000000000092] },
  { x: [NaN, 1], y: [NaN, NaN] },
  { x: [Infinity, 1], y: [NaN, NaN] },
]);
