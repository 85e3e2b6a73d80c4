import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { elementwiseSource, locate, treeSumSource, type ShaderSource } from '../../src/gpu/shader-source.js';
import { declarations, link, parseLibrary, stripComments, type WgslFile } from '../../src/gpu/wgsl-link.js';
import { getOp, opNames } from '../../src/ops/registry.js';

const root = resolve(import.meta.dirname, '../..');
const fileText = (path: string) => readFileSync(resolve(root, path), 'utf8');

/** The library functions a module's code declares. */
const functions = (source: ShaderSource) => [...source.code.matchAll(/^fn ([a-z0-9_]+)/gm)].map((m) => m[1]);

/** The names kept when linking `own` against `files`. */
const kept = (files: WgslFile[], own: string) => link(parseLibrary(files), [{ path: 'own.wgsl', text: own }]).flatMap((d) => d.declares);

const lib: WgslFile = {
  path: 'lib/a.wgsl',
  text: [
    '// File header: not attached to anything (a blank line follows).',
    '',
    '// c, the leaf.',
    'fn c(x: f32) -> f32 {',
    '  return x;',
    '}',
    '',
    '// b calls c.',
    'fn b(x: f32) -> f32 {',
    '  return c(x) + 1.0;',
    '}',
    '',
    'struct Pair {',
    '  hi: f32,',
    '  lo: f32,',
    '};',
    '',
    '// a returns a Pair and calls b; mentions d() only here, in a comment.',
    'fn a(x: f32) -> Pair {',
    '  return Pair(b(x), 0.0); // not d(x)',
    '}',
    '',
    'fn d(x: f32) -> f32 { return x; }',
    'const E: f32 = 2.0; const F: f32 = E * 2.0;',
    '@group(0) @binding(0) var<uniform> params: Pair;',
    'override SIZE: u32 = 64u;',
    '',
  ].join('\n'),
};

describe('stripComments', () => {
  it('drops // and nested /* */ comments, keeping lines and the columns of code', () => {
    const text = 'let a = 1; // one\n/* two /* nested */\nstill */ let b = 2;\n// three\n';
    const stripped = stripComments(text);
    expect(stripped.split('\n')).toHaveLength(text.split('\n').length);
    expect(stripped).not.toMatch(/one|two|nested|still|three/);
    const [first, , third] = stripped.split('\n');
    expect(first).toBe('let a = 1;');
    expect(third!.indexOf('let b')).toBe(text.split('\n')[2]!.indexOf('let b'));
  });
});

describe('declarations', () => {
  it('splits a file into declarations with their names, leading comments and lines', () => {
    const found = declarations(lib);
    expect(found.map((d) => d.declares)).toEqual([['c'], ['b'], ['Pair'], ['a'], ['d'], ['E', 'F'], ['params'], ['SIZE']]);
    const lines = lib.text.split('\n');
    // Each starts at its comment block (or its first line), and the text is those lines.
    for (const d of found) {
      expect(d.text).toBe(`${lines.slice(d.fileLine - 1, d.fileLine - 1 + d.text.split('\n').length - 1).join('\n')}\n`);
    }
    expect(found[0]!.fileLine).toBe(3);
    expect(found[3]!.text.startsWith('// a returns a Pair')).toBe(true);
    // The struct's trailing `;` stays with it; the var's attributes belong to it.
    expect(found[2]!.text.trimEnd().endsWith('};')).toBe(true);
    expect(found[6]!.uses).toEqual(expect.arrayContaining(['params', 'Pair']));
  });

  it('reads the names of the real library, attributes and all', () => {
    const params = declarations({ path: 'shaders/lib/params.wgsl', text: fileText('shaders/lib/params.wgsl') });
    expect(params.flatMap((d) => d.declares)).toEqual(['Params', 'params', 'WORKGROUP_SIZE', 'Invocation', 'flat_index']);
  });
});

