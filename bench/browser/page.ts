// The Chromium half of `npm run bench`, on navigator.gpu, all in one page (bench/chromium.mjs
// serves it with Vite and collects window.__bench). The rows match bench/node-bench.mjs.
//
// Ours (one device):
//   relu forward / backward (from x)   forwardInto/backwardInto on our own tensors
//   relu forward (layer, y + mask)     acts.layer('relu').forward: writes y and the 1-bit mask
//   relu backward (layer, from mask)   layer.backward(dy): reads the mask and dy
//   relu backward (from x, allocating) acts.backward: the same allocation per call as the layer
//   relu forward f32 / f16 (allocating) acts.forward + dispose on an f32 tensor and on an f16 one
//                                      (f16: packed halves computed in f32, 4 bytes an element)
//   copy (roofline), plain vec4 kernel copyBufferToBuffer; bench/plain-relu.wgsl
// Other libraries (each on its own device from the same adapter), inputs and outputs on the GPU:
//   tfjs-webgpu relu, relu gradient    tf.relu; tfjs-core's registered Relu gradient, mul(dy, cast(step(x)))
//   ort-webgpu Relu                    ONNX Runtime Web's WebGPU EP on a one-node Relu model, input
//                                      from Tensor.fromGpuBuffer, output left as a GPU buffer
// Per-op overhead: 1000 calls on 1024 elements, until the queue drains.
// SwiGLU and softmax (bench/swiglu-softmax.mjs), 2^14 to 2^22: ours forward and backward against
//   tfjs-webgpu composing the same from its ops, round-robin. `?only=swiglu-softmax`: only these;
//   `?only=overhead`: only the per-op rows.
//
// Every GPU row is timed until its device's queue drains: ours and ORT's onSubmittedWorkDone();
// tfjs first ends its open pass and submits what it batched (as its readback does), then waits.
import * as tf from '@tensorflow/tfjs-core';
import type { WebGPUBackend } from '@tensorflow/tfjs-backend-webgpu';
import '@tensorflow/tfjs-backend-webgpu';
import * as ort from 'onnxruntime-web/webgpu';
import { createActivations, type Activations } from '../../src/index.js';
import { oneNodeModel } from '../../test/helpers/onnx-model.js';
import plainWgsl from '../plain-relu.wgsl?raw';
import { gpuRows, overheadRows, plainKernel, type PlainKernel } from '../ours.mjs';
import { checkNote, swigluSoftmaxRows, swigluSoftmaxSizes, type Check } from '../swiglu-softmax.mjs';
import { batchFor, benchData, measure, row, type Row, type Timing } from '../timing.mjs';

interface BenchResult {
  meta: {
    adapter: string;
    runtime: string;
    date: string;
    reps: number;
    versions: Record<string, string>;
    environment: string[];
    notes: string[];
  };
  rows: Row[];
}

declare global {
  interface Window {
    __bench?: BenchResult | { fatal: string };
  }
}

const params = new URLSearchParams(location.search);
const SIZES = (params.get('sizes') ?? '1024,262144').split(',').map(Number);
const REPS = Number(params.get('reps') ?? 5);
const CALLS = Number(params.get('calls') ?? 1000);
/** 'swiglu-softmax' or 'overhead': only those rows. */
const ONLY = params.get('only');

const logEl = document.getElementById('log')!;
function log(line: string): void {
  logEl.textContent += `${line}\n`;
  console.log(line);
}

const rows: Row[] = [];
const notes: string[] = [];
type Section = 'gpu' | 'overhead' | 'swiglu-softmax';
function add(section: Section, name: string, n: number, bytes: number, t: Timing, against?: string, note?: string): void {
  rows.push(row(section, name, n, bytes, t, against, note));
}

/** Records, once per contender, whether its output is relu(x) (or the gradient), so a fast wrong answer shows. */
function check(name: string, got: Float32Array, want: Float32Array): void {
  const bad = want.findIndex((w, i) => got[i] !== w);
  if (bad >= 0) {
    const msg = `${name}: wrong output at ${bad} (got ${got[bad]}, want ${want[bad]})`;
    notes.push(msg);
    log(msg);
  }
}
const reluOf = (x: Float32Array): Float32Array => x.map((v) => (v > 0 ? v : 0));
const gradOf = (x: Float32Array, dy: Float32Array): Float32Array => dy.map((d, i) => (x[i]! > 0 ? d : 0));

