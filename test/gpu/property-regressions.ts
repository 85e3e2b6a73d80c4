/** One generated case of the GPU/CPU equivalence property. */
export interface PropertyCase {
  readonly op: string;
  readonly attrSet: number;
  readonly length: number;
  /** Element offsets of x, y/dx and dy into their caller buffers (bytes = 4 * offset). */
  readonly offsets: readonly [number, number, number];
  /** Spare elements after each operand, so buffer sizes are not multiples of 16. */
  readonly slack: number;
  readonly seed: number;
  readonly specialRate: number;
}

/**
 * Shrunk counterexamples the property once found, kept so they run first on every run. Add the
 * case fast-check prints ("Counterexample: [...]") here when it finds one.
 */
export const regressions: readonly PropertyCase[] = [
  // softsign backward, x = 1.2e32, dy = 2.5e27: dy / (d * d) gave 0 (the square overflowed), not 1.7e-37.
  { op: 'softsign', attrSet: 0, length: 3, offsets: [0, 0, 0], slack: 0, seed: 0, specialRate: 0 },
  // Lengths at the vec4/tail and chunk edges, offsets that defeat vec4, specials everywhere.
  { op: 'relu', attrSet: 0, length: 5, offsets: [1, 2, 3], slack: 1, seed: 1, specialRate: 0.5 },
  { op: 'thresholdedRelu', attrSet: 3, length: 4099, offsets: [4, 0, 64], slack: 3, seed: 2, specialRate: 0.25 },
  // celu backward, alpha = 1.5: one element past the stated ULP bound.
  { op: 'celu', attrSet: 2, length: 156, offsets: [0, 0, 0], slack: 0, seed: 268590145, specialRate: 0 },
  // celu backward, x = -510.05, dy = -Inf: -Inf * exp(x / alpha) must be -Inf (exp > 0), not NaN.
  { op: 'celu', attrSet: 0, length: 100, offsets: [0, 0, 0], slack: 0, seed: 9, specialRate: 0.352096101269126 },
  // elu backward, alpha = 2.5: dy = 2.9e38, dy * alpha overflowed f32 before exp(x) scaled it down.
  { op: 'elu', attrSet: 6, length: 35, offsets: [0, 0, 0], slack: 0, seed: 1121259690, specialRate: 0 },
  // selu backward: subnormal dy times scale * alpha is normal, but the f32 product was flushed.
  { op: 'selu', attrSet: 0, length: 496, offsets: [0, 0, 0], slack: 0, seed: 0, specialRate: 0 },
  // silu backward below -64: dy * (1 + x) overflowed f32 (x = -4e35 clamped to -300, dy = 1.4e38).
  { op: 'silu', attrSet: 0, length: 7, offsets: [0, 0, 0], slack: 0, seed: 1421185342, specialRate: 0 },
  // silu backward: subnormal dy times a factor > 1 is normal, but the f32 product was flushed.
  { op: 'silu', attrSet: 0, length: 3, offsets: [0, 0, 0], slack: 0, seed: 2087188514, specialRate: 0.4246055586263538 },
  // silu backward 0.0027 from the gradient's zero (x = -1.2758): 33 ULP from cancellation.
  { op: 'silu', attrSet: 0, length: 21, offsets: [0, 0, 0], slack: 0, seed: 1328125871, specialRate: 0 },
  // silu and mish backward at NaN x: the factor's clamp to >= 1 must not take NaN for large x.
  { op: 'silu', attrSet: 0, length: 568, offsets: [0, 0, 0], slack: 0, seed: 0, specialRate: 0 },
  { op: 'mish', attrSet: 0, length: 3, offsets: [0, 0, 0], slack: 0, seed: 0, specialRate: 0.4673278229311109 },
  // mish backward 4e-5 from the gradient's zero (x = -1.19247): 190 ULP from cancellation.
  { op: 'mish', attrSet: 0, length: 377, offsets: [0, 0, 0], slack: 0, seed: 19, specialRate: 0 },
  // mish backward, dy = -2^-126, x = 16: the factor (> 1) rounded below 1 and dy * factor flushed.
  { op: 'mish', attrSet: 0, length: 130, offsets: [0, 0, 0], slack: 0, seed: 14, specialRate: 0.23600230459123853 },
  // mish backward, dy = 2^-126 - 2^-149, x = 9.75: the factor 1 + 1.3e-7 rounded to 1, dx flushed.
  { op: 'mish', attrSet: 0, length: 227, offsets: [0, 0, 0], slack: 0, seed: 975642676, specialRate: 0.48138921568170195 },
  // softplus backward, beta = 1.7: beta * x = -135.8, past where its rounding error was carried (26 ULP).
  { op: 'softplus', attrSet: 3, length: 2379, offsets: [0, 0, 0], slack: 0, seed: 179448243, specialRate: 0 },
  // softplus backward, beta = 1.7, x = -3.4e38, dy = Inf: beta * x overflowed to -Inf in f32 (NaN, not Inf).
  { op: 'softplus', attrSet: 3, length: 25, offsets: [0, 0, 0], slack: 0, seed: 231950426, specialRate: 0.4882866831030697 },
  // gelu backward, x = -3.5e25, dy = NaN: the left tail's cut-off at x <= -40 gave 0 for every dy; NaN must stay NaN.
  { op: 'gelu', attrSet: 0, length: 1, offsets: [0, 0, 0], slack: 0, seed: 117, specialRate: 0.25 },
  // gelu backward, x = -1.2e17, dy = Inf: the gradient is nonzero and negative, so -Inf (not 0; float64 gave NaN).
  { op: 'gelu', attrSet: 0, length: 1, offsets: [0, 0, 0], slack: 0, seed: 1472, specialRate: 0.25 },
  // gelu backward, x = -Inf, dy NaN or infinite: the gradient is its limit 0, and dy * 0 is NaN.
  { op: 'gelu', attrSet: 0, length: 1, offsets: [0, 0, 0], slack: 0, seed: 2546, specialRate: 0.25 },
  // gelu backward, x = 3.86, dy = -2^-126 + 2^-149: dy * 1.0008 is normal, but the subnormal dy was flushed.
  { op: 'gelu', attrSet: 0, length: 44, offsets: [0, 0, 0], slack: 0, seed: 5, specialRate: 0.4049374319147319 },
  // gelu 'tanh' backward, x = -11.78, dy = -2.2e34: dx = 1.1e-22, but the clamp to -11 gave 0.
  { op: 'gelu', attrSet: 3, length: 300, offsets: [0, 0, 0], slack: 0, seed: 0, specialRate: 0 },
  // gelu 'tanh' backward, x = -12.93, dy = -1.2e38: dx is normal, past the old clamp at -11.
  { op: 'gelu', attrSet: 1, length: 1, offsets: [0, 0, 0], slack: 0, seed: 245, specialRate: 0 },
  // gelu 'tanh' backward, x = -1.2e17, dy = Inf: -Inf (the gradient is nonzero; float64 underflows it, NaN).
  { op: 'gelu', attrSet: 1, length: 1, offsets: [0, 0, 0], slack: 0, seed: 1472, specialRate: 0.25 },
  // gelu 'tanh' backward, x = 1, dy = 2^-126 - 2^-149: dy * 1.083 is normal, but the subnormal dy was flushed.
  { op: 'gelu', attrSet: 1, length: 1, offsets: [0, 0, 0], slack: 0, seed: 585, specialRate: 0.25 },
  // hardswish backward, x = 1.83, dy = 1.12e-38: dy * 1.11 is normal, but the subnormal dy was flushed.
  { op: 'hardswish', attrSet: 0, length: 1502, offsets: [0, 0, 0], slack: 0, seed: 1074393364, specialRate: 0 },
];
