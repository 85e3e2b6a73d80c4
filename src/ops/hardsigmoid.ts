import wgsl from '../../shaders/activations/hardsigmoid.wgsl?raw';
import { bits, isNanBits } from '../numerics/bits.js';
import { defineOp, defineVariant } from './define.js';

/** A finite f32 number > 0, or what is expected instead. */
function positiveF32(value: number): string | undefined {
  const f = Math.fround(value);
  return f > 0 && Number.isFinite(f) ? undefined : 'a number > 0 that is finite in f32';
}

function finiteF32(value: number): string | undefined {
  return Number.isFinite(Math.fround(value)) ? undefined : 'a number that is finite in f32';
}

/**
 * Hard sigmoid: y = clamp(alpha * x + beta, 0, 1), alpha = 1/6 and beta = 0.5 by default (as
 * PyTorch; ONNX's default alpha is 0.2); dx = dy * alpha strictly inside the linear part, else 0.
 */
export const hardsigmoid = defineOp({
  name: 'hardsigmoid',
  formula: 'clamp(x/6 + 1/2, 0, 1)',
  wgsl,
  wgslPath: 'shaders/activations/hardsigmoid.wgsl',
  attrs: { alpha: { default: 1 / 6, check: positiveF32 }, beta: { default: 0.5, check: finiteF32 } },
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
 * default, y = max(0, min(1, alpha * x + beta)). alpha must be > 0, as for hardsigmoid (WebNN
 * takes any finite alpha; see docs/ops.md).
 */
export const hardSigmoid = defineVariant(hardsigmoid, {
  name: 'hardSigmoid',
  formula: 'clamp(0.2x + 1/2, 0, 1)',
  attrs: {
    alpha: { slot: 'alpha', default: 0.2, check: positiveF32 },
    beta: { slot: 'beta', default: 0.5, check: finiteF32 },
  },
});
