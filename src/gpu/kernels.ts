// The kernel table: every compute kernel the GPU backend runs, by family, with the WGSL it is
// built from, its entry point, the operands it binds and how many items one invocation covers.
// The device cache's one pipeline factory and the backend's one dispatch read this table; no
// kernel is described anywhere else.
import type { AnyOp, ElementwiseOp, GatedOp } from '../ops/define.js';
import {
  convertSource,
  elementwiseSource,
  fusedSource,
  gatedSource,
  groupedSource,
  halfSource,
  maskedSource,
  perChannelSource,
  softmaxSource,
  telemetrySource,
  treeSumSource,
  type OpFile,
  type ShaderSource,
} from './shader-source.js';

/**
 * The one binding layout every skeleton shares: the same number is the same operand in every
 * .wgsl file (shaders/lib/params.wgsl declares binding 0).
 */
export const BINDING = {
  /** The Params uniform: count, offsets, attributes. */
  params: 0,
  /** The input: x, or what backward reads besides dy (x or y), or the values summed. */
  input: 1,
  /** The output gradient dy. */
  dy: 2,
  /** The output: y, dx, converted values, sums, counts. */
  out: 3,
  /** A 1-bit mask (bit j of word w: element 32w + j). */
  mask: 4,
  /** The family's own uniform: a shape, a broadcast, a grouping. */
  shape: 5,
  /** A tensor parameter broadcast over x: the bias, PReLU's slopes. */
  param: 6,
  /** A second output: the kept z = x + b, a parameter's gradient terms. */
  aux: 7,
} as const;

export type BindingName = keyof typeof BINDING;

/** How a binding is declared in the WGSL (explicit layouts are made from this). */
export const BINDING_TYPE: Record<BindingName, GPUBufferBindingType> = {
  params: 'uniform',
  input: 'read-only-storage',
  dy: 'read-only-storage',
  out: 'storage',
  mask: 'storage',
  shape: 'uniform',
  param: 'read-only-storage',
  aux: 'storage',
};

/** One kernel of the table. */
export interface KernelSpec {
  /** The WGSL module it lives in (see sourceOf). */
  readonly module: ModuleKind;
  readonly entryPoint: string;
  /** What it binds, by name (numbers from BINDING). */
  readonly bindings: readonly BindingName[];
  /** Items (elements, vec4s, words) one invocation covers: the grid is ceil(items / perInvocation) invocations. */
  readonly perInvocation: number;
  /**
   * 'explicit': its bind group layout is made from `bindings` (the elementwise and mask kernels,
   * whose bind groups are cached and so must not depend on a pipeline); else WebGPU's 'auto'.
   */
  readonly layout?: 'explicit';
  /** A workgroup size the WGSL fixes itself; otherwise the tuned one, set through an override. */
  readonly workgroupSize?: number;
}

/** The modules kernels are built from. */
export type ModuleKind =
  'elementwise' | 'f16' | 'masked' | 'fused' | 'per_channel' | 'grouped' | 'gated' | 'softmax' | 'convert' | 'tree_sum' | 'telemetry';

const kernel = (
  module: ModuleKind,
  entryPoint: string,
  bindings: readonly BindingName[],
  perInvocation = 1,
  extra: Partial<KernelSpec> = {},
): KernelSpec => ({ module, entryPoint, bindings, perInvocation, ...extra });

