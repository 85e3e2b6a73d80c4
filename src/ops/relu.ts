import wgsl from '../../shaders/activations/relu.wgsl?raw';
import { bits, isNanBits, NO_UPPER_KEY } from '../numerics/bits.js';
import { defineOp } from './define.js';

/** ReLU: y = x > 0 ? x : 0 (NaN stays NaN); dx = x > 0 ? dy : 0 (dy at NaN inputs). */
export const relu = defineOp({
  name: 'relu',
  formula: 'max(0, x)',
  wgsl,
  wgslPath: 'shaders/activations/relu.wgsl',
  attrs: {},
  backwardFrom: 'x',
  accuracy: { kind: 'exact' },
  mask: {
    keep: (b) => isNanBits(b) || (b | 0) > 0,
    backward: (keep, dy) => (keep ? dy : 0),
    simd: {
      forward: (k, x, y, words, n) => k.gate_mask(x, y, words, n, 0, NO_UPPER_KEY, true),
      backward: (k, words, dy, dx, n) => k.masked_select(words, dy, dx, n),
    },
  },
  cpu: {
    simd: {
      forward: (k, x, y, n) => k.relu_forward(x, y, n),
      backward: (k, x, dy, dx, n) => k.relu_backward(x, dy, dx, n),
    },
    // Decided on the bits as the WGSL is: NaN payloads kept, -0 -> +0, subnormals untouched.
    forward(x, y) {
      const xb = bits(x);
      const yb = bits(y);
      for (let i = 0; i < xb.length; i++) {
        const b = xb[i]!;
        yb[i] = isNanBits(b) || (b | 0) > 0 ? b : 0;
      }
    },
    backward(x, dy, dx) {
      const xb = bits(x);
      const db = bits(dy);
      const out = bits(dx);
      for (let i = 0; i < xb.length; i++) {
        const b = xb[i]!;
        out[i] = isNanBits(b) || (b | 0) > 0 ? db[i]! : 0;
      }
    },
  },
});
