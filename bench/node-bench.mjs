// The Node half of `npm run bench`: on Dawn (the `webgpu` package) and the CPU, in one process.
//
// GPU (Dawn):
//   relu forward / backward (from x)   ours, forwardInto/backwardInto on our own tensors
//   relu forward (layer, y + mask)     acts.layer('relu').forward: writes y and the 1-bit mask
//   relu backward (layer, from mask)   layer.backward(dy): reads the mask and dy
//   relu backward (from x, allocating) acts.backward: the same allocation per call as the layer
//   relu forward / backward (your buffers) forwardInto/backwardInto on exact-size buffers of the
//                                      caller's (a submit per call), and y at a 256-byte offset
//   relu forward (in place)            forwardInto with x and y the same tensor
//   relu forward f32 / f16 (allocating) acts.forward + dispose on an f32 tensor and on an f16 one
//                                      (f16: packed halves computed in f32, 4 bytes an element)
//   copy (roofline)                    copyBufferToBuffer of the same bytes: one read + one write
//   plain vec4 kernel                  bench/plain-relu.wgsl, one dispatch per call
// Workgroup sweep (2^20 and 2^22 elements): relu forward on instances sharing the device, with
//   tuning.workgroupSize 32, 64, 128, 256, against the default instance, timed round-robin.
// CPU:
//   cpu relu forward / backward        our CPU backend (WebAssembly SIMD); '(js kernels)': its JS reference kernels
//   Float32Array.set                   a plain copy of the same bytes
//   tfjs-cpu / tfjs-wasm relu          @tensorflow/tfjs-backend-{cpu,wasm}: tf.relu
//   tfjs-cpu / tfjs-wasm relu gradient tfjs-core's registered Relu gradient, mul(dy, cast(step(x)))
// Per-op overhead: 1000 relu calls on 1024 elements, until the queue drains.
// Fused epilogue (bench/fusion.mjs): a vec4 matmul with relu or gelu applied in its epilogue
//   (wgslFunctions) against the same matmul then acts.forwardInto, and the matmul alone.
// SwiGLU and softmax (bench/swiglu-softmax.mjs), 2^14 to 2^22: our CPU backend's forward and
//   backward against tfjs-cpu and tfjs-wasm composing the same from their ops, round-robin.
//
// CPU SIMD (bench/cpu-simd.mjs), 2^20: our SIMD kernels for hardsigmoid, hardswish, f16, prelu and
//   maxout against our JS kernels and tfjs-wasm, round-robin.
//
// `only: 'swiglu-softmax'` (run.mjs --swiglu-softmax) or `only: 'cpu-simd'` (--cpu-simd) runs
// those rows alone, without a GPU.
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { resolve } from 'node:path';
import { cpuSimdRows } from './cpu-simd.mjs';
import { fusionRows } from './fusion.mjs';
import { gpuRows, overheadRows, plainKernel } from './ours.mjs';
import { checkNote, swigluSoftmaxRows, swigluSoftmaxSizes } from './swiglu-softmax.mjs';
import { batchFor, benchData, measure, row } from './timing.mjs';

/** Chromium's SwiftShader Vulkan driver (as in test/helpers/node-gpu.ts). */
const SWIFTSHADER_ICD = '/usr/lib/chromium/vk_swiftshader_icd.json';

/**
 * Runs the Node bench. `systemVulkan`: use the system's Vulkan drivers as they are; otherwise,
 * when neither VK_ICD_FILENAMES nor VK_DRIVER_FILES is set, point Dawn at SwiftShader.
 */
