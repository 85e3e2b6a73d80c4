import wgsl from '../../shaders/activations/gelu.wgsl?raw';
import { defineOp } from './define.js';

const SQRT_HALF = Math.SQRT1_2;
const INV_SQRT_2PI = 1 / Math.sqrt(2 * Math.PI);
const INV_SQRT_PI = 1 / Math.sqrt(Math.PI);
const TWO_OVER_SQRT_PI = 2 * INV_SQRT_PI;
/** sqrt(2/pi) and 0.044715, PyTorch's kBeta and kKappa for the tanh form. */
const BETA = Math.sqrt(2 / Math.PI);
const KAPPA = 0.044715;

/**
 * erfc(t) for t >= 0 in float64. Below 2.5: 1 - erf(t), erf from its series with positive
 * terms, erf(t) = 2/sqrt(pi) exp(-t^2) sum_n (2t^2)^n t / (1 * 3 * ... * (2n + 1)) (no
 * cancellation; erfc >= 4e-4 there, so 1 - erf loses under 4 digits of 16). From 2.5 on,
 * Laplace's continued fraction exp(-t^2)/sqrt(pi) / (t + (1/2)/(t + 1/(t + (3/2)/(t + ...)))),
 * evaluated forwards by the modified Lentz method.
 */
function erfc(t: number): number {
  if (t < 2.5) {
    const w = 2 * t * t;
    let term = t;
    let sum = t;
    for (let n = 1; term > sum * 1e-17; n++) {
      term *= w / (2 * n + 1);
      sum += term;
    }
    return 1 - TWO_OVER_SQRT_PI * Math.exp(-t * t) * sum;
  }
  if (t > 27) return 0;
  const tiny = 1e-300;
  let f = t;
  let c = t;
  let d = 0;
  for (let n = 1; n < 500; n++) {
    const a = n / 2;
    d = t + a * d;
    d = d === 0 ? tiny : 1 / d;
    c = t + a / c;
    if (c === 0) c = tiny;
    const delta = c * d;
    f *= delta;
    if (Math.abs(delta - 1) < 1e-16) break;
  }
  return (INV_SQRT_PI * Math.exp(-t * t)) / f;
}

/** The standard normal CDF Phi(x) = erfc(-x / sqrt2) / 2, accurate in both tails. */
function normalCdf(x: number): number {
  return x >= 0 ? 1 - 0.5 * erfc(x * SQRT_HALF) : 0.5 * erfc(-x * SQRT_HALF);
}

/** sigmoid(u) and 1 - sigmoid(u), without overflow or cancellation. */
function sigmoidPair(u: number): [number, number] {
  const e = Math.exp(-Math.abs(u));
  return u >= 0 ? [1 / (1 + e), e / (1 + e)] : [e / (1 + e), 1 / (1 + e)];
}

function forwardNone(x: number): number {
  if (x === -Infinity) return -0;
  return x * normalCdf(x);
}

function gradNone(x: number): number {
  if (x === Infinity) return 1;
  if (x === -Infinity) return 0;
  return normalCdf(x) + x * INV_SQRT_2PI * Math.exp(-0.5 * x * x);
}

/** 0.5 x (1 + tanh(z)) = x * sigmoid(2z), z = sqrt(2/pi) (x + 0.044715 x^3). */
function forwardTanh(x: number): number {
  if (x === -Infinity) return -0;
  const [s] = sigmoidPair(2 * BETA * (x + KAPPA * x * x * x));
  return x * s;
}

/** PyTorch's derivative of the tanh form, with 1 + tanh z = 2s and 1 - tanh^2 z = 4 s (1 - s). */
function gradTanh(x: number): number {
  const [s, oneMinusS] = sigmoidPair(2 * BETA * (x + KAPPA * x * x * x));
  if (s === 0 || oneMinusS === 0) return s;
  return s + 2 * BETA * x * s * oneMinusS * (1 + 3 * KAPPA * x * x);
}

/**
 * dy * g for a gradient g computed in float64, where g = 0 at a finite x can only be an underflow
 * (the gradients are nonzero for every finite x, and negative where they underflow, far left):
 * there the negative stand-in -2^-1074 keeps the rule exp.wgsl's accurate_mul2_exp follows on the
 * GPU, an infinite dy times a nonzero gradient being the infinity of the product's sign and a
 * finite dy giving the signed zero. At x = -Inf, g is its limit, exactly 0: Inf * 0 is NaN.
 */
function scaleGrad(dy: number, g: number, x: number): number {
  return dy * (g === 0 && Number.isFinite(x) ? -Number.MIN_VALUE : g);
}

/**
 * GELU (PyTorch): approximate 'none' (default), y = x * Phi(x) = 0.5 x (1 + erf(x / sqrt2)),
 * dx = dy * (Phi(x) + x phi(x)); approximate 'tanh', y = 0.5 x (1 + tanh(sqrt(2/pi) (x +
 * 0.044715 x^3))) with PyTorch's exact derivative of that form. gelu(+Inf) = +Inf and
 * gelu(-Inf) = 0 (PyTorch gives NaN), gradients 1 and exactly 0 there (dx = dy * 0 at -Inf: NaN
 * for an infinite dy). Far left, an infinite dy gives an infinity (see scaleGrad).
 */
export const gelu = defineOp({
  name: 'gelu',
  formula: 'x · Φ(x)',
  wgsl,
  wgslPath: 'shaders/activations/gelu.wgsl',
  attrs: { approximate: { default: 'none', choices: ['none', 'tanh'] } },
  backwardFrom: 'x',
  accuracy: { kind: 'ulp', forward: 6, backward: 6 },
  cpu: {
    simd: {
      forward: (k, x, y, n, [approximate]) => (approximate === 1 ? k.gelu_tanh_forward(x, y, n) : k.gelu_none_forward(x, y, n)),
      backward: (k, x, dy, dx, n, [approximate]) =>
        approximate === 1 ? k.gelu_tanh_backward(x, dy, dx, n) : k.gelu_none_backward(x, dy, dx, n),
    },
    // In float64, then rounded once to f32; approximate arrives as its index (0 'none', 1 'tanh').
    forward(x, y, [approximate]) {
      const f = approximate === 1 ? forwardTanh : forwardNone;
      for (let i = 0; i < x.length; i++) y[i] = f(x[i]!);
    },
    backward(x, dy, dx, [approximate]) {
      const g = approximate === 1 ? gradTanh : gradNone;
      for (let i = 0; i < x.length; i++) dx[i] = scaleGrad(dy[i]!, g(x[i]!), x[i]!);
    },
  },
});
