// The Benchmark tab: relu forward against copyBufferToBuffer of the same bytes, on the
// visitor's GPU, at sizes 2^from .. 2^to elements. Without WebGPU (the library fell back to its
// CPU backend) it times that backend instead: acts.forward('relu') against Float32Array.set.

import type { Activations } from '../src/index.js';

/** One size's result. */
export interface BenchRow {
  /** Where it ran: the GPU (forwardInto against copyBufferToBuffer) or the CPU backend (forward against Float32Array.set). */
  readonly backend: 'webgpu' | 'cpu';
  readonly elements: number;
  readonly bytes: number;
  /** Per call, best of 3, in ms. */
  readonly reluMs: number;
  readonly copyMs: number;
  /** Bytes read plus bytes written per second, in GB/s. */
  readonly reluGBs: number;
  readonly copyGBs: number;
  /** reluMs / copyMs: 1 means relu runs at copy speed. */
  readonly ratio: number;
}

const STORAGE = 0x80;
const COPY_SRC = 0x04;
const COPY_DST = 0x08;

/** Milliseconds per repetition of `encode`, `reps` of them in one command buffer, best of 3 after a warm-up. */
async function time(device: GPUDevice, reps: number, encode: (enc: GPUCommandEncoder) => void): Promise<number> {
  let best = Infinity;
  for (let round = 0; round < 4; round++) {
    const enc = device.createCommandEncoder({ label: 'bench' });
    for (let r = 0; r < (round === 0 ? 1 : reps); r++) encode(enc);
    const t0 = performance.now();
    device.queue.submit([enc.finish()]);
    await device.queue.onSubmittedWorkDone();
    if (round > 0) best = Math.min(best, (performance.now() - t0) / reps);
  }
  return best;
}

/**
 * Milliseconds per call of `run` on the CPU, best of 3 rounds after a warm-up, each round as many
 * calls as take 10 ms or more (performance.now() may be coarse).
 */
function timeCpu(run: () => void): number {
  run();
  let reps = 1;
  for (;;) {
    const t0 = performance.now();
    for (let r = 0; r < reps; r++) run();
    if (performance.now() - t0 >= 10 || reps >= 2 ** 16) break;
    reps *= 2;
  }
  let best = Infinity;
  for (let round = 0; round < 3; round++) {
    const t0 = performance.now();
    for (let r = 0; r < reps; r++) run();
    best = Math.min(best, (performance.now() - t0) / reps);
  }
  return best;
}

/** The row of a size from its two timings. */
function row(backend: BenchRow['backend'], n: number, reluMs: number, copyMs: number): BenchRow {
  const bytes = 4 * n;
  const gbs = (ms: number) => (2 * bytes) / (ms * 1e6);
  return { backend, elements: n, bytes, reluMs, copyMs, reluGBs: gbs(reluMs), copyGBs: gbs(copyMs), ratio: reluMs / copyMs };
}

/**
 * The CPU backend's relu forward (acts.forward: a new tensor per call, disposed) against
 * Float32Array.set of the same bytes, at 2^e elements for each e in `exponents`.
 */
async function runCpuBench(acts: Activations, exponents: readonly number[], onRow?: (row: BenchRow) => void): Promise<BenchRow[]> {
  const rows: BenchRow[] = [];
  for (const e of exponents) {
    const n = 2 ** e;
    const values = Float32Array.from({ length: n }, (_, i) => (i % 7) - 3);
    const x = acts.tensor(values);
    const copy = new Float32Array(n);
    const reluMs = timeCpu(() => acts.forward('relu', x).dispose());
    const copyMs = timeCpu(() => copy.set(values));
    x.dispose();
    const r = row('cpu', n, reluMs, copyMs);
    rows.push(r);
    onRow?.(r);
    await new Promise((resolve) => setTimeout(resolve, 0)); // let the page draw the row
  }
  return rows;
}

