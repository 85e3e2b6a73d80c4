import wgsl from '../../shaders/activations/elu.wgsl?raw';
import { defineOp } from './define.js';

/**
 * m * exp(v) in float64, exp(v) taken as the positive number it is (finite for finite v): an
 * infinite m gives m for every v > -Inf and a zero m gives m for every v < +Inf, where
 * Math.exp(v) alone would be 0 (v < -745) or Inf (v > 709.8) and the product NaN. Only
 * Inf * exp(-Inf) and 0 * exp(+Inf) are NaN, as are NaN m or v. The GPU's accurate_mul_exp
 * (shaders/lib/exp.wgsl) follows the same rule.
 */
export function mulExp64(m: number, v: number): number {
  const keep = (m === 0 && v < Infinity) || (Math.abs(m) === Infinity && v > -Infinity);
  return keep ? m : m * Math.exp(v);
}

/**
 * ELU: y = x > 0 ? x : alpha * (exp(x) - 1); dx = x > 0 ? dy : dy * alpha * exp(x) (alpha * dy
 * at 0). NaN takes the x > 0 branch, as in PyTorch: y is NaN, dx is dy.
 */
export const elu = defineOp({
  name: 'elu',
  formula: 'x > 0 ? x : e^x − 1',
  wgsl,
  wgslPath: 'shaders/activations/elu.wgsl',
  attrs: { alpha: { default: 1 } },
  backwardFrom: 'x',
  accuracy: { kind: 'ulp', forward: 2, backward: 3 },
  cpu: {
    // One set of SIMD kernels for ELU, SELU and CELU: (alpha, scale, the slope's factor, w = x / alpha?).
    simd: {
      forward: (k, x, y, n, [alpha]) => k.elu_forward(x, y, n, alpha!, 1, false),
      backward: (k, x, dy, dx, n, [alpha]) => k.elu_backward(x, dy, dx, n, alpha!, 1, alpha!, false),
    },
    forward(x, y, [alpha]) {
      for (let i = 0; i < x.length; i++) {
        const v = x[i]!;
        y[i] = v <= 0 ? alpha! * Math.expm1(v) : v;
      }
    },
    backward(x, dy, dx, [alpha]) {
      for (let i = 0; i < x.length; i++) {
        const v = x[i]!;
        dx[i] = v <= 0 ? mulExp64(dy[i]! * alpha!, v) : dy[i]!;
      }
    },
  },
});
