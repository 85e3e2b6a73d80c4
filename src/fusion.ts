// WGSL to fuse an activation into the caller's own kernels (a matmul's or a convolution's
// epilogue): pure text, no instance or device needed. The text is assembled by
// src/gpu/fusion-source.ts from the op's own .wgsl file and shaders/lib, so it computes what the
// library's kernels compute.
import { InvalidArgumentError, describe } from './errors.js';
import { fusionSource } from './gpu/fusion-source.js';
import { resolveAttrs } from './ops/define.js';
import { getOp, type OpAttrs, type OpName } from './ops/registry.js';
import { optionsObject } from './options.js';

/** How {@link wgslFunctions} should write an op's functions. */
export interface WgslFunctionsOptions<N extends OpName = OpName> {
  /** The op's attributes, validated as `acts.forward` validates them and baked in as constants. */
  readonly attrs?: OpAttrs<N>;
  /**
   * The type the functions take and return: `'f32'` (the default) or `'f16'`, which needs
   * `enable f16;` at the top of your module and a device with the `'shader-f16'` feature. f16
   * functions compute in f32 and round once to the nearest half, as the library's f16 tensors.
   */
  readonly dtype?: 'f32' | 'f16';
  /** 1 (the default) for scalar functions, 4 for `vec4` ones. */
  readonly width?: 1 | 4;
  /**
   * What every name the text declares starts with, then `_`: `gelu_forward` for `'gelu'`.
   * ASCII letters, digits and `_`, starting with a letter. Default: the op's name in snake case
   * (`leaky_relu` for leakyRelu). Give each snippet of one module its own.
   */
  readonly prefix?: string;
}

/** The WGSL text {@link wgslFunctions} returns, and how to call it. */
export interface WgslFunctions {
  /** The declarations to paste into your module (anywhere at module scope: WGSL needs no order). */
  readonly code: string;
  /** `fn <prefix>_forward(x: T) -> T`: y = op(x). */
  readonly forward: string;
  /**
   * `fn <prefix>_backward(saved: T, dy: T) -> T`: dx from dy and `saved`, which is the input x,
   * or the output y where {@link WgslFunctions.backwardFrom} is `'y'` (sigmoid, tanh).
   */
  readonly backward: string;
  /** What `backward` reads besides dy: `'x'` (most ops) or `'y'`. */
  readonly backwardFrom: 'x' | 'y';
  /**
   * For ops whose gradient needs one bit per element (relu, leakyRelu, relu6, hardtanh,
   * thresholdedRelu): `fn <prefix>_mask_keep(x: T) -> bool` (or `vec4<bool>`) and
   * `fn <prefix>_masked_backward(keep, dy: T) -> T`, equal to backward(x, dy) bit for bit.
   */
  readonly mask?: {
    /** `<prefix>_mask_keep`: the bit to keep for x. */
    readonly keep: string;
    /** `<prefix>_masked_backward`: dx from the kept bit and dy. */
    readonly backward: string;
  };
  /** T: `f32`, `vec4<f32>`, `f16` or `vec4<f16>`. */
  readonly type: string;
  /** The extensions your module must enable (`['f16']` for f16: `enable f16;` at its top). */
  readonly enables: readonly string[];
  /** Every name the text declares at module scope, each starting with `<prefix>_`. */
  readonly declares: readonly string[];
}

const KEYS = ['attrs', 'dtype', 'width', 'prefix'] as const;
const PREFIX = /^[A-Za-z][A-Za-z0-9_]*$/;

/**
 * WGSL functions computing an elementwise op and its gradient, to call from your own shader:
 * `<prefix>_forward(x)` and `<prefix>_backward(saved, dy)`, with the attributes as constants and
 * every helper they use, all named under the prefix, so that several ops, or one op with other
 * attributes, live in one module. They run the library's own op code, so they compute what
 * `acts.forward` and `acts.backward` compute on the same device, bit for bit (for f16, up to NaN
 * payloads: docs/fusion.md). No op divides by an attribute, so a compiler's folding of a constant
 * divisor cannot change a rounding (celu and softplus multiply by a reciprocal the host computes). Nothing in the text uses bindings, a uniform or an override.
 * Aliases (`clip`) are accepted; prelu and maxout are not elementwise ops and are refused.
 *
 * @example
 * const gelu = wgslFunctions('gelu', { attrs: { approximate: 'tanh' }, width: 4, prefix: 'act' });
 * const code = `${gelu.code}
 * @group(0) @binding(0) var<storage, read_write> data: array<vec4<f32>>;
 * @compute @workgroup_size(64) fn main(@builtin(global_invocation_id) id: vec3<u32>) {
 *   if (id.x < arrayLength(&data)) { data[id.x] = ${gelu.forward}(data[id.x]); }
 * }`;
 */
export function wgslFunctions<N extends OpName>(op: N, options?: WgslFunctionsOptions<N>): WgslFunctions {
  const def = getOp(op);
  const given = optionsObject(options, 'options', KEYS);
  const values = resolveAttrs(def, given.attrs);
  const dtype = given.dtype === undefined ? 'f32' : given.dtype;
  if (dtype !== 'f32' && dtype !== 'f16') throw new InvalidArgumentError('options.dtype', "'f32' or 'f16'", describe(dtype));
  const width = given.width === undefined ? 1 : given.width;
  if (width !== 1 && width !== 4) throw new InvalidArgumentError('options.width', '1 or 4', describe(width));
  const prefix = given.prefix !== undefined ? given.prefix : (op as string).replace(/([a-z0-9])([A-Z])/g, '$1_$2').toLowerCase();
  if (typeof prefix !== 'string' || !PREFIX.test(prefix)) {
    throw new InvalidArgumentError(
      'options.prefix',
      'a WGSL identifier of ASCII letters, digits and _, starting with a letter',
      describe(prefix),
    );
  }
  const { code, declares } = fusionSource({ op: def, values, dtype, width, prefix });
  const scalar = dtype === 'f16' ? 'f16' : 'f32';
  const type = width === 4 ? `vec4<${scalar}>` : scalar;
  const attrs = Object.keys(def.attrs).map((name, i) => {
    const spec = def.attrs[name]!;
    return `${name}: ${'choices' in spec ? `'${spec.choices[values[i]!]}'` : Object.is(values[i], -0) ? '-0' : String(values[i])}`;
  });
  const saved = def.backwardFrom === 'y' ? 'y, the output' : 'x, the input';
  const header = [
    `// ${String(op)}${attrs.length ? ` { ${attrs.join(', ')} }` : ''} as WGSL functions on ${type}, from webgpu-activations' wgslFunctions.`,
    `// ${prefix}_forward(x) gives y; ${prefix}_backward(saved, dy) gives dx, saved being ${saved}.`,
    ...(dtype === 'f16' ? ['// Needs `enable f16;` at the top of the module. Computes in f32, rounded once to f16.'] : []),
    `// Every name declared here starts with ${prefix}_.`,
    '',
  ].join('\n');
  return {
    code: header + code,
    forward: `${prefix}_forward`,
    backward: `${prefix}_backward`,
    backwardFrom: def.backwardFrom,
    ...(def.mask ? { mask: { keep: `${prefix}_mask_keep`, backward: `${prefix}_masked_backward` } } : {}),
    type,
    enables: dtype === 'f16' ? ['f16'] : [],
    declares,
  };
}
