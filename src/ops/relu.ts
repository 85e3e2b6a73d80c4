import wgsl from '../../shaders/activations/relu.wgsl?raw';
import type { OpDefinition } from './registry.js';

// The CPU side decides on the bits exactly as shaders/activations/relu.wgsl does, so the two
// agree bit for bit: NaN payloads kept, -0 -> +0, subnormals untouched. Going through JS
// numbers would not guarantee that (engines may canonicalise NaNs on a Float32Array store).
const ABS_MASK = 0x7fffffff;
const INF_BITS = 0x7f800000;

function bits(a: Float32Array): Uint32Array {
  return new Uint32Array(a.buffer, a.byteOffset, a.length);
}

/** ReLU: y = x > 0 ? x : 0 (NaN stays NaN); dx = x > 0 ? dy : 0 (dy at NaN inputs). */
export const relu: OpDefinition = {
  name: 'relu',
  wgsl,
  wgslPath: 'shaders/activations/relu.wgsl',
  accuracy: { kind: 'exact' },
  cpu: {
    forward(x, y) {
      const xb = bits(x);
      const yb = bits(y);
      for (let i = 0; i < xb.length; i++) {
        const b = xb[i]!;
        yb[i] = (b & ABS_MASK) > INF_BITS || (b | 0) > 0 ? b : 0;
      }
    },
    backward(x, dy, dx) {
      const xb = bits(x);
      const db = bits(dy);
      const out = bits(dx);
      for (let i = 0; i < xb.length; i++) {
        const b = xb[i]!;
        out[i] = (b & ABS_MASK) > INF_BITS || (b | 0) > 0 ? db[i]! : 0;
      }
    },
  },
};
