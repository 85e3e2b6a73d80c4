import type { OpSpec } from './op-spec.js';

const alpha = (a: { alpha?: number }) => Math.fround(a.alpha ?? 0.01);

// The float64 product of two f32s is exact (24 + 24 significand bits), so rounding it once to f32
// (the suite compares bits through setFloat32) is the correctly rounded f32 product, subnormals kept.
export const spec: OpSpec = {
  op: 'leakyRelu',
  // 0.5 makes ties out of odd subnormals (round half to even); 1e-30 and 1e-40 (itself subnormal)
  // make subnormal products out of normal inputs; 3 overflows to -Inf; -0.5 flips signs.
  attrSets: [{}, { alpha: 0.2 }, { alpha: 0.5 }, { alpha: 1e-30 }, { alpha: 1e-40 }, { alpha: -0.5 }, { alpha: 3 }],
  forward: (x, a) => (Number.isNaN(x) ? x : x > 0 ? x : alpha(a) * x),
  // PyTorch's leaky_relu_backward: x > 0 ? dy : alpha * dy, so alpha * dy at 0 and at NaN inputs.
  backward: (x, dy, a) => (x > 0 ? dy : alpha(a) * dy),
  examples: [
    { x: 3, y: 3, grad: 1 },
    { x: -2, y: -0.02, grad: 0.01 },
    { x: 0, y: 0, grad: 0.01 },
    { x: -0, y: -0, grad: 0.01 },
    { x: 2 ** -149, y: 2 ** -149, grad: 1 },
    { x: -Infinity, y: -Infinity, grad: 0.01 },
    { x: Infinity, y: Infinity, grad: 1 },
    { x: Number.NaN, y: Number.NaN, grad: 0.01 },
    { x: -4, y: 2, grad: -0.5, attrs: { alpha: -0.5 } },
    { x: -0, y: 0, grad: -0.5, attrs: { alpha: -0.5 } },
    // -2^-126 * 0.5 = -2^-127: a normal input, a subnormal result.
    { x: -(2 ** -126), y: -(2 ** -127), grad: 0.5, attrs: { alpha: 0.5 } },
    // -3 * 2^-149 * 0.5 = -1.5 * 2^-149, a tie: to even, -2 * 2^-149.
    { x: -3 * 2 ** -149, y: -(2 ** -148), grad: 0.5, attrs: { alpha: 0.5 } },
    // -(2^-125 - 2^-149) * 0.5 is halfway between the largest subnormal and 2^-126: up to 2^-126.
    { x: -(2 ** -125 - 2 ** -149), y: -(2 ** -126), grad: 0.5, attrs: { alpha: 0.5 } },
    // 2^-100 * 2^-40 = 2^-140, subnormal.
    { x: -(2 ** -100), y: -(2 ** -140), grad: 2 ** -40, attrs: { alpha: 2 ** -40 } },
    { x: -1, y: -1e-40, grad: 1e-40, attrs: { alpha: 1e-40 } },
    { x: -3e38, y: -Infinity, grad: 3, attrs: { alpha: 3 } },
  ],
  // Inputs whose products with the alphas above land on or near the smallest normal, or below it.
  points: [1e-37, 1e-40, 2 ** -149, 3 * 2 ** -149, 2 ** -126 / 0.01, Math.fround(2 ** -126 / 0.2), 2 ** -125, 1e-10, 1e-8, 1.1754942e-38],
  badAttrs: [
    { attrs: { negativeSlope: 0.1 }, argument: 'attrs.negativeSlope' },
    { attrs: { alpha: 0.1, theta: 1 }, argument: 'attrs.theta' },
  ],
};
