// The fused-epilogue rows of the Node bench (bench/node-bench.mjs): a small vec4 matmul,
// C = A B with A M x K and B K x N (K = 8, N = 256, M = n / N), with an activation applied in its
// epilogue from wgslFunctions' text, against the same matmul writing C and then acts.forwardInto
// on C (a second pass over the whole tensor), and against the matmul alone (what the epilogue
// costs). All in one command encoder per batch, timed until the queue drains; the contenders are
// timed round-robin, one batch each per round, so a load that drifts falls on all of them alike.
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { addRatios, markdown } from './report.mjs';
import { benchData, row } from './timing.mjs';

const K = 8;
const N = 256;
const OPS = ['relu', 'gelu'];

/** The matmul kernel; `epilogue` is the text of wgslFunctions and the function to call, or none. */
function kernel(epilogue) {
  return `${epilogue?.code ?? ''}
struct Dims { m: u32, k: u32, n: u32 }
@group(0) @binding(0) var<uniform> dims: Dims;
@group(0) @binding(1) var<storage, read> a: array<f32>;
@group(0) @binding(2) var<storage, read> b: array<vec4<f32>>;
@group(0) @binding(3) var<storage, read_write> c: array<vec4<f32>>;

// One invocation: four neighbouring columns of one row of C, over a 1-D or 2-D grid.
@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) id: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let i = id.y * groups.x * 64u + id.x;
  let cols = dims.n / 4u;
  if (i >= dims.m * cols) {
    return;
  }
  let row = i / cols;
  var acc = vec4<f32>(0.0);
  for (var k = 0u; k < dims.k; k++) {
    acc += a[row * dims.k + k] * b[k * cols + i % cols];
  }
  c[i] = ${epilogue ? `${epilogue.forward}(acc)` : 'acc'};
}`;
}

/**
 * Adds, for each size n of `sizes` from 2^14 to 2^22 and each op, three rows in section 'fusion':
 * '<op> fused in a matmul epilogue' (ours), 'matmul, then acts.forwardInto <op>' and 'matmul
 * alone', both against ours (ratio above 1: the fused kernel is faster).
 */
export async function fusionRows({ acts, wgslFunctions, sizes, reps, add, log }) {
  const device = acts.device;
  const usage = GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST;
  const pipelineOf = (code) =>
    device.createComputePipeline({
      label: 'bench.fusion',
      layout: 'auto',
      compute: { module: device.createShaderModule({ code }), entryPoint: 'main' },
    });
  const plain = pipelineOf(kernel());
  for (const n of sizes.filter((s) => s >= 2 ** 14 && s <= 2 ** 22)) {
    const m = n / N;
    const upload = (data, use) => {
      const buffer = device.createBuffer({ size: data.byteLength, usage: use | GPUBufferUsage.COPY_DST });
      device.queue.writeBuffer(buffer, 0, data);
      return buffer;
    };
    const dims = upload(new Uint32Array([m, K, N, 0]), GPUBufferUsage.UNIFORM);
    const a = upload(
      benchData(m * K).map((v) => v / 8),
      usage,
    );
    const b = upload(
      benchData(K * N).map((v) => v / 8),
      usage,
    );
    const c = device.createBuffer({ size: 4 * n, usage });
    const y = device.createBuffer({ size: 4 * n, usage });
    const groups = Math.ceil(n / 4 / 64);
    const gy = Math.ceil(groups / 65535);
    const dispatch = (enc, pipeline) => {
      const pass = enc.beginComputePass();
      pass.setPipeline(pipeline);
      pass.setBindGroup(
        0,
        device.createBindGroup({
          layout: pipeline.getBindGroupLayout(0),
          entries: [dims, a, b, c].map((buffer, binding) => ({ binding, resource: { buffer } })),
        }),
      );
      pass.dispatchWorkgroups(Math.ceil(groups / gy), gy);
      pass.end();
    };
    const batch = Math.max(1, Math.min(50, Math.round(2 ** 19 / n)));
    const timed = (encode) => async () => {
      const enc = device.createCommandEncoder();
      for (let i = 0; i < batch; i++) encode(enc);
      device.queue.submit([enc.finish()]);
      await device.queue.onSubmittedWorkDone();
    };
    for (const op of OPS) {
      const fused = pipelineOf(kernel(wgslFunctions(op, { width: 4, prefix: 'act' })));
      const contenders = [
        { name: `${op} fused in a matmul epilogue (wgslFunctions)`, run: timed((enc) => dispatch(enc, fused)) },
        {
          name: `matmul, then acts.forwardInto ${op}`,
          against: `${op} fused in a matmul epilogue (wgslFunctions)`,
          note: 'a second pass: reads C, writes y',
          run: timed((enc) => {
            dispatch(enc, plain);
            acts.forwardInto(op, { x: { buffer: c, length: n }, y: { buffer: y, length: n } }, {}, { encoder: enc });
          }),
        },
        {
          name: `matmul alone (for ${op})`,
          against: `${op} fused in a matmul epilogue (wgslFunctions)`,
          note: 'no activation: what the epilogue costs',
          run: timed((enc) => dispatch(enc, plain)),
        },
      ];
      const times = contenders.map(() => []);
      for (let r = -2; r < reps; r++) {
        for (const [j, contender] of contenders.entries()) {
          const t0 = performance.now();
          await contender.run();
          if (r >= 0) times[j].push((performance.now() - t0) / batch);
        }
      }
      for (const [j, contender] of contenders.entries()) {
        const sorted = times[j].sort((p, q) => p - q);
        const t = { median: sorted[Math.floor(sorted.length / 2)], min: sorted[0], max: sorted[sorted.length - 1], reps, batch };
        // Bytes an ideal fused kernel moves: A, B, and C once.
        add(contender.name, n, 4 * (m * K + K * N + n), t, contender.against, contender.note);
      }
    }
    for (const buffer of [dims, a, b, c, y]) buffer.destroy();
    log(`node: fusion n=2^${Math.log2(n)} done`);
  }
}

// Alone: `node bench/fusion.mjs [--quick]` prints these rows for the built package (dist/), on
// Dawn (SwiftShader unless VK_ICD_FILENAMES is set), without the rest of the bench.
if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const root = resolve(import.meta.dirname, '..');
  process.env.VK_ICD_FILENAMES ??= '/usr/lib/chromium/vk_swiftshader_icd.json';
  const { create, globals } = await import('webgpu');
  Object.assign(globalThis, globals);
  const { createActivations, wgslFunctions } = await import(resolve(root, 'dist/index.js'));
  const acts = await createActivations({ backend: 'webgpu', gpu: create([]) });
  const quick = process.argv.includes('--quick');
  const rows = [];
  const reps = quick ? 5 : 9;
  await fusionRows({
    acts,
    wgslFunctions,
    sizes: quick ? [2 ** 14, 2 ** 18] : [2 ** 14, 2 ** 18, 2 ** 20, 2 ** 22],
    reps,
    add: (name, n, bytes, t, against, note) => rows.push(row('fusion', name, n, bytes, t, against, note)),
    log: (line) => console.log(line),
  });
  addRatios(rows);
  const info = acts.adapterInfo;
  const adapter = [info?.vendor, info?.architecture, info?.description].filter(Boolean).join(' ');
  console.log(markdown({ meta: { adapter, runtime: `Node ${process.version}`, reps, environment: [], notes: [] }, rows }));
  acts.dispose();
  process.exit(0);
}
