import wgsl from '../../shaders/activations/prelu.wgsl?raw';
import { bits, isNanBits, NO_UPPER_KEY } from '../numerics/bits.js';
import { exactMulBits } from '../numerics/exact.js';
import { InvalidArgumentError, ShapeMismatchError, describe } from '../errors.js';
import type { PerChannelOp } from './define.js';

/**
 * How a slope tensor broadcasts over x, in the form shaders/per-channel.wgsl reads: x as at most
 * 8 dimensions (sizes of 1 dropped, neighbours alpha treats alike merged), each with its stride
 * in alpha (0 where alpha broadcasts) and its stride among the elements sharing one slope (0
 * where alpha follows it).
 */
export interface Broadcast {
  readonly dims: readonly number[];
  readonly alphaStride: readonly number[];
  readonly termStride: readonly number[];
  /** How many slopes: alpha's length. */
  readonly params: number;
  /** How many elements of x share each slope. */
  readonly perParam: number;
}

/** The most dimensions a broadcast keeps after merging (the uniform holds 8). */
export const MAX_BROADCAST_RANK = 8;

/**
 * Where alpha's slopes go in x. By default alpha broadcasts to x from the right, as WebNN's,
 * ONNX's and TensorFlow.js's prelu (numpy's rule, one way): alpha's shape lines up with x's
 * trailing dimensions, each of its dimensions 1 or x's size there, and it has no more
 * dimensions than x (a single slope fits any x). So a [C] alpha runs along x's last axis.
 * `axis` asks for PyTorch's layout instead: a 1-D alpha of 1 slope, or one per entry of x along
 * that axis (axis 1 for [N, C, H, W]; negative counts from the end). An alpha of 2 or more
 * dimensions takes no axis. A shape that fits neither is refused, never guessed at.
 */
export function preluBroadcast(xShape: readonly number[], alphaShape: readonly number[], axis: unknown): Broadcast {
  if (axis !== undefined && !Number.isInteger(axis)) {
    throw new InvalidArgumentError('options.axis', 'an integer axis of x (negative counts from the end)', describe(axis));
  }
  const rank = xShape.length;
  const alphaLength = alphaShape.reduce((a, b) => a * b, 1);
  let expanded: number[];
  if (axis === undefined) {
    const single = alphaLength === 1 && alphaShape.length <= 1;
    const fits = alphaShape.length <= rank && alphaShape.every((d, i) => d === 1 || d === xShape[rank - alphaShape.length + i]);
    if (!single && !fits) {
      throw new ShapeMismatchError(
        'alpha',
        `a shape that broadcasts to x's [${xShape.join(', ')}] from the right (each dimension 1 or x's size there, as WebNN and ONNX), or a 1-D alpha with { axis } for one slope per entry along that axis (PyTorch's channels: axis 1)`,
        `[${alphaShape.join(', ')}]`,
      );
    }
    expanded = single ? Array<number>(rank).fill(1) : [...Array<number>(rank - alphaShape.length).fill(1), ...alphaShape];
  } else if (alphaShape.length >= 2) {
    throw new InvalidArgumentError(
      'options.axis',
      'no axis for an alpha of 2 or more dimensions (it broadcasts to x from the right, as WebNN and ONNX)',
      describe(axis),
    );
  } else if (alphaLength === 1) {
    expanded = Array<number>(rank).fill(1);
  } else {
    const at = axis as number;
    const resolved = at < 0 ? at + rank : at;
    if (resolved < 0 || resolved >= rank) {
      throw new InvalidArgumentError(
        'options.axis',
        `an axis of x, which has ${rank} dimension${rank === 1 ? '' : 's'} (1 slope needs none)`,
        describe(axis),
      );
    }
    if (alphaLength !== xShape[resolved]) {
      throw new ShapeMismatchError('alpha', `1 or ${xShape[resolved]} slopes (x's size along axis ${resolved})`, `${alphaLength} slopes`);
    }
    expanded = xShape.map((_, d) => (d === resolved ? alphaLength : 1));
  }
  // Merge neighbouring dimensions that alpha treats alike; drop sizes of 1.
  const dims: number[] = [];
  const follows: boolean[] = [];
  xShape.forEach((size, d) => {
    if (size === 1) return;
    const f = expanded[d] !== 1;
    if (follows.length > 0 && follows[follows.length - 1] === f) dims[dims.length - 1]! *= size;
    else {
      dims.push(size);
      follows.push(f);
    }
  });
  if (dims.length > MAX_BROADCAST_RANK) {
    throw new ShapeMismatchError(
      'alpha',
      `a broadcast over x that alternates between followed and broadcast dimensions at most ${MAX_BROADCAST_RANK} times`,
      `[${alphaShape.join(', ')}] over [${xShape.join(', ')}]`,
    );
  }
  const alphaStride = dims.map(() => 0);
  const termStride = dims.map(() => 0);
  let a = 1;
  let k = 1;
  for (let d = dims.length - 1; d >= 0; d--) {
    if (follows[d]) {
      alphaStride[d] = a;
      a *= dims[d]!;
    } else {
      termStride[d] = k;
      k *= dims[d]!;
    }
  }
  const n = xShape.reduce((p, q) => p * q, 1);
  return { dims, alphaStride, termStride, params: alphaLength, perParam: alphaLength === 0 ? 0 : n / alphaLength };
}