/** Times relu forward and a copy at 2^e elements for each e in `exponents`; `onRow` sees each result as it comes. */
export async function runBench(acts: Activations, exponents: readonly number[], onRow?: (row: BenchRow) => void): Promise<BenchRow[]> {
  const device = acts.device;
  if (!device) return runCpuBench(acts, exponents, onRow);
  const rows: BenchRow[] = [];
  for (const e of exponents) {
    const n = 2 ** e;
    const bytes = 4 * n;
    const make = (label: string) => device.createBuffer({ label, size: bytes, usage: STORAGE | COPY_SRC | COPY_DST });
    const [x, y] = [make('bench.x'), make('bench.y')];
    // Half negative, half positive values, so relu takes both branches.
    device.queue.writeBuffer(
      x,
      0,
      Float32Array.from({ length: n }, (_, i) => (i % 7) - 3),
    );
    // Enough repetitions to move about 64 MiB each way, between 4 and 256.
    const reps = Math.max(4, Math.min(256, Math.round(2 ** 26 / bytes)));
    const reluMs = await time(device, reps, (encoder) =>
      acts.forwardInto('relu', { x: { buffer: x, length: n }, y: { buffer: y, length: n } }, {}, { encoder }),
    );
    const copyMs = await time(device, reps, (enc) => enc.copyBufferToBuffer(x, 0, y, 0, bytes));
    x.destroy();
    y.destroy();
    const r = row('webgpu', n, reluMs, copyMs);
    rows.push(r);
    onRow?.(r);
  }
  return rows;
}

/** Wires the tab's controls: sizes 2^10 .. 2^24 offered, 2^14 .. 2^22 chosen; Run fills the table. */
export function setupBench(
  acts: Activations | undefined,
  unavailable: string | undefined,
  done: (rows: BenchRow[], pausedTraining: boolean) => void,
  /** Runs the timing with the Train tab's live loop stopped; says whether it was running. */
  exclusive: (work: () => Promise<void>) => Promise<boolean> = async (work) => (await work(), false),
): void {
  const form = document.getElementById('bench-controls') as HTMLFormElement;
  const button = document.getElementById('bench-run') as HTMLButtonElement;
  const status = document.getElementById('bench-status')!;
  const body = document.querySelector('#bench-table tbody')!;
  const select = (name: string) => form.elements.namedItem(name) as HTMLSelectElement;
  for (const [name, chosen] of [
    ['from', 14],
    ['to', 22],
  ] as const) {
    select(name).innerHTML = Array.from({ length: 15 }, (_, i) => i + 10)
      .map((e) => `<option value="${e}" ${e === chosen ? 'selected' : ''}>${e}</option>`)
      .join('');
  }
  if (!acts) {
    status.textContent = `The benchmark needs the library, and it did not start: ${unavailable ?? 'no instance'}.`;
    button.disabled = true;
    return;
  }
  if (!acts.device) {
    document.getElementById('bench-where')!.textContent = 'the CPU (no WebGPU here)';
    document.getElementById('bench-note')!.textContent =
      "No WebGPU on this page, so this times the library's CPU backend instead: at each size, relu forward (acts.forward, a new " +
      'tensor per call, then disposed) against Float32Array.prototype.set of the same bytes, each repeated for at least 10 ms, best ' +
      'of 3, timed with performance.now(). Throughput counts the bytes read and written. Not a GPU number: what this page runs on.';
  }
  const fmt = (v: number) => (v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2));
  const size = (bytes: number) => (bytes >= 2 ** 20 ? `${bytes / 2 ** 20} MiB` : `${bytes / 2 ** 10} KiB`);
  button.addEventListener('click', () => {
    const from = Number(select('from').value);
    const to = Math.max(from, Number(select('to').value));
    const exponents = Array.from({ length: Math.floor((to - from) / 2) + 1 }, (_, i) => from + 2 * i);
    if (exponents[exponents.length - 1] !== to) exponents.push(to);
    button.disabled = true;
    body.innerHTML = '';
    status.textContent = 'Running…';
    let rows: BenchRow[] = [];
    const timing = () =>
      runBench(acts, exponents, (r) => {
        body.insertAdjacentHTML(
          'beforeend',
          `<tr><td>2^${Math.log2(r.elements)}</td><td>${size(r.bytes)}</td><td>${fmt(r.reluGBs)}</td><td>${fmt(r.copyGBs)}</td><td>${r.ratio.toFixed(2)}×</td></tr>`,
        );
      }).then((r) => void (rows = r));
    exclusive(timing)
      .then((paused) => {
        status.textContent = `Done: ${rows.length} sizes.${paused ? ' Training was paused while timing, and goes on now.' : ''}`;
        done(rows, paused);
      })
      .catch((e: unknown) => {
        status.textContent = `Error: ${e instanceof Error ? e.message : String(e)}`;
        console.error(e);
      })
      .finally(() => (button.disabled = false));
  });
}
