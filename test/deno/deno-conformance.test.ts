import { beforeAll, expect, it } from 'vitest';
import { casesFor } from '../conformance/all.js';
import type { BrowserReport } from '../browser/report.js';
import { denoMissing, runDenoSuite } from '../helpers/deno.js';
import { describeIfAvailable } from '../helpers/requirements.js';

// The conformance suite on a second WebGPU implementation: Deno's wgpu (its own shader compiler,
// naga) on Mesa's lavapipe. Each case becomes one test with Deno's verdict.
const cases = casesFor('webgpu');

describeIfAvailable('conformance in Deno (wgpu on lavapipe)', denoMissing(), () => {
  let report: BrowserReport | undefined;
  beforeAll(async () => {
    report = await runDenoSuite((line) => console.log(`[deno] ${line}`));
  });

  it('ran on navigator.gpu in Deno', () => {
    expect(report?.fatal).toBeUndefined();
    expect(report?.backend).toBe('webgpu');
    expect(report?.results.length).toBe(cases.length);
  });
  for (const c of cases) {
    it(c.name, () => {
      const result = report?.results.find((r) => r.name === c.name);
      if (!result) throw new Error(`Deno reported no result for this case${report?.fatal ? `: ${report.fatal}` : ''}`);
      if (!result.ok) throw new Error(result.error);
    });
  }
});