describe('link', () => {
  it('keeps what is used, transitively, in library order', () => {
    expect(kept([lib], 'fn main() { let p = a(1.0); }')).toEqual(['c', 'b', 'Pair', 'a']);
    // The order is the library's, whatever order the module names things in.
    expect(kept([lib], 'fn main() { let s = SIZE; let x = c(1.0); let y = b(x); }')).toEqual(['c', 'b', 'SIZE']);
    // F needs E, which shares its line: one unit.
    expect(kept([lib], 'fn main() { let f = F; }')).toEqual(['E', 'F']);
    expect(kept([lib], 'fn main() { let q = params.hi; }')).toEqual(['Pair', 'params']);
  });

  it('is not fooled by comments or member names', () => {
    // d is named in a's comment and in the module's comments; hi and lo only after a `.`.
    expect(kept([lib], '// calls d(x) and c(x)\nfn main() { let p = a(1.0); /* d */ }')).not.toContain('d');
    expect(kept([lib], 'fn main(p: Q) -> f32 { return p.c + p.d; }')).toEqual([]);
  });

  it('keeps declarations in other files and what they use', () => {
    const other: WgslFile = { path: 'lib/b.wgsl', text: 'fn g(x: f32) -> f32 {\n  return d(x) * E;\n}\n' };
    expect(kept([lib, other], 'fn main() { let y = g(1.0); }')).toEqual(['d', 'E', 'F', 'g']);
  });

  it('always keeps what it cannot name', () => {
    const odd: WgslFile = { path: 'lib/c.wgsl', text: 'const_assert 1 < 2;\nfn h() {\n' };
    expect(link(parseLibrary([odd]), []).map((d) => d.fileLine)).toEqual([1, 2]);
  });
});

describe('linked modules', () => {
  const relu = elementwiseSource(getOp('relu'), 4);
  const gelu = elementwiseSource(getOp('gelu'), 4);

  it("relu's module compiles no erf and no exp", () => {
    expect(relu.parts.map((p) => p.path)).not.toContain('shaders/lib/erf.wgsl');
    expect(relu.parts.map((p) => p.path)).not.toContain('shaders/lib/exp.wgsl');
    expect(relu.code).not.toMatch(/accurate_|erf_lib_|exp_lib_|exact_mul/);
    expect(functions(relu).filter((f) => !f!.endsWith('_main'))).toEqual([
      'flat_index',
      'relu_keep',
      'forward',
      'backward',
      'mask_keep',
      'masked_backward',
    ]);
    expect(relu.code).toMatch(/^override WORKGROUP_SIZE/m);
  });

  it("gelu's module has what gelu uses, and not the rest", () => {
    const names = functions(gelu);
    for (const f of ['erf_lib_mills', 'erf_lib_exp_scaled', 'erf_lib_pow2', 'accurate_exp2k', 'accurate_mul2_exp', 'exp_lib_unpack']) {
      expect(names).toContain(f);
    }
    for (const f of ['exact_mul', 'exact_mul_bits', 'exact_significand', 'is_nan_bits', 'ordered_key', 'select_bits']) {
      expect(names).toContain(f);
    }
    for (const f of ['accurate_erf', 'accurate_erfc', 'accurate_log1p', 'accurate_tanh', 'accurate_sigmoid', 'exact_clamp']) {
      expect(names).not.toContain(f);
    }
    expect(gelu.code).toMatch(/^struct ErfLibSquare/m);
    expect(gelu.code).toMatch(/^const EXP_LIB_LOG2E/m);
  });

  it('keeps the library order and sends no comments', () => {
    const files = ['bits', 'erf', 'exact', 'exp', 'half', 'params'].map((f) => `shaders/lib/${f}.wgsl`);
    const lib = gelu.parts.filter((p) => p.path.startsWith('shaders/lib/'));
    const order = lib.map((p) => files.indexOf(p.path) * 1e6 + p.fileLine);
    expect(order).toEqual([...order].sort((a, b) => a - b));
    for (const name of opNames) expect(elementwiseSource(getOp(name), 1).code).not.toContain('//');
  });

  it('maps every line of every kept declaration back to its file and line', () => {
    for (const source of [relu, gelu, treeSumSource(), ...opNames.map((n) => elementwiseSource(getOp(n), 1))]) {
      const lines = source.code.split('\n');
      const parts = source.parts.filter((p) => p.path.startsWith('shaders/'));
      for (const part of parts) {
        const original = fileText(part.path).split('\n');
        for (let k = 0; k < part.lines; k++) {
          const at = locate(source, part.firstLine + k);
          expect(at).toBe(`${part.path}:${part.fileLine + k}`);
          // The module's line is the file's line with its comment removed.
          expect(lines[part.firstLine + k - 1]).toBe(stripComments(original[part.fileLine + k - 1]!));
        }
      }
    }
  });

  it('takes no library declaration the module does not need to resolve a name', () => {
    // Every kept library function is called somewhere else in the module.
    for (const name of opNames) {
      const source = elementwiseSource(getOp(name), 4);
      for (const f of functions(source)) {
        if (['forward', 'backward', 'mask_keep', 'masked_backward'].includes(f!) || f!.endsWith('_main')) continue;
        const calls = source.code.match(new RegExp(`\\b${f}\\b`, 'g'))!.length;
        expect(calls, `${name}: ${f}`).toBeGreaterThan(1);
      }
    }
  });
});
