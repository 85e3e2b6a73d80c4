import wgsl from '../../shaders/activations/tanh.wgsl?raw';
import { defineOp } from './define.js';

/** Tanh: y = tanh(x); the gradient is computed from the output, dy * (1 - y^2). */
export const tanh = defineOp({
  name: 'tanh',
  formula: 'tanh x',
  wgsl,
  wgslPath: 'shaders/activations/tanh.wgsl',
  attrs: {},
  backwardFrom: 'y',
  accuracy: { kind: 'ulp', forward: 3, backward: 3 },
  cpu: {
    simd: {
      forward: (k, x, y, n) => k.tanh_forward(x, y, n),
      backward: (k, y, dy, dx, n) => k.tanh_backward(y, dy, dx, n),
    },
    forward(x, y) {
      for (let i = 0; i < x.length; i++) y[i] = Math.tanh(x[i]!);
    },
    backward(y, dy, dx) {
      for (let i = 0; i < y.length; i++) dx[i] = dy[i]! * ((1 - y[i]!) * (1 + y[i]!));
    },
  },
});
