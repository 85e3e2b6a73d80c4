import wgsl from '../../shaders/activations/swiglu.wgsl?raw';
import { defineGated } from './gated.js';
import { silu } from './silu.js';

/** SwiGLU (Shazeer 2020; LLaMA's MLP): y = a * silu(b), a and b x's halves along the axis. */
export const swiglu = defineGated({
  name: 'swiglu',
  formula: 'a · silu(b)',
  wgsl,
  wgslPath: 'shaders/activations/swiglu.wgsl',
  gate: silu,
});
