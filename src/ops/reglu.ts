import wgsl from '../../shaders/activations/reglu.wgsl?raw';
import { defineGated } from './gated.js';
import { relu } from './relu.js';

/** ReGLU (Shazeer 2020): y = a * relu(b), a and b x's halves along the axis. */
export const reglu = defineGated({
  name: 'reglu',
  formula: 'a · relu(b)',
  wgsl,
  wgslPath: 'shaders/activations/reglu.wgsl',
  gate: relu,
});
