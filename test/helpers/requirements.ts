import { describe, it } from 'vitest';

/**
 * A suite that needs something the machine may lack (an adapter, Chromium). When `missing`
 * names what is lacking: under CI=true the suite fails with that reason, so a green CI run means
 * the GPU path really ran; elsewhere it is reported as skipped and prints "skipped, because ...".
 */
export function describeIfAvailable(title: string, missing: string | undefined, body: () => void): void {
  if (missing === undefined) {
    describe(title, body);
  } else if (process.env.CI === 'true') {
    describe(title, () => {
      it('has what it needs to run', () => {
        throw new Error(`cannot run under CI: ${missing}`);
      });
    });
  } else {
    console.warn(`[${title}] skipped, because ${missing}`);
    describe.skipIf(true)(`${title} (skipped, because ${missing})`, body);
  }
}