/** Ours on navigator.gpu: the same rows as the Node bench (bench/ours.mjs). */
async function benchOurs(acts: Activations, plain: PlainKernel, n: number): Promise<void> {
  const data = benchData(n);
  await gpuRows({
    acts,
    data,
    n,
    opts: { batch: batchFor(n), reps: REPS },
    plain,
    add: (name, bytes, t, against, note) => add('gpu', name, n, bytes, t, against, note),
    afterForward: async (y) => {
      if (n === SIZES[0]) check('relu forward', await y.read(), reluOf(data));
    },
  });
}

/** Waits for tfjs-webgpu's work: what getBufferData does before a readback (end the open pass, submit what tfjs has batched), then the queue. */
async function tfjsDrain(backend: WebGPUBackend): Promise<void> {
  backend.ensureCommandEncoderReady();
  backend.endComputePassEncoder();
  backend.submitQueue();
  await backend.device.queue.onSubmittedWorkDone();
}

/** tfjs-webgpu: tf.relu and the Relu gradient on GPU tensors. */
async function benchTfjs(backend: WebGPUBackend, n: number, batch: number, section: Section): Promise<void> {
  const drain = () => tfjsDrain(backend);
  const data = benchData(n);
  const x = tf.tensor1d(data);
  const dy = tf.tensor1d(data);
  const opts = { batch, reps: REPS };
  const timed = (call: () => void) =>
    measure(async (k) => {
      for (let i = 0; i < k; i++) call();
      await drain();
    }, opts);
  const relu = () => tf.relu(x).dispose();
  const grad = () => tf.tidy(() => tf.mul(dy, tf.cast(tf.step(x), 'float32'))).dispose();
  if (section === 'overhead') {
    add('overhead', 'tfjs-webgpu relu', n, 8 * n, await timed(relu), 'relu forward (allocating)', 'tf.relu + dispose');
  } else {
    if (n === SIZES[0]) {
      const y = tf.relu(x);
      check('tfjs-webgpu relu', (await y.data()) as Float32Array, reluOf(data));
      y.dispose();
      const g = tf.tidy(() => tf.mul(dy, tf.cast(tf.step(x), 'float32')));
      check('tfjs-webgpu relu gradient', (await g.data()) as Float32Array, gradOf(data, data));
      g.dispose();
    }
    add('gpu', 'tfjs-webgpu relu', n, 8 * n, await timed(relu), 'relu forward');
    add('gpu', 'tfjs-webgpu relu gradient', n, 12 * n, await timed(grad), 'relu backward (from x)', 'mul(dy, cast(step(x)))');
  }
  x.dispose();
  dy.dispose();
}

/** ORT WebGPU: a one-node Relu model, input and output kept on the GPU. */
async function benchOrt(n: number, batch: number, section: Section): Promise<void> {
  const session = await ort.InferenceSession.create(oneNodeModel('Relu', n), {
    executionProviders: ['webgpu'],
    preferredOutputLocation: 'gpu-buffer',
  });
  const device = await ort.env.webgpu.device;
  const data = benchData(n);
  const input = device.createBuffer({
    label: 'bench.ort-input',
    size: 4 * n,
    usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST,
  });
  device.queue.writeBuffer(input, 0, data);
  const [inName] = session.inputNames;
  const [outName] = session.outputNames;
  const feeds = { [inName!]: ort.Tensor.fromGpuBuffer(input, { dataType: 'float32', dims: [n] }) };
  const run = async () => {
    const out = await session.run(feeds);
    out[outName!]!.dispose();
  };
  if (section === 'gpu' && n === SIZES[0]) {
    const out = await session.run(feeds);
    const y = out[outName!]!;
    if (y.location !== 'gpu-buffer') notes.push(`ort-webgpu Relu: output on '${y.location}', not 'gpu-buffer'`);
    check('ort-webgpu Relu', (await y.getData(true)) as Float32Array, reluOf(data));
  }
  const t = await measure(
    async (k) => {
      for (let i = 0; i < k; i++) await run();
      await device.queue.onSubmittedWorkDone();
    },
    { batch, reps: REPS },
  );
  if (section === 'overhead')
    add('overhead', 'ort-webgpu Relu', n, 8 * n, t, 'relu forward (allocating)', 'await session.run, output disposed');
  else add('gpu', 'ort-webgpu Relu', n, 8 * n, t, 'relu forward', 'one-node model, GPU buffer in and out');
  input.destroy();
  await session.release();
}