/** For each element of x: which slope (a) and its place among that slope's elements (k). */
function indices(b: Broadcast, n: number): { a: Uint32Array; k: Uint32Array } {
  const a = new Uint32Array(n);
  const k = new Uint32Array(n);
  for (let i = 0; i < n; i++) {
    let rest = i;
    let ai = 0;
    let ki = 0;
    for (let d = b.dims.length - 1; d >= 0; d--) {
      const size = b.dims[d]!;
      const c = rest % size;
      rest = Math.floor(rest / size);
      ai += c * b.alphaStride[d]!;
      ki += c * b.termStride[d]!;
    }
    a[i] = ai;
    k[i] = ki;
  }
  return { a, k };
}

/**
 * The broadcast as slope = floor(i / inner) % channels, when it is one (at most one run of x's
 * dimensions follows alpha: a single slope, slopes along the last axis, PyTorch's channels);
 * undefined for the rest (alpha [C, 1, W] over [N, C, H, W], say).
 */
function slopeLayout(b: Broadcast): { channels: number; inner: number } | undefined {
  const followed = b.dims.flatMap((_, d) => (b.alphaStride[d]! > 0 ? [d] : []));
  if (followed.length > 1) return undefined;
  const d = followed[0];
  if (d === undefined)
    return {
      channels: 1,
      inner: Math.max(
        1,
        b.dims.reduce((p, q) => p * q, 1),
      ),
    };
  return { channels: b.dims[d]!, inner: b.dims.slice(d + 1).reduce((p, q) => p * q, 1) };
}

/** x > 0 on the bits, as prelu.wgsl: sign clear, not +0, not a NaN. */
const positive = (b: number) => (b | 0) > 0 && !isNanBits(b);

/**
 * PReLU: y = x > 0 ? x : alpha * x with a slope tensor alpha broadcast over x
 * (shaders/activations/prelu.wgsl, run by shaders/per-channel.wgsl); dx = x > 0 ? dy : alpha *
 * dy, and dalpha sums the terms x > 0 ? +0 : x * dy over each slope's elements in a fixed binary
 * tree (the backend's rowSums: shaders/tree-sum.wgsl, numerics/exact.ts treeSumBits). Bit-exact on every backend.
 */
export const prelu: PerChannelOp = {
  kind: 'per-channel',
  name: 'prelu',
  wgsl,
  wgslPath: 'shaders/activations/prelu.wgsl',
  cpu: {
    simd: {
      fits: (b) => slopeLayout(b) !== undefined,
      forward(k, x, alpha, y, n, b) {
        const { channels, inner } = slopeLayout(b)!;
        k.prelu_forward(x, alpha, y, n, channels, inner);
      },
      backward(k, x, alpha, dy, dx, terms, n, b) {
        const { channels, inner } = slopeLayout(b)!;
        k.prelu_backward(x, alpha, dy, dx, terms, n, channels, inner);
      },
      // The mask of x > 0 (a NaN is not, as forwardMask's positive()) first: y may be x.
      forwardMask(k, x, alpha, y, words, n, b) {
        const { channels, inner } = slopeLayout(b)!;
        k.mask_inside(x, words, n, 0, NO_UPPER_KEY, false);
        k.prelu_forward(x, alpha, y, n, channels, inner);
      },
      backwardMask(k, words, alpha, dy, dx, n, b) {
        const { channels, inner } = slopeLayout(b)!;
        k.prelu_backward_mask(words, alpha, dy, dx, n, channels, inner);
      },
    },
    forward(x, alpha, b, y) {
      const { a } = indices(b, x.length);
      const xb = bits(x);
      const ab = bits(alpha);
      const yb = bits(y);
      for (let i = 0; i < x.length; i++) {
        const v = xb[i]!;
        const s = a[i]!;
        yb[i] = positive(v) || isNanBits(v) ? v : exactMulBits(x[i]!, v, alpha[s]!, ab[s]!);
      }
    },
    /** Writes y and the 1-bit mask of x > 0 (bit j of word w: element 32w + j), for frozen slopes. */
    forwardMask(x, alpha, b, y, mask) {
      prelu.cpu.forward(x, alpha, b, y);
      const xb = bits(x);
      mask.fill(0);
      for (let i = 0; i < x.length; i++) if (positive(xb[i]!)) mask[i >>> 5]! |= 1 << (i & 31);
    },
    /** dx from the mask, the slopes and dy: mask ? dy : alpha * dy. */
    backwardMask(words, alpha, dy, b, dx) {
      const { a } = indices(b, dy.length);
      const ab = bits(alpha);
      const gb = bits(dy);
      const out = bits(dx);
      for (let i = 0; i < dy.length; i++) {
        const s = a[i]!;
        out[i] = (words[i >>> 5]! >>> (i & 31)) & 1 ? gb[i]! : exactMulBits(dy[i]!, gb[i]!, alpha[s]!, ab[s]!);
      }
    },
    /** Writes dx, and each element's term of dalpha into `terms`, one row of perParam per slope. */
    backward(x, alpha, dy, b, dx, terms) {
      const n = x.length;
      const { a, k } = indices(b, n);
      const xb = bits(x);
      const ab = bits(alpha);
      const gb = bits(dy);
      const out = bits(dx);
      const tb = bits(terms);
      for (let i = 0; i < n; i++) {
        const v = xb[i]!;
        const g = gb[i]!;
        const s = a[i]!;
        const pos = positive(v);
        out[i] = pos ? g : exactMulBits(dy[i]!, g, alpha[s]!, ab[s]!);
        tb[s * b.perParam + k[i]!] = pos ? 0 : exactMulBits(x[i]!, v, dy[i]!, g);
      }
    },
  },
};
