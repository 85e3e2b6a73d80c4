// float32 bit helpers and the special values every backend is checked on.

const scratch = new DataView(new ArrayBuffer(4));

/** The float32 value with these bits, as a JS number (NaNs lose their payload here). */
export function fromBits(bits: number): number {
  scratch.setUint32(0, bits >>> 0);
  return scratch.getFloat32(0);
}

/** The float32 bits of a JS number, rounded to float32 first. */
export function toBits(value: number): number {
  scratch.setFloat32(0, value);
  return scratch.getUint32(0);
}

/** A Float32Array holding exactly these bit patterns (payloads kept). */
export function floatsFromBits(bits: readonly number[] | Uint32Array): Float32Array<ArrayBuffer> {
  return new Float32Array(Uint32Array.from(bits).buffer);
}

export function bitsOf(a: Float32Array): Uint32Array {
  return new Uint32Array(a.buffer, a.byteOffset, a.length);
}

/** Distance in units in the last place between two float32 bit patterns (Infinity if either is NaN). */
export function ulpDistance(a: number, b: number): number {
  const isNan = (x: number) => (x & 0x7fffffff) > 0x7f800000;
  if (isNan(a) || isNan(b)) return isNan(a) && isNan(b) ? 0 : Infinity;
  // Map sign-magnitude to a monotonic integer line.
  const line = (x: number) => (x >>> 31 ? -(x & 0x7fffffff) : x);
  return Math.abs(line(a >>> 0) - line(b >>> 0));
}

export function hex(bits: number): string {
  return `0x${(bits >>> 0).toString(16).padStart(8, '0')}`;
}

/** Bit patterns of the float32 values where activations go wrong first. */
export const SPECIAL_BITS: readonly number[] = [
  0x00000000, // +0
  0x80000000, // -0
  0x3f800000, // 1
  0xbf800000, // -1
  0x7f800000, // +Inf
  0xff800000, // -Inf
  0x7fc00000, // quiet NaN
  0x7fc00001, // quiet NaN with a payload
  0xffc12345, // negative quiet NaN with a payload
  0x7f800001, // signalling NaN
  0xff800001, // negative signalling NaN
  0x7fffffff, // NaN, all mantissa bits
  0x7f7fffff, // largest finite
  0xff7fffff, // most negative finite
  0x00800000, // smallest normal
  0x80800000, // -smallest normal
  0x00000001, // smallest subnormal
  0x80000001, // -smallest subnormal
  0x007fffff, // largest subnormal
  0x807fffff, // -largest subnormal
  0x33d6bf95, // 1e-7
  0xb3d6bf95, // -1e-7
];

/** Deterministic PRNG (mulberry32), so failures reproduce. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * n float32s: a mix of uniform values in [-range, range] and arbitrary bit patterns (every
 * exponent, NaNs and infinities included).
 */
export function randomFloats(n: number, seed: number, range = 10): Float32Array<ArrayBuffer> {
  const next = rng(seed);
  const bits = new Uint32Array(n);
  const f = new Float32Array(bits.buffer);
  for (let i = 0; i < n; i++) {
    if (next() < 0.5) f[i] = (next() * 2 - 1) * range;
    else bits[i] = Math.floor(next() * 4294967296);
  }
  return f;
}

/** n float32s uniform in [-range, range]. */
export function uniformFloats(n: number, seed: number, range: number): Float32Array<ArrayBuffer> {
  const next = rng(seed);
  return Float32Array.from({ length: n }, () => (next() * 2 - 1) * range);
}
