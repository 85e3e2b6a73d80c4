// An adversarial suite of our own: fast-check makes calls to every public entry point with each
// argument either valid or junk (null, NaN, out-of-range numbers, strings, BigInt, Symbol, holes,
// misspelt keys, forged, disposed and foreign tensors), and every call must either work or
// throw an ActivationsError: never a raw TypeError, a hang or a wrong answer. Afterwards the
// instance's tensors still hold their values, nothing the calls made is left alive, and (WebGPU)
// no error scope is left pushed on the device.
import fc from 'fast-check';
import { ActivationsError, Tensor, createActivations, type Activations } from '../../src/index.js';
import { assert } from '../helpers/compare.js';
import { countingDevice } from '../helpers/counting-device.js';
import type { ConformanceCase } from './relu.js';

const RUNS = 250;
const UNIFORM = 0x40;

/** What the calls use: valid tensors of the instance, and ones it must refuse. */
interface Env {
  readonly acts: Activations;
  readonly x: Tensor;
  readonly dy: Tensor;
  readonly dyHalf: Tensor;
  readonly alpha: Tensor;
  readonly bias: Tensor;
  readonly disposed: Tensor;
  readonly foreign: Tensor;
}

/** Junk for any argument. */
function junk(env: Env): fc.Arbitrary<unknown> {
  return fc.oneof(
    fc.constantFrom<unknown>(null, undefined, Number.NaN, -1, 0, 1.5, 1e39, Infinity, '', 'relu', true, [], {}, 10n),
    fc.constant(Symbol('junk')),
    // eslint-disable-next-line no-sparse-arrays
    fc.constant([, 3]),
    fc.constant(Object.create(null) as object),
    fc.constant(Object.create(Tensor.prototype) as object),
    fc.constant(Object.create({ axis: 1, pieces: 2 }) as object),
    fc.constantFrom<unknown>(env.disposed, env.foreign, env.dyHalf),
    fc.string({ maxLength: 6 }),
    fc.double(),
    fc.array(fc.oneof(fc.double(), fc.string({ maxLength: 2 })), { maxLength: 4 }),
    fc.dictionary(
      fc.constantFrom('alpha', 'axes', 'pieces', 'axis', 'keep', 'encoder', 'x', 'dy', 'theta'),
      fc.oneof(fc.double(), fc.string({ maxLength: 2 }), fc.constant(null)),
    ),
  );
}

/** An argument: mostly valid, sometimes junk. */
const arg = (env: Env, ...valid: unknown[]) =>
  fc.oneof({ weight: 3, arbitrary: fc.constantFrom(...valid) }, { weight: 2, arbitrary: junk(env) });

type Call = readonly [string, (env: Env) => unknown];

/** Every public entry point with arguments drawn for it. */
function calls(env: Env): fc.Arbitrary<Call> {
  const { acts, x, dy, dyHalf, alpha, bias } = env;
  const ops = ['relu', 'leakyRelu', 'gelu', 'sigmoid', 'prelu', 'maxout', 'swiglu', 'geglu'];
  const attrs = [undefined, {}, { alpha: 0.1 }, { pieces: 2 }, { alpha }, { approximate: 'tanh' }];
  const entry = <A extends unknown[]>(name: string, args: { [K in keyof A]: fc.Arbitrary<A[K]> }, run: (...a: A) => unknown) =>
    fc.tuple(...(args as fc.Arbitrary<unknown>[])).map(
      (a): Call => [name, () => run(...(a as A))],
      // Shown in a counterexample: the entry point and its arguments.
    );
  return fc.oneof(
    entry('tensor', [arg(env, [1, -2, 3, 0], new Float32Array(4), new Uint16Array([0x3c00])), arg(env, undefined, [4], [2, 2])], (d, s) =>
      acts.tensor(d as never, s as never),
    ),
    entry('forward', [arg(env, ...ops), arg(env, x), arg(env, ...attrs)], (op, t, a) => acts.forward(op as never, t as never, a as never)),
    entry('backward', [arg(env, ...ops), arg(env, { x, dy }, { y: x, dy }), arg(env, ...attrs)], (op, g, a) =>
      acts.backward(op as never, g as never, a as never),
    ),
    entry('prelu', [arg(env, x), arg(env, alpha), arg(env, undefined, { axis: -1 }, {})], (t, a, o) =>
      acts.prelu(t as never, a as never, o as never),
    ),
    entry('preluBackward', [arg(env, { x, alpha, dy }), arg(env, undefined, { axis: -1 })], (g, o) =>
      acts.preluBackward(g as never, o as never),
    ),
    entry('maxout', [arg(env, x), arg(env, { pieces: 2 }, { pieces: 4, axis: -1 })], (t, o) => acts.maxout(t as never, o as never)),
    entry('maxoutBackward', [arg(env, { x, dy: dyHalf }), arg(env, { pieces: 2 })], (g, o) => acts.maxoutBackward(g as never, o as never)),
    entry(
      'forwardInto',
      [arg(env, 'relu', 'gelu'), arg(env, { x, y: dy }), arg(env, undefined, {}), arg(env, undefined, {})],
      (op, o, a, e) => acts.forwardInto(op as never, o as never, a as never, e as never),
    ),
    entry(
      'backwardInto',
      [arg(env, 'relu', 'sigmoid'), arg(env, { x, dy, dx: dy }, { y: x, dy, dx: dy }), arg(env, {}), arg(env, {})],
      (op, o, a, e) => acts.backwardInto(op as never, o as never, a as never, e as never),
    ),
    entry(
      'layer',
      [arg(env, ...ops), arg(env, ...attrs), arg(env, undefined, {}, { telemetry: true }, { learnAlpha: false })],
      (op, a, o) => {
        const layer = acts.layer(op as never, a as never, o as never);
        return steps(
          layer,
          () => layer.forward(x),
          () => layer.backward(op === 'maxout' || op === 'swiglu' || op === 'geglu' ? dyHalf : dy),
        );
      },
    ),
    entry('layer calls', [arg(env, x, dy), arg(env, dy), arg(env, bias), arg(env, undefined, {})], (input, g, b, o) => {
      const layer = acts.layer('relu', {}, { telemetry: true });
      return steps(
        layer,
        () => layer.forwardBias(input as never, b as never, o as never),
        () => layer.backwardBias(g as never, o as never),
      );
    }),
    entry('batch', [arg(env, () => acts.forward('relu', x))], (fn) => acts.batch(fn as never)),
    entry('createActivations', [arg(env, { backend: 'cpu' }, { backend: 'cpu', cpuKernels: 'js' })], (o) => createActivations(o as never)),
  );
}

