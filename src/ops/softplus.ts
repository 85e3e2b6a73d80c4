import wgsl from '../../shaders/activations/softplus.wgsl?raw';
import { defineOp, reciprocal } from './define.js';
import { mulExp64 } from './elu.js';
import { sigmoid64 } from './sigmoid.js';

/**
 * Softplus: y = beta * x > threshold ? x : log(1 + exp(beta * x)) / beta;
 * dx = beta * x > threshold ? dy : dy * sigmoid(beta * x). beta > 0, threshold 0 or >= 2^-126.
 */
export const softplus = defineOp({
  name: 'softplus',
  formula: 'log(1 + e^x)',
  wgsl,
  wgslPath: 'shaders/activations/softplus.wgsl',
  attrs: {
    beta: { default: 1, check: (v) => (Math.fround(v) > 0 ? undefined : 'a number > 0 (in f32)') },
    // A threshold between 0 and 2^-126 is refused: the GPU cannot compare products that small.
    threshold: {
      default: 20,
      check: (v) => (v === 0 || Math.fround(v) >= 2 ** -126 ? undefined : 'a number >= 0, either 0 or at least 2^-126'),
    },
  },
  // 1 / beta for the WGSL, which multiplies by it rather than divide by beta (see its file).
  derived: { betaReciprocal: ([beta]) => reciprocal(beta!) },
  backwardFrom: 'x',
  accuracy: { kind: 'ulp', forward: 3, backward: 4 },
  cpu: {
    simd: {
      forward: (k, x, y, n, [beta, threshold]) => k.softplus_forward(x, y, n, beta!, threshold!),
      backward: (k, x, dy, dx, n, [beta, threshold]) => k.softplus_backward(x, dy, dx, n, beta!, threshold!),
    },
    // beta * x of two f32 values is exact in float64, so the threshold test is exact.
    forward(x, y, [beta, threshold]) {
      for (let i = 0; i < x.length; i++) {
        const v = x[i]!;
        const bx = beta! * v;
        if (bx > threshold!) y[i] = v;
        else if (bx > 0) y[i] = v + Math.log1p(Math.exp(-bx)) / beta!;
        else y[i] = Math.log1p(Math.exp(bx)) / beta!;
      }
    },
    backward(x, dy, dx, [beta, threshold]) {
      for (let i = 0; i < x.length; i++) {
        const bx = beta! * x[i]!;
        // Below -64, sigmoid(bx) = exp(bx) to 2^-92: formed so that an infinite dy stays infinite
        // where exp(bx) underflows (as on the GPU); bx = -Inf gives Inf * 0 = NaN there.
        dx[i] = bx > threshold! ? dy[i]! : bx < -64 ? mulExp64(dy[i]!, bx) : dy[i]! * sigmoid64(bx);
      }
    },
  },
});
