import { ShaderCompileError } from '../errors.js';
import type { OpDefinition } from '../ops/registry.js';
import { BufferUsage, ShaderStage } from './constants.js';
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
  type OpFile,
  type ShaderSource,
} from './shader-source.js';

export type Direction = 'forward' | 'backward';
/** A compute entry point: the elementwise kernels, or the training layer's 1-bit-mask kernels. */
export type Kernel = Direction | 'forward_inplace' | 'backward_inplace' | 'forward_mask' | 'backward_mask';
/** The fused bias + activation kernels (shaders/fused.wgsl, fused-mask.wgsl). */
export type FusedKernel = 'fused_forward' | 'fused_forward_y' | 'fused_forward_mask';
/** Bind group layouts: one per elementwise kernel, one shared by the mask kernels. */
export type LayoutName = Exclude<Kernel, 'forward_mask' | 'backward_mask'> | 'masked';

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
  readonly layouts: Record<LayoutName, GPUBindGroupLayout>;
  readonly #pipelineLayouts: Record<LayoutName, GPUPipelineLayout>;
  readonly #modules = new Map<string, GPUShaderModule>();
  readonly #pipelines = new Map<string, GPUComputePipeline>();
  readonly #params = new Map<string, GPUBuffer>();
  readonly #bindGroups = new WeakMap<GPUBuffer, Map<string, GPUBindGroup>>();
  readonly #bufferIds = new WeakMap<GPUBuffer, number>();
  #nextBufferId = 1;
  /** Compile checks still running, and the first failure seen. */
  #checks: Promise<void>[] = [];
  #compileError: ShaderCompileError | undefined;

  constructor(readonly device: GPUDevice) {
    const storage = (binding: number, type: GPUBufferBindingType): GPUBindGroupLayoutEntry => ({
      binding,
      visibility: ShaderStage.COMPUTE,
      buffer: { type },
    });
    const uniform: GPUBindGroupLayoutEntry = { binding: 0, visibility: ShaderStage.COMPUTE, buffer: { type: 'uniform' } };
    this.layouts = {
      forward: device.createBindGroupLayout({
        label: 'elementwise.forward',
        entries: [uniform, storage(1, 'read-only-storage'), storage(3, 'storage')],
      }),
      backward: device.createBindGroupLayout({
        label: 'elementwise.backward',
        entries: [uniform, storage(1, 'read-only-storage'), storage(2, 'read-only-storage'), storage(3, 'storage')],
      }),
      forward_inplace: device.createBindGroupLayout({
        label: 'elementwise.forward_inplace',
        entries: [uniform, storage(3, 'storage')],
      }),
      backward_inplace: device.createBindGroupLayout({
        label: 'elementwise.backward_inplace',
        entries: [uniform, storage(1, 'read-only-storage'), storage(3, 'storage')],
      }),
      masked: device.createBindGroupLayout({
        label: 'masked',
        entries: [uniform, storage(1, 'read-only-storage'), storage(3, 'storage'), storage(4, 'storage')],
      }),
    };
    this.#pipelineLayouts = {
      forward: device.createPipelineLayout({ label: 'elementwise.forward', bindGroupLayouts: [this.layouts.forward] }),
      backward: device.createPipelineLayout({ label: 'elementwise.backward', bindGroupLayouts: [this.layouts.backward] }),
      forward_inplace: device.createPipelineLayout({
        label: 'elementwise.forward_inplace',
        bindGroupLayouts: [this.layouts.forward_inplace],
      }),
      backward_inplace: device.createPipelineLayout({
        label: 'elementwise.backward_inplace',
        bindGroupLayouts: [this.layouts.backward_inplace],
      }),
      masked: device.createPipelineLayout({ label: 'masked', bindGroupLayouts: [this.layouts.masked] }),
    };
  }

  /** The pipeline for one op's kernel, compiled on first use and cached. */
  pipeline(op: OpDefinition, width: 1 | 4, kernel: Kernel, workgroupSize: number): GPUComputePipeline {
    const masked = kernel === 'forward_mask' || kernel === 'backward_mask';
    const moduleLabel = `${op.name}.f32.${masked ? 'masked' : width === 4 ? 'vec4' : 'scalar'}`;
    const label = masked ? `${op.name}.f32.${kernel}` : `${moduleLabel}.${kernel}`;
    const key = `${label}.wg${workgroupSize}`;
    let pipeline = this.#pipelines.get(key);
    if (pipeline) return pipeline;
    pipeline = this.device.createComputePipeline({
      label,
      layout: this.#pipelineLayouts[masked ? 'masked' : kernel],
      compute: {
        module: this.#module(moduleLabel, () => (masked ? maskedSource(op) : elementwiseSource(op, width))),
        entryPoint: `${kernel}_main`,
        constants: { WORKGROUP_SIZE: workgroupSize },
      },
    });
    this.#pipelines.set(key, pipeline);
    return pipeline;
  }

  /**
   * A pipeline whose bind group layout WebGPU derives from its entry point ('auto': each kernel
   * binds its own subset), made once per label and workgroup size. `workgroupSize` undefined:
   * the kernel fixes its own (tree-sum.wgsl).
   */
  #autoPipeline(
    label: string,
    moduleLabel: string,
    source: () => ShaderSource,
    entryPoint: string,
    workgroupSize?: number,
  ): GPUComputePipeline {
    const key = workgroupSize === undefined ? label : `${label}.wg${workgroupSize}`;
    let pipeline = this.#pipelines.get(key);
    if (pipeline) return pipeline;
    pipeline = this.device.createComputePipeline({
      label,
      layout: 'auto',
      compute: {
        module: this.#module(moduleLabel, source),
        entryPoint,
        ...(workgroupSize === undefined ? {} : { constants: { WORKGROUP_SIZE: workgroupSize } }),
      },
    });
    this.#pipelines.set(key, pipeline);
    return pipeline;
  }

  /** A fused bias + activation pipeline (shaders/fused.wgsl, fused-mask.wgsl). */
  fusedPipeline(op: OpDefinition, kernel: FusedKernel, workgroupSize: number): GPUComputePipeline {
    return this.#autoPipeline(`${op.name}.f32.${kernel}`, `${op.name}.f32.fused`, () => fusedSource(op), `${kernel}_main`, workgroupSize);
  }

  /** The dead-neuron telemetry pipeline (shaders/telemetry.wgsl), shared by every op. */
  telemetryPipeline(workgroupSize: number): GPUComputePipeline {
    return this.#autoPipeline('telemetry.active_count', 'telemetry', telemetrySource, 'active_count_main', workgroupSize);
  }

  /**
   * A pipeline of the kernels for ops outside the elementwise registry: 'per_channel' (prelu,
   * shaders/per-channel.wgsl), 'grouped' (maxout, shaders/grouped.wgsl).
   */
  opPipeline(
    op: OpFile & { readonly name: string },
    family: 'per_channel' | 'grouped',
    direction: Direction | 'forward_mask' | 'backward_mask',
    workgroupSize: number,
  ): GPUComputePipeline {
    const source = () => (family === 'per_channel' ? perChannelSource(op) : groupedSource(op));
    return this.#autoPipeline(`${op.name}.f32.${direction}`, `${op.name}.f32`, source, `${family}_${direction}_main`, workgroupSize);
  }

  /** An op's f16 elementwise kernel (shaders/elementwise-f16.wgsl). */
  halfPipeline(op: OpDefinition, direction: Direction, workgroupSize: number): GPUComputePipeline {
    return this.#autoPipeline(`${op.name}.f16.${direction}`, `${op.name}.f16`, () => halfSource(op), `${direction}_main`, workgroupSize);
  }

  /** The f16 <-> f32 conversion pipelines (shaders/convert-f16.wgsl). */
  convertPipeline(kernel: 'widen' | 'narrow', workgroupSize: number): GPUComputePipeline {
    return this.#autoPipeline(`convert.${kernel}`, 'convert-f16', convertSource, `${kernel}_main`, workgroupSize);
  }

  /** The deterministic row-sum pipeline (shaders/tree-sum.wgsl), shared by every op. */
  treeSumPipeline(): GPUComputePipeline {
    return this.#autoPipeline('tree_sum', 'tree_sum', treeSumSource, 'tree_sum_main');
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

  /** A bind group for these entries, cached against the output buffer while it lives. */
  bindGroup(layout: LayoutName, entries: readonly GPUBindGroupEntry[], out: GPUBuffer): GPUBindGroup {
    const key = `${layout}|${entries
      .map((e) => {
        const r = e.resource as GPUBufferBinding;
        return `${this.#id(r.buffer)}@${r.offset ?? 0}+${r.size ?? ''}`;
      })
      .join('|')}`;
    let groups = this.#bindGroups.get(out);
    const cached = groups?.get(key);
    if (cached) return cached;
    const group = this.device.createBindGroup({ label: layout, layout: this.layouts[layout], entries });
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
