import { describe, expect, it } from 'vitest';
import { ShaderCompileError } from '../../src/index.js';
import { deviceCache } from '../../src/gpu/device-cache.js';
import { elementwiseSource, locate } from '../../src/gpu/shader-source.js';
import type { OpDefinition } from '../../src/ops/registry.js';
import { getOp } from '../../src/ops/registry.js';
import { nodeGpu } from '../helpers/node-gpu.js';
import { describeIfAvailable } from '../helpers/requirements.js';

const broken: OpDefinition = {
  ...getOp('relu'),
  name: 'broken',
  wgslPath: 'shaders/activations/broken.wgsl',
  wgsl: 'fn forward(x: V) -> V {\n  return x;\n}\nfn backward(x: V, dy: V) -> V {\n  return undefined_thing;\n}\n',
};

describe('shader sources', () => {
  it('maps assembled lines back to their files', () => {
    const source = elementwiseSource(broken, 4);
    const op = source.parts.find((p) => p.path === 'shaders/activations/broken.wgsl')!;
    expect(locate(source, op.firstLine + 4)).toBe('shaders/activations/broken.wgsl:5');
    expect(locate(source, 1)).toBe('<preamble>:1');
    const skeleton = source.parts.find((p) => p.path === 'shaders/elementwise.wgsl')!;
    expect(locate(source, skeleton.firstLine)).toBe('shaders/elementwise.wgsl:1');
    expect(source.parts.map((p) => p.path)).toContain('shaders/lib/params.wgsl');
  });
});

const found = await nodeGpu();
describeIfAvailable('shader compile errors on Dawn', 'reason' in found ? found.reason : undefined, () => {
  it('turn into a ShaderCompileError quoting file, line and column', async () => {
    if ('reason' in found) throw new Error(found.reason);
    const device = await found.adapter.requestDevice();
    const cache = deviceCache(device);
    device.pushErrorScope('validation');
    cache.pipeline('backward', broken, 64, 4);
    await device.popErrorScope();
    const err = await cache.compiled().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ShaderCompileError);
    expect((err as Error).message).toMatch(/shaders\/activations\/broken\.wgsl:5:\d+: .*undefined_thing/);
    device.destroy();
  });
});
