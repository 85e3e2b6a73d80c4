import wgsl from '../../shaders/activations/hardtanh.wgsl?raw';
import { bits, f32Bits, orderedKey } from '../numerics/bits.js';
import { exactClampBits, exactInside } from '../numerics/exact.js';
import { defineOp } from './define.js';

/**
 * Hardtanh: y = min(max(x, min), max) (NaN stays NaN); dx = min < x < max ? dy : 0 (dy at NaN).
 * min must be below max.
 */
export const hardtanh = defineOp({
  name: 'hardtanh',
  formula: 'clamp(x, −1, 1)',
  wgsl,
  wgslPath: 'shaders/activations/hardtanh.wgsl',
  attrs: { min: { default: -1 }, max: { default: 1 } },
  backwardFrom: 'x',
  checkAttrs: ({ min, max }) => (min >= max ? { argument: 'attrs.min', expected: 'min below max' } : undefined),
  accuracy: { kind: 'exact' },
  // The layer keeps min < x < max (or NaN), one bit: backward is dy there, +0 elsewhere.
  mask: {
    keep: (b, [min, max]) => exactInside(b, f32Bits(min!), f32Bits(max!)),
    backward: (keep, d) => (keep ? d : 0),
  },
  cpu: {
    simd: {
      forward: (k, x, y, n, [min, max]) => k.clamp(x, y, n, f32Bits(min!), f32Bits(max!)),
      backward: (k, x, dy, dx, n, [min, max]) => k.gate_inside(x, dy, dx, n, orderedKey(f32Bits(min!)), orderedKey(f32Bits(max!))),
    },
    forward(x, y, [min, max]) {
      const lo = f32Bits(min!);
      const hi = f32Bits(max!);
      const xb = bits(x);
      const yb = bits(y);
      for (let i = 0; i < xb.length; i++) yb[i] = exactClampBits(xb[i]!, lo, hi);
    },
    backward(x, dy, dx, [min, max]) {
      const lo = f32Bits(min!);
      const hi = f32Bits(max!);
      const xb = bits(x);
      const db = bits(dy);
      const out = bits(dx);
      for (let i = 0; i < xb.length; i++) out[i] = exactInside(xb[i]!, lo, hi) ? db[i]! : 0;
    },
  },
});
