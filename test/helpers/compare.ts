import { f32ToHalfBits } from '../../src/numerics/half.js';
import { bitsOf, fromBits, hex, ulpDistance } from './float.js';

/** A mismatch, with a table of the first differing elements. */
export class MismatchError extends Error {
  override name = 'MismatchError';
}

function show(bits: number): string {
  const v = fromBits(bits);
  return `${Number.isNaN(v) ? 'NaN' : Object.is(v, -0) ? '-0' : String(v)} (${hex(bits)})`;
}

/**
 * Checks `got` equals `expected` bit for bit (maxUlp 0) or within maxUlp. NaN must meet NaN
 * with the same bits when maxUlp is 0. Throws a MismatchError whose message is a table:
 * index, inputs, expected, got, ULP distance.
 */
export function expectBits(
  label: string,
  got: Float32Array,
  expected: Uint32Array,
  inputs: Readonly<Record<string, Float32Array>>,
  maxUlp = 0,
): void {
  if (got.length !== expected.length) {
    throw new MismatchError(`${label}: length ${got.length}, expected ${expected.length}`);
  }
  const g = bitsOf(got);
  const rows: string[] = [];
  let bad = 0;
  for (let i = 0; i < g.length; i++) {
    const a = g[i]!;
    const e = expected[i]!;
    const d = a === e ? 0 : ulpDistance(a, e);
    const ok = maxUlp === 0 ? a === e : d <= maxUlp;
    if (!ok) {
      bad++;
      if (rows.length < 10) {
        const ins = Object.entries(inputs).map(([k, v]) => `${k}=${show(bitsOf(v)[i]!)}`);
        rows.push(`  ${String(i).padStart(9)} | ${ins.join(' ')} | expected ${show(e)} | got ${show(a)} | ulp ${d}`);
      }
    }
  }
  if (bad > 0) {
    throw new MismatchError(
      `${label}: ${bad} of ${g.length} elements differ\n    index | inputs | expected | got | ulp\n${rows.join('\n')}`,
    );
  }
}

export function assert(condition: unknown, message: string): asserts condition {
  if (!condition) throw new Error(message);
}

/** Runs fn and checks it throws an instance of `type` whose `argument` is `argument`. */
export async function expectError(fn: () => unknown, type: abstract new (...args: never[]) => Error, argument?: string): Promise<Error> {
  let thrown: unknown;
  try {
    await fn();
  } catch (e) {
    thrown = e;
  }
  if (!(thrown instanceof type)) {
    throw new Error(`expected a ${type.name}, got ${thrown instanceof Error ? `${thrown.name}: ${thrown.message}` : String(thrown)}`);
  }
  const arg = (thrown as Error & { argument?: string }).argument;
  if (argument !== undefined && arg !== argument) {
    throw new Error(`expected the error to name argument '${argument}', it names '${String(arg)}' (${thrown.message})`);
  }
  return thrown;
}

/** Each half of `got` is the f32 value at its index in `wide` rounded once to f16 (nearest even). */
export function expectRoundedHalves(label: string, got: Uint16Array, wide: Float32Array): void {
  const bits = bitsOf(wide);
  for (let i = 0; i < got.length; i++) {
    const want = f32ToHalfBits(bits[i]!);
    assert(
      got[i] === want,
      `${label}[${i}]: got 0x${got[i]!.toString(16)}, expected 0x${want.toString(16)} (the f32 result ${wide[i]} rounded)`,
    );
  }
}
