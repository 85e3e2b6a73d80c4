// The WGSL text of a fusion snippet (src/fusion.ts): an op's forward and backward, and every
// declaration they reach, renamed under a prefix so that they can be pasted into any module.
//
// Built from the same pieces as the library's own kernels (shader-source.ts): the preamble's
// aliases, the op's .wgsl file and the shared helpers of shaders/lib, linked from the entry points
// by wgsl-link.ts so that only what is used comes along. Two things change on the way:
// - the attributes: the op file reads them from the library's params uniform
//   (`params.attrs.x` .. `.w`); here each becomes a module-scope `const` holding its f32 bits,
//   read through shaders/fusion-attrs.wgsl (which says why bits, and why a call);
// - the names: every top-level name of the kept declarations (functions, structs, constants,
//   aliases) becomes `<prefix>_<name>`, by renameIdentifiers (identifiers, not text).
// Nothing in the result refers to params, bindings or overrides; fusionSource checks that.
import fusionHalf from '../../shaders/fusion-f16.wgsl?raw';
import fusionHalfVec4 from '../../shaders/fusion-f16-vec4.wgsl?raw';
import fusionAttrs from '../../shaders/fusion-attrs.wgsl?raw';
import { InvalidArgumentError } from '../errors.js';
import { slotValues, type OpDefinition } from '../ops/define.js';
import { libraryDeclarations, preamble } from './shader-source.js';
import { declarations, link, renameIdentifiers, stripComments, type WgslDeclaration } from './wgsl-link.js';

/** What to build: an op with its attribute values resolved (slot order, f32), and how. */
export interface FusionRequest {
  readonly op: OpDefinition;
  /** The attribute values in slot order, already f32 (resolveAttrs). */
  readonly values: readonly number[];
  readonly dtype: 'f32' | 'f16';
  readonly width: 1 | 4;
  readonly prefix: string;
}

/** The text and what it declares. */
export interface FusionText {
  readonly code: string;
  /** Every top-level name the text declares, each starting with `<prefix>_`. */
  readonly declares: readonly string[];
}

const SLOTS = ['x', 'y', 'z', 'w'] as const;

/** `alpha` -> `ALPHA_BITS`, `minValue` -> `MIN_VALUE_BITS`: an attribute's constant, before the prefix. */
export function attributeConstant(name: string): string {
  return `${name.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toUpperCase()}_BITS`;
}

const bits = new Float32Array(1);
const word = new Uint32Array(bits.buffer);

/** The bits of an f32 value as a WGSL u32 literal, e.g. `0x3c23d70au` for 0.01. */
export function f32Bits(value: number): string {
  bits[0] = value;
  return `0x${word[0]!.toString(16).padStart(8, '0')}u`;
}

/** The op's file with `params.attrs.<slot>` read as the attribute's constant (still unprefixed). */
function withConstants(op: OpDefinition): string {
  const names = [...Object.keys(op.attrs), ...Object.keys(op.derived ?? {})];
  const code = stripComments(op.wgsl);
  return code.replace(/(?<![\p{ID_Continue}])(?<!\.\s*)params\s*\.\s*attrs\s*\.\s*([xyzw])(?![\p{ID_Continue}])/gu, (_, slot: string) => {
    const name = names[SLOTS.indexOf(slot as (typeof SLOTS)[number])];
    if (name === undefined)
      throw new Error(`${op.wgslPath} reads params.attrs.${slot}, beyond its ${names.length} attributes and derived values`);
    return `attribute(${attributeConstant(name)})`;
  });
}

/** The attribute constants, one declaration each, with the value as the caller gave it in a comment. */
function constants(op: OpDefinition, values: readonly number[]): string {
  const slots = slotValues(op, values);
  const attributes = Object.entries(op.attrs).map(([name, spec], i) => {
    const value = slots[i]!;
    const shown = 'choices' in spec ? `'${spec.choices[value]}'` : Object.is(value, -0) ? '-0' : String(value);
    return `const ${attributeConstant(name)}: u32 = ${f32Bits(value)}; // ${name} = ${shown}\n`;
  });
  const derived = Object.keys(op.derived ?? {}).map((name, i) => {
    const value = slots[attributes.length + i]!;
    return `const ${attributeConstant(name)}: u32 = ${f32Bits(value)}; // ${name} = ${value}, from the attributes\n`;
  });
  return [...attributes, ...derived].join('');
}

/** The snippet's text. Throws an InvalidArgumentError naming options.prefix where it would clash. */
export function fusionSource(request: FusionRequest): FusionText {
  const { op, values, dtype, width, prefix } = request;
  const half = dtype === 'f16';
  const own = [
    { path: '<constants>', text: constants(op, values) },
    { path: 'shaders/fusion-attrs.wgsl', text: fusionAttrs },
    { path: '<preamble>', text: preamble(width) },
    { path: op.wgslPath, text: withConstants(op) },
    ...(half
      ? [
          {
            path: width === 4 ? 'shaders/fusion-f16-vec4.wgsl' : 'shaders/fusion-f16.wgsl',
            text: width === 4 ? fusionHalfVec4 : fusionHalf,
          },
        ]
      : []),
  ];
  const pool: WgslDeclaration[] = [...own.flatMap(declarations), ...libraryDeclarations()];
  const entries = ['forward', 'backward', ...(op.mask ? ['mask_keep', 'masked_backward'] : [])];
  const roots = half ? entries.map((e) => `${e}_f16`) : entries;
  const kept = link(pool, [{ path: '<entry points>', text: roots.join(' ') }]);

  const names = new Map<string, string>();
  for (const d of kept) {
    if (d.declares.length === 0) throw new Error(`a fusion snippet cannot take ${d.path}:${d.fileLine}, which declares no name`);
    for (const name of d.declares) names.set(name, `${prefix}_${name}`);
  }
  if (half) {
    for (const e of entries) {
      names.set(e, `${prefix}_${e}_f32`);
      names.set(`${e}_f16`, `${prefix}_${e}`);
    }
  }
  const parts = kept.map((d) => {
    // Comments go (the names in them would not be renamed), and the blank lines they leave.
    const code = stripComments(d.text)
      .split('\n')
      .filter((line) => line.trim() !== '')
      .join('\n');
    const binds = /^(?:@[^\n]*?\s)?\s*(?:var|override)\b/.test(code) || /@\s*(?:group|binding)\b/.test(code);
    if (binds || /(?<![\p{ID_Continue}])(?<!\.\s*)params(?![\p{ID_Continue}])/u.test(code)) {
      throw new Error(`a fusion snippet cannot take ${d.path}:${d.fileLine}: it needs the library's bindings or pipeline constants`);
    }
    return renameIdentifiers(code, names);
  });
  // A name left as it was (a local, a builtin) that equals a new name would be captured by it.
  const created = new Set(names.values());
  const clash = parts.flatMap((p) => [...p.unchanged]).find((n) => created.has(n));
  if (clash !== undefined) {
    throw new InvalidArgumentError(
      'options.prefix',
      `a prefix whose names do not meet the names in ${op.name}'s code (${clash})`,
      `'${prefix}'`,
    );
  }
  const declares = kept.flatMap((d) => d.declares.map((n) => names.get(n)!));
  // One-line declarations (constants, aliases) together, a blank line around the others.
  const code = parts.map((p, i) => (i > 0 && (p.code.includes('\n') || parts[i - 1]!.code.includes('\n')) ? `\n${p.code}` : p.code));
  return { code: `${code.join('\n')}\n`, declares };
}
