import wgsl from '../../shaders/activations/thresholded-relu.wgsl?raw';
import { bits, f32Bits, isNanBits, NO_UPPER_KEY, orderedKey } from '../numerics/bits.js';
import { defineOp } from './define.js';

/** Thresholded ReLU: y = x > theta ? x : 0, dx = x > theta ? dy : 0; NaN stays NaN. */
export const thresholdedRelu = defineOp({
  name: 'thresholdedRelu',
  formula: 'x > 1 ? x : 0',
  wgsl,
  wgslPath: 'shaders/activations/thresholded-relu.wgsl',
  attrs: { theta: { default: 1 } },
  backwardFrom: 'x',
  accuracy: { kind: 'exact' },
  mask: {
    keep: (b, [theta]) => isNanBits(b) || orderedKey(b) > orderedKey(f32Bits(theta!)),
    backward: (keep, dy) => (keep ? dy : 0),
    simd: {
      forward: (k, x, y, words, n, [theta]) => k.gate_mask(x, y, words, n, orderedKey(f32Bits(theta!)), NO_UPPER_KEY, true),
      backward: (k, words, dy, dx, n) => k.masked_select(words, dy, dx, n),
    },
  },
  cpu: {
    simd: {
      forward: (k, x, y, n, [theta]) => k.gate_above(x, x, y, n, orderedKey(f32Bits(theta!))),
      backward: (k, x, dy, dx, n, [theta]) => k.gate_above(x, dy, dx, n, orderedKey(f32Bits(theta!))),
    },
    forward(x, y, [theta]) {
      const key = orderedKey(f32Bits(theta!));
      const xb = bits(x);
      const yb = bits(y);
      for (let i = 0; i < xb.length; i++) {
        const b = xb[i]!;
        yb[i] = isNanBits(b) || orderedKey(b) > key ? b : 0;
      }
    },
    backward(x, dy, dx, [theta]) {
      const key = orderedKey(f32Bits(theta!));
      const xb = bits(x);
      const db = bits(dy);
      const out = bits(dx);
      for (let i = 0; i < xb.length; i++) {
        const b = xb[i]!;
        out[i] = isNanBits(b) || orderedKey(b) > key ? db[i]! : 0;
      }
    },
  },
});
