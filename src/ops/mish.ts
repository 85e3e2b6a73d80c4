import wgsl from '../../shaders/activations/mish.wgsl?raw';
import { defineOp } from './define.js';
import { mulExp64 } from './elu.js';

/**
 * Mish: y = x * tanh(softplus(x)); dx = dy * (t + x * sigmoid(x) * (1 - t^2)), t = tanh(softplus(x)).
 * Past x = 20, y = x and dx = dy. At -Inf the limits, where PyTorch gives NaN: y = -0, dx = 0.
 */
export const mish = defineOp({
  name: 'mish',
  formula: 'x · tanh(softplus x)',
  wgsl,
  wgslPath: 'shaders/activations/mish.wgsl',
  attrs: {},
  backwardFrom: 'x',
  accuracy: { kind: 'ulp', forward: 4, backward: 8 },
  cpu: {
    simd: {
      forward: (k, x, y, n) => k.mish_forward(x, y, n),
      backward: (k, x, dy, dx, n) => k.mish_backward(x, dy, dx, n),
    },
    // With e = exp(x) and n = e * (e + 2): t = n / (n + 2), 1 - t^2 = 4 (n + 1) / (n + 2)^2.
    forward(x, y) {
      for (let i = 0; i < x.length; i++) {
        const v = x[i]!;
        const e = Math.exp(v);
        const n = e * (e + 2);
        y[i] = v > 20 ? v : v === -Infinity ? -0 : v * (n / (n + 2));
      }
    },
    backward(x, dy, dx) {
      for (let i = 0; i < x.length; i++) {
        const v = x[i]!;
        const e = Math.exp(v);
        const n = e * (e + 2);
        const m = n + 2;
        const grad = n / m + ((v * e) / (1 + e)) * ((4 * (n + 1)) / (m * m));
        // Below -64 the gradient is (1 + v) * exp(v) to 2^-85, formed so that an infinite dy
        // stays infinite where exp(v) underflows (as on the GPU).
        if (v < -64 && v > -Infinity) dx[i] = mulExp64(dy[i]! * (1 + v), v);
        else dx[i] = v > 20 ? dy[i]! : v === -Infinity ? 0 : dy[i]! * grad;
      }
    },
  },
});
