import wgsl from '../../shaders/activations/hardswish.wgsl?raw';
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
    forward(x, y) {
      for (let i = 0; i < x.length; i++) {
        const v = x[i]!;
        y[i] = Number.isNaN(v) ? v : v <= -3 ? -0 : v >= 3 ? v : (v * (v + 3)) / 6;
      }
    },
    backward(x, dy, dx) {
      for (let i = 0; i < x.length; i++) {
        const v = x[i]!;
        dx[i] = Number.isNaN(v) ? dy[i]! : v < -3 ? 0 : v <= 3 ? (dy[i]! * (v + 1.5)) / 3 : dy[i]!;
      }
    },
  },
});

/** WebNN's hardSwish, x * max(0, min(6, x + 3)) / 6: hardswish under WebNN's name (no attributes). */
export const hardSwish = defineVariant(hardswish, { name: 'hardSwish', formula: 'x · relu6(x + 3) / 6', attrs: {} });
