// The CPU twins of shaders/lib/bits.wgsl: exact decisions on float32 bits. Going through JS
// numbers would not do (engines may canonicalise NaNs on a Float32Array store).

/** The same memory as 32-bit unsigned integers. */
export function bits(a: Float32Array): Uint32Array {
  return new Uint32Array(a.buffer, a.byteOffset, a.length);
}

/** true when the f32 with bits b is a NaN. */
export function isNanBits(b: number): boolean {
  return (b & 0x7fffffff) > 0x7f800000;
}

/** A number that orders non-NaN f32 bit patterns like their values (-0 and +0 both give 0). */
export function orderedKey(b: number): number {
  return b >>> 31 ? -(b & 0x7fffffff) : b;
}

/** Above the ordered key of every f32 that is not a NaN: an upper bound that bounds nothing. */
export const NO_UPPER_KEY = 0x7fffffff;

const scratch = new Float32Array(1);
const scratchBits = new Uint32Array(scratch.buffer);

/** The f32 value with bits b (a NaN's payload may not survive as a JS number: keep the bits). */
export function f32FromBits(b: number): number {
  scratchBits[0] = b;
  return scratch[0]!;
}

/** The bits of an f32 value. */
export function f32Bits(value: number): number {
  // Through the shared scratch: the JS mask kernels call this once an element.
  scratch[0] = value;
  return scratchBits[0]!;
}
