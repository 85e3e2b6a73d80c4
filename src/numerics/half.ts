// The CPU twins of shaders/lib/half.wgsl: binary16 <-> binary32 on the bits, the same integer
// steps, so both backends round f16 results identically.

/** The f32 bits of the half with bits h: exact; NaN payloads kept (shifted up by 13). */
export function halfToF32Bits(h: number): number {
  const sign = (h & 0x8000) << 16;
  const e = (h >>> 10) & 0x1f;
  const m = h & 0x3ff;
  if (e === 31) return (sign | 0x7f800000 | (m << 13)) >>> 0;
  if (e !== 0) return (sign | ((e + 112) << 23) | (m << 13)) >>> 0;
  if (m === 0) return sign >>> 0;
  const shift = Math.clz32(m) - 21;
  return (sign | ((113 - shift) << 23) | (((m << shift) & 0x3ff) << 13)) >>> 0;
}

/** The half bits of the f32 with bits b, rounded to nearest even (see f32_to_half_bits). */
export function f32ToHalfBits(b: number): number {
  const sign = (b >>> 16) & 0x8000;
  const e = (b >>> 23) & 0xff;
  const m = b & 0x7fffff;
  if (e === 255) return sign | 0x7c00 | (m !== 0 ? 0x200 | (m >>> 13) : 0);
  if (e >= 143) return sign | 0x7c00;
  if (e >= 113) {
    const half = ((e - 112) << 10) | (m >>> 13);
    const rest = m & 0x1fff;
    const up = rest > 0x1000 || (rest === 0x1000 && (half & 1) === 1);
    return sign | (half + (up ? 1 : 0));
  }
  if (e < 102) return sign;
  const significand = m | 0x800000;
  const shift = 126 - e;
  const q = significand >>> shift;
  const rest = significand & ((1 << shift) - 1);
  const halfway = 1 << (shift - 1);
  const up = rest > halfway || (rest === halfway && (q & 1) === 1);
  return sign | (q + (up ? 1 : 0));
}

/** Halves (bits) to a Float32Array, exactly. */
export function halvesToF32(h: Uint16Array): Float32Array {
  const out = new Uint32Array(h.length);
  for (let i = 0; i < h.length; i++) out[i] = halfToF32Bits(h[i]!);
  return new Float32Array(out.buffer);
}

/** A Float32Array rounded to halves (bits). */
export function f32ToHalves(f: Float32Array): Uint16Array {
  const b = new Uint32Array(f.buffer, f.byteOffset, f.length);
  const out = new Uint16Array(f.length);
  for (let i = 0; i < f.length; i++) out[i] = f32ToHalfBits(b[i]!);
  return out;
}
