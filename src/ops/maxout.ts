import wgsl from '../../shaders/activations/maxout.wgsl?raw';
import { bits, isNanBits, orderedKey } from '../numerics/bits.js';
import { InvalidArgumentError, describe } from '../errors.js';
import { optionsObject } from '../options.js';
import { axisIndex, sizeOf } from './axis.js';
import type { GroupedOp } from './define.js';

/** x seen as [outer, groups * pieces, inner] around the axis, and y's shape. */
export interface Grouping {
  readonly outer: number;
  readonly groups: number;
  readonly pieces: number;
  readonly inner: number;
  /** y's shape: x's, with the axis divided by pieces. */
  readonly outShape: readonly number[];
}

/**
 * Checks maxout's options against x's shape: `pieces` a positive integer dividing x's size along
 * `axis` (default -1, the last; negative counts from the end).
 */
export function maxoutGrouping(xShape: readonly number[], options: unknown): Grouping {
  if (options === undefined) throw new InvalidArgumentError('options', 'an object { pieces, axis? }', 'undefined');
  const { pieces, axis = -1 } = optionsObject(options, 'options', ['pieces', 'axis']) as { pieces?: unknown; axis?: unknown };
  if (typeof pieces !== 'number' || !Number.isInteger(pieces) || pieces < 1) {
    throw new InvalidArgumentError('options.pieces', 'a positive integer (entries per group)', describe(pieces));
  }
  const at = axisIndex(xShape.length, axis, 'options.axis');
  const size = xShape[at]!;
  if (size % pieces !== 0) {
    throw new InvalidArgumentError('options.pieces', `a divisor of x's size along axis ${at}, ${size}`, String(pieces));
  }
  return {
    outer: sizeOf(xShape.slice(0, at)),
    groups: size / pieces,
    pieces,
    inner: sizeOf(xShape.slice(at + 1)),
    outShape: xShape.map((d, i) => (i === at ? size / pieces : d)),
  };
}

/** Which entry of a group wins, as takes_lead in maxout.wgsl: the first NaN, else the first maximum. */
const takesLead = (candidate: number, best: number) =>
  !isNanBits(best) && (isNanBits(candidate) || orderedKey(candidate) > orderedKey(best));

/** For output element o: the index in x of its group's entry 0, as group_start in grouped.wgsl. */
function groupStart(g: Grouping, o: number): number {
  const inner = o % g.inner;
  const rest = Math.floor(o / g.inner);
  return (Math.floor(rest / g.groups) * g.groups + (rest % g.groups)) * g.pieces * g.inner + inner;
}

function winner(g: Grouping, xb: Uint32Array, start: number): number {
  let best = xb[start]!;
  let at = 0;
  for (let p = 1; p < g.pieces; p++) {
    const candidate = xb[start + p * g.inner]!;
    if (takesLead(candidate, best)) {
      best = candidate;
      at = p;
    }
  }
  return at;
}

/**
 * Maxout: y is the maximum of each group of `pieces` neighbouring entries along an axis, NaN
 * winning; the gradient goes to the group's first maximum (shaders/activations/maxout.wgsl, run
 * by shaders/grouped.wgsl). Bit-exact on every backend.
 */
export const maxout: GroupedOp = {
  kind: 'grouped',
  name: 'maxout',
  wgsl,
  wgslPath: 'shaders/activations/maxout.wgsl',
  cpu: {
    simd: {
      forward: (k, x, y, g) => k.maxout(x, 0, y, g.outer * g.groups, g.pieces, g.inner, false),
      backward: (k, x, dy, dx, g) => k.maxout(x, dy, dx, g.outer * g.groups, g.pieces, g.inner, true),
    },
    forward(x, g, y) {
      const xb = bits(x);
      const yb = bits(y);
      for (let o = 0; o < y.length; o++) {
        const start = groupStart(g, o);
        yb[o] = xb[start + winner(g, xb, start) * g.inner]!;
      }
    },
    backward(x, dy, g, dx) {
      const xb = bits(x);
      const gb = bits(dy);
      const out = bits(dx);
      for (let o = 0; o < dy.length; o++) {
        const start = groupStart(g, o);
        const w = winner(g, xb, start);
        for (let p = 0; p < g.pieces; p++) out[start + p * g.inner] = p === w ? gb[o]! : 0;
      }
    },
  },
};
