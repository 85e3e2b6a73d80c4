// The CPU backend's WebAssembly SIMD side: the compiled kernels of src/cpu/wasm/kernels.ts and a
// heap of tensor blocks in their memory. Kernels can only reach their own linear memory, so CPU
// tensors live there (as tfjs-wasm's do): an op then reads and writes once, as a copy does, with
// no copy in or out around it.
import { kernelsWasm } from './wasm/kernels.generated.js';

/** The kernels module's exports (see src/cpu/wasm/kernels.ts); pointers are byte addresses. */
export interface SimdKernels {
  readonly memory: WebAssembly.Memory;
  alloc(bytes: number): number;
  free(ptr: number): void;
  relu_forward(x: number, y: number, n: number): void;
  relu_backward(x: number, dy: number, dx: number, n: number): void;
  gate_above(x: number, g: number, out: number, n: number, key: number): void;
  gate_inside(x: number, g: number, out: number, n: number, loKey: number, hiKey: number): void;
  clamp(x: number, y: number, n: number, loBits: number, hiBits: number): void;
  leaky_forward(x: number, y: number, n: number, alpha: number): void;
  leaky_backward(x: number, dy: number, dx: number, n: number, alpha: number): void;
  hardsigmoid_forward(x: number, y: number, n: number, alpha: number, beta: number, minusBeta: number, oneMinusBeta: number): void;
  hardsigmoid_backward(x: number, dy: number, dx: number, n: number, alpha: number, minusBeta: number, oneMinusBeta: number): void;
  hardswish_forward(x: number, y: number, n: number): void;
  hardswish_backward(x: number, dy: number, dx: number, n: number): void;
  half_to_f32(h: number, out: number, n: number): void;
  f32_to_half(x: number, h: number, n: number): void;
  prelu_forward(x: number, alpha: number, y: number, n: number, channels: number, inner: number): void;
  prelu_backward(x: number, alpha: number, dy: number, dx: number, terms: number, n: number, channels: number, inner: number): void;
  tree_sums(values: number, rows: number, len: number, out: number): void;
  strided_tree_sums(values: number, rows: number, len: number, inner: number, out: number): void;
  maxout(x: number, dy: number, out: number, units: number, pieces: number, inner: number, backward: boolean): void;
  mul(a: number, b: number, out: number, n: number): void;
  bias_add(x: number, b: number, z: number, n: number, channels: number, inner: number): void;
  softsign_forward(x: number, y: number, n: number): void;
  softsign_backward(x: number, dy: number, dx: number, n: number): void;
  linear_forward(x: number, y: number, n: number, alpha: number, beta: number): void;
  linear_backward(dy: number, dx: number, n: number, alpha: number): void;
  sigmoid_forward(x: number, y: number, n: number): void;
  sigmoid_backward(y: number, dy: number, dx: number, n: number): void;
  tanh_forward(x: number, y: number, n: number): void;
  tanh_backward(y: number, dy: number, dx: number, n: number): void;
  silu_forward(x: number, y: number, n: number): void;
  silu_backward(x: number, dy: number, dx: number, n: number): void;
  elu_forward(x: number, y: number, n: number, alpha: number, scale: number, divide: boolean): void;
  elu_backward(x: number, dy: number, dx: number, n: number, alpha: number, scale: number, mAlpha: number, divide: boolean): void;
  softplus_forward(x: number, y: number, n: number, beta: number, threshold: number): void;
  softplus_backward(x: number, dy: number, dx: number, n: number, beta: number, threshold: number): void;
  gelu_tanh_forward(x: number, y: number, n: number): void;
  gelu_tanh_backward(x: number, dy: number, dx: number, n: number): void;
  gelu_none_forward(x: number, y: number, n: number): void;
  gelu_none_backward(x: number, dy: number, dx: number, n: number): void;
  mish_forward(x: number, y: number, n: number): void;
  mish_backward(x: number, dy: number, dx: number, n: number): void;
  mask_inside(x: number, words: number, n: number, lo: number, hi: number, nan: boolean): void;
  gate_mask(x: number, y: number, words: number, n: number, lo: number, hi: number, nan: boolean): void;
  leaky_mask(x: number, y: number, words: number, n: number, alphaBits: number): void;
  masked_select(words: number, dy: number, dx: number, n: number): void;
  masked_scaled(words: number, dy: number, dx: number, n: number, alphaBits: number): void;
  prelu_backward_mask(words: number, alpha: number, dy: number, dx: number, n: number, channels: number, inner: number): void;
  softmax_forward(x: number, y: number, outer: number, len: number, inner: number, log: boolean): void;
  softmax_backward(y: number, dy: number, dx: number, outer: number, len: number, inner: number, log: boolean): void;
}

/**
 * Live blocks stop at this many bytes; larger demands get plain Float32Arrays and the JS kernels.
 * WebAssembly memory never shrinks, so this bounds what a CPU instance keeps after a peak.
 */
export const HEAP_LIMIT_BYTES = 1024 * 1024 * 1024;

/** The typed arrays a heap block is seen through. */
type HeapArray = Float32Array | Uint16Array | Uint32Array;

/**
 * A block of the heap seen as `A`: the view is made again after the memory grows (growing it
 * detaches old views, whose length drops to 0).
 */
abstract class HeapView<A extends HeapArray> {
  #view: A;

