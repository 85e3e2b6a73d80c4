import { spec as hardswish } from './hardswish.spec.js';
import type { OpSpec } from './op-spec.js';

// WebNN's hardSwish, x * max(0, min(6, x + 3)) / 6: PyTorch's hardswish under WebNN's name, so
// the same reference, and WebNN's own definition worked by hand.
export const spec: OpSpec = {
  ...hardswish,
  op: 'hardSwish',
  examples: [
    ...hardswish.examples,
    // x * max(0, min(6, x + 3)) / 6 at 2: 2 * 5 / 6; at 5: 5 * 6 / 6; at -3.5: -3.5 * 0 / 6.
    { x: 2, y: 5 / 3, grad: 7 / 6 },
    { x: 5, y: 5, grad: 1 },
    { x: -3.5, y: 0, grad: 0 },
  ],
  badAttrs: [{ attrs: { alpha: 1 }, argument: 'attrs.alpha' }],
};
