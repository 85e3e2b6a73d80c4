import type { OpName } from '../../src/index.js';

/** Attribute values by name, as a spec writes them. */
export type AttrValues = Readonly<Record<string, number>>;

/**
 * One op's tests, declared like a spec sheet (after onnxruntime's op test data): hand-worked
 * values, float64 reference formulas, attribute sets to sweep and bad attributes to refuse. The
 * family suite (test/conformance/ops.ts) turns every *.spec.ts here into cases on every backend.
 */
export interface OpSpec {
  readonly op: OpName;
  /** Attribute sets the sweep runs with; `{}` means the defaults. */
  readonly attrSets: readonly AttrValues[];
  /** float64 reference: y = op(x). A NaN result means "the input NaN" for exact ops. */
  forward(x: number, attrs: AttrValues): number;
  /**
   * float64 reference gradient dx from dy and `saved`, which is x, or the f32-rounded forward
   * output y for ops whose gradient is computed from y.
   */
  backward(saved: number, dy: number, attrs: AttrValues): number;
  /** Hand-worked values: y = op(x) and, when given, grad = dop/dx at x (so dx for dy = 1). */
  readonly examples: readonly { readonly x: number; readonly y: number; readonly grad?: number; readonly attrs?: AttrValues }[];
  /** Extra sweep points (kinks, thresholds, where the formula switches branches). */
  readonly points?: readonly number[];
  /** Attribute values the op must refuse, and the argument the error must name. */
  readonly badAttrs?: readonly { readonly attrs: AttrValues; readonly argument: string }[];
}
