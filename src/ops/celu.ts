import wgsl from '../../shaders/activations/celu.wgsl?raw';
import { defineOp, reciprocal } from './define.js';
import { mulExp64 } from './elu.js';

/**
 * CELU: y = max(0, x) + min(0, alpha * (exp(x / alpha) - 1)); dx = x > 0 ? dy : dy * exp(x / alpha)
 * (dy at 0). alpha must not be 0. NaN takes the x > 0 branch, as in PyTorch: y is NaN, dx is dy.
 */
export const celu = defineOp({
  name: 'celu',
  formula: 'max(0, x) + min(0, e^x − 1)',
  wgsl,
  wgslPath: 'shaders/activations/celu.wgsl',
  attrs: {
    alpha: { default: 1, check: (v) => (Math.fround(v) === 0 ? 'a number that is not 0 in f32' : undefined) },
  },
  // 1 / alpha for the WGSL, which multiplies by it rather than divide by alpha (see its file).
  derived: { alphaReciprocal: ([alpha]) => reciprocal(alpha!) },
  backwardFrom: 'x',
  accuracy: { kind: 'ulp', forward: 3, backward: 3 },
  cpu: {
    simd: {
      forward: (k, x, y, n, [alpha]) => k.elu_forward(x, y, n, alpha!, 1, true),
      backward: (k, x, dy, dx, n, [alpha]) => k.elu_backward(x, dy, dx, n, alpha!, 1, 1, true),
    },
    forward(x, y, [alpha]) {
      for (let i = 0; i < x.length; i++) {
        const v = x[i]!;
        y[i] = v <= 0 ? alpha! * Math.expm1(v / alpha!) : v;
      }
    },
    backward(x, dy, dx, [alpha]) {
      for (let i = 0; i < x.length; i++) {
        const v = x[i]!;
        dx[i] = v <= 0 ? mulExp64(dy[i]!, v / alpha!) : dy[i]!;
      }
    },
  },
});