/** Runs a layer's calls in turn; what the earlier ones made is freed if a later one throws. */
function steps(layer: { dispose(): void }, ...calls: (() => unknown)[]): unknown[] {
  const made: unknown[] = [];
  try {
    for (const call of calls) made.push(call());
    return made;
  } catch (e) {
    release(made);
    throw e;
  } finally {
    layer.dispose();
  }
}

/** Frees whatever a call returned: tensors, layers, instances, and arrays or records of them. */
function release(value: unknown): void {
  if (value instanceof Tensor || (typeof value === 'object' && value !== null && 'dispose' in value)) {
    (value as { dispose(): void }).dispose();
  } else if (Array.isArray(value)) value.forEach(release);
  else if (typeof value === 'object' && value !== null) Object.values(value).forEach(release);
}

async function attack(acts: Activations, foreign: Activations): Promise<void> {
  const disposed = acts.tensor([1]);
  disposed.dispose();
  const data = Float32Array.of(-1, 2, -3, 4, 0.5, -0.25, 8, -8);
  const env: Env = {
    acts,
    x: acts.tensor(data, [2, 4]),
    dy: acts.tensor([1, 2, 3, 4, 5, 6, 7, 8], [2, 4]),
    dyHalf: acts.tensor([1, 2, 3, 4], [2, 2]),
    alpha: acts.tensor([0.25, 0.5, 1, 2]),
    bias: acts.tensor([0.5, -0.5, 1, -1]),
    disposed,
    foreign: foreign.tensor([1, 2]),
  };
  const raw: string[] = [];
  // Each call is shown by name with its arguments when it fails.
  await fc.assert(
    fc.asyncProperty(calls(env), async ([name, run]) => {
      let result: unknown;
      try {
        result = await run(env);
      } catch (e) {
        if (e instanceof ActivationsError) return;
        raw.push(`${name}: ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}`);
        throw new Error(`${name} threw something other than an ActivationsError: ${raw[raw.length - 1]}`);
      }
      release(result);
    }),
    { numRuns: RUNS, seed: 0xbad },
  );
  assert(raw.length === 0, `calls threw something other than an ActivationsError:\n${raw.join('\n')}`);
  // The instance's own tensors were not touched by anything refused.
  const x = [...(await env.x.read())];
  assert(x.join() === [...data].join(), `x changed: ${x.join()}`);
  for (const t of [env.x, env.dy, env.dyHalf, env.alpha, env.bias, env.foreign]) t.dispose();
}

export const adversarialCases: readonly ConformanceCase[] = [
  {
    name: `adversarial: ${RUNS} generated calls to every entry point with junk arguments: typed errors only, nothing changed or left alive`,
    cpuOnly: true,
    async run() {
      const acts = await createActivations({ backend: 'cpu' });
      const foreign = await createActivations({ backend: 'cpu' });
      const before = acts.cpuHeapStats.live;
      await attack(acts, foreign);
      assert(acts.cpuHeapStats.live === before, `${acts.cpuHeapStats.live - before} bytes left in the SIMD heap`);
      acts.dispose();
      foreign.dispose();
    },
  },
  {
    name: `adversarial on WebGPU: ${RUNS} generated calls with junk arguments: typed errors only, no buffer left alive, no error scope left pushed`,
    gpuOnly: true,
    async run({ gpu, create }) {
      const adapter = await gpu!.requestAdapter();
      const real = await adapter!.requestDevice();
      const { device, counts } = countingDevice(real);
      // No pool: a freed buffer is destroyed at once, so every buffer alive is one still held.
      const acts = await create({ device, tuning: { poolBytes: 0 } });
      const foreign = await create();
      await attack(acts, foreign);
      await real.queue.onSubmittedWorkDone();
      const left = counts.live().filter((b) => !(b.usage & UNIFORM));
      assert(
        left.length === 0,
        `buffers left alive: ${left.map((b) => `${b.label} (${b.size} bytes, usage 0x${b.usage.toString(16)})`).join(', ')}`,
      );
      // Every scope the library pushed was popped: popping one more finds none.
      const popped = await real.popErrorScope().then(
        () => 'a scope was still pushed',
        () => undefined,
      );
      assert(popped === undefined, popped ?? '');
      acts.dispose();
      foreign.dispose();
      real.destroy();
    },
  },
];
