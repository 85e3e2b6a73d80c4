import { ShaderCompileError } from '../errors.js';
import type { AnyOp } from '../ops/define.js';
import { BufferUsage, ShaderStage } from './constants.js';
import { BINDING, BINDING_TYPE, KERNELS, sourceOf, widthOf, type KernelName } from './kernels.js';
import { locate, type ShaderSource } from './shader-source.js';

/** How many distinct params buffers a device keeps before the least recently used is retired. */
const PARAMS_CAPACITY = 1024;
/** Bind groups kept per output buffer. */
const BIND_GROUPS_PER_BUFFER = 8;

/**
 * Everything compiled or cached for one GPUDevice. Held in a WeakMap keyed by the device, so a
 * destroyed or lost device takes its caches with it, and two instances sharing a device share
 * one set of pipelines.
 */
export class DeviceCache {
  readonly #layouts = new Map<KernelName, GPUBindGroupLayout>();
  readonly #modules = new Map<string, GPUShaderModule>();
  readonly #pipelines = new Map<string, GPUComputePipeline>();
  /** Pipelines being compiled by warm(), by the same keys. */
  readonly #warming = new Map<string, Promise<void>>();
  readonly #params = new Map<string, GPUBuffer>();
  readonly #bindGroups = new WeakMap<GPUBuffer, Map<string, GPUBindGroup>>();
  readonly #bufferIds = new WeakMap<GPUBuffer, number>();
  #nextBufferId = 1;
  /** Compile checks still running, and the first failure seen. */
  #checks: Promise<void>[] = [];
  #compileError: ShaderCompileError | undefined;

  constructor(readonly device: GPUDevice) {}

  /**
   * The one pipeline factory: kernel `name` of the table (src/gpu/kernels.ts) for `op` (undefined
   * for the kernels that have no op), compiled on first use and cached. `width` picks scalar or
   * vec4 for the elementwise kernels; the others have a fixed width.
   */
  pipeline(name: KernelName, op: AnyOp | undefined, workgroupSize: number, width: 1 | 4 = 1): GPUComputePipeline {
    const { key, descriptor } = this.#describe(name, op, workgroupSize, width);
    let pipeline = this.#pipelines.get(key);
    if (pipeline) return pipeline;
    pipeline = this.device.createComputePipeline(descriptor());
    this.#pipelines.set(key, pipeline);
    return pipeline;
  }

  /**
   * Compiles the pipeline that pipeline() would make, with createComputePipelineAsync, so that
   * many compile in parallel off the main thread (acts.warmup); a later pipeline() call finds it.
   * Resolves at once for a pipeline already made; rejects with a ShaderCompileError if it fails.
   */
  warm(name: KernelName, op: AnyOp | undefined, workgroupSize: number, width: 1 | 4 = 1): Promise<void> {
    const { key, label, descriptor } = this.#describe(name, op, workgroupSize, width);
    if (this.#pipelines.has(key)) return Promise.resolve();
    let warming = this.#warming.get(key);
    if (!warming) {
      warming = this.device
        .createComputePipelineAsync(descriptor())
        .then(
          (pipeline) => {
            // A synchronous pipeline() call may have made it meanwhile: keep the one in use.
            if (!this.#pipelines.has(key)) this.#pipelines.set(key, pipeline);
          },
          async (e: unknown) => {
            await this.compiled(); // the module's own compile error, with file:line, where there is one
            throw new ShaderCompileError(`pipeline '${label}' failed to build: ${(e as Error).message}`);
          },
        )
        .finally(() => this.#warming.delete(key));
      this.#warming.set(key, warming);
    }
    return warming;
  }

  /** The cache key, label and descriptor of kernel `name` for `op` at this width and workgroup size. */
  #describe(
    name: KernelName,
    op: AnyOp | undefined,
    workgroupSize: number,
    width: 1 | 4,
  ): { key: string; label: string; descriptor: () => GPUComputePipelineDescriptor } {
    const spec = KERNELS[name];
    const w = widthOf(spec.module, width);
    const variant = spec.module === 'elementwise' ? (w === 4 ? 'vec4' : 'scalar') : spec.module;
    // A variant (clamp, hardSigmoid...) runs its base op's WGSL: named and cached as that op.
    const opLabel = op && 'variantOf' in op && op.variantOf !== undefined ? op.variantOf : op?.name;
    const moduleLabel = op ? `${opLabel}.${spec.module === 'f16' ? 'f16' : 'f32'}.${variant}` : variant;
    const fixed = 'workgroupSize' in spec;
    const label = `${moduleLabel}.${name}`;
    const key = fixed ? label : `${label}.wg${workgroupSize}`;
    const descriptor = (): GPUComputePipelineDescriptor => ({
      label,
      layout: 'layout' in spec ? this.device.createPipelineLayout({ label, bindGroupLayouts: [this.layout(name)] }) : 'auto',
      compute: {
        module: this.#module(moduleLabel, () => sourceOf(spec.module, op, w)),
        entryPoint: spec.entryPoint,
        ...(fixed ? {} : { constants: { WORKGROUP_SIZE: workgroupSize } }),
      },
    });
    return { key, label, descriptor };
  }

  /** The explicit bind group layout of a kernel, made from its bindings in the table. */
  layout(name: KernelName): GPUBindGroupLayout {
    let layout = this.#layouts.get(name);
    if (!layout) {
      layout = this.device.createBindGroupLayout({
        label: name,
        entries: KERNELS[name].bindings.map((b) => ({
          binding: BINDING[b],
          visibility: ShaderStage.COMPUTE,
          buffer: { type: BINDING_TYPE[b] },
        })),
      });
      this.#layouts.set(name, layout);
    }
    return layout;
  }

  /** A shader module, made once per label; its compile errors surface through compiled(). */
  #module(label: string, source: () => ShaderSource): GPUShaderModule {
    let module = this.#modules.get(label);
    if (module) return module;
    const src = source();
    module = this.device.createShaderModule({ label, code: src.code });
    this.#modules.set(label, module);
    this.#checks.push(
      module.getCompilationInfo().then((info) => {
        const errors = info.messages.filter((m) => m.type === 'error');
        if (errors.length > 0 && !this.#compileError) {
          const lines = errors.map((m) => `  ${locate(src, m.lineNum)}:${m.linePos}: ${m.message}`);
          this.#compileError = new ShaderCompileError(`WGSL module '${label}' failed to compile:\n${lines.join('\n')}`);
        }
      }),
    );
    return module;
  }

