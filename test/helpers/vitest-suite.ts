import { afterAll, beforeAll, describe, it } from 'vitest';
import { createActivations, type CreateOptions, type Tuning } from '../../src/index.js';
import type { ConformanceCase, ConformanceContext } from '../conformance/relu.js';
import { runCase } from '../conformance/run-case.js';

/** Registers a conformance case list as Vitest tests; `setup` makes the context once. */
export function registerConformance(title: string, cases: readonly ConformanceCase[], setup: () => Promise<ConformanceContext>): void {
  describe(title, () => {
    let ctx: ConformanceContext | undefined;
    beforeAll(async () => {
      ctx = await setup();
    });
    afterAll(() => ctx?.acts.dispose());
    for (const c of cases) {
      it(c.name, async () => {
        if (!ctx) throw new Error('the suite context was not set up');
        await runCase(ctx, c);
      });
    }
  });
}

/**
 * The context of a WebGPU runner in Node: an instance on `gpu` with `base` options, and a
 * factory for more with the same options (plus the case's device or tuning).
 */
export async function webgpuContext(gpu: GPU, base: CreateOptions = {}): Promise<ConformanceContext> {
  const create = (options: { tuning?: Tuning; device?: GPUDevice } = {}) =>
    createActivations({
      ...base,
      backend: 'webgpu',
      gpu,
      ...(options.device ? { device: options.device } : {}),
      ...(options.tuning ? { tuning: options.tuning } : {}),
    });
  return { kind: 'webgpu', acts: await create(), gpu, create };
}
