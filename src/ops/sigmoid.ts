import wgsl from '../../shaders/activations/sigmoid.wgsl?raw';
import { defineOp } from './define.js';

/** Sigmoid: y = 1 / (1 + exp(-x)); the gradient is computed from the output, dy * y * (1 - y). */
export const sigmoid = defineOp({
  name: 'sigmoid',
  wgsl,
  wgslPath: 'shaders/activations/sigmoid.wgsl',
  attrs: {},
  backwardFrom: 'y',
  accuracy: { kind: 'ulp', forward: 4, backward: 4 },
  cpu: {
    forward(x, y) {
      for (let i = 0; i < x.length; i++) {
        const v = x[i]!;
        const e = Math.exp(-Math.abs(v));
        y[i] = (v >= 0 ? 1 : e) / (1 + e);
      }
    },
    backward(y, dy, dx) {
      for (let i = 0; i < y.length; i++) dx[i] = dy[i]! * y[i]! * (1 - y[i]!);
    },
  },
});
