import type { AdapterSummary, BackendName } from '../../src/index.js';

/** What the conformance page reports back to the runner. */
export interface BrowserReport {
  readonly fatal?: string;
  readonly backend?: BackendName;
  readonly adapter?: AdapterSummary | undefined;
  /** The device's maxComputeInvocationsPerWorkgroup, and whether it has core features (not compatibility mode). */
  readonly limits?: { readonly invocations: number; readonly core: boolean };
  readonly results: readonly CaseResult[];
}

export interface CaseResult {
  readonly name: string;
  readonly ok: boolean;
  readonly ms: number;
  readonly error?: string;
}
