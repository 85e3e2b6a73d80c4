// The gated units (GLU, ReGLU, GeGLU, SwiGLU): x splits along an axis into halves a (the first)
// and b (the second), y = a * gate(b), as PyTorch's GLU and the GLU-variant papers (Shazeer
// 2020). The gate is an elementwise op of the registry, run by its own CPU kernels here and its
// own WGSL on the GPU (shaders/gated.wgsl), so y for a = 1 is forward(gate, b) bit for bit.
import { InvalidArgumentError } from '../errors.js';
import { axisIndex, sizeOf } from './axis.js';
import type { ElementwiseOp, GateKernels, GatedOp } from './define.js';

/** x seen as [outer, 2 * half, inner] around the axis, and y's shape. */
export interface Gating {
  readonly outer: number;
  /** The size of each half along the axis. */
  readonly half: number;
  readonly inner: number;
  /** y's shape: x's, with the axis halved. */
  readonly outShape: readonly number[];
}

/** Checks the gated ops' `axis` (default -1, the last) against x's shape: its size must be even. */
export function gating(xShape: readonly number[], axis: unknown = -1, argument = 'attrs.axis'): Gating {
  const at = axisIndex(xShape.length, axis, argument);
  const size = xShape[at]!;
  if (size % 2 !== 0) {
    throw new InvalidArgumentError('x', `an even size along axis ${at}, which splits into halves a and b`, `shape [${xShape.join(', ')}]`);
  }
  return {
    outer: sizeOf(xShape.slice(0, at)),
    half: size / 2,
    inner: sizeOf(xShape.slice(at + 1)),
    outShape: xShape.map((d, i) => (i === at ? size / 2 : d)),
  };
}

/** For output element o: the index in x of its a (b is half * inner further), as a_index in gated.wgsl. */
function aIndex(g: Gating, o: number): number {
  const inner = o % g.inner;
  const rest = Math.floor(o / g.inner);
  return (Math.floor(rest / g.half) * 2 * g.half + (rest % g.half)) * g.inner + inner;
}

/** a and b of every output element, gathered in output order. */
function halves(x: Float32Array, g: Gating, count: number): { a: Float32Array; b: Float32Array; at: Int32Array } {
  const a = new Float32Array(count);
  const b = new Float32Array(count);
  const at = new Int32Array(count);
  const step = g.half * g.inner;
  for (let o = 0; o < count; o++) {
    const i = aIndex(g, o);
    at[o] = i;
    a[o] = x[i]!;
    b[o] = x[i + step]!;
  }
  return { a, b, at };
}

/**
 * The CPU twins of shaders/gated.wgsl over a gate's kernels (`run`, by default its JS kernels),
 * in the GPU's order:
 *   forward   g = gate(b); y = a * g
 *   backward  g = gate(b); da = dy * g; db = gate'(b or g, dy * a)
 * each product an f32 rounding, as WGSL's (correctly rounded) multiply.
 */
export function gatedKernels(gate: ElementwiseOp): GatedOp['cpu'] {
  return {
    forward(x, g, y, attrs, run: GateKernels = gate.cpu) {
      const { a, b } = halves(x, g, y.length);
      const gb = new Float32Array(y.length);
      run.forward(b, gb, attrs);
      for (let o = 0; o < y.length; o++) y[o] = a[o]! * gb[o]!;
    },
    backward(x, dy, g, dx, attrs, run: GateKernels = gate.cpu) {
      const { a, b, at } = halves(x, g, dy.length);
      const gb = new Float32Array(dy.length);
      run.forward(b, gb, attrs);
      const dg = new Float32Array(dy.length);
      for (let o = 0; o < dy.length; o++) dg[o] = dy[o]! * a[o]!;
      const db = new Float32Array(dy.length);
      run.backward(gate.backwardFrom === 'y' ? gb : b, dg, db, attrs);
      const step = g.half * g.inner;
      for (let o = 0; o < dy.length; o++) {
        dx[at[o]!] = dy[o]! * gb[o]!;
        dx[at[o]! + step] = db[o]!;
      }
    },
  };
}

/** Declares a gated op over its gate. */
export function defineGated(def: Omit<GatedOp, 'kind' | 'cpu'>): GatedOp {
  return { ...def, kind: 'gated', cpu: gatedKernels(def.gate) };
}
