import wgsl from '../../shaders/activations/leaky-relu.wgsl?raw';
import { bits, f32Bits, f32FromBits, isNanBits } from '../numerics/bits.js';
import { exactMulBits } from '../numerics/exact.js';
import { defineOp } from './define.js';

/**
 * Leaky ReLU: y = x > 0 ? x : alpha * x (NaN stays NaN); dx = x > 0 ? dy : alpha * dy (alpha * dy
 * at x = 0 and at NaN inputs). The products are correctly rounded f32, subnormals kept.
 */
export const leakyRelu = defineOp({
  name: 'leakyRelu',
  formula: 'x > 0 ? x : 0.01x',
  wgsl,
  wgslPath: 'shaders/activations/leaky-relu.wgsl',
  attrs: { alpha: { default: 0.01 } },
  backwardFrom: 'x',
  accuracy: { kind: 'exact' },
  // The layer keeps x > 0, one bit: backward is dy there, alpha * dy elsewhere.
  mask: {
    keep: (b) => !isNanBits(b) && (b | 0) > 0,
    backward: (keep, d, [alpha]) => (keep ? d : exactMulBits(f32FromBits(d), d, alpha!, f32Bits(alpha!))),
    simd: {
      forward: (k, x, y, words, n, [alpha]) => k.leaky_mask(x, y, words, n, f32Bits(alpha!)),
      backward: (k, words, dy, dx, n, [alpha]) => k.masked_scaled(words, dy, dx, n, f32Bits(alpha!)),
    },
  },
  cpu: {
    simd: {
      forward: (k, x, y, n, [alpha]) => k.leaky_forward(x, y, n, alpha!),
      backward: (k, x, dy, dx, n, [alpha]) => k.leaky_backward(x, dy, dx, n, alpha!),
    },
    forward(x, y, [alpha]) {
      const a = alpha!;
      const ab = f32Bits(a);
      const xb = bits(x);
      const yb = bits(y);
      for (let i = 0; i < xb.length; i++) {
        const b = xb[i]!;
        yb[i] = isNanBits(b) || (b | 0) > 0 ? b : exactMulBits(x[i]!, b, a, ab);
      }
    },
    backward(x, dy, dx, [alpha]) {
      const a = alpha!;
      const ab = f32Bits(a);
      const xb = bits(x);
      const db = bits(dy);
      const out = bits(dx);
      for (let i = 0; i < xb.length; i++) {
        const b = xb[i]!;
        const d = db[i]!;
        out[i] = !isNanBits(b) && (b | 0) > 0 ? d : exactMulBits(dy[i]!, d, a, ab);
      }
    },
  },
});
