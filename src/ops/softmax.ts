// The row-normalising ops, softmax and logSoftmax, along an axis (default the last), as
// PyTorch's. Every operation is deterministic (src/numerics/deterministic.ts, the twin of
// shaders/lib/deterministic.wgsl) and the reductions follow shaders/softmax.wgsl's fixed order
// (rowLanes lanes, each over its strided elements in order, then a binary tree over the lanes), so
// the CPU gives the GPU's bits and every run the same bits.
import softmaxWgsl from '../../shaders/activations/softmax.wgsl?raw';
import logSoftmaxWgsl from '../../shaders/activations/log-softmax.wgsl?raw';
import { axisIndex, sizeOf } from './axis.js';
import { bits, isNanBits, orderedKey } from '../numerics/bits.js';
import {
  detDiv,
  detExp,
  detExpLo,
  detLog,
  detSumAdd,
  detSumMerge,
  detSumNormalize,
  detSumValue,
  detSumZero,
  twoSum,
  type DetSum,
} from '../numerics/deterministic.js';
import type { RowOp } from './define.js';

/** x seen as [outer, len, inner] around the axis: rows = outer * inner rows of len elements. */
export interface RowLayout {
  readonly rows: number;
  readonly len: number;
  readonly inner: number;
}

/** Checks the `axis` (default -1, the last) against x's shape. */
export function rowLayout(xShape: readonly number[], axis: unknown = -1, argument = 'attrs.axis'): RowLayout {
  const at = axisIndex(xShape.length, axis, argument);
  const inner = sizeOf(xShape.slice(at + 1));
  return { rows: sizeOf(xShape.slice(0, at)) * inner, len: xShape[at]!, inner };
}

/**
 * The lanes a row gets in shaders/softmax.wgsl: min(64, the power of two at or above len); the
 * row's element k goes to lane k % lanes, and the lanes' sums meet in a binary tree.
 */
export function rowLanes(len: number): number {
  let lanes = 1;
  while (lanes < len && lanes < 64) lanes *= 2;
  return lanes;
}
const QUIET_NAN = 0x7fc00000;

/** The four functions an op file declares, as CPU twins. */
interface RowFunctions {
  rowValue(s: DetSum): number;
  rowOutput(tHi: number, tLo: number, e: number, v: number): number;
  gradTerm(y: number, dy: number): number;
  rowGrad(y: number, dy: number, total: number): number;
}

const f = Math.fround;

/** The sum of `term(k)` over a row in the kernels' order: per lane in k order, then the lane tree. */
function rowSum(len: number, term: (k: number) => number): DetSum {
  const count = rowLanes(len);
  const lanes: DetSum[] = [];
  for (let l = 0; l < count; l++) {
    let acc = detSumZero();
    for (let k = l; k < len; k += count) acc = detSumAdd(acc, term(k));
    lanes.push(acc);
  }
  for (let stride = 1; stride < count; stride *= 2) {
    for (let l = 0; l < count; l += 2 * stride) lanes[l] = detSumMerge(lanes[l]!, lanes[l + stride]!);
  }
  return lanes[0]!;
}

/** x - m as hi + lo exactly, lo = +0 where hi is infinite, as row_offset. */
function rowOffset(x: number, m: number): DetSum {
  const t = twoSum(x, -m);
  return Number.isFinite(t.hi) ? t : { hi: t.hi, lo: 0 };
}

/**
 * The WebAssembly SIMD twins of rowKernels (src/cpu/wasm/softmax.ts): the same operations in the
 * same order, so the same bits; `log` picks logSoftmax's functions.
 */
function rowSimd(log: boolean): NonNullable<RowOp['cpu']['simd']> {
  return {
    forward: (k, x, y, l) => k.softmax_forward(x, y, l.rows / l.inner, l.len, l.inner, log),
    backward: (k, y, dy, dx, l) => k.softmax_backward(y, dy, dx, l.rows / l.inner, l.len, l.inner, log),
  };
}

