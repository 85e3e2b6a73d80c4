import type { SimdKernels } from '../cpu/simd.js';
import type { Grouping } from './maxout.js';
import type { Broadcast } from './prelu.js';
import type { Gating } from './gated.js';
import type { RowLayout } from './softmax.js';
import { InvalidArgumentError, describe } from '../errors.js';

/** How closely results must match the float64 reference (and, when exact, each other). */
export type Accuracy =
  /** Bit-exact on every backend, NaN payloads and subnormals included. */
  | { readonly kind: 'exact' }
  /** Within `forward`/`backward` ULP of the float64 reference; results below the smallest normal may flush to 0. */
  | { readonly kind: 'ulp'; readonly forward: number; readonly backward: number };

/**
 * One attribute of an op: a number (alpha, beta, threshold…) or one of a few named choices
 * (gelu's approximate: 'none' | 'tanh'), which reaches the WGSL as the choice's index.
 */
export type AttrSpec =
  | {
      readonly default: number;
      /**
       * ±Infinity is a value this attribute takes (a bound that does not bound: WebNN clamp's
       * minValue/maxValue, ONNX Clip's min/max), and a double past f32's range is taken as one.
       * Only attributes that say so; every other attribute refuses non-finite values.
       */
      readonly infinite?: boolean;
      /** Says what is expected when `value` is out of range; undefined when it is fine. */
      readonly check?: (value: number) => string | undefined;
    }
  | { readonly default: string; readonly choices: readonly string[] };

/** The CPU side of an op: element-by-element, over Float32Arrays, attributes as f32 values. */
export interface CpuKernels {
  forward(x: Float32Array, y: Float32Array, attrs: readonly number[]): void;
  /** `saved` is x, or y for ops whose gradient is computed from the output. */
  backward(saved: Float32Array, dy: Float32Array, dx: Float32Array, attrs: readonly number[]): void;
  /**
   * The WebAssembly SIMD twins (src/cpu/wasm/kernels.ts), on byte addresses of the operands in the
   * kernels' memory: the same bits for the exact ops and those whose float64 steps they repeat;
   * for the exp family (their own exp, expm1, log1p, erfc) within the op's bound, and the same bits but
   * where the two float64 values straddle an f32 rounding boundary. Ops without them run the JS
   * kernels everywhere.
   */
  readonly simd?: {
    forward(k: SimdKernels, x: number, y: number, n: number, attrs: readonly number[]): void;
    backward(k: SimdKernels, saved: number, dy: number, dx: number, n: number, attrs: readonly number[]): void;
  };
}

/**
 * One activation, defined once. Its WGSL file implements `fn forward(x: V) -> V` and
 * `fn backward(saved: V, dy: V) -> V` against the preamble's aliases, reading attributes from
 * `params.attrs` (x, y, z, w in declaration order); the CPU kernels follow the same definition.
 */
export interface OpDefinition<A extends string = string> {
  readonly kind: 'elementwise';
  readonly name: string;
  /** The op with its default attributes, as a person writes it (the demo shows it beside each plot). */
  readonly formula: string;
  /** The op's WGSL, `shaders/activations/<name>.wgsl`. */
  readonly wgsl: string;
  readonly wgslPath: string;
  /** Attributes in slot order (at most 4). */
  readonly attrs: Readonly<Record<A, AttrSpec>>;
  /**
   * Values computed on the host from the attributes (in slot order) that the WGSL reads from the
   * slots after them: celu's and softplus's reciprocal of alpha or beta, so that no kernel
   * divides by an attribute (a compiler may turn a division by a constant into a multiplication
   * by its reciprocal, which a fused snippet's constants would then round otherwise than the
   * uniform does). Named as attributes are; the CPU kernels do not see them.
   */
  readonly derived?: Readonly<Record<string, (attrs: readonly number[]) => number>>;
  /** What backward reads besides dy: the input x (most ops) or the output y (sigmoid, tanh). */
  readonly backwardFrom: 'x' | 'y';
  /**
   * backward(saved, dy) does not read `saved` (linear: dx = alpha * dy). The training layer then
   * keeps nothing between forward and backward and hands the kernels dy in its place; backward
   * by name still takes `{ x, dy }` as for the other ops.
   */
  readonly backwardIgnoresSaved?: true;
  readonly cpu: CpuKernels;
  readonly accuracy: Accuracy;
  /**
   * Checks attributes against each other (hardtanh: min below max), after each passed its own
   * check; returns the argument to blame and what was expected, or undefined when they agree.
   */
  readonly checkAttrs?: (values: Readonly<Record<A, number>>) => { argument: string; expected: string } | undefined;
  /**
   * For a variant (see {@link defineVariant}): the op whose WGSL and CPU kernels it runs. GPU
   * modules and pipelines are named and cached under that op, so the two share them.
   */
  readonly variantOf?: string;
  /**
   * Ops whose gradient needs one bit per element (relu: was x kept?) declare it: the WGSL file
   * then also has `fn mask_keep(x: V) -> B` and `fn masked_backward(keep: B, dy: V) -> V`, and
   * these are their CPU twins, on f32 bits. The training layer then keeps 1 bit, not x.
   */
  readonly mask?: {
    keep(xBits: number, attrs: readonly number[]): boolean;
    backward(keep: boolean, dyBits: number, attrs: readonly number[]): number;
    /**
     * The WebAssembly SIMD twins over whole arrays (byte addresses in the kernels' memory; the mask
     * as u32 words, bit i in word i >> 5, bits past n 0), the same bits: forward writes y, as the
     * op's forward, and the mask of keep; backward dx from the mask and dy.
     */
    readonly simd?: {
      forward(k: SimdKernels, x: number, y: number, words: number, n: number, attrs: readonly number[]): void;
      backward(k: SimdKernels, words: number, dy: number, dx: number, n: number, attrs: readonly number[]): void;
    };
  };
}

