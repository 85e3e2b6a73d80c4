import { describe, expect, it } from 'vitest';
import * as api from '../../src/index.js';
import { ActivationsError, createActivations, DisposedError, WebGPUUnavailableError } from '../../src/index.js';

// Error classes: a stable `code` each (checks that survive two copies of the package, where
// instanceof fails), `cause` on errors that wrap another, DisposedError for disposed layers.
const classes = Object.entries(api).filter(
  ([, value]) => value === ActivationsError || (typeof value === 'function' && value.prototype instanceof ActivationsError),
);

describe('error classes', () => {
  it('every exported error class has its own ERR_ code', () => {
    expect(classes.map(([name]) => name).sort()).toEqual([
      'ActivationsError',
      'DeviceLostError',
      'DisposedError',
      'ForeignTensorError',
      'GpuOperationError',
      'InvalidArgumentError',
      'ShaderCompileError',
      'ShapeMismatchError',
      'UnknownOpError',
      'WebGPUUnavailableError',
    ]);
    const instances: ActivationsError[] = [
      new api.ActivationsError('m'),
      new api.InvalidArgumentError('x', 'a Tensor', 'null'),
      new api.UnknownOpError('rleu', ['relu']),
      new api.ShapeMismatchError('dy', '[2]', '[3]'),
      new api.DisposedError('x'),
      new api.ForeignTensorError('x', 'ours', 'theirs'),
      new api.WebGPUUnavailableError('none'),
      new api.DeviceLostError('destroyed', ''),
      new api.ShaderCompileError('m'),
      new api.GpuOperationError('relu', 'bad'),
    ];
    expect(instances.map((e) => e.constructor.name).sort()).toEqual(classes.map(([name]) => name).sort());
    const codes = instances.map((e) => e.code);
    for (const code of codes) expect(code).toMatch(/^ERR_[A-Z_]+$/);
    expect(new Set(codes).size).toBe(codes.length);
  });

  it('names the code in hand-worked cases', async () => {
    const acts = await createActivations({ backend: 'cpu' });
    const t = acts.tensor([1]);
    t.dispose();
    const caught = await t.read().catch((e: unknown) => e);
    expect((caught as ActivationsError).code).toBe('ERR_DISPOSED');
    expect(() => acts.forward('rleu' as 'relu', acts.tensor([1]))).toThrow(expect.objectContaining({ code: 'ERR_UNKNOWN_OP' }));
    acts.dispose();
  });

  it('a disposed layer throws DisposedError naming the layer, as a disposed tensor does', async () => {
    const acts = await createActivations({ backend: 'cpu' });
    for (const layer of [acts.layer('relu'), acts.layer('maxout', { pieces: 1 }), acts.layer('prelu', { alpha: acts.tensor([0.25]) })]) {
      layer.dispose();
      let thrown: unknown;
      try {
        layer.forward(acts.tensor([1, 2]));
      } catch (e) {
        thrown = e;
      }
      expect(thrown).toBeInstanceOf(DisposedError);
      expect(thrown).toMatchObject({ argument: 'layer', code: 'ERR_DISPOSED' });
    }
    acts.dispose();
  });

  it('keeps what it wraps as cause: a failing requestAdapter', async () => {
    const failure = new Error('adapter exploded');
    const gpu = { requestAdapter: () => Promise.reject(failure) } as unknown as GPU;
    const err = await createActivations({ backend: 'webgpu', gpu }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WebGPUUnavailableError);
    expect((err as Error).cause).toBe(failure);
    expect((err as ActivationsError).code).toBe('ERR_WEBGPU_UNAVAILABLE');
  });
});
