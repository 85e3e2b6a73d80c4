import { UnknownOpError } from '../errors.js';
import { relu } from './relu.js';

/** How closely the GPU must match the CPU backend and the float64 reference. */
export type Accuracy = { readonly kind: 'exact' } | { readonly kind: 'ulp'; readonly ulp: number };

/**
 * One activation, defined once. The WGSL source implements `forward(x: V) -> V` and
 * `backward(x: V, dy: V) -> V` against the aliases the preamble declares; the CPU functions
 * follow the same definition element by element.
 */
export interface OpDefinition {
  readonly name: string;
  /** The op's WGSL, `shaders/activations/<name>.wgsl`. */
  readonly wgsl: string;
  readonly wgslPath: string;
  readonly cpu: {
    forward(x: Float32Array, y: Float32Array): void;
    backward(x: Float32Array, dy: Float32Array, dx: Float32Array): void;
  };
  readonly accuracy: Accuracy;
}

const ops = { relu } as const satisfies Record<string, OpDefinition>;

/** The name of an activation in the registry. */
export type OpName = keyof typeof ops;

/** Every registered op name, in registry order. */
export const opNames: readonly OpName[] = Object.keys(ops) as OpName[];

/** Looks an op up by name; unknown names throw an {@link UnknownOpError} listing the valid ones. */
export function getOp(name: unknown): OpDefinition {
  if (typeof name === 'string' && Object.hasOwn(ops, name)) return ops[name as OpName];
  throw new UnknownOpError(String(name), opNames);
}
