import { afterAll, beforeAll, describe, it } from 'vitest';
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
