import wgsl from '../../shaders/activations/silu.wgsl?raw';
import { defineOp } from './define.js';
import { mulExp64 } from './elu.js';
import { sigmoid64 } from './sigmoid.js';

/**
 * SiLU (swish): y = x * sigmoid(x); dx = dy * s * (1 + x * (1 - s)). At +-Inf the mathematical
 * limits, where PyTorch gives NaN: silu(-Inf) = -0 (gradient 0), silu(+Inf) = +Inf (gradient dy).
 */
export const silu = defineOp({
  name: 'silu',
  formula: 'x · σ(x)',
  wgsl,
  wgslPath: 'shaders/activations/silu.wgsl',
  attrs: {},
  backwardFrom: 'x',
  accuracy: { kind: 'ulp', forward: 4, backward: 8 },
  cpu: {
    simd: {
      forward: (k, x, y, n) => k.silu_forward(x, y, n),
      backward: (k, x, dy, dx, n) => k.silu_backward(x, dy, dx, n),
    },
    forward(x, y) {
      for (let i = 0; i < x.length; i++) {
        const v = x[i]!;
        y[i] = v === -Infinity ? -0 : v * sigmoid64(v);
      }
    },
    backward(x, dy, dx) {
      for (let i = 0; i < x.length; i++) {
        const v = x[i]!;
        const s = sigmoid64(v);
        // Below -64 the gradient is (1 + v) * exp(v) to 2^-85, formed so that an infinite dy
        // stays infinite where exp(v) underflows (as on the GPU).
        if (v < -64 && v > -Infinity) dx[i] = mulExp64(dy[i]! * (1 + v), v);
        else dx[i] = v === Infinity ? dy[i]! : v === -Infinity ? 0 : dy[i]! * s * (1 + v * (1 - s));
      }
    },
  },
});
