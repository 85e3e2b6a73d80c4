import { UnknownOpError } from '../errors.js';
import type { OpDefinition } from './define.js';
import { relu } from './relu.js';
import { sigmoid } from './sigmoid.js';
import { thresholdedRelu } from './thresholded-relu.js';
// imports: piecewise-linear ops
import { hardtanh } from './hardtanh.js';
import { leakyRelu } from './leaky-relu.js';
import { relu6 } from './relu6.js';
// imports: exp family
import { tanh } from './tanh.js';
import { elu } from './elu.js';
import { selu } from './selu.js';
import { celu } from './celu.js';
import { softplus } from './softplus.js';
import { silu } from './silu.js';
import { mish } from './mish.js';
// imports: gelu and the hard ops
import { gelu } from './gelu.js';
import { hardsigmoid } from './hardsigmoid.js';
import { hardswish } from './hardswish.js';

export type { Accuracy, AttrSpec, OpDefinition } from './define.js';

// The one table both backends read. Adding an op: its WGSL file, its entry here, its test spec.
const ops = {
  relu,
  thresholdedRelu,
  // entries: piecewise-linear ops
  leakyRelu,
  relu6,
  hardtanh,
  sigmoid,
  // entries: exp family
  tanh,
  elu,
  selu,
  celu,
  softplus,
  silu,
  mish,
  // entries: gelu and the hard ops
  gelu,
  hardsigmoid,
  hardswish,
} as const;

type Ops = typeof ops;

/** The name of an activation in the registry. */
export type OpName = keyof Ops;

/** The value type of one attribute spec: a number, or the union of its choices. */
type AttrValue<S> = S extends { readonly choices: readonly (infer C)[] } ? C : number;

/** The attributes an op takes, all optional (defaults apply), e.g. `{ theta: 0.5 }`. */
export type OpAttrs<N extends OpName> = Ops[N]['attrs'] extends infer R
  ? [keyof R] extends [never]
    ? Record<string, never>
    : { -readonly [K in keyof R]?: AttrValue<R[K]> }
  : never;

/** Every registered op name, in registry order. */
export const opNames: readonly OpName[] = Object.keys(ops) as OpName[];

/** Looks an op up by name; unknown names throw an {@link UnknownOpError} listing the valid ones. */
export function getOp(name: unknown): OpDefinition {
  if (typeof name === 'string' && Object.hasOwn(ops, name)) return ops[name as OpName];
  throw new UnknownOpError(String(name), opNames);
}
