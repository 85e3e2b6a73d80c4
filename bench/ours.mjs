// Our rows, shared by the Node bench (node-bench.mjs, Dawn) and the Chromium page
// (browser/page.ts, navigator.gpu), so both time the same contenders the same way. Every GPU row
// is timed until the device's queue drains. Types: ours.d.mts.
import { benchHalves, measure } from './timing.mjs';

/**
 * The bench's "plain vec4 kernel" (bench/plain-relu.wgsl, its text as `code`) on `device`:
 * plain(x, y, n) gives a call that encodes `calls` dispatches over x -> y (default 1) in one
 * pass and submits them.
 */
export function plainKernel(device, code) {
  const pipeline = device.createComputePipeline({
    label: 'bench.plain-relu',
    layout: 'auto',
    compute: { module: device.createShaderModule({ label: 'bench.plain-relu', code }) },
  });
  return (x, y, n) => {
    const group = device.createBindGroup({
      label: 'bench.plain-relu',
      layout: pipeline.getBindGroupLayout(0),
      entries: [
        { binding: 0, resource: { buffer: x.gpuBuffer.buffer, size: 4 * n } },
        { binding: 1, resource: { buffer: y.gpuBuffer.buffer, size: 4 * n } },
      ],
    });
    const groups = Math.ceil(n / 4 / 256);
    const gy = Math.ceil(groups / 65535);
    return (calls = 1) => {
      const enc = device.createCommandEncoder();
      const pass = enc.beginComputePass();
      for (let i = 0; i < calls; i++) {
        pass.setPipeline(pipeline);
        pass.setBindGroup(0, group);
        pass.dispatchWorkgroups(Math.ceil(groups / gy), gy);
      }
      pass.end();
      device.queue.submit([enc.finish()]);
    };
  };
}

/**
 * Waits for the queue to drain after submitting what is pending: ops on our own tensors wait for
 * the end of the task otherwise, and onSubmittedWorkDone() would not wait for them.
 */
function drainer(acts) {
  return () => {
    acts.flush();
    return acts.device.queue.onSubmittedWorkDone();
  };
}

/** Times `call` k times per batch, until the queue drains. */
function timer(acts, opts) {
  const drain = drainer(acts);
  return (call) =>
    measure(async (k) => {
      for (let i = 0; i < k; i++) call();
      await drain();
    }, opts);
}

/**
 * Our GPU rows at n elements of `data`, then the copy roofline and the plain kernel: add(name,
 * bytes moved, timing, against?, note?) records each. `afterForward(y)` runs once after the first
 * forward row (the page checks y there).
 */
export async function gpuRows({ acts, data, n, opts, plain, add, afterForward }) {
  const device = acts.device;
  const drain = drainer(acts);
  const timed = timer(acts, opts);
  const x = acts.tensor(data);
  const dy = acts.tensor(data);
  const y = acts.tensor(new Float32Array(n));
  add('relu forward', 8 * n, await timed(() => acts.forwardInto('relu', { x, y })));
  await afterForward?.(y);
  add('relu backward (from x)', 12 * n, await timed(() => acts.backwardInto('relu', { x, dy, dx: y })));
  add(
    'relu forward (layer, y + mask)',
    8.125 * n,
    await timed(() => {
      const layer = acts.layer('relu');
      layer.forward(x).dispose();
      layer.dispose();
    }),
    'relu forward',
    'allocates y and the mask per call',
  );
  // Each timed backward needs a forward first; those run untimed, one layer per call.
  let layers = [];
  const fromMask = await measure(
    async (k) => {
      for (let i = 0; i < k; i++) layers[i].backward(dy).dispose();
      await drain();
    },
    {
      ...opts,
      setup: async (k) => {
        for (const l of layers) l.dispose();
        layers = Array.from({ length: k }, () => acts.layer('relu'));
        for (const l of layers) l.forward(x).dispose();
        await drain();
      },
    },
  );
  for (const l of layers) l.dispose();
  add('relu backward (layer, from mask)', 8.125 * n, fromMask, undefined, 'allocates dx per call');
  add(
    'relu backward (from x, allocating)',
    12 * n,
    await timed(() => acts.backward('relu', { x, dy }).dispose()),
    'relu backward (layer, from mask)',
    'acts.backward: allocates dx per call, as the layer does',
  );
  // Every path at the kernel's speed: your buffers (exact size, at offset 0 and at 256 bytes), in
  // place on our tensor, and backward on your buffers.
  const usage = 0x80 | 0x04 | 0x08; // STORAGE | COPY_SRC | COPY_DST
  const mine = (bytes) => device.createBuffer({ size: bytes, usage });
  const [xBuf, yBuf, dyBuf, offBuf] = [mine(4 * n), mine(4 * n), mine(4 * n), mine(4 * n + 256)];
  device.queue.writeBuffer(xBuf, 0, data);
  device.queue.writeBuffer(dyBuf, 0, data);
  const view = (buffer, offset = 0) => ({ buffer, offset, length: n });
  add(
    'relu forward (your buffers)',
    8 * n,
    await timed(() => acts.forwardInto('relu', { x: view(xBuf), y: view(yBuf) })),
    'relu forward',
    'forwardInto on exact-size buffers of yours: a submit per call',
  );
  add(
    'relu forward (your buffers, offset 256)',
    8 * n,
    await timed(() => acts.forwardInto('relu', { x: view(xBuf), y: view(offBuf, 256) })),
    'relu forward',
    'y 256 bytes into a buffer of yours',
  );
  const inPlace = acts.tensor(data);
  add('relu forward (in place)', 8 * n, await timed(() => acts.forwardInto('relu', { x: inPlace, y: inPlace })), 'relu forward');
  inPlace.dispose();
  add(
    'relu backward (your buffers)',
    12 * n,
    await timed(() => acts.backwardInto('relu', { x: view(xBuf), dy: view(dyBuf), dx: view(yBuf) })),
    'relu backward (from x)',
    'backwardInto on exact-size buffers of yours',
  );
  for (const b of [xBuf, yBuf, dyBuf, offBuf]) b.destroy();
  // f16 has no forwardInto: both rows allocate their output per call (acts.forward + dispose).
  add('relu forward f32 (allocating)', 8 * n, await timed(() => acts.forward('relu', x).dispose()), undefined, 'acts.forward + dispose');
  const h = acts.tensor(benchHalves(n));
  add(
    'relu forward f16 (allocating)',
    4 * n,
    await timed(() => acts.forward('relu', h).dispose()),
    'relu forward f32 (allocating)',
    'acts.forward + dispose on an f16 tensor: packed halves, computed in f32',
  );
  h.dispose();
  const copy = await measure(async (k) => {
    const enc = device.createCommandEncoder();
    for (let i = 0; i < k; i++) enc.copyBufferToBuffer(x.gpuBuffer.buffer, 0, y.gpuBuffer.buffer, 0, 4 * n);
    device.queue.submit([enc.finish()]);
    await drain();
  }, opts);
  add('copy (roofline)', 8 * n, copy, 'relu forward', 'all calls in one encoder');
  if (n % 4 === 0) add('plain vec4 kernel', 8 * n, await timed(plain(x, y, n)), 'relu forward');
  for (const t of [x, dy, y]) t.dispose();
}

