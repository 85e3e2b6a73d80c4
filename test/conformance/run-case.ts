import type { ConformanceCase, ConformanceContext } from './relu.js';

/**
 * Runs one case. On WebGPU it runs inside validation, out-of-memory and internal error scopes
 * on the shared device and fails on any error caught there, or reported as uncaptured while it
 * ran, or if the shared device was lost.
 */
export async function runCase(ctx: ConformanceContext, c: ConformanceCase): Promise<void> {
  const device = ctx.acts.device;
  if (!device) return c.run(ctx);
  const uncaptured: string[] = [];
  const listener = (e: Event) => uncaptured.push((e as GPUUncapturedErrorEvent).error.message);
  device.addEventListener('uncapturederror', listener);
  device.pushErrorScope('internal');
  device.pushErrorScope('out-of-memory');
  device.pushErrorScope('validation');
  let failure: Error | undefined;
  try {
    await c.run(ctx);
  } catch (e) {
    failure = e instanceof Error ? e : new Error(String(e));
  }
  const scoped = await Promise.all([device.popErrorScope(), device.popErrorScope(), device.popErrorScope()]);
  device.removeEventListener('uncapturederror', listener);
  if (failure !== undefined) throw failure;
  const messages = [...scoped.flatMap((e) => (e ? [e.message] : [])), ...uncaptured];
  if (messages.length > 0) throw new Error(`GPU errors during the case:\n${messages.join('\n')}`);
}
