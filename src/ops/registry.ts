import { InvalidArgumentError, UnknownOpError } from '../errors.js';
import type { AnyOp, OpDefinition } from './define.js';
import { maxout } from './maxout.js';
import { prelu } from './prelu.js';
import { relu } from './relu.js';
import { sigmoid } from './sigmoid.js';
import { thresholdedRelu } from './thresholded-relu.js';
import { clamp, clip, hardtanh } from './hardtanh.js';
import { leakyRelu } from './leaky-relu.js';
import { relu6 } from './relu6.js';
import { tanh } from './tanh.js';
import { elu } from './elu.js';
import { selu } from './selu.js';
import { celu } from './celu.js';
import { softplus } from './softplus.js';
import { silu } from './silu.js';
import { mish } from './mish.js';
import { gelu } from './gelu.js';
import { hardSigmoid, hardsigmoid } from './hardsigmoid.js';
import { hardSwish, hardswish } from './hardswish.js';
import { softsign } from './softsign.js';
import { linear } from './linear.js';

import { glu } from './glu.js';
import { reglu } from './reglu.js';
import { geglu } from './geglu.js';
import { swiglu } from './swiglu.js';
import { logSoftmax, softmax } from './softmax.js';

export type { Accuracy, AnyOp, AttrSpec, ElementwiseOp, GatedOp, GroupedOp, OpDefinition, PerChannelOp, RowOp } from './define.js';

// The one table both backends read. Adding an op: its WGSL file, its entry here, its test spec.
// Elementwise ops (the usual kind) here; ops of the other kinds below.
const ops = {
  relu,
  thresholdedRelu,
  leakyRelu,
  relu6,
  hardtanh,
  sigmoid,
  tanh,
  elu,
  selu,
  celu,
  softplus,
  silu,
  mish,
  gelu,
  hardsigmoid,
  hardswish,
  softsign,
  linear,
} as const;

type Ops = typeof ops;

/**
 * Ops of the other kinds: a tensor parameter broadcast over x (per-channel), groups along an
 * axis (grouped), gated units (an elementwise gate on one half of x times the other half), rows
 * normalised along an axis (softmax).
 */
const otherKinds = { prelu, maxout, glu, reglu, geglu, swiglu, softmax, logSoftmax } as const satisfies Record<string, AnyOp>;

/** The gated units' names: forward/backward/layer take them, with `{ axis }` and their gate's attributes. */
export type GatedName = 'glu' | 'reglu' | 'geglu' | 'swiglu';

/** The row-normalising ops' names: forward/backward/layer take them, with `{ axis }`. */
export type SoftmaxName = 'softmax' | 'logSoftmax';

/** The gated units, in registry order. */
export const gatedNames: readonly GatedName[] = ['glu', 'reglu', 'geglu', 'swiglu'] satisfies (keyof typeof otherKinds)[];

/**
 * Variants: an op's kernels under another standard's name, attribute names and defaults
 * (defineVariant in define.ts). WebNN's names that differ from ours, and ONNX's Clip.
 */
const variants = { hardSigmoid, hardSwish, clamp, clip } as const satisfies Record<string, OpDefinition>;
type Variants = typeof variants;
type Entries = Ops & Variants;

/** The name of an elementwise activation: a registered op or a variant of one. */
export type OpName = keyof Entries;

/** The value type of one attribute spec: a number, or the union of its choices. */
type AttrValue<S> = S extends { readonly choices: readonly (infer C)[] } ? C : number;

/** The attributes an op takes, all optional (defaults apply), e.g. `{ theta: 0.5 }`. */
export type OpAttrs<N extends OpName> = Entries[N]['attrs'] extends infer R
  ? [keyof R] extends [never]
    ? Record<string, never>
    : { -readonly [K in keyof R]?: AttrValue<R[K]> }
  : never;

/** Every registered op name, in registry order (variants not included: see opVariants). */
export const opNames: readonly (keyof Ops)[] = Object.keys(ops) as (keyof Ops)[];

/** Every registry entry's name, of every kind (elementwise first), variants not included. */
export const registryNames: readonly string[] = [...opNames, ...Object.keys(otherKinds)];

/**
 * Each variant's name and the op whose kernels it runs, e.g. `clamp: 'hardtanh'` (WebNN's clamp
 * runs hardtanh's kernels, with its own attribute names and defaults).
 */
export const opVariants: Readonly<Record<keyof Variants, keyof Ops>> = Object.fromEntries(
  Object.entries(variants).map(([name, v]) => [name, v.variantOf]),
) as Record<keyof Variants, keyof Ops>;

/**
 * The elementwise ops and variants whose gradient needs one bit an element (their definition has
 * a `mask`), in registry order, variants last: the ops whose layer keeps a 1-bit mask and so
 * takes `{ telemetry: true }`, e.g. relu, hardtanh and its variants clamp and clip.
 */
export const maskedOpNames: readonly OpName[] = (Object.entries({ ...ops, ...variants }) as [OpName, OpDefinition][])
  .filter(([, op]) => op.mask !== undefined)
  .map(([name]) => name);

/** Looks any op up by name, whatever its kind; unknown names throw an {@link UnknownOpError}. */
export function lookupOp(name: unknown): AnyOp {
  if (typeof name === 'string' && Object.hasOwn(otherKinds, name)) return otherKinds[name as keyof typeof otherKinds];
  return getOp(name);
}

/**
 * Looks an elementwise op up by name; unknown names throw an {@link UnknownOpError} listing the
 * valid ones, and ops of other kinds an InvalidArgumentError saying which call takes them.
 */
export function getOp(name: unknown): OpDefinition {
  if (typeof name === 'string' && Object.hasOwn(variants, name)) return variants[name as keyof Variants];
  if (typeof name === 'string' && Object.hasOwn(ops, name)) return ops[name as keyof Ops];
  if (typeof name === 'string' && Object.hasOwn(otherKinds, name)) {
    const kind = otherKinds[name as keyof typeof otherKinds].kind;
    const own = kind === 'gated' || kind === 'softmax' ? '' : `acts.${name}(...) and its backward, or `;
    throw new InvalidArgumentError(
      'op',
      `an elementwise op here (${name} is a ${kind} op: use ${own}forward/backward by name)`,
      `'${name}'`,
    );
  }
  throw new UnknownOpError(name, [...opNames, ...Object.keys(variants), ...Object.keys(otherKinds)]);
}