/**
 * Per-op overhead: many relu calls on n elements (`opts.batch` of them per timed batch), wall time
 * per call until the queue drains, for ours (a submit per call, allocating, in one encoder of
 * yours, in acts.batch) and the plain kernel (a submit per call, and bare dispatches in one pass).
 */
export async function overheadRows({ acts, data, n, opts, plain, add }) {
  const device = acts.device;
  const drain = drainer(acts);
  const timed = timer(acts, opts);
  const x = acts.tensor(data);
  const y = acts.tensor(new Float32Array(n));
  add(
    'relu forward',
    8 * n,
    await timed(() => acts.forwardInto('relu', { x, y })),
    undefined,
    'forwardInto on own tensors: pending, one submit',
  );
  add(
    'relu forward (allocating)',
    8 * n,
    await timed(() => acts.forward('relu', x).dispose()),
    undefined,
    'acts.forward + dispose: pending, one submit per 256 calls',
  );
  add(
    'relu forward (allocating, submit each)',
    8 * n,
    await timed(() => {
      acts.forward('relu', x).dispose();
      acts.flush();
    }),
    'relu forward (allocating)',
    'acts.forward + dispose + flush(): a submit per call, as before pending work',
  );
  const layer = acts.layer('relu');
  add(
    'relu layer forward (allocating)',
    8 * n,
    await timed(() => layer.forward(x).dispose()),
    undefined,
    'layer.forward (keeps the 1-bit mask) + dispose: pending',
  );
  layer.dispose();
  // Views of your own buffers: each call is submitted before it returns (your next writeBuffer
  // must come after it), so this is the per-op cost of a call that must submit.
  const usage = 0x80 | 0x04 | 0x08; // STORAGE | COPY_SRC | COPY_DST
  const xBuf = device.createBuffer({ size: 4 * n, usage });
  const yBuf = device.createBuffer({ size: 4 * n, usage });
  device.queue.writeBuffer(xBuf, 0, data);
  const views = { x: { buffer: xBuf, length: n }, y: { buffer: yBuf, length: n } };
  add(
    'relu forward (your buffers)',
    8 * n,
    await timed(() => acts.forwardInto('relu', views)),
    undefined,
    'forwardInto on your buffers: a submit per call',
  );
  const oneEncoder = await measure(async (k) => {
    const encoder = device.createCommandEncoder();
    for (let i = 0; i < k; i++) acts.forwardInto('relu', { x, y }, {}, { encoder });
    device.queue.submit([encoder.finish()]);
    await drain();
  }, opts);
  add('relu forward (one encoder)', 8 * n, oneEncoder, undefined, 'forwardInto with { encoder }: one submit for all calls');
  const batched = (call) =>
    measure(async (k) => {
      acts.batch(() => {
        for (let i = 0; i < k; i++) call();
      });
      await drain();
    }, opts);
  add(
    'relu forward (batch)',
    8 * n,
    await batched(() => acts.forwardInto('relu', { x, y })),
    undefined,
    'acts.batch: one pass, one submit per 256 calls',
  );
  add(
    'relu forward (allocating, batch)',
    8 * n,
    await batched(() => acts.forward('relu', x).dispose()),
    undefined,
    'acts.forward + dispose in acts.batch',
  );
  add('plain vec4 kernel', 8 * n, await timed(plain(x, y, n)), 'relu forward (your buffers)', 'one submit per call');
  const plainAll = plain(x, y, n);
  const floor = await measure(async (k) => {
    plainAll(k);
    await drain();
  }, opts);
  add('plain vec4 kernel (one pass)', 8 * n, floor, 'relu forward (batch)', 'the floor: bare dispatches in one pass, one submit');
  x.dispose();
  y.dispose();
  xBuf.destroy();
  yBuf.destroy();
}
