// SwiGLU, a gated unit: its conformance cases on every backend (test/conformance/ops.ts collects
// them), against float64 references from silu's spec and bit for bit against the backend's own
// silu (test/helpers/gated-reference.ts).
import { gatedCases } from '../helpers/gated-reference.js';
import { spec as silu } from './silu.spec.js';

export const cases = gatedCases('swiglu', silu, [
  // a = [2, 5], b = [1, 0]: silu(1) = 1 / (1 + e^-1) = 0.7310585786300049, silu(0) = 0.
  // y = [2 * 0.73105..., 0]; da = silu(b) = [0.73105..., 0]; db = a * silu'(b), silu'(1) = s + s(1 - s)
  // = 0.9276705118714867 and silu'(0) = 1/2: db = [1.8553410237429735, 2.5].
  {
    x: [2, 5, 1, 0],
    y: [1.4621171572600098, 0],
    dx: [0.7310585786300049, 0, 1.8553410237429735, 2.5],
  },
]);
