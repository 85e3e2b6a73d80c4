// Zero-copy interop, run by interop.test.ts in headless Chromium: our ops on TensorFlow.js's and
// ONNX Runtime Web's GPU buffers, on their devices, encoded into an encoder this page submits.
// The page only runs and collects bits; the runner compares them with the CPU backend in Node.
// Last, docs/interop.md's two recipes run as written: interop.test.ts writes each block into a
// module under test/.generated/interop/ (interop-recipes.ts), and the page imports it, handing it
// the variables its comment says are the reader's.
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-webgpu';
import type { WebGPUBackend } from '@tensorflow/tfjs-backend-webgpu';
import * as ort from 'onnxruntime-web/webgpu';
import { createActivations, type Activations, type AdapterSummary, type BufferView, type Tensor } from '../../src/index.js';
import { SPECIAL_BITS, bitsOf, floatsFromBits, randomFloats } from '../helpers/float.js';
import { oneNodeModel } from '../helpers/onnx-model.js';

/** What one check reports: the bits it saw (Uint32 views, as arrays) and plain facts. */
export interface CheckReport {
  readonly ok: boolean;
  readonly error?: string;
  readonly ms: number;
  readonly bits: Readonly<Record<string, readonly number[]>>;
  readonly facts: Readonly<Record<string, string | number | boolean>>;
}

/** What the page leaves on window.__interop for the runner. */
export interface InteropReport {
  readonly fatal?: string;
  /** The inputs every check starts from, as bits, and the constants it used. */
  readonly inputs: { readonly x: readonly number[]; readonly dy: readonly number[] };
  readonly params: { readonly n: number; readonly pad: number; readonly alpha: number; readonly sentinel: number };
  readonly adapters: Readonly<Record<string, AdapterSummary | undefined>>;
  readonly versions: Readonly<Record<string, string>>;
  readonly checks: Readonly<Record<string, CheckReport>>;
}

declare global {
  interface Window {
    __interop?: InteropReport;
  }
}

/** Not a multiple of 4, so the vec4 kernels leave a scalar tail. */
const N = 1001;
/** Elements of padding before x in the offset check: a byte offset of 28, not 256-aligned. */
const PAD = 7;
const LEAKY_ALPHA = 0.1;
/** What the output buffers hold before our work runs. */
const SENTINEL = 7;

/** x: every special value (NaN payloads, ±0, ±Inf, subnormals), then values over every exponent. */
function inputX(): Float32Array<ArrayBuffer> {
  const x = randomFloats(N, 4);
  x.set(floatsFromBits(SPECIAL_BITS));
  return x;
}
function inputDy(): Float32Array<ArrayBuffer> {
  return randomFloats(N, 5, 3);
}

const log = document.getElementById('log')!;
function say(line: string): void {
  log.textContent += `${line}\n`;
  console.log(line);
}

const bitsArray = (a: Float32Array) => Array.from(bitsOf(a));
const message = (e: unknown) => (e instanceof Error ? `${e.name}: ${e.message}` : String(e));

type Facts = Record<string, string | number | boolean>;
type Bits = Record<string, readonly number[]>;
type Check = (out: { bits: Bits; facts: Facts }) => Promise<void>;

const checks: Record<string, CheckReport> = {};

/** Runs each check in turn; if `setup` failed, each check reports that instead. */
async function runChecks(setupError: string | undefined, list: Record<string, Check>): Promise<void> {
  for (const [name, body] of Object.entries(list)) {
    const t0 = performance.now();
    const out = { bits: {} as Bits, facts: {} as Facts };
    let error = setupError;
    if (error === undefined) {
      try {
        await body(out);
      } catch (e) {
        error = message(e);
      }
    }
    const ms = performance.now() - t0;
    checks[name] = { ok: error === undefined, ...(error === undefined ? {} : { error }), ms, ...out };
    say(`${error === undefined ? 'ok  ' : 'FAIL'} ${name} (${ms.toFixed(0)} ms)${error === undefined ? '' : `: ${error}`}`);
  }
}

/** Copies a range of any buffer back through a staging buffer of our own, as bits. */
async function readBits(device: GPUDevice, buffer: GPUBuffer, offset: number, length: number): Promise<number[]> {
  const staging = device.createBuffer({
    label: 'interop.readback',
    size: 4 * length,
    usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST,
  });
  const enc = device.createCommandEncoder({ label: 'interop.readback' });
  enc.copyBufferToBuffer(buffer, offset, staging, 0, 4 * length);
  device.queue.submit([enc.finish()]);
  await staging.mapAsync(GPUMapMode.READ);
  const bits = Array.from(new Uint32Array(staging.getMappedRange().slice(0)));
  staging.unmap();
  staging.destroy();
  return bits;
}

