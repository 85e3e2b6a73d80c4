// Choosing and opening a backend: WebGPU on the caller's device or one we request, else the CPU
// backend with the reason; and, for a device we requested, a new backend after it is lost.
import type { Backend } from './backend.js';
import { CpuBackend, createCpuBackend, type CpuKernelsMode } from './cpu/cpu-backend.js';
import { DeviceLostError, InvalidArgumentError, WebGPUUnavailableError, describe } from './errors.js';
import { requestDevice, summarize, type AcquiredDevice, type AdapterSummary } from './gpu/device.js';
import { optionsObject } from './options.js';
import { GpuBackend } from './gpu/gpu-backend.js';
import type { Tuning } from './gpu/limits.js';

/** Options for {@link createActivations}. */
export interface CreateOptions {
  /**
   * 'auto' (default): WebGPU when it can be had, else the CPU backend, with the reason in
   * `fallbackReason`. 'webgpu': WebGPU or a WebGPUUnavailableError. 'cpu': never touches the GPU.
   */
  readonly backend?: 'auto' | 'webgpu' | 'cpu';
  /** Your GPUDevice. We use it and never destroy it. */
  readonly device?: GPUDevice;
  /** A GPU object to request the device from, instead of navigator.gpu or Node's `webgpu` package. */
  readonly gpu?: GPU;
  /** Passed to requestAdapter() when we request the device: 'low-power' or 'high-performance'. */
  readonly powerPreference?: GPUPowerPreference;
  /**
   * 'compatibility' asks for a compatibility-mode adapter (WebGPU on older GPU APIs: at most 128
   * invocations per workgroup, fewer storage buffers); the kernels adapt to its limits.
   */
  readonly featureLevel?: 'core' | 'compatibility';
  /** Kernel knobs (workgroup size, vectorisation, chunk size); the defaults suit real use. */
  readonly tuning?: Tuning;
  /**
   * Kernels of the CPU backend. 'auto' (default): WebAssembly SIMD where the runtime has it, for
   * the ops that have SIMD kernels (relu, leakyRelu, relu6, hardtanh, thresholdedRelu), else
   * plain JS, with the reason in `cpuKernelsReason`. 'wasm-simd': those, or an ActivationsError.
   * 'js': the plain JS kernels only (the reference the SIMD ones are tested against). Both give
   * the same bits.
   */
  readonly cpuKernels?: CpuKernelsMode;
  /**
   * Milliseconds to wait for `requestAdapter()` and for `requestDevice()` each (default 10,000;
   * Infinity waits forever). Past it, 'auto' falls back to the CPU saying so, and 'webgpu' rejects
   * with a WebGPUUnavailableError: a runtime whose request never settles cannot hang the caller.
   */
  readonly acquireTimeout?: number;
}

const OPTION_KEYS = ['backend', 'device', 'gpu', 'powerPreference', 'featureLevel', 'tuning', 'cpuKernels', 'acquireTimeout'];

/** An opened backend and what the instance reports about it. */
export interface Opened {
  readonly backend: Backend;
  readonly fallbackReason?: string;
  readonly adapterInfo?: AdapterSummary | undefined;
  /** Set when the device is ours: how to get a new one after a loss. */
  readonly recovery?: Recovery;
}

/** How an instance that owns its device gets a new backend after a loss. */
export interface Recovery {
  readonly mode: 'auto' | 'webgpu';
  readonly tuning: Tuning;
  readonly cpuKernels: CpuKernelsMode;
  acquire(): Promise<AcquiredDevice>;
}

/** Validates the options and opens the backend they ask for. */
export async function openBackend(given: unknown): Promise<Opened> {
  const options = optionsObject(given, 'options', OPTION_KEYS) as CreateOptions;
  optionsObject(options.tuning, 'options.tuning', ['workgroupSize', 'vectorize', 'maxBindingBytes', 'poolBytes']);
  const timeout = options.acquireTimeout ?? 10_000;
  if (typeof timeout !== 'number' || !(timeout > 0)) {
    throw new InvalidArgumentError(
      'options.acquireTimeout',
      'a positive number of milliseconds (Infinity waits forever)',
      describe(timeout),
    );
  }
  const mode = options.backend ?? 'auto';
  if (mode !== 'auto' && mode !== 'webgpu' && mode !== 'cpu') {
    throw new InvalidArgumentError('options.backend', "'auto', 'webgpu' or 'cpu'", describe(mode));
  }
  const cpuKernels = options.cpuKernels ?? 'auto';
  if (cpuKernels !== 'auto' && cpuKernels !== 'wasm-simd' && cpuKernels !== 'js') {
    throw new InvalidArgumentError('options.cpuKernels', "'auto', 'wasm-simd' or 'js'", describe(cpuKernels));
  }
  if (mode === 'cpu') return { backend: await createCpuBackend(cpuKernels) };
  if (options.device !== undefined) {
    if (typeof options.device?.createBuffer !== 'function') {
      throw new InvalidArgumentError('options.device', 'a GPUDevice', describe(options.device));
    }
    const adapterInfo = summarize((options.device as GPUDevice & { adapterInfo?: GPUAdapterInfo }).adapterInfo);
    return { backend: new GpuBackend(options.device, false, options.tuning ?? {}), adapterInfo };
  }
  const recovery: Recovery = {
    mode,
    tuning: options.tuning ?? {},
    cpuKernels,
    acquire: () =>
      requestDevice({ gpu: options.gpu, powerPreference: options.powerPreference, featureLevel: options.featureLevel, timeout }),
  };
  try {
    const acquired = await recovery.acquire();
    try {
      return { backend: new GpuBackend(acquired.device, true, recovery.tuning), adapterInfo: acquired.adapterInfo, recovery };
    } catch (e) {
      acquired.device.destroy();
      throw e;
    }
  } catch (e) {
    if (mode === 'auto' && e instanceof WebGPUUnavailableError) {
      return { backend: await createCpuBackend(cpuKernels), fallbackReason: e.reason };
    }
    throw e;
  }
}

/**
 * A backend to replace one whose device we owned and lost: a new device, or with 'auto' the CPU
 * backend when none can be had. Rejects with DeviceLostError otherwise.
 */
export async function recover(recovery: Recovery, lost: DeviceLostError): Promise<Opened> {
  let acquired: AcquiredDevice;
  try {
    acquired = await recovery.acquire();
  } catch (e) {
    if (recovery.mode === 'auto' && e instanceof WebGPUUnavailableError) {
      // 'wasm-simd' that cannot be had: plain JS kernels, saying why (throwing would leave no backend).
      const backend = await createCpuBackend(recovery.cpuKernels).catch(
        (err: unknown) => new CpuBackend(undefined, err instanceof Error ? err.message : String(err)),
      );
      return { backend, fallbackReason: `${lost.message}, and no new device could be had: ${e.reason}` };
    }
    throw new DeviceLostError(lost.reason, `${lost.detail}; no new device could be had (${e instanceof Error ? e.message : String(e)})`, {
      cause: e,
    });
  }
  return { backend: new GpuBackend(acquired.device, true, recovery.tuning), adapterInfo: acquired.adapterInfo, recovery };
}
