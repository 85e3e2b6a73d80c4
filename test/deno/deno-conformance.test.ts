import { beforeAll, expect, it } from 'vitest';
import { casesFor } from '../conformance/all.js';
import { denoMissing, runDenoSuite, type DenoReport } from '../helpers/deno.js';
import { describeIfAvailable } from '../helpers/requirements.js';

// The conformance suite on a second WebGPU implementation: Deno's wgpu (its own shader compiler,
// naga) on Mesa's lavapipe. Each case becomes one test with Deno's verdict.
const cases = casesFor('webgpu');

describeIfAvailable('conformance in Deno (wgpu on lavapipe)', denoMissing(), () => {
  let report: DenoReport | undefined;
  beforeAll(async () => {
    report = await runDenoSuite((line) => console.log(`[deno] ${line}`));
  });

  it('ran on navigator.gpu in Deno', () => {
    expect(report?.fatal).toBeUndefined();
    expect(report?.backend).toBe('webgpu');
    expect(report?.results.length).toBe(cases.length);
  });
  it('tells a Deno user without an adapter what to install or set, not what Chromium or Node would', () => {
    expect(report?.noAdapterReason).toMatch(
      /^requestAdapter\(\) returned null: no WebGPU adapter is available \(Deno's WebGPU found no GPU driver: .*VK_ICD_FILENAMES.*\)$/,
    );
    expect(report?.noAdapterReason).not.toMatch(/chrome:\/\/gpu|SwiftShader/);
  });
  for (const c of cases) {
    it(c.name, () => {
      const result = report?.results.find((r) => r.name === c.name);
      if (!result) throw new Error(`Deno reported no result for this case${report?.fatal ? `: ${report.fatal}` : ''}`);
      if (!result.ok) throw new Error(result.error);
    });
  }
});