async function main(): Promise<BenchResult> {
  if (!('gpu' in navigator)) throw new Error('navigator.gpu is missing');
  const acts = await createActivations({ backend: 'webgpu' });
  const info = acts.adapterInfo;
  const adapter = [info?.vendor, info?.architecture, info?.description].filter(Boolean).join(' ') || 'unknown adapter';
  log(`adapter: ${adapter}`);
  const plain = plainKernel(acts.device!, plainWgsl);

  tf.enableProdMode();
  if (!(await tf.setBackend('webgpu'))) throw new Error('tfjs could not start its webgpu backend');
  const tfBackend = tf.backend() as WebGPUBackend;

  ort.env.wasm.numThreads = 1;
  ort.env.wasm.wasmPaths = '/node_modules/onnxruntime-web/dist/';
  let ortFailed: string | undefined;

  const gatedSizes = swigluSoftmaxSizes(SIZES);
  const checks: Check[] = [];
  const checkedCases = new Set<string>();
  for (const n of ONLY === 'overhead' ? [] : ONLY ? gatedSizes : SIZES) {
    if (gatedSizes.includes(n)) {
      await swigluSoftmaxRows({
        n,
        ours: {
          prefix: '',
          acts,
          drain: () => {
            acts.flush();
            return acts.device!.queue.onSubmittedWorkDone();
          },
        },
        libraries: [{ name: 'tfjs-webgpu', tf, drain: () => tfjsDrain(tfBackend) }],
        opts: { batch: batchFor(n), reps: REPS },
        add: (name, bytes, t, against, note) => add('swiglu-softmax', name, n, bytes, t, against, note),
        checkedCases,
        checked: (name, error) => checks.push({ name, error }),
      });
      log(`chromium: swiglu and softmax at n=2^${Math.log2(n)} done`);
      if (ONLY) continue;
    }
    await benchOurs(acts, plain, n);
    await benchTfjs(tfBackend, n, batchFor(n), 'gpu');
    if (!ortFailed) {
      try {
        await benchOrt(n, batchFor(n), 'gpu');
      } catch (e) {
        ortFailed = `ONNX Runtime Web failed (${e instanceof Error ? e.message : String(e)}); its rows are missing`;
        notes.push(ortFailed);
        log(ortFailed);
      }
    }
    log(`chromium: n=2^${Math.log2(n)} done`);
  }

  if (checks.length) notes.push(checkNote(checks));

  if (!ONLY || ONLY === 'overhead') {
    // Per-op overhead: CALLS calls on 1024 elements, until the queue drains.
    const n = 1024;
    await overheadRows({
      acts,
      data: benchData(n),
      n,
      opts: { batch: CALLS, reps: REPS },
      plain,
      add: (name, bytes, t, against, note) => add('overhead', name, n, bytes, t, against, note),
    });
    await benchTfjs(tfBackend, n, CALLS, 'overhead');
    if (!ortFailed) await benchOrt(n, CALLS, 'overhead');
    log('chromium: per-op overhead done');
  }
  acts.dispose();

  return {
    meta: {
      adapter,
      runtime: 'Chromium',
      date: new Date().toISOString(),
      reps: REPS,
      versions: { 'tfjs-core (runtime)': tf.version_core, 'onnxruntime-web (runtime)': ort.env.versions.web ?? ort.env.versions.common },
      environment: [
        `adapter: ${adapter} (navigator.gpu)`,
        `tfjs ${tf.version_core}: backend '${tf.getBackend()}', prod mode; onnxruntime-web ${ort.env.versions.web ?? '?'}: WebGPU EP, wasm numThreads ${ort.env.wasm.numThreads ?? '?'}`,
        navigator.userAgent,
      ],
      notes: [
        ...notes,
        'tfjs-webgpu, ORT and ours each run on their own GPUDevice from the same adapter; every GPU row waits for its own queue to drain.',
        'ORT rows await each session.run in turn (one run at a time per session); tfjs and ours only encode and submit per call.',
        'The layer rows allocate their outputs (and the forward its mask) per call; compare them with the allocating rows.',
        'f16 rows: f16 tensors hold packed halves (two to a u32) and the kernels compute in f32, so no shader-f16 feature is needed; 4 bytes an element (2 read, 2 written) against 8 for f32.',
      ],
    },
    rows,
  };
}

main().then(
  (result) => (window.__bench = result),
  (e: unknown) => {
    const fatal = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
    log(`fatal: ${fatal}`);
    window.__bench = { fatal };
  },
);
