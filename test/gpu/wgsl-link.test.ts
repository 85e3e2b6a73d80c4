import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import {
  convertSource,
  elementwiseSource,
  fusedSource,
  groupedSource,
  halfSource,
  locate,
  maskedSource,
  perChannelSource,
  telemetrySource,
  treeSumSource,
  type ShaderSource,
} from '../../src/gpu/shader-source.js';
import { maxout } from '../../src/ops/maxout.js';
import { prelu } from '../../src/ops/prelu.js';
import { getOp, opNames } from '../../src/ops/registry.js';
import { nodeGpu } from '../helpers/node-gpu.js';
import { describeIfAvailable } from '../helpers/requirements.js';

// Every module the library builds, linked (src/gpu/wgsl-link.ts), compiles on Dawn: a declaration
// the linker wrongly left out is an unresolved name here.

/** Every shader module: each op's kernels of every kind, and the shared ones. */
function modules(): { label: string; source: ShaderSource; workgroupSize: boolean }[] {
  const all = opNames.flatMap((name) => {
    const op = getOp(name);
    return [
      { label: `${name}.f32.scalar`, source: elementwiseSource(op, 1), workgroupSize: true },
      { label: `${name}.f32.vec4`, source: elementwiseSource(op, 4), workgroupSize: true },
      { label: `${name}.f16`, source: halfSource(op), workgroupSize: true },
      { label: `${name}.f32.fused`, source: fusedSource(op), workgroupSize: true },
      ...(op.mask ? [{ label: `${name}.f32.masked`, source: maskedSource(op), workgroupSize: true }] : []),
    ];
  });
  return [
    ...all,
    { label: 'prelu.f32', source: perChannelSource(prelu), workgroupSize: true },
    { label: 'maxout.f32', source: groupedSource(maxout), workgroupSize: true },
    { label: 'telemetry', source: telemetrySource(), workgroupSize: true },
    { label: 'convert-f16', source: convertSource(), workgroupSize: true },
    // Its workgroup size is its own constant: the host passes no WORKGROUP_SIZE.
    { label: 'tree_sum', source: treeSumSource(), workgroupSize: false },
  ];
}

/** The compile errors of one module, each as `file:line:column: message`. */
async function compileErrors(device: GPUDevice, label: string, source: ShaderSource): Promise<string[]> {
  device.pushErrorScope('validation');
  const module = device.createShaderModule({ label, code: source.code });
  const info = await module.getCompilationInfo();
  const scope = await device.popErrorScope();
  const errors = info.messages.filter((m) => m.type === 'error').map((m) => `${locate(source, m.lineNum)}:${m.linePos}: ${m.message}`);
  return errors.length > 0 || !scope ? errors : [`${label}: ${scope.message}`];
}

const found = await nodeGpu();
describeIfAvailable('linked WGSL modules on Dawn', 'reason' in found ? found.reason : undefined, () => {
  let device: Promise<GPUDevice> | undefined;
  /** One device for the file (an adapter gives one device). */
  const gpuDevice = () => {
    if ('reason' in found) throw new Error(found.reason);
    return (device ??= found.adapter.requestDevice());
  };
  afterAll(async () => (await device)?.destroy());

  it('compile, every op and every kernel kind', async () => {
    const device = await gpuDevice();
    const failures: string[] = [];
    for (const { label, source, workgroupSize } of modules()) {
      // The host sets WORKGROUP_SIZE on these pipelines (compute.constants): it must be there.
      if (workgroupSize && !/^override WORKGROUP_SIZE\b/m.test(source.code)) failures.push(`${label}: no WORKGROUP_SIZE`);
      failures.push(...(await compileErrors(device, label, source)).map((e) => `${label}: ${e}`));
    }
    expect(failures).toEqual([]);
  });

  it('catch a needed declaration left out, at the line that names it', async () => {
    const device = await gpuDevice();
    const source = elementwiseSource(getOp('gelu'), 4);
    // Blank the lines of erf_lib_mills (its own part) and compile what is left.
    const lines = source.code.split('\n');
    const part = source.parts.find((p) =>
      lines.slice(p.firstLine - 1, p.firstLine - 1 + p.lines).some((l) => l.startsWith('fn erf_lib_mills(')),
    )!;
    expect(part.path).toBe('shaders/lib/erf.wgsl');
    lines.fill('', part.firstLine - 1, part.firstLine - 1 + part.lines);
    const errors = await compileErrors(device, 'gelu.dropped', { ...source, code: lines.join('\n') });
    expect(errors.length).toBeGreaterThan(0);
    const [, path, line] = /^([^:]+):(\d+):/.exec(errors[0]!)!;
    expect(path).toBe('shaders/activations/gelu.wgsl');
    expect(readFileSync(resolve(import.meta.dirname, '../..', path!), 'utf8').split('\n')[Number(line) - 1]).toContain('erf_lib_mills');
  });
});
