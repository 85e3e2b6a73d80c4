import type { Activations, Tensor } from '../../src/index.js';
import { expectBits } from './compare.js';
import { bitsOf } from './float.js';

/**
 * On WebGPU, a layer's forward and backward through the caller's encoder (nothing runs until the
 * caller submits) give the bits of `y` and `dx`, the plain calls'. Nothing to do on the CPU.
 */
export async function checkLayerEncoder(
  acts: Activations,
  label: string,
  layer: { forward(x: Tensor, o: { encoder: GPUCommandEncoder }): Tensor; backward(dy: Tensor, o: { encoder: GPUCommandEncoder }): Tensor },
  x: Tensor,
  dy: Tensor,
  y: Tensor,
  dx: Tensor,
): Promise<void> {
  if (!acts.device) return;
  const encoder = acts.device.createCommandEncoder();
  const ye = layer.forward(x, { encoder });
  const dxe = layer.backward(dy, { encoder });
  acts.device.queue.submit([encoder.finish()]);
  expectBits(`${label} layer y through an encoder`, await ye.read(), bitsOf(await y.read()), {});
  expectBits(`${label} layer dx through an encoder`, await dxe.read(), bitsOf(await dx.read()), {});
  ye.dispose();
  dxe.dispose();
}