/**
 * Runs `encode` (which must only encode) with queue.submit counted, inside a validation and an
 * out-of-memory error scope. Returns the submits made while encoding, and the scopes' verdict.
 */
function encodeCounted(device: GPUDevice, encode: () => void): { submits: number; errors: Promise<string | undefined> } {
  const queue = device.queue;
  const submit = queue.submit.bind(queue);
  let submits = 0;
  device.pushErrorScope('out-of-memory');
  device.pushErrorScope('validation');
  queue.submit = (buffers: Iterable<GPUCommandBuffer>) => {
    submits++;
    submit(buffers);
  };
  try {
    encode();
  } finally {
    delete (queue as { submit?: unknown }).submit; // back to GPUQueue.prototype.submit
  }
  const validation = device.popErrorScope();
  const oom = device.popErrorScope();
  const errors = Promise.all([validation, oom]).then(([v, o]) => (v ?? o)?.message);
  return { submits, errors };
}

/** Fails the check on a validation or out-of-memory error caught by the scopes. */
async function noGpuErrors(errors: Promise<string | undefined>): Promise<void> {
  const e = await errors;
  if (e !== undefined) throw new Error(`GPU error: ${e}`);
}

function watchUncaptured(device: GPUDevice, who: string): void {
  device.addEventListener('uncapturederror', (ev) => console.error(`[${who}] uncaptured WebGPU error: ${ev.error.message}`));
}

/**
 * dataToGPU() needs the data on the GPU: a tensor made from JS values gets there when a tfjs
 * kernel first reads it (tf.relu in the relu check; tf.neg here).
 */
const onGpu = (t: tf.Tensor) => (tf.dispose(tf.neg(t)), t);

const adapters: Record<string, AdapterSummary | undefined> = {};
const versions: Record<string, string> = {};

// ---------------------------------------------------------------------------------------------
// TensorFlow.js: share tfjs's device; dataToGPU() hands us a buffer of a tfjs tensor.