/** An elementwise op: the registry's usual kind. */
export type ElementwiseOp = OpDefinition;

/** Declares an elementwise op, keeping its attribute names as literal types for the public API. */
export function defineOp<const A extends string = never, const D extends Omit<OpDefinition<A>, 'kind'> = Omit<OpDefinition<A>, 'kind'>>(
  def: D & Omit<OpDefinition<A>, 'kind'>,
): D & { readonly kind: 'elementwise' } {
  if (Object.keys(def.attrs).length + Object.keys(def.derived ?? {}).length > 4) {
    throw new Error(`${def.name}: at most 4 attributes and derived values fit params.attrs`);
  }
  return { ...def, kind: 'elementwise' };
}

/** One attribute of a variant: its own name (the key) and default, set on one of the base op's slots. */
export type VariantAttrSpec = AttrSpec & {
  /** The base op's attribute this one sets. */
  readonly slot: string;
};

/** What a variant declares; everything else (WGSL, CPU kernels, accuracy, mask) is its base op's. */
export interface VariantSpec<A extends string = string> {
  readonly name: string;
  /** The variant with its default attributes, as a person writes it. */
  readonly formula: string;
  /** Every slot of the base op, each set by exactly one of these. */
  readonly attrs: Readonly<Record<A, VariantAttrSpec>>;
  /** Checks the variant's attributes against each other, by its own names (see OpDefinition). */
  readonly checkAttrs?: (values: Readonly<Record<A, number>>) => { argument: string; expected: string } | undefined;
}

/**
 * Declares a variant of an elementwise op: the same function under another name, as another
 * standard spells it, with its own attribute names and defaults (WebNN's `hardSigmoid`, alpha
 * 0.2, is PyTorch's `hardsigmoid`, alpha 1/6; WebNN's `clamp {minValue, maxValue}` and ONNX's
 * `clip {min, max}`, both unbounded by default, are `hardtanh {min = -1, max = 1}`). Each of its
 * attributes names the base op's slot it sets; the result is an op definition whose attributes
 * are the variant's, in the base's slot order, and which runs the base op's WGSL and CPU
 * kernels unchanged. The base's cross-attribute check is not inherited (it speaks of the
 * base's names): a variant states its own.
 */
export function defineVariant<
  const B extends OpDefinition,
  const A extends string = never,
  const D extends VariantSpec<A> = VariantSpec<A>,
>(base: B, def: D & VariantSpec<A>): Omit<B, 'name' | 'formula' | 'attrs' | 'checkAttrs'> & D & { readonly variantOf: B['name'] } {
  const slots = Object.keys(base.attrs);
  const given = Object.entries<VariantAttrSpec>(def.attrs);
  for (const [name, spec] of given) {
    if (!slots.includes(spec.slot)) throw new Error(`${def.name}: attrs.${name} sets '${spec.slot}', which ${base.name} does not have`);
  }
  const attrs: Record<string, VariantAttrSpec> = {};
  for (const slot of slots) {
    const setters = given.filter(([, spec]) => spec.slot === slot);
    if (setters.length !== 1) throw new Error(`${def.name}: ${base.name}'s '${slot}' must be set by exactly one attribute`);
    attrs[setters[0]![0]] = setters[0]![1];
  }
  // The base's checkAttrs speaks of its own names: only the variant's own (if any) is kept.
  const kernels: { -readonly [K in keyof OpDefinition]?: OpDefinition[K] } = { ...base };
  delete kernels.checkAttrs;
  return { ...kernels, ...def, attrs, variantOf: base.name } as unknown as Omit<B, 'name' | 'formula' | 'attrs' | 'checkAttrs'> &
    D & { readonly variantOf: B['name'] };
}

