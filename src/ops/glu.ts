import wgsl from '../../shaders/activations/glu.wgsl?raw';
import { defineGated } from './gated.js';
import { sigmoid } from './sigmoid.js';

/** GLU (Dauphin et al. 2017; PyTorch's nn.GLU): y = a * sigmoid(b), a and b x's halves along the axis. */
export const glu = defineGated({
  name: 'glu',
  formula: 'a · sigmoid(b)',
  wgsl,
  wgslPath: 'shaders/activations/glu.wgsl',
  gate: sigmoid,
});
