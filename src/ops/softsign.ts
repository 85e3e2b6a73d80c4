import wgsl from '../../shaders/activations/softsign.wgsl?raw';
import { defineOp } from './define.js';

/** Softsign: y = x / (1 + |x|), dx = dy / (1 + |x|)^2 (WebNN softsign); y(+-Inf) = +-1. */
export const softsign = defineOp({
  name: 'softsign',
  formula: 'x / (1 + |x|)',
  wgsl,
  wgslPath: 'shaders/activations/softsign.wgsl',
  attrs: {},
  backwardFrom: 'x',
  accuracy: { kind: 'ulp', forward: 3, backward: 6 },
  cpu: {
    simd: {
      forward: (k, x, y, n) => k.softsign_forward(x, y, n),
      backward: (k, x, dy, dx, n) => k.softsign_backward(x, dy, dx, n),
    },
    // In float64, then rounded once to f32.
    forward(x, y) {
      for (let i = 0; i < x.length; i++) {
        const v = x[i]!;
        y[i] = Number.isFinite(v) ? v / (1 + Math.abs(v)) : Number.isNaN(v) ? v : Math.sign(v);
      }
    },
    backward(x, dy, dx) {
      for (let i = 0; i < x.length; i++) {
        const d = 1 + Math.abs(x[i]!);
        dx[i] = dy[i]! / (d * d);
      }
    },
  },
});
