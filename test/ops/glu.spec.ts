// GLU, a gated unit: its conformance cases on every backend (test/conformance/ops.ts collects
// them), against float64 references from sigmoid's spec and bit for bit against the backend's
// own sigmoid (test/helpers/gated-reference.ts).
import { gatedCases } from '../helpers/gated-reference.js';
import { spec as sigmoid } from './sigmoid.spec.js';

export const cases = gatedCases('glu', sigmoid, [
  // a = [2, 3, 3, -1], b = [0, +Inf, -Inf, -2]: sigmoid(b) = [1/2, 1, 0, 0.11920292202211755].
  // da = sigmoid(b); db = a * s * (1 - s) = [2/4, 3 * 0, 3 * 0, -0.1049935854035065].
  {
    x: [2, 3, 3, -1, 0, Infinity, -Infinity, -2],
    y: [1, 3, 0, -0.11920292202211755],
    dx: [0.5, 1, 0, 0.11920292202211755, 0.5, 0, 0, -0.1049935854035065],
  },
]);
