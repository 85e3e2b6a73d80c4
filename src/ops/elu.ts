import wgsl from '../../shaders/activations/elu.wgsl?raw';
import { defineOp } from './define.js';

/**
 * ELU: y = x > 0 ? x : alpha * (exp(x) - 1); dx = x > 0 ? dy : dy * alpha * exp(x) (alpha * dy
 * at 0). NaN takes the x > 0 branch, as in PyTorch: y is NaN, dx is dy.
 */
export const elu = defineOp({
  name: 'elu',
  wgsl,
  wgslPath: 'shaders/activations/elu.wgsl',
  attrs: { alpha: { default: 1 } },
  backwardFrom: 'x',
  accuracy: { kind: 'ulp', forward: 2, backward: 3 },
  cpu: {
    forward(x, y, [alpha]) {
      for (let i = 0; i < x.length; i++) {
        const v = x[i]!;
        y[i] = v <= 0 ? alpha! * Math.expm1(v) : v;
      }
    },
    backward(x, dy, dx, [alpha]) {
      for (let i = 0; i < x.length; i++) {
        const v = x[i]!;
        dx[i] = v <= 0 ? dy[i]! * alpha! * Math.exp(v) : dy[i]!;
      }
    },
  },
});
