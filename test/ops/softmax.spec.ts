// softmax, a row-normalising op: its conformance cases on every backend (test/conformance/ops.ts
// collects them), against float64 and the CPU twin's bits (test/helpers/softmax-reference.ts).
import { rowCases } from '../helpers/softmax-reference.js';

export const cases = rowCases('softmax', [
  // exp(x - 3) = [e^-2, e^-1, 1], s = 1.5032147244080551; dx for dy = e0: y * (e0 - y0).
  {
    x: [1, 2, 3],
    y: [0.09003057317038046, 0.24472847105479764, 0.6652409557748218],
    dx: [0.08192506906499324, -0.022033044520174298, -0.05989202454481893],
  },
  { x: [0, 0], y: [0.5, 0.5], dx: [0.25, -0.25] },
  { x: [-Infinity, 0], y: [0, 1] },
  { x: [5], y: [1], dx: [0] },
  // A NaN, or an +Inf (Inf - Inf), makes the whole row NaN, as PyTorch.
  { x: [NaN, 1], y: [NaN, NaN] },
  { x: [Infinity, 1], y: [NaN, NaN] },
  { x: [-Infinity, -Infinity], y: [NaN, NaN] },
]);
