import type { AttrValues, OpSpec } from './op-spec.js';

// float64 references, written from the definitions with their own erf (not the CPU kernel's).

/** erf(t), |t| < 3, from its Maclaurin series 2/sqrt(pi) sum (-1)^n t^(2n+1) / (n! (2n+1)). */
function erfSeries(t: number): number {
  let power = t; // (-1)^n t^(2n+1) / n!
  let sum = t;
  for (let n = 1; n < 200; n++) {
    power *= (-t * t) / n;
    const term = power / (2 * n + 1);
    sum += term;
    if (Math.abs(term) < 1e-18 * Math.abs(sum)) break;
  }
  return (2 / Math.sqrt(Math.PI)) * sum;
}

/** erfc(t), t >= 3, Laplace's continued fraction evaluated from the back at a fixed depth. */
function erfcFraction(t: number): number {
  let k = 0;
  for (let n = 200; n >= 1; n--) k = n / 2 / (t + k);
  return Math.exp(-t * t) / Math.sqrt(Math.PI) / (t + k);
}

/** Phi(x) = (1 + erf(x / sqrt2)) / 2. */
function phiCdf(x: number): number {
  const t = Math.abs(x) / Math.SQRT2;
  const upper = t < 3 ? 1 - erfSeries(t) : erfcFraction(t); // erfc(|t|)
  return x >= 0 ? 1 - upper / 2 : upper / 2;
}

const density = (x: number) => Math.exp((-x * x) / 2) / Math.sqrt(2 * Math.PI);

const BETA = Math.sqrt(2 / Math.PI);
const KAPPA = 0.044715;
const z = (x: number) => BETA * (x + KAPPA * x ** 3);
/** (1 + tanh(z)) / 2, as 1 / (1 + exp(-2z)) on the left, where 1 + tanh(z) would cancel. */
const halfOnePlusTanh = (v: number) => (v >= 0 ? (1 + Math.tanh(v)) / 2 : Math.exp(2 * v) / (1 + Math.exp(2 * v)));
const sech2 = (v: number) => 1 / Math.cosh(v) ** 2;

const isTanh = (a: AttrValues) => (a.approximate as unknown) === 'tanh';

// x0 = -0.75179152469356...: Phi(x) + x phi(x) = 0, the gradient's zero ('none').
const X0 = -0.7517915246935645;
// x0' = -0.75246142207101...: the tanh form's.
const X0_TANH = -0.7524614220710163;
const neighbours = (v: number) => [Math.fround(v), Math.fround(v * (1 + 2 ** -23)), Math.fround(v * (1 - 2 ** -23))];

export const spec: OpSpec = {
  op: 'gelu',
  // approximate is a choice attribute ('none' | 'tanh'); AttrValues types values as numbers.
  attrSets: [{}, { approximate: 'tanh' as unknown as number }],
  forward: (x, a) => {
    if (Number.isNaN(x)) return x;
    if (x === Infinity) return x;
    if (x === -Infinity) return 0;
    return isTanh(a) ? x * halfOnePlusTanh(z(x)) : x * phiCdf(x);
  },
  backward: (x, dy, a) => {
    if (Number.isNaN(x)) return x;
    if (x === Infinity) return dy;
    // At -Inf the gradient is its limit, exactly 0: dy * 0, NaN for an infinite or NaN dy.
    if (x === -Infinity) return dy * 0;
    // Left of its zero the gradient is negative and nonzero for every finite x, so an infinite dy
    // gives the infinity of the product's sign, also where float64 underflows the gradient to 0
    // (phi(x) below x = -38.6, exp(2z) below x = -21.8), which would give NaN.
    if (Math.abs(dy) === Infinity && x < (isTanh(a) ? X0_TANH : X0)) return -dy;
    if (!isTanh(a)) return dy * (phiCdf(x) + x * density(x));
    // PyTorch: 0.5 (1 + tanh z) + 0.5 x (1 - tanh^2 z) sqrt(2/pi) (1 + 3 * 0.044715 x^2).
    const v = z(x);
    return dy * (halfOnePlusTanh(v) + 0.5 * x * sech2(v) * BETA * (1 + 3 * KAPPA * x * x));
  },
  // Values from mpmath at 30 digits (ncdf, npdf, tanh).
  examples: [
    { x: 0, y: 0, grad: 0.5 },
    { x: -0, y: 0, grad: 0.5 },
    { x: 1, y: 0.8413447460685429, grad: 1.0833154705876864 },
    { x: -1, y: -0.15865525393145705, grad: -0.08331547058768629 },
    { x: 2, y: 1.9544997361036416, grad: 1.085231801078197 },
    { x: -3, y: -0.0040496940948902835, grad: -0.011945647204183927 },
    { x: 0.5, y: 0.34573123063700656, grad: 0.8674951246561629 },
    { x: -0.75, y: -0.16997051428265114, grad: 0.0007742782607648957 },
    { x: -10, y: -7.619853024160526e-23, grad: -7.618400096464814e-22 },
    { x: 10, y: 10, grad: 1 },
    { x: Infinity, y: Infinity, grad: 1 },
    { x: -Infinity, y: 0, grad: 0 },
    ...(
      [
        { x: 1, y: 0.8411919906082767, grad: 1.0829640838457826 },
        { x: -1, y: -0.1588080093917233, grad: -0.08296408384578255 },
        { x: 2, y: 1.954597694087775, grad: 1.0860992566236185 },
        { x: -3, y: -0.0036373920817730186, grad: -0.011584166630969726 },
        { x: -0.5, y: -0.15428599017485609, grad: 0.1326300964653577 },
        // u = 2z = -87.3: the far left, where s is kept scaled by 2^32 until the end.
        { x: -10, y: -1.204092348209806e-37, grad: -2.7576380638540315e-36 },
        { x: 0, y: 0, grad: 0.5 },
        { x: Infinity, y: Infinity, grad: 1 },
        { x: -Infinity, y: 0, grad: 0 },
      ] as const
    ).map((e) => ({ ...e, attrs: { approximate: 'tanh' as unknown as number } })),
  ],
  // The gradients' zeros and their f32 neighbours; where the kernels switch pieces (0.5, 1.5,
  // 3, 6, 16, the zero fits' ends at 0.25 and 1.5, and the tails at 14 and where exp
  // underflows); for 'tanh', where u = x (C1 + C2 x^2) passes 64 (8.8727) and 104 (10.6813),
  // where C2 x^3 overtakes C1 x (4.72904) and the clamp at 11; the far left tail.
  points: [
    ...neighbours(X0),
    ...neighbours(X0_TANH),
    0.25,
    Math.fround(0.25 * (1 - 2 ** -24)),
    0.5,
    Math.fround(0.5 * (1 - 2 ** -24)),
    4.72904430114969,
    8.87268739235525,
    10.681296028204,
    11,
    1.5,
    Math.fround(1.5 * (1 + 2 ** -23)),
    3,
    6,
    13,
    13.2,
    13.3,
    13.5,
    14,
    Math.fround(14 * (1 - 2 ** -23)),
    16,
    9.5,
    9.7,
    9.9,
    10.2,
    10.5,
    -0.7,
    -0.8,
  ],
  badAttrs: [
    { attrs: { approximate: 'sigmoid' as unknown as number }, argument: 'attrs.approximate' },
    { attrs: { approximate: 1 }, argument: 'attrs.approximate' },
    { attrs: { alpha: 1 }, argument: 'attrs.alpha' },
  ],
};
