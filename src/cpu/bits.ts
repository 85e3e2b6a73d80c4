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

/** The bits of an f32 value. */
export function f32Bits(value: number): number {
  return new Uint32Array(Float32Array.of(value).buffer)[0]!;
}