/**
 * An op with a tensor parameter that broadcasts over x (PReLU's slopes): its WGSL file declares
 * forward(x, p), backward(x, p, dy), param_term(x, dy), mask_keep(x) and masked_backward(keep,
 * p, dy) for shaders/per-channel.wgsl; these are the CPU twins.
 */
export interface PerChannelOp {
  readonly kind: 'per-channel';
  readonly name: string;
  readonly wgsl: string;
  readonly wgslPath: string;
  readonly cpu: {
    forward(x: Float32Array, param: Float32Array, b: Broadcast, y: Float32Array): void;
    /** Writes y and the 1-bit mask (bit j of word w: element 32w + j). */
    forwardMask(x: Float32Array, param: Float32Array, b: Broadcast, y: Float32Array, mask: Uint32Array): void;
    backwardMask(words: Uint32Array, param: Float32Array, dy: Float32Array, b: Broadcast, dx: Float32Array): void;
    /** Writes dx and each element's term of the parameter's gradient (rows of b.perParam, one per parameter). */
    backward(x: Float32Array, param: Float32Array, dy: Float32Array, b: Broadcast, dx: Float32Array, terms: Float32Array): void;
    /**
     * The WebAssembly SIMD twins of forward, backward and the frozen-slope mask kernels (byte
     * addresses in the kernels' memory), for the broadcasts they take (`fits`); the same bits.
     * Others run the JS kernels.
     */
    readonly simd?: {
      fits(b: Broadcast): boolean;
      forward(k: SimdKernels, x: number, param: number, y: number, n: number, b: Broadcast): void;
      backward(k: SimdKernels, x: number, param: number, dy: number, dx: number, terms: number, n: number, b: Broadcast): void;
      /** forwardMask's twin: y, and the mask as u32 words at `words`. */
      forwardMask(k: SimdKernels, x: number, param: number, y: number, words: number, n: number, b: Broadcast): void;
      /** backwardMask's twin. */
      backwardMask(k: SimdKernels, words: number, param: number, dy: number, dx: number, n: number, b: Broadcast): void;
    };
  };
}

/**
 * An op over groups of neighbouring entries along an axis (maxout): its WGSL file declares
 * takes_lead(candidate, best) for shaders/grouped.wgsl; these are the CPU twins.
 */
export interface GroupedOp {
  readonly kind: 'grouped';
  readonly name: string;
  readonly wgsl: string;
  readonly wgslPath: string;
  readonly cpu: {
    forward(x: Float32Array, g: Grouping, y: Float32Array): void;
    backward(x: Float32Array, dy: Float32Array, g: Grouping, dx: Float32Array): void;
    /** The WebAssembly SIMD twins (byte addresses in the kernels' memory); the same bits. */
    readonly simd?: {
      forward(k: SimdKernels, x: number, y: number, g: Grouping): void;
      backward(k: SimdKernels, x: number, dy: number, dx: number, g: Grouping): void;
    };
  };
}

/**
 * A gated unit (GLU, ReGLU, GeGLU, SwiGLU): x splits along an axis into halves a and b, and
 * y = a * gate(b), the gate being an elementwise op of the registry (its own kernels, so on the
 * GPU the same bits as forward(gate) on b). Its WGSL file declares gate_forward(b) and
 * gate_backward(b, g, dg) over the gate's file for shaders/gated.wgsl; the CPU twins run the
 * gate's kernels in the same order: the ones the CPU backend gives them (its SIMD kernels where
 * the gate has them, as forward(gate) runs), the gate's JS kernels otherwise.
 */
export interface GatedOp {
  readonly kind: 'gated';
  readonly name: string;
  /** The op with its default attributes, as a person writes it. */
  readonly formula: string;
  readonly wgsl: string;
  readonly wgslPath: string;
  /** The elementwise op applied to b; its attributes are the gated op's (besides `axis`). */
  readonly gate: ElementwiseOp;
  readonly cpu: {
    forward(x: Float32Array, g: Gating, y: Float32Array, attrs: readonly number[], gate?: GateKernels): void;
    backward(x: Float32Array, dy: Float32Array, g: Gating, dx: Float32Array, attrs: readonly number[], gate?: GateKernels): void;
  };
}

/** The gate's forward and backward as a gated unit's CPU kernels call them (default: its JS kernels). */
export type GateKernels = Pick<CpuKernels, 'forward' | 'backward'>;

/**
 * A row-normalising op (softmax, logSoftmax) along an axis: its WGSL file declares row_value,
 * row_output, grad_term and row_grad for shaders/softmax.wgsl, in the deterministic arithmetic
 * of shaders/lib/deterministic.wgsl; the CPU twins follow the kernels' order, so their bits agree.
 */