  /** Resolves once every module compiled so far is checked; rejects with the first compile error. */
  async compiled(): Promise<void> {
    if (this.#checks.length > 0) {
      const checks = this.#checks;
      this.#checks = [];
      await Promise.all(checks);
    }
    if (this.#compileError) throw this.#compileError;
  }

  /**
   * An immutable uniform buffer holding `values`, shared by every dispatch with the same values.
   * Immutable matters: work encoded into a caller's encoder reads it whenever they submit.
   */
  params(values: readonly number[]): GPUBuffer {
    const key = values.join(',');
    let buffer = this.#params.get(key);
    if (buffer) {
      // Refresh its place in the LRU order.
      this.#params.delete(key);
      this.#params.set(key, buffer);
      return buffer;
    }
    buffer = this.device.createBuffer({
      label: `params(${key})`,
      size: Math.max(16, values.length * 4),
      usage: BufferUsage.UNIFORM,
      mappedAtCreation: true,
    });
    new Uint32Array(buffer.getMappedRange()).set(values);
    buffer.unmap();
    this.#params.set(key, buffer);
    if (this.#params.size > PARAMS_CAPACITY) {
      const [oldestKey, oldest] = this.#params.entries().next().value as [string, GPUBuffer];
      this.#params.delete(oldestKey);
      // Destroy it once the work already submitted is done (work encoded into a caller's
      // encoder must be submitted before PARAMS_CAPACITY other shapes are encoded).
      this.device.queue.onSubmittedWorkDone().then(
        () => oldest.destroy(),
        () => oldest.destroy(),
      );
    }
    return buffer;
  }

  /** A bind group of a kernel with an explicit layout, cached against the output buffer while it lives. */
  bindGroup(layout: KernelName, entries: readonly GPUBindGroupEntry[], out: GPUBuffer): GPUBindGroup {
    const key = `${layout}|${entries
      .map((e) => {
        const r = e.resource as GPUBufferBinding;
        return `${this.#id(r.buffer)}@${r.offset ?? 0}+${r.size ?? ''}`;
      })
      .join('|')}`;
    let groups = this.#bindGroups.get(out);
    const cached = groups?.get(key);
    if (cached) return cached;
    const group = this.device.createBindGroup({ label: layout, layout: this.layout(layout), entries });
    if (!groups) {
      groups = new Map();
      this.#bindGroups.set(out, groups);
    }
    if (groups.size >= BIND_GROUPS_PER_BUFFER) groups.delete(groups.keys().next().value as string);
    groups.set(key, group);
    return group;
  }

  /** Drops the bind groups cached for a buffer about to be destroyed. */
  forget(buffer: GPUBuffer): void {
    this.#bindGroups.delete(buffer);
  }

  #id(buffer: GPUBuffer): number {
    let id = this.#bufferIds.get(buffer);
    if (id === undefined) {
      id = this.#nextBufferId++;
      this.#bufferIds.set(buffer, id);
    }
    return id;
  }
}

const caches = new WeakMap<GPUDevice, DeviceCache>();

/** The cache for a device, made on first use. */
export function deviceCache(device: GPUDevice): DeviceCache {
  let cache = caches.get(device);
  if (!cache) {
    cache = new DeviceCache(device);
    caches.set(device, cache);
  }
  return cache;
}
