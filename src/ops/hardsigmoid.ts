import wgsl from '../../shaders/activations/hardsigmoid.wgsl?raw';
import { bits, isNanBits } from '../numerics/bits.js';
import { defineOp, defineVariant } from './define.js';

function finiteF32(value: number): string | undefined {
  return Number.isFinite(Math.fround(value)) ? undefined : 'a number that is finite in f32';
}

/**
 * A finite f32 slope other than ±0. 0 would make the op the constant clamp(beta) except for a NaN
 * at ±Infinity (0 · Infinity), and a compiler may fold 0 · x to 0 in a fused snippet, where the
 * slope is a constant (SwiftShader does), so that the paths would disagree.
 */
function slopeF32(value: number): string | undefined {
  const f = Math.fround(value);
  return f !== 0 && Number.isFinite(f) ? undefined : 'a number other than 0 that is finite in f32';
}

/**
 * Hard sigmoid: y = clamp(alpha * x + beta, 0, 1), alpha = 1/6 and beta = 0.5 by default (as
 * PyTorch; ONNX's default alpha is 0.2); dx = dy * alpha strictly inside the linear part, else 0.
 * Any finite alpha but 0: a negative one makes it decreasing.
 */
export const hardsigmoid = defineOp({
  name: 'hardsigmoid',
  formula: 'clamp(x/6 + 1/2, 0, 1)',
  wgsl,
  wgslPath: 'shaders/activations/hardsigmoid.wgsl',
  attrs: { alpha: { default: 1 / 6, check: slopeF32 }, beta: { default: 0.5, check: finiteF32 } },
  backwardFrom: 'x',
  accuracy: { kind: 'ulp', forward: 2, backward: 1 },
  cpu: {
    simd: {
      forward: (k, x, y, n, [alpha, beta]) => k.hardsigmoid_forward(x, y, n, alpha!, beta!, -beta!, 1 - beta!),
      backward: (k, x, dy, dx, n, [alpha, beta]) => k.hardsigmoid_backward(x, dy, dx, n, alpha!, -beta!, 1 - beta!),
    },
    // In float64 alpha * x is exact (24 + 24 bits), so the region test is exact as on the GPU. NaNs
    // are decided on the bits (a NaN x is kept, as is a NaN dy inside the linear part), so the
    // SIMD twins can give the same bits.
    forward(x, y, [alpha, beta]) {
      const a = alpha!;
      const b = beta!;
      const xb = bits(x);
      const yb = bits(y);
      for (let i = 0; i < x.length; i++) {
        const ax = a * x[i]!;
        if (isNanBits(xb[i]!)) yb[i] = xb[i]!;
        else y[i] = ax > -b ? (ax < 1 - b ? ax + b : 1) : 0;
      }
    },
    backward(x, dy, dx, [alpha, beta]) {
      const a = alpha!;
      const b = beta!;
      const xb = bits(x);
      const db = bits(dy);
      const out = bits(dx);
      for (let i = 0; i < x.length; i++) {
        const ax = a * x[i]!;
        if (isNanBits(xb[i]!)) out[i] = xb[i]!;
        else if (!(ax > -b && ax < 1 - b)) out[i] = 0;
        else if (isNanBits(db[i]!)) out[i] = db[i]!;
        else dx[i] = dy[i]! * a;
      }
    },
  },
});

/**
 * WebNN's (and ONNX's) hardSigmoid: hardsigmoid's kernels with alpha = 0.2 and beta = 0.5 by
 * default, y = max(0, min(1, alpha * x + beta)), any finite alpha but 0 and any finite beta (WebNN
 * takes 0 too; see docs/ops.md).
 */
export const hardSigmoid = defineVariant(hardsigmoid, {
  name: 'hardSigmoid',
  formula: 'clamp(0.2x + 1/2, 0, 1)',
  attrs: {
    alpha: { slot: 'alpha', default: 0.2, check: slopeF32 },
    beta: { slot: 'beta', default: 0.5, check: finiteF32 },
  },
});