export interface RowOp {
  readonly kind: 'softmax';
  readonly name: string;
  /** The op as a person writes it. */
  readonly formula: string;
  readonly wgsl: string;
  readonly wgslPath: string;
  /** The bound measured against float64 (see docs/ops.md for what it is relative to). */
  readonly accuracy: { readonly forward: number; readonly backward: number };
  readonly cpu: {
    forward(x: Float32Array, layout: RowLayout, y: Float32Array): void;
    /** dx from y (the forward's output) and dy. */
    backward(y: Float32Array, dy: Float32Array, layout: RowLayout, dx: Float32Array): void;
    /** The WebAssembly SIMD twins (byte addresses in the kernels' memory); the same bits. */
    readonly simd?: {
      forward(k: SimdKernels, x: number, y: number, layout: RowLayout): void;
      backward(k: SimdKernels, y: number, dy: number, dx: number, layout: RowLayout): void;
    };
  };
}

/** Any registry entry. */
export type AnyOp = ElementwiseOp | PerChannelOp | GroupedOp | GatedOp | RowOp;

/**
 * 1 / value rounded to f32 where that is a normal f32 number (and value is one too), else 0: the
 * kernels then divide by the attribute itself (an alpha beyond 2^±126, where a compiler's
 * folding of a constant divisor is not excluded).
 */
export function reciprocal(value: number): number {
  const r = Math.fround(1 / value);
  const normal = (v: number) => Math.abs(v) >= 2 ** -126 && Number.isFinite(v);
  return normal(value) && normal(r) ? r : 0;
}

/**
 * What the op's WGSL reads from params.attrs: the attribute values (slot order, f32) followed by
 * the values derived from them (see OpDefinition.derived), each rounded to f32.
 */
export function slotValues(op: { readonly derived?: OpDefinition['derived'] }, attrs: readonly number[]): number[] {
  const derived = op.derived ? Object.values(op.derived).map((f) => Math.fround(f(attrs))) : [];
  return [...attrs, ...derived];
}

/**
 * The op's attribute values in slot order, rounded to f32 as the GPU sees them, from the
 * caller's partial object. Unknown names, non-finite values (±Infinity is fine for attributes
 * declared `infinite`; NaN never is) and values the op's check refuses throw an
 * InvalidArgumentError naming `attrs.<name>`.
 */
export function resolveAttrs(op: OpDefinition, given: unknown): number[] {
  const specs = op.attrs;
  const names = Object.keys(specs);
  if (given === undefined) given = {};
  if (typeof given !== 'object' || given === null) {
    throw new InvalidArgumentError('attrs', `an object of ${op.name}'s attributes`, describe(given));
  }
  for (const key of Object.keys(given)) {
    if (!Object.hasOwn(specs, key)) {
      const valid = names.length ? `one of ${names.map((n) => `'${n}'`).join(', ')}` : 'no attributes';
      throw new InvalidArgumentError(`attrs.${key}`, `${op.name} takes ${valid}`, `'${key}'`);
    }
  }
  const values = names.map((name) => {
    const spec = specs[name]!;
    const raw = (given as Record<string, unknown>)[name];
    const value = raw === undefined ? spec.default : raw;
    if ('choices' in spec) {
      const index = spec.choices.indexOf(value as string);
      if (typeof value !== 'string' || index < 0) {
        throw new InvalidArgumentError(`attrs.${name}`, `one of ${spec.choices.map((c) => `'${c}'`).join(', ')}`, describe(value));
      }
      return index;
    }
    if (spec.infinite) {
      if (typeof value !== 'number' || Number.isNaN(value)) {
        throw new InvalidArgumentError(`attrs.${name}`, 'a number (±Infinity allowed), not NaN', describe(value));
      }
    } else if (typeof value !== 'number' || !Number.isFinite(Math.fround(value))) {
      // The kernels see f32: a double past f32's range would be Infinity there.
      const finite = typeof value === 'number' && Number.isFinite(value);
      throw new InvalidArgumentError(
        `attrs.${name}`,
        finite ? 'a number within f32 range (|x| < 3.4028235e38)' : 'a finite number',
        describe(value),
      );
    }
    const problem = spec.check?.(value);
    if (problem) throw new InvalidArgumentError(`attrs.${name}`, problem, describe(value));
    return Math.fround(value);
  });
  const problem = op.checkAttrs?.(Object.fromEntries(names.map((n, i) => [n, values[i]!])));
  if (problem) {
    const got = names.map((n, i) => `${n} = ${values[i]}`).join(', ');
    throw new InvalidArgumentError(problem.argument, problem.expected, got);
  }
  return values;
}
