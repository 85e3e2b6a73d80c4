import wgsl from '../../shaders/activations/sigmoid.wgsl?raw';
import { defineOp } from './define.js';

/** sigmoid(v) in float64 without overflow: exp only ever sees -|v|. NaN gives NaN. */
export function sigmoid64(v: number): number {
  const e = Math.exp(-Math.abs(v));
  return (v >= 0 ? 1 : e) / (1 + e);
}

/** Sigmoid: y = 1 / (1 + exp(-x)); the gradient is computed from the output, dy * y * (1 - y). */
export const sigmoid = defineOp({
  name: 'sigmoid',
  formula: '1 / (1 + e^−x)',
  wgsl,
  wgslPath: 'shaders/activations/sigmoid.wgsl',
  attrs: {},
  backwardFrom: 'y',
  accuracy: { kind: 'ulp', forward: 3, backward: 3 },
  cpu: {
    simd: {
      forward: (k, x, y, n) => k.sigmoid_forward(x, y, n),
      backward: (k, y, dy, dx, n) => k.sigmoid_backward(y, dy, dx, n),
    },
    forward(x, y) {
      for (let i = 0; i < x.length; i++) y[i] = sigmoid64(x[i]!);
    },
    backward(y, dy, dx) {
      for (let i = 0; i < y.length; i++) dx[i] = dy[i]! * y[i]! * (1 - y[i]!);
    },
  },
});
