// GeGLU, a gated unit: its conformance cases on every backend (test/conformance/ops.ts collects
// them), against float64 references from gelu's spec (both forms) and bit for bit against the
// backend's own gelu (test/helpers/gated-reference.ts).
import { gatedCases } from '../helpers/gated-reference.js';
import { spec as gelu } from './gelu.spec.js';

export const cases = gatedCases(
  'geglu',
  gelu,
  [
    // a = [3, -2], b = [1, 0]: gelu(1) = Phi(1) = 0.8413447460685429, gelu(0) = 0; y = [3 Phi(1), -0].
    // da = gelu(b); db = a * gelu'(b), gelu'(1) = Phi(1) + phi(1) = 1.0833154705876864, gelu'(0) = 1/2.
    {
      x: [3, -2, 1, 0],
      y: [2.524034238205629, -0],
      dx: [0.8413447460685429, 0, 3.249946411763059, -1],
    },
    // The tanh form: gelu(1) = (1 + tanh(sqrt(2/pi) * (1 + 0.044715))) / 2 = 0.8411919906082768.
    { x: [1, 1], y: [0.8411919906082768], dx: [0.8411919906082768, 1.0829640838457826], attrs: { approximate: 'tanh' } },
  ],
  [{}, { approximate: 'tanh' }],
);
