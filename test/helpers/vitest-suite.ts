import { afterAll, beforeAll, beforeEach, afterEach, describe, it } from 'vitest';
import type { ConformanceCase, ConformanceContext } from '../conformance/relu.js';

/**
 * Registers a conformance case list as Vitest tests. `setup` makes the context once; on
 * WebGPU each case runs inside validation, out-of-memory and internal error scopes on the
 * shared device, and fails on any error caught there or reported as uncaptured.
 */
export function registerConformance(title: string, cases: readonly ConformanceCase[], setup: () => Promise<ConformanceContext>): void {
  describe(title, () => {
    let ctx: ConformanceContext | undefined;
    const uncaptured: string[] = [];
    beforeAll(async () => {
      ctx = await setup();
      ctx.acts.device?.addEventListener('uncapturederror', (e) => uncaptured.push(e.error.message));
    });
    afterAll(() => ctx?.acts.dispose());
    beforeEach(() => {
      const device = ctx?.acts.device;
      device?.pushErrorScope('internal');
      device?.pushErrorScope('out-of-memory');
      device?.pushErrorScope('validation');
    });
    afterEach(async () => {
      const device = ctx?.acts.device;
      if (!device) return;
      const errors = (await Promise.all([device.popErrorScope(), device.popErrorScope(), device.popErrorScope()])).filter((e) => e);
      const messages = [...errors.map((e) => e!.message), ...uncaptured.splice(0)];
      if (messages.length > 0) throw new Error(`GPU errors during the case:\n${messages.join('\n')}`);
    });
    for (const c of cases) {
      it(c.name, async () => {
        if (!ctx) throw new Error('the suite context was not set up');
        await c.run(ctx);
      });
    }
  });
}