async function tfjsChecks(): Promise<void> {
  let acts: Activations | undefined;
  let device: GPUDevice | undefined;
  let setupError: string | undefined;
  try {
    if (!(await tf.setBackend('webgpu'))) throw new Error("tf.setBackend('webgpu') returned false");
    await tf.ready();
    device = (tf.backend() as WebGPUBackend).device;
    watchUncaptured(device, 'tfjs device');
    acts = await createActivations({ device });
    versions.tfjs = tf.version_core;
    adapters.tfjs = acts.adapterInfo;
  } catch (e) {
    setupError = `TensorFlow.js setup: ${message(e)}`;
  }
  const x = inputX();
  const dy = inputDy();
  const view = (g: tf.GPUData, offset = 0): BufferView => ({ buffer: g.buffer!, offset, length: N });

  await runChecks(setupError, {
    'tfjs: our instance runs on the GPUDevice of tfjs-backend-webgpu': async ({ facts }) => {
      facts.tfjsBackend = tf.getBackend();
      facts.sameDevice = acts!.device === device;
      facts.ourBackend = acts!.backend;
      await Promise.resolve();
    },

    'tfjs: relu forward and backward on dataToGPU() buffers, encoded into our encoder, output in a tfjs tensor': async ({
      bits,
      facts,
    }) => {
      const tx = tf.tensor1d(x);
      const tfRelu = tf.relu(tx); // tfjs's own relu (a finding for the README); it also uploads tx
      const tdy = onGpu(tf.tensor1d(dy));
      const filled = tf.fill([N], SENTINEL);
      const xg = tx.dataToGPU(); // { buffer, tensorRef }: a copy tfjs made on the GPU, ours to use
      const dyg = tdy.dataToGPU();
      const yg = filled.dataToGPU(); // y lands in yg.tensorRef, a tfjs tensor
      const dx = acts!.tensor(new Float32Array(N).fill(SENTINEL));

      const encoder = device!.createCommandEncoder({ label: 'interop.tfjs' });
      const { submits, errors } = encodeCounted(device!, () => {
        acts!.forwardInto('relu', { x: view(xg), y: view(yg) }, {}, { encoder });
        acts!.backwardInto('relu', { x: view(xg), dy: view(dyg), dx }, {}, { encoder });
      });
      facts.submitsWhileEncoding = submits;
      bits.yBeforeSubmit = await readBits(device!, yg.buffer!, 0, N);
      bits.dxBeforeSubmit = await readBits(device!, dx.gpuBuffer.buffer, 0, N);
      device!.queue.submit([encoder.finish()]);
      await noGpuErrors(errors);

      bits.y = bitsArray(await yg.tensorRef.data<'float32'>()); // read back by tfjs
      bits.dx = bitsArray(await dx.read());
      bits.tfRelu = bitsArray(await tfRelu.data<'float32'>());
      bits.xAsTfjsHolds = bitsArray(await tx.data<'float32'>());
      facts.bufferUsage = xg.buffer!.usage;
      tf.dispose([tx, tfRelu, tdy, filled, xg.tensorRef, dyg.tensorRef, yg.tensorRef]);
      dx.dispose();
    },

    'tfjs: leakyRelu at byte offset 28 of a tfjs buffer, read by tfjs from a tensor over our buffer (zeroCopy)': async ({
      bits,
      facts,
    }) => {
      const padded = new Float32Array(PAD + N).fill(-5);
      padded.set(x, PAD);
      const tp = onGpu(tf.tensor1d(padded));
      const pg = tp.dataToGPU();
      const y = acts!.tensor(new Float32Array(N));

      const encoder = device!.createCommandEncoder({ label: 'interop.tfjs.offset' });
      const { errors } = encodeCounted(device!, () =>
        acts!.forwardInto('leakyRelu', { x: { buffer: pg.buffer!, offset: 4 * PAD, length: N }, y }, { alpha: LEAKY_ALPHA }, { encoder }),
      );
      device!.queue.submit([encoder.finish()]);
      await noGpuErrors(errors);

      // A tfjs tensor over our output buffer, no copy: tfjs reads it and may feed it to its ops.
      const ty = tf.tensor({ buffer: y.gpuBuffer.buffer, zeroCopy: true }, [N]);
      const read = await ty.data<'float32'>();
      // tfjs 4.22 reads back the whole buffer (ours may be larger: the pool's size classes), not just the shape.
      facts.tfjsReadLength = read.length;
      bits.y = bitsArray(read.subarray(0, N));
      bits.yOurs = bitsArray(await y.read());
      bits.padding = await readBits(device!, pg.buffer!, 0, PAD);
      facts.ourBufferUsage = y.gpuBuffer.buffer.usage;
      tf.dispose([ty, tp, pg.tensorRef]); // zeroCopy: tfjs leaves our buffer alone
      bits.yAfterTfjsDispose = bitsArray(await y.read());
      y.dispose();
    },

    'tfjs: gelu forward and backward on tfjs buffers equal our own tensors, bit for bit': async ({ bits }) => {
      const tx = onGpu(tf.tensor1d(x));
      const tdy = onGpu(tf.tensor1d(dy));
      const [xg, dyg] = [tx.dataToGPU(), tdy.dataToGPU()];
      const filled = tf.fill([N], SENTINEL);
      const [yg, dxg] = [filled.dataToGPU(), filled.dataToGPU()];
      const encoder = device!.createCommandEncoder({ label: 'interop.tfjs.gelu' });
      const { errors } = encodeCounted(device!, () => {
        acts!.forwardInto('gelu', { x: view(xg), y: view(yg) }, {}, { encoder });
        acts!.backwardInto('gelu', { x: view(xg), dy: view(dyg), dx: view(dxg) }, {}, { encoder });
      });
      device!.queue.submit([encoder.finish()]);
      await noGpuErrors(errors);
      bits.y = bitsArray(await yg.tensorRef.data<'float32'>());
      bits.dx = bitsArray(await dxg.tensorRef.data<'float32'>());

      // The same op through our own tensors on the same device.
      const ox = acts!.tensor(x);
      const ody = acts!.tensor(dy);
      const oy = acts!.forward('gelu', ox);
      const odx = acts!.backward('gelu', { x: ox, dy: ody });
      bits.yOwn = bitsArray(await oy.read());
      bits.dxOwn = bitsArray(await odx.read());
      for (const t of [ox, ody, oy, odx]) t.dispose();
      tf.dispose([tx, tdy, filled, xg.tensorRef, dyg.tensorRef, yg.tensorRef, dxg.tensorRef]);
    },
  });
  acts?.dispose(); // the device is tfjs's: disposing our instance must leave it working
  await runChecks(setupError, {
    'tfjs: our instance disposed, tfjs still runs on its device': async ({ facts }) => {
      const t = tf.tensor1d([1, -2]);
      facts.after = Array.from(await tf.relu(t).data()).join(',');
      facts.deviceLost = await Promise.race([device!.lost.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), 100))]);
      t.dispose();
    },
  });
}

