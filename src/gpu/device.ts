import { WebGPUUnavailableError } from '../errors.js';

/** A device and whether we may destroy it. */
export interface AcquiredDevice {
  readonly device: GPUDevice;
  /** true when we requested it (we destroy it on dispose); false when the caller lent it. */
  readonly owned: boolean;
  readonly adapterInfo: AdapterSummary | undefined;
}

/** What the adapter says about itself, as plain strings. */
export interface AdapterSummary {
  /** GPUAdapterInfo.vendor, such as 'nvidia' or 'apple'; '' when not reported. */
  readonly vendor: string;
  /** GPUAdapterInfo.architecture, the vendor's GPU family; '' when not reported. */
  readonly architecture: string;
  /** GPUAdapterInfo.device, the vendor's identifier for the device; '' when not reported. */
  readonly device: string;
  /** GPUAdapterInfo.description, the driver's readable name for the adapter; '' when not reported. */
  readonly description: string;
}

export interface AcquireOptions {
  /** A GPU object to use instead of navigator.gpu or the `webgpu` package. */
  readonly gpu?: GPU | undefined;
  readonly powerPreference?: GPUPowerPreference | undefined;
  readonly featureLevel?: 'core' | 'compatibility' | undefined;
  /** Milliseconds to wait for each request before giving up (Infinity: forever). */
  readonly timeout?: number | undefined;
}

/** `promise`, or a WebGPUUnavailableError once `ms` pass first. */
function settleWithin<T>(promise: Promise<T>, ms: number | undefined, what: string): Promise<T> {
  if (ms === undefined || ms === Infinity) return promise;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new WebGPUUnavailableError(`${what} did not settle within ${ms} ms (options.acquireTimeout)`)), ms);
  });
  return Promise.race([promise, late]).finally(() => clearTimeout(timer));
}

let nodeGpu: Promise<GPU> | undefined;

/** Node has no navigator.gpu: load the optional `webgpu` package (Dawn) once. */
function loadNodeGpu(): Promise<GPU> {
  nodeGpu ??= (async () => {
    // A variable specifier keeps bundlers from trying to pull Dawn into a browser build.
    const name = 'webgpu';
    const mod = (await import(/* @vite-ignore */ name)) as { create(flags: string[]): GPU };
    return mod.create([]);
  })();
  return nodeGpu;
}

/**
 * What to do about a missing adapter, for the runtime at hand. Deno is asked first: it has a
 * `process` of Node's too.
 */
function noAdapterHint(): string {
  // Deno's wgpu finds Vulkan (Linux), Metal or DX12 drivers itself, and GL as a last resort.
  if ((globalThis as { Deno?: unknown }).Deno !== undefined) {
    return " (Deno's WebGPU found no GPU driver: install one (on Linux a Vulkan driver, e.g. Mesa's mesa-vulkan-drivers), or set VK_ICD_FILENAMES to a driver's ICD file)";
  }
  // Node's Dawn finds Vulkan drivers through the loader.
  if (isNode()) return ' (no Vulkan driver found: install one, or set VK_ICD_FILENAMES to a driver such as SwiftShader)';
  // A browser (or its workers) decides for itself.
  return ' (WebGPU may be disabled or blocklisted for this GPU, or the runtime has no adapter; in Chromium see chrome://gpu)';
}

function isNode(): boolean {
  const p = (globalThis as { process?: { versions?: { node?: string } } }).process;
  return typeof p?.versions?.node === 'string';
}

function message(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** Finds a GPU object, or throws WebGPUUnavailableError saying why there is none. */
async function findGpu(options: AcquireOptions): Promise<GPU> {
  if (options.gpu) return options.gpu;
  const nav = (globalThis as { navigator?: { gpu?: GPU } }).navigator;
  if (nav?.gpu) return nav.gpu;
  if (isNode()) {
    try {
      return await loadNodeGpu();
    } catch (e) {
      nodeGpu = undefined;
      const missing = /Cannot find (package|module)/.test(message(e));
      const what = missing
        ? 'is not installed: `npm install webgpu` gives Node WebGPU through Dawn'
        : `could not be loaded (${message(e)})`;
      throw new WebGPUUnavailableError(`no navigator.gpu, and the optional 'webgpu' package ${what}`, { cause: e });
    }
  }
  // isSecureContext is on every browser global, window and worker alike.
  if (nav && (globalThis as { isSecureContext?: boolean }).isSecureContext === false) {
    throw new WebGPUUnavailableError(
      'navigator.gpu is missing because the page (or the worker) is not a secure context (serve it over https or from localhost)',
    );
  }
  throw new WebGPUUnavailableError('navigator.gpu is missing (this browser or runtime has no WebGPU)');
}

/**
 * Requests an adapter and a device with the adapter's largest storage-binding and buffer
 * limits, so big tensors need fewer chunks.
 */
export async function requestDevice(options: AcquireOptions): Promise<AcquiredDevice> {
  const gpu = await findGpu(options);
  let adapter: GPUAdapter | null;
  try {
    const request = gpu.requestAdapter({
      ...(options.powerPreference ? { powerPreference: options.powerPreference } : {}),
      ...(options.featureLevel ? { featureLevel: options.featureLevel } : {}),
    });
    adapter = await settleWithin(request, options.timeout, 'requestAdapter()');
  } catch (e) {
    if (e instanceof WebGPUUnavailableError) throw e;
    throw new WebGPUUnavailableError(`requestAdapter() failed (${message(e)})`, { cause: e });
  }
  if (!adapter) {
    throw new WebGPUUnavailableError(`requestAdapter() returned null: no WebGPU adapter is available${noAdapterHint()}`);
  }
  let device: GPUDevice;
  const request = adapter.requestDevice({
    label: 'webgpu-activations',
    requiredLimits: {
      maxStorageBufferBindingSize: adapter.limits.maxStorageBufferBindingSize,
      maxBufferSize: adapter.limits.maxBufferSize,
    },
  });
  try {
    device = await settleWithin(request, options.timeout, 'requestDevice()');
  } catch (e) {
    // A device that arrives after we gave up is nobody's: destroy it.
    request.then(
      (late) => late.destroy(),
      () => undefined,
    );
    if (e instanceof WebGPUUnavailableError) throw e;
    throw new WebGPUUnavailableError(`requestDevice() failed (${message(e)})`, { cause: e });
  }
  return { device, owned: true, adapterInfo: summarize(adapter.info) };
}

/** Reads GPUAdapterInfo into plain strings (some runtimes expose its fields as getters only). */
export function summarize(info: GPUAdapterInfo | undefined): AdapterSummary | undefined {
  if (!info) return undefined;
  return {
    vendor: info.vendor ?? '',
    architecture: info.architecture ?? '',
    device: info.device ?? '',
    description: info.description ?? '',
  };
}
