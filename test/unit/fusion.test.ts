// The text wgslFunctions returns, without a GPU: what it declares, that every name in it is
// under the prefix, that nothing reaches the library's bindings, that the attributes are the
// values asked for, and that bad input is refused as the ops refuse it. The GPU side (the
// snippets compiled into a matmul's epilogue, on every stack) is test/conformance/fusion.ts.
import { describe, expect, it } from 'vitest';
import { InvalidArgumentError, UnknownOpError, opNames, opVariants, wgslFunctions, type OpName } from '../../src/index.js';
import { libraryDeclarations, preamble } from '../../src/gpu/shader-source.js';
import { declarations, identifiers, renameIdentifiers, stripComments } from '../../src/gpu/wgsl-link.js';
import { reciprocal } from '../../src/ops/define.js';
import { getOp } from '../../src/ops/registry.js';
import { specs } from '../conformance/ops.js';
import { expectError } from '../helpers/compare.js';

const ALL: readonly OpName[] = [...opNames, ...(Object.keys(opVariants) as OpName[])];
const SHAPES = [
  { dtype: 'f32', width: 1 },
  { dtype: 'f32', width: 4 },
  { dtype: 'f16', width: 1 },
  { dtype: 'f16', width: 4 },
] as const;

/** Every top-level name the library could contribute, unprefixed: shaders/lib, every op file, the preamble. */
const LIBRARY_NAMES = new Set([
  ...libraryDeclarations().flatMap((d) => d.declares),
  ...opNames.flatMap((op) => declarations({ path: op, text: getOp(op).wgsl }).flatMap((d) => d.declares)),
  ...declarations({ path: '<preamble>', text: preamble(4) }).flatMap((d) => d.declares),
  'forward_f16',
  'backward_f16',
  'round_to_half',
  'attribute',
]);