export async function runNodeBench({ root, sizes, reps, overheadCalls, systemVulkan, log, only }) {
  const all = only === undefined;
  const vulkan = systemVulkan
    ? 'system Vulkan drivers (--system-vulkan)'
    : process.env.VK_ICD_FILENAMES || process.env.VK_DRIVER_FILES
      ? `VK_ICD_FILENAMES=${process.env.VK_ICD_FILENAMES ?? ''} VK_DRIVER_FILES=${process.env.VK_DRIVER_FILES ?? ''}`
      : existsSync(SWIFTSHADER_ICD)
        ? `VK_ICD_FILENAMES=${(process.env.VK_ICD_FILENAMES = SWIFTSHADER_ICD)} (SwiftShader; --system-vulkan for the system's drivers)`
        : 'system Vulkan drivers (no SwiftShader found)';

  const require = createRequire(import.meta.url);
  const version = (pkg) => require(`${pkg}/package.json`).version;
  const { createActivations, wgslFunctions } = await import(resolve(root, 'dist/index.js'));
  const tf = await import('@tensorflow/tfjs-core');
  await import('@tensorflow/tfjs-backend-cpu');
  const tfWasm = await import('@tensorflow/tfjs-backend-wasm');
  tfWasm.setWasmPaths(`${resolve(root, 'node_modules/@tensorflow/tfjs-backend-wasm/dist')}/`);
  // Production mode: no debug checks, and no advert for tfjs-node (the bench compares web backends).
  tf.enableProdMode();

  const notes = [];
  const rows = [];

  // The GPU, if Dawn finds an adapter; the CPU rows run either way.
  let acts;
  // The webgpu package's GPU: kept referenced while any device from it is used (Dawn aborts
  // otherwise); tfjs-webgpu finds it as navigator.gpu for its per-op row.
  let nodeGpu;
  let gpuReason;
  if (!all && only !== 'overhead') {
    gpuReason = `only the ${only} rows: no GPU rows`;
  } else {
    try {
      const { create, globals } = await import('webgpu');
      // WebGPU's enums (GPUBufferUsage, ...) as globals, as in a browser: fusion.mjs uses them.
      Object.assign(globalThis, globals);
      nodeGpu = create([]);
      acts = await createActivations({ backend: 'webgpu', gpu: nodeGpu });
    } catch (e) {
      gpuReason = `no WebGPU in Node (${e instanceof Error ? e.message : String(e)}); GPU rows skipped`;
      notes.push(gpuReason);
      log(gpuReason);
    }
  }
  const info = acts?.adapterInfo;
  const adapter = acts ? [info?.vendor, info?.architecture, info?.description].filter(Boolean).join(' ') || 'unknown adapter' : 'no gpu';
  const device = acts?.device;
  const plain = device && plainKernel(device, readFileSync(resolve(root, 'bench/plain-relu.wgsl'), 'utf8'));
  if (acts) {
    notes.push(
      'f16 rows: f16 tensors hold packed halves (two to a u32) and the kernels compute in f32, so no shader-f16 feature is needed; 4 bytes an element (2 read, 2 written) against 8 for f32.',
    );
  }

  const cpu = await createActivations({ backend: 'cpu' });
  const cpuJs = await createActivations({ backend: 'cpu', cpuKernels: 'js' });
  notes.push(
    `CPU backend kernels: ${cpu.cpuKernels}${cpu.cpuKernelsReason ? ` (${cpu.cpuKernelsReason})` : ''}${all ? '; the (js kernels) rows run the plain JS reference kernels' : ''}.`,
  );
  // The tfjs backends that start, for the swiglu and softmax rows (the relu rows check again per size).
  const tfjsBackends = [];
  for (const backend of ['cpu', 'wasm']) if (await tf.setBackend(backend)) tfjsBackends.push(backend);
  const gatedSizes = swigluSoftmaxSizes(sizes);
  const checks = [];
  const checkedCases = new Set();
  for (const n of all ? sizes : only === 'swiglu-softmax' ? gatedSizes : []) {
    if (gatedSizes.includes(n)) {
      await swigluSoftmaxRows({
        n,
        ours: { prefix: 'cpu ', acts: cpu, drain: async () => {} },
        libraries: tfjsBackends.map((backend) => ({
          name: `tfjs-${backend}`,
          tf,
          drain: async () => {},
          use: () => tf.setBackend(backend),
        })),
        opts: { batch: batchFor(n), reps },
        add: (name, bytes, t, against, note) => rows.push(row('swiglu-softmax', name, n, bytes, t, against, note)),
        checkedCases,
        checked: (name, error) => checks.push({ name, error }),
      });
      log(`node: swiglu and softmax at n=2^${Math.log2(n)} done`);
      if (!all) continue;
    }
    const data = benchData(n);
    const batch = batchFor(n);
    const opts = { batch, reps };

    if (acts) {
      const add = (name, bytes, t, against, note) => rows.push(row('gpu', name, n, bytes, t, against, note));
      await gpuRows({ acts, data, n, opts, plain, add });
    }

    // CPU: ours, a copy, tfjs-cpu and tfjs-wasm. tfjs kernels on these backends run synchronously
    // inside the op call, so op + dispose is the whole work (dataSync would only add, on wasm, a
    // copy out of the wasm heap); inputs are made outside the timed loop.
    const cpuRow = (name, bytes, t, against, note) => rows.push(row('cpu', name, n, bytes, t, against, note));
    const loop = (call) =>
      measure(async (k) => {
        for (let i = 0; i < k; i++) call();
      }, opts);
    const cx = cpu.tensor(data);
    const cdy = cpu.tensor(data);
    const cy = cpu.tensor(new Float32Array(n));
    cpuRow('cpu relu forward', 8 * n, await loop(() => cpu.forwardInto('relu', { x: cx, y: cy })));
    cpuRow('cpu relu backward (from x)', 12 * n, await loop(() => cpu.backwardInto('relu', { x: cx, dy: cdy, dx: cy })));
    for (const t of [cx, cdy, cy]) t.dispose();
    const jx = cpuJs.tensor(data);
    const jy = cpuJs.tensor(new Float32Array(n));
    cpuRow('cpu relu forward (js kernels)', 8 * n, await loop(() => cpuJs.forwardInto('relu', { x: jx, y: jy })), 'cpu relu forward');
    for (const t of [jx, jy]) t.dispose();
    const dst = new Float32Array(n);
    cpuRow('Float32Array.set', 8 * n, await loop(() => dst.set(data)), 'cpu relu forward');
    for (const backend of ['cpu', 'wasm']) {
      if (!(await tf.setBackend(backend))) {
        const why = `tfjs-${backend} did not start; its rows are missing`;
        if (!notes.includes(why)) notes.push(why);
        continue;
      }
      const tx = tf.tensor1d(data);
      const tdy = tf.tensor1d(data);
      cpuRow(`tfjs-${backend} relu`, 8 * n, await loop(() => tf.relu(tx).dispose()), 'cpu relu forward');
      // tfjs-core's registered Relu gradient (gradients/Relu_grad.ts), what tf.grad runs backward.
      const grad = () => tf.tidy(() => tf.mul(tdy, tf.cast(tf.step(tx), 'float32'))).dispose();
      cpuRow(`tfjs-${backend} relu gradient`, 12 * n, await loop(grad), 'cpu relu backward (from x)', 'mul(dy, cast(step(x)))');
      tx.dispose();
      tdy.dispose();
    }
    log(`node: n=2^${Math.log2(n)} done`);
  }

  if (checks.length) notes.push(checkNote(checks));
  if (all || only === 'cpu-simd') {
    const add = (name, n, bytes, t, against, note) => rows.push(row('cpu-simd', name, n, bytes, t, against, note));
    notes.push(...(await cpuSimdRows({ createActivations, tf, reps, add, log })));
  }
  if (acts && all) {
    await workgroupSweep({ acts, createActivations, reps, rows });
    log('node: workgroup sweep done');
    // A matmul with the activation in its epilogue (wgslFunctions) against matmul + a separate pass.
    await fusionRows({
      acts,
      wgslFunctions,
      sizes,
      reps,
      add: (name, n, bytes, t, against, note) => rows.push(row('fusion', name, n, bytes, t, against, note)),
      log,
    });
  }

  // Per-op overhead: many small calls, until the queue drains.
  if (acts) {
    const n = 1024;
    const add = (name, bytes, t, against, note) => rows.push(row('overhead', name, n, bytes, t, against, note));
    await overheadRows({ acts, data: benchData(n), n, opts: { batch: overheadCalls, reps }, plain, add });
    try {
      add(...(await tfjsWebgpuRelu(tf, nodeGpu, n, { batch: overheadCalls, reps })));
    } catch (e) {
      const why = `tfjs-webgpu in Node failed (${e instanceof Error ? e.message : String(e)}); its per-op row is missing`;
      notes.push(why);
      log(why);
    }
    log('node: per-op overhead done');
  }

  cpu.dispose();
  cpuJs.dispose();
  acts?.dispose();
  const wasmThreads = tfWasm.getThreadsCount();
  const simd = await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT');
  return {
    meta: {
      runtime: `Node ${process.version}`,
      adapter,
      date: new Date().toISOString(),
      reps,
      versions: {
        node: process.version,
        webgpu: version('webgpu'),
        'webgpu-activations': version(root),
        '@tensorflow/tfjs-core': tf.version_core,
        '@tensorflow/tfjs-backend-cpu': version('@tensorflow/tfjs-backend-cpu'),
        '@tensorflow/tfjs-backend-wasm': version('@tensorflow/tfjs-backend-wasm'),
      },
      tfjsWasm: { simd, threads: wasmThreads },
      environment: [
        all
          ? `adapter: ${adapter}${gpuReason ? ` (${gpuReason})` : ''}, Dawn via webgpu ${version('webgpu')}; ${vulkan}`
          : `CPU only: ${gpuReason}`,
        `Node ${process.version}, ${process.platform} ${process.arch}, ${new Date().toISOString().slice(0, 10)}`,
        `tfjs-core ${tf.version_core}, tfjs-backend-cpu ${version('@tensorflow/tfjs-backend-cpu')}, tfjs-backend-wasm ${version('@tensorflow/tfjs-backend-wasm')} (${simd ? 'SIMD' : 'no SIMD'}, ${wasmThreads} thread${wasmThreads === 1 ? '' : 's'})`,
      ],
      notes: [
        ...notes,
        'tfjs-cpu and tfjs-wasm rows time op + dispose (their kernels run synchronously inside the call), inputs made outside the timed loop.',
        `tfjs-wasm runs ${wasmThreads === 1 ? 'single-threaded: tfjs finds no multithreading support in Node' : `${wasmThreads} threads`}.`,
        ...(all
          ? ['The layer rows allocate their outputs (and the forward its mask) per call; compare them with the allocating rows.']
          : []),
      ],
    },
    rows,
  };
}