// ---------------------------------------------------------------------------------------------
// ONNX Runtime Web: share ORT's device; Tensor.fromGpuBuffer() and tensor.gpuBuffer cross over.

async function ortChecks(): Promise<void> {
  let acts: Activations | undefined;
  let device: GPUDevice | undefined;
  let relu: ort.InferenceSession | undefined;
  let identity: ort.InferenceSession | undefined;
  let envDevice: unknown;
  let setupError: string | undefined;
  try {
    ort.env.wasm.wasmPaths = '/node_modules/onnxruntime-web/dist/';
    ort.env.wasm.numThreads = 1; // the page is not cross-origin isolated: no threads
    const options: ort.InferenceSession.SessionOptions = { executionProviders: ['webgpu'], preferredOutputLocation: 'gpu-buffer' };
    relu = await ort.InferenceSession.create(oneNodeModel('Relu', N), options);
    identity = await ort.InferenceSession.create(oneNodeModel('Identity', N), options);
    envDevice = ort.env.webgpu.device;
    device = await ort.env.webgpu.device; // ORT's device, set once its first WebGPU session exists
    watchUncaptured(device, 'ORT device');
    acts = await createActivations({ device });
    versions.ort = ort.env.versions.web ?? '';
    adapters.ort = acts.adapterInfo;
  } catch (e) {
    setupError = `ONNX Runtime Web setup: ${message(e)}`;
  }
  const x = inputX();
  const dy = inputDy();
  const dims = [N];

  await runChecks(setupError, {
    'ort: our instance runs on the GPUDevice of the WebGPU execution provider': async ({ facts }) => {
      facts.sameDevice = acts!.device === device;
      facts.ourBackend = acts!.backend;
      facts.envDeviceIsPromise = envDevice instanceof Promise; // typed as one; 1.30 stores the device
      await Promise.resolve();
    },

    'ort: Relu session reads our tensor through Tensor.fromGpuBuffer': async ({ bits, facts }) => {
      const ox = acts!.tensor(x);
      const input = ort.Tensor.fromGpuBuffer(ox.gpuBuffer.buffer, { dataType: 'float32', dims });
      const { y } = await relu!.run({ x: input });
      facts.location = y!.location;
      bits.ortRelu = bitsArray((await y!.getData()) as Float32Array);
      y!.dispose();
      ox.dispose();
    },

    'ort: relu, leakyRelu and gelu on an ORT output buffer, encoded into our encoder': async ({ bits, facts }) => {
      // Identity's output is a buffer ORT allocated, holding x's bits: the specials, on ORT's side.
      const ox = acts!.tensor(x);
      const { y: held } = await identity!.run({ x: ort.Tensor.fromGpuBuffer(ox.gpuBuffer.buffer, { dataType: 'float32', dims }) });
      const ortBuffer = held!.gpuBuffer;
      facts.location = held!.location;
      facts.ortOwnsTheBuffer = ortBuffer !== ox.gpuBuffer.buffer;
      facts.bufferUsage = ortBuffer.usage;

      // Straight from run() to our encoder: nothing read back in between.
      const xv: BufferView = { buffer: ortBuffer, length: N };
      const ody = acts!.tensor(dy);
      const [y, dx, leaky, gelu] = [0, 1, 2, 3].map(() => acts!.tensor(new Float32Array(N).fill(SENTINEL)));
      const encoder = device!.createCommandEncoder({ label: 'interop.ort' });
      const { submits, errors } = encodeCounted(device!, () => {
        acts!.forwardInto('relu', { x: xv, y: y! }, {}, { encoder });
        acts!.backwardInto('relu', { x: xv, dy: ody, dx: dx! }, {}, { encoder });
        acts!.forwardInto('leakyRelu', { x: xv, y: leaky! }, { alpha: LEAKY_ALPHA }, { encoder });
        acts!.forwardInto('gelu', { x: xv, y: gelu! }, {}, { encoder });
      });
      facts.submitsWhileEncoding = submits;
      bits.yBeforeSubmit = await readBits(device!, y!.gpuBuffer.buffer, 0, N);
      device!.queue.submit([encoder.finish()]);
      await noGpuErrors(errors);
      bits.ortX = bitsArray((await held!.getData()) as Float32Array);
      bits.y = bitsArray(await y!.read());
      bits.dx = bitsArray(await dx!.read());
      bits.leaky = bitsArray(await leaky!.read());
      bits.gelu = bitsArray(await gelu!.read());
      const own = acts!.tensor(x);
      const ownGelu = acts!.forward('gelu', own);
      bits.geluOwn = bitsArray(await ownGelu.read());

      // And back: ORT reads our relu output in place, through fromGpuBuffer.
      const { y: again } = await relu!.run({ x: ort.Tensor.fromGpuBuffer(y!.gpuBuffer.buffer, { dataType: 'float32', dims }) });
      bits.ortReluOfOurs = bitsArray((await again!.getData()) as Float32Array);
      again!.dispose();
      held!.dispose();
      for (const t of [ox, ody, y!, dx!, leaky!, gelu!, own, ownGelu]) t.dispose();
    },
  });
  acts?.dispose();
  await relu?.release();
  await identity?.release();
}