describe('wgslFunctions: the text', () => {
  for (const op of ALL) {
    for (const { dtype, width } of SHAPES) {
      it(`${op} ${dtype} width ${width}: every name under the prefix, no bindings, the entry points`, () => {
        const fn = wgslFunctions(op, { dtype, width, prefix: 'act' });
        const def = getOp(op);
        const declared = declarations({ path: 'snippet', text: fn.code }).flatMap((d) => d.declares);
        expect(declared.length).toBeGreaterThan(0);
        for (const name of declared) expect(name.startsWith('act_'), name).toBe(true);
        expect(new Set(declared)).toEqual(new Set(fn.declares));
        expect(declared.length, 'no name declared twice').toBe(new Set(declared).size);
        // No library name left unprefixed anywhere in the code (comments are stripped).
        const stray = identifiers(stripComments(fn.code)).filter((id) => LIBRARY_NAMES.has(id));
        expect(stray).toEqual([]);
        // Nothing of the library's kernels: params uniform, bindings, overrides, enables.
        const code = stripComments(fn.code);
        expect(code).not.toMatch(/\bparams\b|@\s*group|@\s*binding|\bvar\s*</);
        expect(code).not.toMatch(/^\s*(override|enable)\b/m);
        const t = width === 4 ? `vec4<${dtype}>` : dtype;
        expect(fn.type).toBe(t);
        expect(fn.enables).toEqual(dtype === 'f16' ? ['f16'] : []);
        expect(fn.forward).toBe('act_forward');
        expect(fn.backward).toBe('act_backward');
        expect(fn.backwardFrom).toBe(def.backwardFrom);
        const params = (text: string) => text.replace(/\s+/g, ' ');
        expect(params(fn.code)).toContain(`fn act_forward(x: ${dtype === 'f16' ? t : 'act_V'}) ->`);
        expect(params(fn.code)).toMatch(
          new RegExp(`fn act_backward\\(\\w+: ${dtype === 'f16' ? t.replace(/[<>]/g, '\\$&') : 'act_V'}, dy:`),
        );
        if (def.mask) {
          expect(fn.mask).toEqual({ keep: 'act_mask_keep', backward: 'act_masked_backward' });
          expect(fn.code).toContain('fn act_mask_keep(');
          expect(fn.code).toContain('fn act_masked_backward(');
        } else {
          expect(fn.mask).toBeUndefined();
          expect(code).not.toContain('mask');
        }
        if (dtype === 'f32') expect(code).not.toContain('f16');
        expect(fn.code.startsWith(`// ${op}`)).toBe(true);
      });
    }
  }

  it('two ops, and one op twice with other attributes, declare no name in common', () => {
    const pieces = [
      wgslFunctions('gelu', { prefix: 'a' }),
      wgslFunctions('gelu', { prefix: 'b', attrs: { approximate: 'tanh' } }),
      wgslFunctions('softplus', { prefix: 'c', attrs: { beta: 2 } }),
      wgslFunctions('mish', { prefix: 'd', width: 4 }),
    ];
    const declared = declarations({ path: 'module', text: pieces.map((p) => p.code).join('\n') }).flatMap((d) => d.declares);
    expect(declared.length).toBe(new Set(declared).size);
    expect(declared.length).toBe(pieces.reduce((n, p) => n + p.declares.length, 0));
  });

  it('bakes the attributes in as their f32 bits (hand-worked), defaults included', () => {
    expect(wgslFunctions('leakyRelu', { prefix: 'p', attrs: { alpha: 0.2 } }).code).toContain('const p_ALPHA_BITS: u32 = 0x3e4ccccdu;');
    expect(wgslFunctions('leakyRelu', { prefix: 'p' }).code).toContain('const p_ALPHA_BITS: u32 = 0x3c23d70au;'); // 0.01
    const clip = wgslFunctions('clip', { prefix: 'p', attrs: { min: -0, max: 6 } }).code;
    expect(clip).toContain('const p_MIN_BITS: u32 = 0x80000000u;');
    expect(clip).toContain('const p_MAX_BITS: u32 = 0x40c00000u;');
    // A subnormal keeps its bits: 1e-40 is 0x000116c2 in f32.
    expect(wgslFunctions('thresholdedRelu', { prefix: 'p', attrs: { theta: 1e-40 } }).code).toContain('0x000116c2u');
    // A named choice is its index: gelu's 'tanh' is 1 (0x3f800000).
    expect(wgslFunctions('gelu', { prefix: 'p', attrs: { approximate: 'tanh' } }).code).toContain(
      'const p_APPROXIMATE_BITS: u32 = 0x3f800000u;',
    );
    // The op code reads them through the snippet's own attribute().
    expect(clip).toMatch(/p_attribute\(p_MIN_BITS\)/);
    expect(wgslFunctions('relu', { prefix: 'p' }).code).not.toContain('BITS');
  });

  it("bakes in the values derived from the attributes, as acts.forward's uniform holds them: 1 / alpha, 1 / beta", () => {
    // 1 / fround(0.3) = 3.33333325..., 0x40555555 in f32; celu's WGSL multiplies by it.
    const celu = wgslFunctions('celu', { prefix: 'p', attrs: { alpha: 0.3 } }).code;
    expect(celu).toContain('const p_ALPHA_BITS: u32 = 0x3e99999au;');
    expect(celu).toContain('const p_ALPHA_RECIPROCAL_BITS: u32 = 0x40555555u;');
    expect(celu).toMatch(/p_attribute\(p_ALPHA_RECIPROCAL_BITS\)/);
    // 1 / 1.5 = 0.6666667 (0x3f2aaaab); softplus's reciprocal takes the slot after threshold.
    expect(wgslFunctions('softplus', { prefix: 'p', attrs: { beta: 1.5 } }).code).toContain(
      'const p_BETA_RECIPROCAL_BITS: u32 = 0x3f2aaaabu;',
    );
    // Where 1 / alpha is not a normal f32 (2^-127 is subnormal) it is 0, and the WGSL divides.
    expect(wgslFunctions('celu', { prefix: 'p', attrs: { alpha: 2 ** 127 } }).code).toContain(
      'const p_ALPHA_RECIPROCAL_BITS: u32 = 0x00000000u;',
    );
    expect(reciprocal(2 ** 126)).toBe(2 ** -126);
    expect(reciprocal(-(2 ** -126))).toBe(-(2 ** 126));
    expect(reciprocal(1e-40)).toBe(0);
    expect(reciprocal(2 ** -127)).toBe(0);
  });

  it("defaults: f32, scalar, the prefix from the op's name in snake case", () => {
    const fn = wgslFunctions('leakyRelu');
    expect(fn.forward).toBe('leaky_relu_forward');
    expect(fn.type).toBe('f32');
    expect(wgslFunctions('clip').forward).toBe('clip_forward');
    expect(wgslFunctions('sigmoid').backwardFrom).toBe('y');
  });
});

