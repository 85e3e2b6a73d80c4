/**
 * Dispatch planning: how one elementwise op over `length` elements becomes dispatches.
 * Pure arithmetic, no GPU objects, so it is tested on its own.
 *
 * - Each operand is bound as a sub-range that starts on an `offsetAlignment` boundary
 *   (minStorageBufferOffsetAlignment); the operand's first element sits a few elements in.
 * - When every operand's first element is 16-byte aligned within its binding, the body runs
 *   as vec4 and the last `length % 4` elements as a scalar tail dispatch (a separate dispatch
 *   because WebGPU forbids binding the same buffer range twice as writable storage).
 * - Ranges longer than `maxBindingBytes` are split into chunks; chunk starts advance by a
 *   multiple of `offsetAlignment` bytes, so every chunk keeps the same in-binding offsets.
 * - More than `maxWorkgroupsPerDimension` workgroups become a 2-D grid (see elementwise.wgsl).
 */
export interface PlanLimits {
  readonly maxBindingBytes: number;
  readonly offsetAlignment: number;
  readonly maxWorkgroupsPerDimension: number;
  readonly workgroupSize: number;
  /** false forces the scalar kernel everywhere (tests use it to reach the 2-D grid cheaply). */
  readonly vectorize: boolean;
}

export interface PlannedBinding {
  /** Byte offset of the binding in its buffer (a multiple of offsetAlignment). */
  readonly offset: number;
  /** Byte size of the binding. */
  readonly size: number;
}

export interface PlannedDispatch {
  readonly width: 1 | 4;
  /** Vs (elements, or vec4s when width is 4) this dispatch covers. */
  readonly count: number;
  /** One binding per operand, in the operands' order. */
  readonly bindings: readonly PlannedBinding[];
  /** Where each operand's first V sits in its binding, in Vs. */
  readonly offsets: readonly number[];
  readonly workgroups: readonly [number, number];
}

/** Splits `length` elements at the given byte offsets (one per operand) into dispatches. */
export function planElementwise(length: number, byteOffsets: readonly number[], limits: PlanLimits): PlannedDispatch[] {
  const { offsetAlignment: align, maxBindingBytes } = limits;
  if (maxBindingBytes < 2 * align) {
    throw new RangeError(`maxBindingBytes (${maxBindingBytes}) must be at least twice the offset alignment (${align})`);
  }
  // Elements per chunk: a whole number of alignment units, leaving one unit of headroom for the
  // operand's misalignment within its first unit.
  const chunkElements = (Math.floor(maxBindingBytes / align) - 1) * (align / 4);
  const dispatches: PlannedDispatch[] = [];
  for (let start = 0; start < length; start += chunkElements) {
    const count = Math.min(chunkElements, length - start);
    const bases = byteOffsets.map((o) => Math.floor((o + 4 * start) / align) * align);
    const skips = byteOffsets.map((o, i) => (o + 4 * start - bases[i]!) / 4);
    const vec4 = limits.vectorize && skips.every((s) => s % 4 === 0);
    const body = vec4 ? Math.floor(count / 4) : 0;
    const tail = count - 4 * body;
    if (body > 0) {
      dispatches.push(
        make(
          4,
          body,
          bases,
          skips.map((s) => s / 4),
          skips.map((s) => (s + 4 * body) * 4),
          limits,
        ),
      );
    }
    if (tail > 0) {
      dispatches.push(
        make(
          1,
          tail,
          bases,
          skips.map((s) => s + 4 * body),
          skips.map((s) => (s + count) * 4),
          limits,
        ),
      );
    }
  }
  return dispatches;
}

function make(
  width: 1 | 4,
  count: number,
  bases: readonly number[],
  offsets: readonly number[],
  sizes: readonly number[],
  limits: PlanLimits,
): PlannedDispatch {
  return {
    width,
    count,
    bindings: bases.map((offset, i) => ({ offset, size: sizes[i]! })),
    offsets,
    workgroups: grid(Math.ceil(count / limits.workgroupSize), limits.maxWorkgroupsPerDimension),
  };
}

/** A 2-D grid with x * y >= groups, both within `maxPerDim`, wasting fewer than y groups. */
export function grid(groups: number, maxPerDim: number): [number, number] {
  if (groups <= maxPerDim) return [groups, 1];
  const y = Math.ceil(groups / maxPerDim);
  if (y > maxPerDim) throw new RangeError(`${groups} workgroups do not fit a ${maxPerDim}x${maxPerDim} grid`);
  return [Math.ceil(groups / y), y];
}
