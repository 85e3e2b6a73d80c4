// A dedicated module worker, started by worker-page.ts: it imports the library as any page does,
// runs relu forward and backward with createActivations' own choice of backend, then with a GPU
// object that offers no adapter ('auto' falls back to the CPU, 'webgpu' rejects), and posts what it
// saw, as bits, to the page. worker.test.ts checks it against values worked by hand.
import { createActivations, ActivationsError, type CreateOptions } from '../../src/index.js';

/** One instance's relu forward and backward, as bits. */
export interface WorkerRun {
  readonly backend: string;
  readonly fallbackReason: string | undefined;
  readonly cpuKernels: string | undefined;
  readonly x: readonly number[];
  readonly dy: readonly number[];
  readonly y: readonly number[];
  readonly dx: readonly number[];
}

/** What the worker posts to the page. */
export interface WorkerReport {
  readonly fatal?: string;
  /** The global scope the library ran in. */
  readonly scope?: { readonly worker: boolean; readonly window: boolean; readonly gpu: boolean; readonly secure: boolean | undefined };
  /** createActivations() with no options. */
  readonly auto?: WorkerRun;
  /** createActivations({ gpu }) with a GPU whose requestAdapter() resolves to null. */
  readonly noAdapter?: WorkerRun;
  /** createActivations({ backend: 'webgpu', gpu }) with that GPU: the error it rejects with. */
  readonly refused?: { readonly name: string; readonly code: string; readonly message: string };
}

/** -2, -0, 0, 0.5, 3, -Inf, Inf, a NaN with a payload, the smallest subnormal and its negative. */
const X_BITS = [0xc0000000, 0x80000000, 0, 0x3f000000, 0x40400000, 0xff800000, 0x7f800000, 0x7fc00001, 0x00000001, 0x80000001];
const DY = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10];

const bitsOf = (a: Float32Array) => Array.from(new Uint32Array(a.buffer, a.byteOffset, a.length));

async function run(options: CreateOptions): Promise<WorkerRun> {
  const acts = await createActivations(options);
  const xs = new Float32Array(Uint32Array.from(X_BITS).buffer);
  const x = acts.tensor(xs);
  const dy = acts.tensor(DY);
  const y = await acts.forward('relu', x).read();
  const dx = await acts.backward('relu', { x, dy }).read();
  const out = {
    backend: acts.backend,
    fallbackReason: acts.fallbackReason,
    cpuKernels: acts.cpuKernels,
    x: bitsOf(xs),
    dy: DY,
    y: bitsOf(y),
    dx: bitsOf(dx),
  };
  acts.dispose();
  return out;
}

const noAdapter = { requestAdapter: () => Promise.resolve(null) } as unknown as GPU;

async function main(): Promise<WorkerReport> {
  const g = globalThis as { navigator?: { gpu?: unknown }; isSecureContext?: boolean };
  const scope = {
    worker: 'DedicatedWorkerGlobalScope' in globalThis,
    window: typeof window !== 'undefined',
    gpu: g.navigator?.gpu !== undefined,
    secure: g.isSecureContext,
  };
  const auto = await run({});
  const fallback = await run({ gpu: noAdapter });
  const error = await createActivations({ backend: 'webgpu', gpu: noAdapter }).then(
    () => undefined,
    (e: unknown) => e,
  );
  const refused =
    error instanceof ActivationsError
      ? { name: error.name, code: error.code, message: error.message }
      : { name: 'not an ActivationsError', code: '', message: String(error) };
  return { scope, auto, noAdapter: fallback, refused };
}

const post = (report: WorkerReport) => (self as unknown as { postMessage(message: unknown): void }).postMessage(report);
main().then(post, (e: unknown) => post({ fatal: e instanceof Error ? `${e.name}: ${e.message}` : String(e) }));