/**
 * relu forward (forwardInto on tensors made beforehand) at 2^20 and 2^22 elements, on the default
 * instance ('relu forward') and on one instance per tuning.workgroupSize of 32, 64, 128 and 256
 * sharing its device. The contenders are timed round-robin, one batch each per round, so a load
 * that drifts during the sweep (the machine is shared) falls on all of them alike.
 */
async function workgroupSweep({ acts, createActivations, reps, rows }) {
  const device = acts.device;
  const { maxComputeInvocationsPerWorkgroup, maxComputeWorkgroupSizeX } = device.limits;
  const limit = Math.min(maxComputeInvocationsPerWorkgroup, maxComputeWorkgroupSizeX);
  // The library's default (src/gpu/gpu-backend.ts): 256, or the device's limit when lower.
  const byDefault = Math.min(256, limit);
  const contenders = [{ name: 'relu forward', acts, note: `the default instance: workgroup ${byDefault}` }];
  for (const size of [32, 64, 128, 256].filter((w) => w <= limit)) {
    const tuned = await createActivations({ backend: 'webgpu', device, tuning: { workgroupSize: size } });
    contenders.push({ name: `relu forward, workgroup ${size}`, acts: tuned, against: 'relu forward' });
  }
  for (const n of [2 ** 20, 2 ** 22]) {
    const data = benchData(n);
    const batch = batchFor(n);
    const calls = contenders.map(({ acts: a }) => {
      const x = a.tensor(data);
      const y = a.tensor(new Float32Array(n));
      return { x, y, run: (k) => runCalls(a, x, y, k) };
    });
    const times = contenders.map(() => []);
    for (let round = 0; round < reps; round++) {
      for (const [i, c] of calls.entries()) {
        // One timed batch each; the first round also warms each one up (compile, page in).
        const t = await measure(c.run, { batch, reps: 1, warmup: round === 0 ? 2 : 0 });
        times[i].push(t.median);
      }
    }
    for (const [i, c] of contenders.entries()) {
      const sorted = times[i].sort((a, b) => a - b);
      const t = { median: sorted[Math.floor(sorted.length / 2)], min: sorted[0], max: sorted[sorted.length - 1], reps, batch };
      rows.push(row('workgroup', c.name, n, 8 * n, t, c.against, c.note));
    }
    for (const { x, y } of calls) {
      x.dispose();
      y.dispose();
    }
  }
  for (const c of contenders.slice(1)) c.acts.dispose();
}