describe('wgslFunctions: bad input', () => {
  it('refuses unknown ops and ops of other kinds, naming op', async () => {
    await expectError(() => wgslFunctions('rleu' as OpName), UnknownOpError, 'op');
    await expectError(() => wgslFunctions(7 as unknown as OpName), UnknownOpError, 'op');
    await expectError(() => wgslFunctions('prelu' as OpName), InvalidArgumentError, 'op');
    await expectError(() => wgslFunctions('maxout' as OpName), InvalidArgumentError, 'op');
  });

  it('refuses a prefix that is not an ASCII WGSL identifier starting with a letter', async () => {
    for (const prefix of ['', '1a', 'a-b', '_a', '__a', 'a b', 'é', 'a.b', 42, null]) {
      await expectError(() => wgslFunctions('relu', { prefix: prefix as string }), InvalidArgumentError, 'options.prefix');
    }
    for (const prefix of ['a', 'A1_b', 'fn', 'relu_2']) expect(wgslFunctions('relu', { prefix }).forward).toBe(`${prefix}_forward`);
  });

  it('refuses bad options, naming them', async () => {
    await expectError(() => wgslFunctions('relu', { dtype: 'f64' as 'f32' }), InvalidArgumentError, 'options.dtype');
    await expectError(() => wgslFunctions('relu', { width: 2 as 1 }), InvalidArgumentError, 'options.width');
    await expectError(() => wgslFunctions('relu', { widht: 4 } as never), InvalidArgumentError, 'options.widht');
    await expectError(() => wgslFunctions('relu', 'f16' as never), InvalidArgumentError, 'options');
  });

  it("refuses every op's bad attributes as acts.forward does (the op specs' lists, NaN, Infinity, unknown names)", async () => {
    let tried = 0;
    for (const spec of specs) {
      const attrs = getOp(spec.op).attrs as Readonly<Record<string, { readonly infinite?: boolean }>>;
      const names = Object.keys(attrs);
      const bad = [
        ...(spec.badAttrs ?? []),
        { attrs: { notAnAttribute: 1 }, argument: 'attrs.notAnAttribute' },
        ...names.flatMap((n) => [
          { attrs: { [n]: Number.NaN }, argument: `attrs.${n}` },
          // clamp's and clip's bounds take infinities (WebNN's and ONNX's defaults); no other attribute does.
          ...(attrs[n]!.infinite ? [] : [{ attrs: { [n]: Infinity }, argument: `attrs.${n}` }]),
        ]),
      ];
      for (const c of bad) {
        await expectError(() => wgslFunctions(spec.op, { attrs: c.attrs as never }), InvalidArgumentError, c.argument);
        tried++;
      }
    }
    expect(tried).toBeGreaterThan(50);
  });
});

describe('renameIdentifiers', () => {
  it('renames identifiers, not text: substrings, members, struct members, numbers and attributes stay', () => {
    const code = [
      'struct Pair { hi: V, exp: V, }',
      'fn exp(x: V) -> Pair { let exp_x = accurate_exp(x) * 1e-5; return Pair(exp_x, x.exp); }',
      '@must_use fn f(p: Pair) -> V { return exp(p.hi).exp; }',
    ].join('\n');
    const names = new Map([
      ['exp', 'q_exp'],
      ['Pair', 'q_Pair'],
      ['V', 'q_V'],
      ['f', 'q_f'],
      ['e', 'q_e'],
      ['must_use', 'q_must_use'],
    ]);
    const { code: out, unchanged } = renameIdentifiers(code, names);
    expect(out).toBe(
      [
        'struct q_Pair { hi: q_V, exp: q_V, }',
        'fn q_exp(x: q_V) -> q_Pair { let exp_x = accurate_exp(x) * 1e-5; return q_Pair(exp_x, x.exp); }',
        '@must_use fn q_f(p: q_Pair) -> q_V { return q_exp(p.hi).exp; }',
      ].join('\n'),
    );
    expect([...unchanged].sort()).toEqual(['accurate_exp', 'exp_x', 'fn', 'let', 'p', 'return', 'struct', 'x']);
  });
});