/** Every kernel, by name. */
export const KERNELS = {
  // shaders/elementwise.wgsl: one V (an element, or a vec4 of them) per invocation, planned by plan.ts.
  forward: kernel('elementwise', 'forward_main', ['params', 'input', 'out'], 1, { layout: 'explicit' }),
  backward: kernel('elementwise', 'backward_main', ['params', 'input', 'dy', 'out'], 1, { layout: 'explicit' }),
  forward_inplace: kernel('elementwise', 'forward_inplace_main', ['params', 'out'], 1, { layout: 'explicit' }),
  backward_inplace: kernel('elementwise', 'backward_inplace_main', ['params', 'input', 'out'], 1, { layout: 'explicit' }),
  // An input in the output's buffer, apart from the output's range: read through the out binding.
  backward_x_out: kernel('elementwise', 'backward_x_out_main', ['params', 'dy', 'out'], 1, { layout: 'explicit' }),
  backward_all_out: kernel('elementwise', 'backward_all_out_main', ['params', 'out'], 1, { layout: 'explicit' }),
  // shaders/elementwise-f16.wgsl: 4 halves (a vec2<u32>) per invocation.
  f16_forward: kernel('f16', 'forward_main', ['params', 'input', 'out'], 4),
  f16_backward: kernel('f16', 'backward_main', ['params', 'input', 'dy', 'out'], 4),
  // shaders/masked.wgsl: forward packs one mask word (32 elements), backward one vec4.
  forward_mask: kernel('masked', 'forward_mask_main', ['params', 'input', 'out', 'mask'], 32, { layout: 'explicit' }),
  backward_mask: kernel('masked', 'backward_mask_main', ['params', 'dy', 'out', 'mask'], 4, { layout: 'explicit' }),
  // shaders/fused.wgsl and fused-mask.wgsl: one element, or one mask word, per invocation.
  fused_forward: kernel('fused', 'fused_forward_main', ['params', 'input', 'out', 'shape', 'param', 'aux']),
  fused_forward_y: kernel('fused', 'fused_forward_y_main', ['params', 'input', 'out', 'shape', 'param']),
  fused_forward_mask: kernel('fused', 'fused_forward_mask_main', ['params', 'input', 'out', 'mask', 'shape', 'param'], 32),
  // shaders/per-channel.wgsl: one element, or one mask word, per invocation.
  per_channel_forward: kernel('per_channel', 'per_channel_forward_main', ['params', 'input', 'out', 'shape', 'param']),
  per_channel_backward: kernel('per_channel', 'per_channel_backward_main', ['params', 'input', 'dy', 'out', 'shape', 'param', 'aux']),
  per_channel_forward_mask: kernel(
    'per_channel',
    'per_channel_forward_mask_main',
    ['params', 'input', 'out', 'mask', 'shape', 'param'],
    32,
  ),
  per_channel_backward_mask: kernel('per_channel', 'per_channel_backward_mask_main', ['params', 'dy', 'out', 'mask', 'shape', 'param']),
  // shaders/grouped.wgsl: one output element (a whole group) per invocation.
  grouped_forward: kernel('grouped', 'grouped_forward_main', ['input', 'out', 'shape']),
  grouped_backward: kernel('grouped', 'grouped_backward_main', ['input', 'dy', 'out', 'shape']),
  // shaders/gated.wgsl: one output element (its a and b) per invocation.
  gated_forward: kernel('gated', 'gated_forward_main', ['params', 'input', 'out', 'shape']),
  gated_backward: kernel('gated', 'gated_backward_main', ['params', 'input', 'dy', 'out', 'shape']),
  // shaders/softmax.wgsl: one workgroup of 64 lanes per row.
  softmax_forward: kernel('softmax', 'softmax_forward_main', ['input', 'out', 'shape'], 1, { workgroupSize: 64 }),
  softmax_backward: kernel('softmax', 'softmax_backward_main', ['input', 'dy', 'out', 'shape'], 1, { workgroupSize: 64 }),
  // shaders/convert-f16.wgsl: one word (2 halves) per invocation.
  widen: kernel('convert', 'widen_main', ['params', 'input', 'out'], 2),
  narrow: kernel('convert', 'narrow_main', ['params', 'input', 'out'], 2),
  // shaders/tree-sum.wgsl: one workgroup of 64 lanes per block of 128 values.
  tree_sum: kernel('tree_sum', 'tree_sum_main', ['input', 'out', 'shape'], 2, { workgroupSize: 64 }),
  // shaders/telemetry.wgsl: one unit per invocation.
  active_count: kernel('telemetry', 'active_count_main', ['out', 'mask', 'shape']),
} as const satisfies Record<string, KernelSpec>;

