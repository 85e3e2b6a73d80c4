import type { OpSpec } from './op-spec.js';

const relu6 = (v: number) => Math.min(Math.max(v, 0), 6);

export const spec: OpSpec = {
  op: 'hardswish',
  attrSets: [{}],
  // x * relu6(x + 3) / 6, with the limits at the infinities (no Inf * 0, no x * 6 overflow:
  // float64 has the range).
  forward: (x) => (Number.isNaN(x) ? x : x === -Infinity ? 0 : x === Infinity ? x : (x * relu6(x + 3)) / 6),
  backward: (x, dy) => (Number.isNaN(x) ? dy : x < -3 ? 0 : x > 3 ? dy : dy * (x / 3 + 0.5)),
  examples: [
    { x: 0, y: 0, grad: 0.5 },
    { x: -3, y: 0, grad: -0.5 },
    { x: 3, y: 3, grad: 1.5 },
    { x: 1, y: 2 / 3, grad: 5 / 6 },
    { x: -1, y: -1 / 3, grad: 1 / 6 },
    { x: -1.5, y: -0.375, grad: 0 },
    { x: -2, y: -1 / 3, grad: -1 / 6 },
    { x: -4, y: 0, grad: 0 },
    { x: 4, y: 4, grad: 1 },
    { x: 3.4028234663852886e38, y: 3.4028234663852886e38, grad: 1 },
    { x: Infinity, y: Infinity, grad: 1 },
    { x: -Infinity, y: 0, grad: 0 },
  ],
  // The kinks at -3 and 3, the gradient's zero at -1.5, and their f32 neighbours.
  points: [3, 1.5, 6e37, 1e38].flatMap((k) => [k, Math.fround(k * (1 + 2 ** -23)), Math.fround(k * (1 - 2 ** -24))]),
};