// ---------------------------------------------------------------------------------------------
// docs/interop.md's recipes, as written, each in the module interop.test.ts wrote for it.

/** Imports a recipe's module (the block runs as it loads) with `reader` as the reader's variables. */
async function runRecipe<T>(name: 'tfjs' | 'ort', reader: Record<string, unknown>): Promise<T> {
  const slot = globalThis as { __docReader?: unknown };
  slot.__docReader = reader;
  try {
    return (await import(/* @vite-ignore */ `/test/.generated/interop/${name}.ts`)) as T;
  } finally {
    delete slot.__docReader;
  }
}

async function recipeChecks(): Promise<void> {
  await runChecks(undefined, {
    "docs: docs/interop.md's TensorFlow.js recipe, as written": async ({ bits, facts }) => {
      // The reader's x and dy: float32 tensors that tfjs ops have read, so their data is on the GPU.
      if (!(await tf.setBackend('webgpu'))) throw new Error("tf.setBackend('webgpu') returned false");
      const x = onGpu(tf.tensor1d(inputX()));
      const dy = onGpu(tf.tensor1d(inputDy()));
      const r = await runRecipe<{ acts: Activations; device: GPUDevice; y: Float32Array; dx: Tensor }>('tfjs', { x, dy, n: N });
      facts.sameDevice = r.device === (tf.backend() as WebGPUBackend).device;
      facts.ourBackend = r.acts.backend;
      bits.y = bitsArray(r.y);
      bits.dx = bitsArray(await r.dx.read());
      r.dx.dispose();
      r.acts.dispose();
      tf.dispose([x, dy]);
    },

    "docs: docs/interop.md's ONNX Runtime Web recipe, as written": async ({ bits, facts }) => {
      // The reader's model: Identity, so its output y holds data's bits and h is gelu(data).
      const data = inputX();
      const r = await runRecipe<{ acts: Activations; device: GPUDevice; x: Tensor; h: Tensor; session: ort.InferenceSession }>('ort', {
        model: oneNodeModel('Identity', N),
        data,
        n: N,
      });
      facts.sameDevice = r.device === (await ort.env.webgpu.device);
      facts.ourBackend = r.acts.backend;
      bits.h = bitsArray(await r.h.read());
      const own = r.acts.forward('gelu', r.x); // the same op on our own tensor of data
      bits.hOwn = bitsArray(await own.read());
      for (const t of [own, r.h, r.x]) t.dispose();
      r.acts.dispose();
      await r.session.release();
    },
  });
}

async function main(): Promise<InteropReport> {
  say(`navigator.gpu: ${'gpu' in navigator}`);
  await tfjsChecks();
  await ortChecks();
  await recipeChecks();
  return { inputs, params, adapters, versions, checks };
}

const inputs = { x: bitsArray(inputX()), dy: bitsArray(inputDy()) };
const params = { n: N, pad: PAD, alpha: LEAKY_ALPHA, sentinel: SENTINEL };
main().then(
  (report) => (window.__interop = report),
  (e: unknown) => (window.__interop = { fatal: message(e), inputs, params, adapters, versions, checks }),
);
