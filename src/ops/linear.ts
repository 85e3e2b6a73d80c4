import wgsl from '../../shaders/activations/linear.wgsl?raw';
import { bits, f32Bits } from '../numerics/bits.js';
import { exactMulBits } from '../numerics/exact.js';
import { defineOp } from './define.js';

/**
 * Linear (WebNN's linear): y = alpha * x + beta, alpha = 1 and beta = 0 by default; dx = alpha *
 * dy, which reads no x: backward by name takes { x, dy } like the other ops, but the layer keeps
 * nothing. Forward within 2 ULP of float64 (as WebNN's conformance tolerance), backward a
 * correctly rounded product.
 */
export const linear = defineOp({
  name: 'linear',
  formula: 'αx + β (α = 1, β = 0)',
  wgsl,
  wgslPath: 'shaders/activations/linear.wgsl',
  attrs: { alpha: { default: 1 }, beta: { default: 0 } },
  backwardFrom: 'x',
  backwardIgnoresSaved: true,
  accuracy: { kind: 'ulp', forward: 2, backward: 0 },
  cpu: {
    simd: {
      forward: (k, x, y, n, [alpha, beta]) => k.linear_forward(x, y, n, alpha!, beta!),
      backward: (k, _x, dy, dx, n, [alpha]) => k.linear_backward(dy, dx, n, alpha!),
    },
    // In float64 alpha * x is exact (24 + 24 bits); the sum rounds once there, then to f32.
    forward(x, y, [alpha, beta]) {
      const a = alpha!;
      const b = beta!;
      for (let i = 0; i < x.length; i++) y[i] = a * x[i]! + b;
    },
    backward(_x, dy, dx, [alpha]) {
      const a = alpha!;
      const ab = f32Bits(a);
      const db = bits(dy);
      const out = bits(dx);
      for (let i = 0; i < db.length; i++) out[i] = exactMulBits(dy[i]!, db[i]!, a, ab);
    },
  },
});
