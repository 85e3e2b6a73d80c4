// ReGLU, a gated unit: its conformance cases on every backend (test/conformance/ops.ts collects
// them), against float64 references from relu's spec and bit for bit against the backend's own
// relu (test/helpers/gated-reference.ts).
import { gatedCases } from '../helpers/gated-reference.js';
import { spec as relu } from './relu.spec.js';

export const cases = gatedCases('reglu', relu, [
  // a = [2, -1, 3], b = [4, -5, 0.5]: relu(b) = [4, 0, 0.5], so y = [8, -0, 1.5] (-1 * +0 is -0).
  // da = relu(b); db = b > 0 ? a : 0 = [2, 0, 3].
  { x: [2, -1, 3, 4, -5, 0.5], y: [8, -0, 1.5], dx: [4, 0, 0.5, 2, 0, 3] },
  // At b = 0 the gradient is 0, as relu's (PyTorch's convention).
  { x: [7, 0], y: [0], dx: [0, 0] },
]);