export type KernelName = keyof typeof KERNELS;

/**
 * The elementwise kernel for operands [input, out] or [input, dy, out], given which of them lie
 * in the output's buffer (the last always does): those are read through the output's binding.
 */
export function elementwiseKernel(inOut: readonly boolean[]): KernelName {
  if (inOut.length === 2) return inOut[0] ? 'forward_inplace' : 'forward';
  if (inOut[0]) return inOut[1] ? 'backward_all_out' : 'backward_x_out';
  return inOut[1] ? 'backward_inplace' : 'backward';
}

/**
 * The kernels an op's forward and backward run (what acts.warmup compiles): for an elementwise op
 * both widths (the plan runs vec4 over aligned spans and scalar tails) and, with `layers`, where
 * the op has a 1-bit mask, the training layer's mask kernels; f16's kernels when asked; for the
 * other kinds their own kernels (PReLU's gradient also sums with tree_sum).
 */
export function kernelsOf(op: AnyOp, f16: boolean, layers: boolean): { readonly name: KernelName; readonly width: 1 | 4 }[] {
  const at = (width: 1 | 4, ...names: KernelName[]) => names.map((name) => ({ name, width }));
  switch (op.kind) {
    case 'elementwise':
      return [
        ...at(4, 'forward', 'backward'),
        ...at(1, 'forward', 'backward'),
        ...(layers && op.mask ? at(4, 'forward_mask', 'backward_mask') : []),
        ...(f16 ? at(4, 'f16_forward', 'f16_backward') : []),
      ];
    case 'per-channel':
      return [...at(1, 'per_channel_forward', 'per_channel_backward', 'tree_sum'), ...(f16 ? at(1, 'widen', 'narrow') : [])];
    case 'grouped':
      return [...at(1, 'grouped_forward', 'grouped_backward'), ...(f16 ? at(1, 'widen', 'narrow') : [])];
    case 'gated':
      return [...at(1, 'gated_forward', 'gated_backward'), ...(f16 ? at(1, 'widen', 'narrow') : [])];
    case 'softmax':
      return [...at(1, 'softmax_forward', 'softmax_backward'), ...(f16 ? at(1, 'widen', 'narrow') : [])];
  }
}

/** Whether a kernel's module holds an op's WGSL (the conversions, sums and telemetry hold none). */
export function hasOp(name: KernelName): boolean {
  const module = KERNELS[name].module;
  return module !== 'convert' && module !== 'tree_sum' && module !== 'telemetry';
}

/** The WGSL of a module: the op's file (when the module has one) between the preamble and the skeleton. */
export function sourceOf(module: ModuleKind, op: AnyOp | undefined, width: 1 | 4): ShaderSource {
  switch (module) {
    case 'elementwise':
      return elementwiseSource(op as ElementwiseOp, width);
    case 'f16':
      return halfSource(op as ElementwiseOp);
    case 'masked':
      return maskedSource(op as ElementwiseOp);
    case 'fused':
      return fusedSource(op as ElementwiseOp);
    case 'per_channel':
      return perChannelSource(op as OpFile);
    case 'grouped':
      return groupedSource(op as OpFile);
    case 'gated':
      return gatedSource(op as GatedOp);
    case 'softmax':
      return softmaxSource(op as OpFile);
    case 'convert':
      return convertSource();
    case 'tree_sum':
      return treeSumSource();
    case 'telemetry':
      return telemetrySource();
  }
}

/** The vector width a module is built at: the elementwise one at the plan's, vec4 for f16 and masks, else scalar. */
export function widthOf(module: ModuleKind, planned: 1 | 4): 1 | 4 {
  return module === 'elementwise' ? planned : module === 'f16' || module === 'masked' ? 4 : 1;
}
