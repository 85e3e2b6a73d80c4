import wgsl from '../../shaders/activations/relu6.wgsl?raw';
import { bits, orderedKey } from '../numerics/bits.js';
import { exactClampBits, exactInside } from '../numerics/exact.js';
import { defineOp } from './define.js';

const ZERO = 0;
const SIX = 0x40c00000;

/** ReLU6: y = min(max(x, 0), 6) (NaN stays NaN, -0 gives +0); dx = 0 < x < 6 ? dy : 0 (dy at NaN). */
export const relu6 = defineOp({
  name: 'relu6',
  formula: 'min(max(x, 0), 6)',
  wgsl,
  wgslPath: 'shaders/activations/relu6.wgsl',
  attrs: {},
  backwardFrom: 'x',
  accuracy: { kind: 'exact' },
  // The layer keeps 0 < x < 6 (or NaN), one bit: backward is dy there, +0 elsewhere.
  mask: {
    keep: (b) => exactInside(b, ZERO, SIX),
    backward: (keep, d) => (keep ? d : 0),
    simd: {
      forward(k, x, y, words, n) {
        k.mask_inside(x, words, n, orderedKey(ZERO), orderedKey(SIX), true);
        k.clamp(x, y, n, ZERO, SIX);
      },
      backward: (k, words, dy, dx, n) => k.masked_select(words, dy, dx, n),
    },
  },
  cpu: {
    simd: {
      forward: (k, x, y, n) => k.clamp(x, y, n, ZERO, SIX),
      backward: (k, x, dy, dx, n) => k.gate_inside(x, dy, dx, n, orderedKey(ZERO), orderedKey(SIX)),
    },
    forward(x, y) {
      const xb = bits(x);
      const yb = bits(y);
      for (let i = 0; i < xb.length; i++) yb[i] = exactClampBits(xb[i]!, ZERO, SIX);
    },
    backward(x, dy, dx) {
      const xb = bits(x);
      const db = bits(dy);
      const out = bits(dx);
      for (let i = 0; i < xb.length; i++) out[i] = exactInside(xb[i]!, ZERO, SIX) ? db[i]! : 0;
    },
  },
});
