import wgsl from '../../shaders/activations/hardtanh.wgsl?raw';
import { bits, f32Bits, orderedKey } from '../numerics/bits.js';
import { exactClampBits, exactInside } from '../numerics/exact.js';
import { defineOp, defineVariant } from './define.js';

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
    simd: {
      forward(k, x, y, words, n, [min, max]) {
        k.mask_inside(x, words, n, orderedKey(f32Bits(min!)), orderedKey(f32Bits(max!)), true);
        k.clamp(x, y, n, f32Bits(min!), f32Bits(max!));
      },
      backward: (k, words, dy, dx, n) => k.masked_select(words, dy, dx, n),
    },
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

/**
 * WebNN's clamp: hardtanh's kernels with WebNN's names and defaults, y = min(max(x, minValue),
 * maxValue), minValue = -Infinity and maxValue = +Infinity (no bound) unless given. Infinite
 * bounds are allowed and so is minValue == maxValue (every output is that value, the gradient 0
 * everywhere but at NaN); minValue > maxValue is refused, as WebNN throws a TypeError there.
 * The gradient is hardtanh's, dy strictly between the bounds and 0 at and past them.
 */
export const clamp = defineVariant(hardtanh, {
  name: 'clamp',
  formula: 'clamp(x, −∞, +∞)',
  attrs: {
    minValue: { slot: 'min', default: -Infinity, infinite: true },
    maxValue: { slot: 'max', default: Infinity, infinite: true },
  },
  checkAttrs: ({ minValue, maxValue }) =>
    minValue > maxValue ? { argument: 'attrs.minValue', expected: 'minValue <= maxValue (WebNN clamp)' } : undefined,
});

/**
 * ONNX's Clip: hardtanh's kernels with ONNX's names, y = Min(max, Max(x, min)), unbounded
 * unless min or max is given (the ONNX reference implementation's reading of the defaults;
 * ONNX's text says numeric_limits lowest()/max(), which differs only at ±Infinity inputs).
 * min > max is allowed, as ONNX defines it: every output is max (gradient 0).
 */
export const clip = defineVariant(hardtanh, {
  name: 'clip',
  formula: 'clip(x, −∞, +∞)',
  attrs: {
    min: { slot: 'min', default: -Infinity, infinite: true },
    max: { slot: 'max', default: Infinity, infinite: true },
  },
});