  constructor(
    readonly heap: SimdHeap,
    readonly ptr: number,
    readonly length: number,
    private readonly make: (buffer: ArrayBuffer, ptr: number, length: number) => A,
  ) {
    this.#view = make(heap.kernels.memory.buffer, ptr, length);
  }

  /** Bytes held. */
  get bytes(): number {
    return this.#current().byteLength;
  }

  #current(): A {
    if (this.#view.length !== this.length) this.#view = this.make(this.heap.kernels.memory.buffer, this.ptr, this.length);
    return this.#view;
  }

  protected get view(): A {
    return this.#current();
  }
}

/** An f32 tensor's storage in the heap: `data` is a view of its values. */
export class HeapBlock extends HeapView<Float32Array> {
  readonly kind = 'cpu' as const;

  constructor(heap: SimdHeap, ptr: number, length: number) {
    super(heap, ptr, length, (buffer, at, n) => new Float32Array(buffer, at, n));
  }

  /** The values. */
  get data(): Float32Array {
    return this.view;
  }
}

/** An f16 tensor's storage in the heap: `bits` is a view of the halves' bit patterns. */
export class HeapHalves extends HeapView<Uint16Array> {
  readonly kind = 'cpu16' as const;

  constructor(heap: SimdHeap, ptr: number, length: number) {
    super(heap, ptr, length, (buffer, at, n) => new Uint16Array(buffer, at, n));
  }

  /** The halves' bit patterns. */
  get bits(): Uint16Array {
    return this.view;
  }
}

/**
 * u32 words in the heap (a training layer's 1-bit mask, bit i in word i >> 5, or counts): `words`
 * is a view of them, so the mask kernels write and read them in place.
 */
export class HeapWords extends HeapView<Uint32Array> {
  readonly kind = 'words' as const;

  constructor(heap: SimdHeap, ptr: number, length: number) {
    super(heap, ptr, length, (buffer, at, n) => new Uint32Array(buffer, at, n));
  }

  /** The words. */
  get words(): Uint32Array {
    return this.view;
  }
}

/** One CPU instance's heap: its own instance of the kernels module, and the blocks it holds. */
export class SimdHeap {
  #bytes = 0;

  constructor(
    readonly kernels: SimdKernels,
    readonly limitBytes: number,
  ) {}

  /** Bytes held by live blocks. */
  get bytes(): number {
    return this.#bytes;
  }

  /**
   * A block of `length` f32s (contents unspecified), or undefined when it would pass
   * `limitBytes` or the memory cannot grow: the caller then uses a plain Float32Array.
   */
  allocate(length: number): HeapBlock | undefined {
    const ptr = this.#take(4 * length);
    return ptr === undefined ? undefined : new HeapBlock(this, ptr, length);
  }

  /** A block of `length` halves, or undefined (then a plain Uint16Array), as {@link allocate}. */
  allocateHalves(length: number): HeapHalves | undefined {
    const ptr = this.#take(2 * length);
    return ptr === undefined ? undefined : new HeapHalves(this, ptr, length);
  }

  /** A block of `length` u32 words, or undefined (then a plain Uint32Array), as {@link allocate}. */
  allocateWords(length: number): HeapWords | undefined {
    const ptr = this.#take(4 * length);
    return ptr === undefined ? undefined : new HeapWords(this, ptr, length);
  }

  release(block: HeapBlock | HeapHalves | HeapWords): void {
    this.kernels.free(block.ptr);
    this.#bytes -= block.bytes;
  }

  #take(bytes: number): number | undefined {
    if (bytes === 0 || this.#bytes + bytes > this.limitBytes) return undefined;
    let ptr: number;
    try {
      ptr = this.kernels.alloc(bytes);
    } catch {
      // The allocator traps when memory.grow fails, before it changes any of its state.
      return undefined;
    }
    this.#bytes += bytes;
    return ptr;
  }
}

let compiled: Promise<WebAssembly.Module> | undefined;

/**
 * A new heap with its own instance of the kernels (compiled once per page or process). Rejects
 * with the engine's reason where WebAssembly or its SIMD proposal is missing.
 */
export async function createSimdHeap(limitBytes = HEAP_LIMIT_BYTES): Promise<SimdHeap> {
  if (typeof WebAssembly === 'undefined') throw new Error('this runtime has no WebAssembly');
  compiled ??= WebAssembly.compile(decodeBase64(kernelsWasm));
  let module: WebAssembly.Module;
  try {
    module = await compiled;
  } catch (e) {
    compiled = undefined;
    throw new Error(`the kernels did not compile (WebAssembly SIMD missing?): ${e instanceof Error ? e.message : String(e)}`);
  }
  const instance = await WebAssembly.instantiate(module, {
    env: {
      // AssemblyScript's abort: only an allocation that cannot be met gets here.
      abort: () => {
        throw new RangeError('WebAssembly heap: out of memory');
      },
    },
  });
  return new SimdHeap(instance.exports as unknown as SimdKernels, limitBytes);
}

function decodeBase64(text: string): Uint8Array<ArrayBuffer> {
  const raw = atob(text);
  const bytes = new Uint8Array(raw.length);
  for (let i = 0; i < raw.length; i++) bytes[i] = raw.charCodeAt(i);
  return bytes;
}
