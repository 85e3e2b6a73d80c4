import wgsl from '../../shaders/activations/geglu.wgsl?raw';
import { defineGated } from './gated.js';
import { gelu } from './gelu.js';

/**
 * GeGLU (Shazeer 2020; T5 v1.1, Gemma): y = a * gelu(b), a and b x's halves along the axis;
 * gelu's `approximate` ('none', the default, or 'tanh') picks the form.
 */
export const geglu = defineGated({
  name: 'geglu',
  formula: 'a · gelu(b)',
  wgsl,
  wgslPath: 'shaders/activations/geglu.wgsl',
  gate: gelu,
});