/** The CPU twins of shaders/softmax.wgsl's two kernels over an op's functions. */
function rowKernels(fns: RowFunctions): RowOp['cpu'] {
  return {
    forward(x, layout, y) {
      const xb = bits(x);
      const yb = bits(y);
      const e = new Float32Array(layout.len);
      for (let r = 0; r < layout.rows; r++) {
        const o = Math.floor(r / layout.inner);
        const i = r % layout.inner;
        const at = (k: number) => (o * layout.len + k) * layout.inner + i;
        let key = -0x7fffffff;
        let nan = false;
        for (let k = 0; k < layout.len; k++) {
          const b = xb[at(k)]!;
          if (isNanBits(b)) nan = true;
          else key = Math.max(key, orderedKey(b));
        }
        // The max's bits from its key, as the kernel: a key of 0 is +0.
        const m =
          key >= 0 ? new Float32Array(Uint32Array.of(key).buffer)[0]! : new Float32Array(Uint32Array.of(-key | 0x80000000).buffer)[0]!;
        for (let k = 0; k < layout.len; k++) {
          const t = rowOffset(x[at(k)]!, m);
          e[k] = detExpLo(t.hi, t.lo);
        }
        const s = detSumNormalize(rowSum(layout.len, (k) => e[k]!));
        const nanRow = nan || Number.isNaN(s.hi);
        const v = Number.isNaN(s.hi) ? NaN : fns.rowValue(s);
        for (let k = 0; k < layout.len; k++) {
          const t = rowOffset(x[at(k)]!, m);
          const out = fns.rowOutput(t.hi, t.lo, e[k]!, v);
          if (nanRow || Number.isNaN(out)) yb[at(k)] = QUIET_NAN;
          else y[at(k)] = out;
        }
      }
    },
    backward(y, dy, layout, dx) {
      const db = bits(dx);
      for (let r = 0; r < layout.rows; r++) {
        const o = Math.floor(r / layout.inner);
        const i = r % layout.inner;
        const at = (k: number) => (o * layout.len + k) * layout.inner + i;
        const total = detSumValue(rowSum(layout.len, (k) => fns.gradTerm(y[at(k)]!, dy[at(k)]!)));
        for (let k = 0; k < layout.len; k++) {
          const out = fns.rowGrad(y[at(k)]!, dy[at(k)]!, total);
          if (Number.isNaN(out)) db[at(k)] = QUIET_NAN;
          else dx[at(k)] = out;
        }
      }
    },
  };
}

/**
 * Softmax along an axis: y = exp(x - max) / sum exp(x - max), as exp(t) times the row's
 * reciprocal; dx = y * (dy - sum(dy * y)), from y.
 */
export const softmax: RowOp = {
  kind: 'softmax',
  name: 'softmax',
  formula: 'exp(x − max) / Σ exp(x − max)',
  wgsl: softmaxWgsl,
  wgslPath: 'shaders/activations/softmax.wgsl',
  accuracy: { forward: 3, backward: 3 },
  cpu: {
    ...rowKernels({
      rowValue: (s) => detDiv(1, s.hi),
      rowOutput: (_hi, _lo, e, v) => f(e * v),
      gradTerm: (y, dy) => f(dy * y),
      rowGrad: (y, dy, total) => f(y * f(dy - total)),
    }),
    simd: rowSimd(false),
  },
};

/** logSoftmax along an axis: y = (x - max) - log sum exp(x - max); dx = dy - exp(y) * sum(dy), from y. */
export const logSoftmax: RowOp = {
  kind: 'softmax',
  name: 'logSoftmax',
  formula: 'x − max − log Σ exp(x − max)',
  wgsl: logSoftmaxWgsl,
  wgslPath: 'shaders/activations/log-softmax.wgsl',
  accuracy: { forward: 3, backward: 3 },
  cpu: {
    ...rowKernels({
      rowValue: (s) => f(detLog(s.hi) + f(s.lo * detDiv(1, s.hi))),
      rowOutput: (hi, lo, _e, v) => f(f(hi - v) + lo),
      gradTerm: (_y, dy) => dy,
      rowGrad: (y, dy, total) => f(dy - f(detExp(y) * total)),
    }),
    simd: rowSimd(true),
  },
};
