// The axis argument the ops that work along an axis share (maxout, the gated units, softmax).
import { InvalidArgumentError, describe } from '../errors.js';

/**
 * `axis` of a shape with `rank` dimensions as an index from 0 (negative counts from the end);
 * anything else (not an integer, out of range) throws an InvalidArgumentError naming `argument`.
 */
export function axisIndex(rank: number, axis: unknown, argument: string): number {
  if (typeof axis !== 'number' || !Number.isInteger(axis) || axis < -rank || axis >= rank) {
    const range = rank ? `from ${-rank} to ${rank - 1}` : 'none (x is a scalar: give it a dimension)';
    throw new InvalidArgumentError(argument, `an axis of x, ${range} (x has ${rank} dimension${rank === 1 ? '' : 's'})`, describe(axis));
  }
  return axis < 0 ? axis + rank : axis;
}

/** The number of elements of dimensions `dims` (1 for none). */
export function sizeOf(dims: readonly number[]): number {
  return dims.reduce((p, d) => p * d, 1);
}
