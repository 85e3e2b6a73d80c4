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
  // Lengths at the vec4/tail and chunk edges, offsets that defeat vec4, specials everywhere.
  { op: 'relu', attrSet: 0, length: 5, offsets: [1, 2, 3], slack: 1, seed: 1, specialRate: 0.5 },
  { op: 'thresholdedRelu', attrSet: 3, length: 4099, offsets: [4, 0, 64], slack: 3, seed: 2, specialRate: 0.25 },
];
