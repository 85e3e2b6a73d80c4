import { existsSync } from 'node:fs';

/** Chromium's SwiftShader Vulkan driver: the adapter Dawn uses on machines without a GPU. */
export const SWIFTSHADER_ICD = '/usr/lib/chromium/vk_swiftshader_icd.json';

export type NodeGpu = { readonly gpu: GPU; readonly adapter: GPUAdapter } | { readonly reason: string };

let found: Promise<NodeGpu> | undefined;

/**
 * Dawn through the `webgpu` package, with an adapter, or the reason there is none. Points
 * VK_ICD_FILENAMES at SwiftShader when nothing else is set (it must be set before Dawn starts).
 */
export function nodeGpu(): Promise<NodeGpu> {
  found ??= (async () => {
    if (!process.env.VK_ICD_FILENAMES && !process.env.VK_DRIVER_FILES && existsSync(SWIFTSHADER_ICD)) {
      process.env.VK_ICD_FILENAMES = SWIFTSHADER_ICD;
    }
    let create: (flags: string[]) => GPU;
    try {
      ({ create } = (await import('webgpu')) as { create: (flags: string[]) => GPU });
    } catch (e) {
      return { reason: `the 'webgpu' package did not load (${(e as Error).message})` };
    }
    const gpu = create([]);
    const adapter = await gpu.requestAdapter();
    if (!adapter) {
      return {
        reason: `Dawn found no adapter (VK_ICD_FILENAMES=${process.env.VK_ICD_FILENAMES ?? 'unset'}; install chromium for SwiftShader and libvulkan1)`,
      };
    }
    return { gpu, adapter };
  })();
  return found;
}
