import wgsl from '../../shaders/activations/hardswish.wgsl?raw';
import { bits, isNanBits } from '../numerics/bits.js';
import { defineOp, defineVariant } from './define.js';

/**
 * Hard swish (PyTorch): y = x * relu6(x + 3) / 6; dx = 0 below -3, dy * (x / 3 + 0.5) on
 * [-3, 3] (so -0.5 * dy and 1.5 * dy at the kinks), dy above 3. hardswish(-Inf) = 0 and
 * hardswish(x) = x for x >= 3, the function's values where PyTorch's arithmetic gives NaN or Inf.
 */
export const hardswish = defineOp({
  name: 'hardswish',
  formula: 'x · relu6(x + 3) / 6',
  wgsl,
  wgslPath: 'shaders/activations/hardswish.wgsl',
  attrs: {},
  backwardFrom: 'x',
  accuracy: { kind: 'ulp', forward: 3, backward: 3 },
  cpu: {
    simd: {
      forward: (k, x, y, n) => k.hardswish_forward(x, y, n),
      backward: (k, x, dy, dx, n) => k.hardswish_backward(x, dy, dx, n),
    },
    // Values in float64, rounded once to f32; NaNs decided on the bits (a NaN x kept forward, dy's
    // bits backward, a NaN dy kept, Inf * 0 at x = -1.5 the quiet NaN 0x7fc00000), so the SIMD twins
    // can give the same bits.
    forward(x, y) {
      const xb = bits(x);
      const yb = bits(y);
      for (let i = 0; i < x.length; i++) {
        const v = x[i]!;
        if (isNanBits(xb[i]!)) yb[i] = xb[i]!;
        else y[i] = v <= -3 ? -0 : v >= 3 ? v : (v * (v + 3)) / 6;
      }
    },
    backward(x, dy, dx) {
      const xb = bits(x);
      const db = bits(dy);
      const out = bits(dx);
      for (let i = 0; i < x.length; i++) {
        const v = x[i]!;
        const d = db[i]!;
        if (isNanBits(xb[i]!) || v > 3) out[i] = d;
        else if (v < -3) out[i] = 0;
        else if (isNanBits(d)) out[i] = d;
        else {
          const r = (dy[i]! * (v + 1.5)) / 3;
          if (Number.isNaN(r)) out[i] = 0x7fc00000;
          else dx[i] = r;
        }
      }
    },
  },
});

/** WebNN's hardSwish, x * max(0, min(6, x + 3)) / 6: hardswish under WebNN's name (no attributes). */
export const hardSwish = defineVariant(hardswish, { name: 'hardSwish', formula: 'x · relu6(x + 3) / 6', attrs: {} });