/**
 * TensorFlow.js's WebGPU backend in Node, on a device of its own from the webgpu package's GPU
 * (navigator.gpu, as in a browser): tf.relu + dispose on n elements, until its queue drains,
 * checked against relu first. Returns the row's arguments for add().
 */
async function tfjsWebgpuRelu(tf, gpu, n, opts) {
  globalThis.navigator ??= {};
  if (!globalThis.navigator.gpu) Object.defineProperty(globalThis.navigator, 'gpu', { value: gpu, configurable: true });
  await import('@tensorflow/tfjs-backend-webgpu');
  if (!(await tf.setBackend('webgpu'))) throw new Error('tfjs could not start its webgpu backend');
  const backend = tf.backend();
  // What tfjs's own readback does first: end the open pass, submit what it batched; then the queue.
  const drain = async () => {
    backend.ensureCommandEncoderReady();
    backend.endComputePassEncoder();
    backend.submitQueue();
    await backend.device.queue.onSubmittedWorkDone();
  };
  const data = benchData(n);
  const x = tf.tensor1d(data);
  const y = tf.relu(x);
  const got = await y.data();
  y.dispose();
  const bad = data.findIndex((v, i) => got[i] !== (v > 0 ? v : 0));
  if (bad >= 0) throw new Error(`tf.relu gave ${got[bad]} for ${data[bad]}`);
  const t = await measure(async (k) => {
    for (let i = 0; i < k; i++) tf.relu(x).dispose();
    await drain();
  }, opts);
  x.dispose();
  return ['tfjs-webgpu relu', 8 * n, t, 'relu forward (allocating)', 'tf.relu + dispose, tfjs-webgpu on the webgpu package'];
}

/** k relu forwards from x into y, each its own submit, then waits for the queue to drain. */
async function runCalls(acts, x, y, k) {
  for (let i = 0; i < k; i++) acts.forwardInto('relu', { x, y });
  acts.flush();
  await acts.device.queue.onSubmittedWorkDone();
}
