import wgsl from '../../shaders/activations/selu.wgsl?raw';
import { defineOp } from './define.js';
import { mulExp64 } from './elu.js';

/**
 * SELU: y = scale * (x > 0 ? x : alpha * (exp(x) - 1)); dx = dy * scale * (x > 0 ? 1 :
 * alpha * exp(x)). NaN takes the x > 0 branch, as in PyTorch: y is NaN, dx is dy * scale.
 */
export const selu = defineOp({
  name: 'selu',
  formula: '1.0507 · (x > 0 ? x : 1.6733 (e^x − 1))',
  wgsl,
  wgslPath: 'shaders/activations/selu.wgsl',
  attrs: { alpha: { default: 1.6732632423543772 }, scale: { default: 1.0507009873554805 } },
  backwardFrom: 'x',
  accuracy: { kind: 'ulp', forward: 3, backward: 3 },
  cpu: {
    simd: {
      forward: (k, x, y, n, [alpha, scale]) => k.elu_forward(x, y, n, alpha!, scale!, false),
      backward: (k, x, dy, dx, n, [alpha, scale]) => k.elu_backward(x, dy, dx, n, alpha!, scale!, alpha!, false),
    },
    forward(x, y, [alpha, scale]) {
      for (let i = 0; i < x.length; i++) {
        const v = x[i]!;
        y[i] = scale! * (v <= 0 ? alpha! * Math.expm1(v) : v);
      }
    },
    backward(x, dy, dx, [alpha, scale]) {
      for (let i = 0; i < x.length; i++) {
        const v = x[i]!;
        dx[i] = v <= 0 ? mulExp64(dy[i]! * scale! * alpha!, v) : dy[i]! * scale!;
      }
    },
  },
});
