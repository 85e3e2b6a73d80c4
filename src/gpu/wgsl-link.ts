// A small WGSL linker: a module takes from the shared helpers (shaders/lib/*.wgsl) only the
// declarations it uses, so relu does not compile erf, and comments are not sent to the compiler.
//
// A library file is split into its top-level declarations (fn, struct, const, override, var,
// alias, const_assert), each with the attributes in front of it and the comment block right
// above it (no blank line between). A declaration ends at a `;` or at the `}` that closes its
// body, outside any braces; declarations that share a line are one unit. Each unit records the
// names it declares and every identifier its code mentions, read with comments stripped, so a
// word in a comment never pulls anything in. Linking starts from the identifiers of the module's
// own text (preamble, op file, skeleton) and keeps, transitively, every declaration one of them
// names, in library order. It errs on the side of keeping: a local variable or member that shares
// a library name keeps that declaration too (harmless), and a unit whose name it cannot read
// (const_assert, or text it cannot split) is always kept. Builtins (select, bitcast, max) are
// simply not library names.

/** WGSL text and the file it comes from. */
export interface WgslFile {
  readonly path: string;
  readonly text: string;
}

/** One top-level declaration of a library file (or several that share a line). */
export interface WgslDeclaration {
  readonly path: string;
  /** The line of `path` where `text` starts (its leading comment, if any), from 1. */
  readonly fileLine: number;
  /** Whole lines of the file, as written (comments included). */
  readonly text: string;
  /** The names it declares: empty for const_assert and anything unreadable (always kept). */
  readonly declares: readonly string[];
  /** Every identifier its code mentions, its own names included. */
  readonly uses: readonly string[];
}

/**
 * `text` without comments (`//` to the end of the line, nested block comments), with the same
 * lines and, for the code left, the same columns (block comments become spaces); trailing blanks
 * are trimmed. WGSL has no string literals, so nothing else can hold `//`.
 *
 * @example
 * stripComments('// one\nlet a = 1; // a\n'); // '\nlet a = 1;\n'
 */
export function stripComments(text: string): string {
  let out = '';
  let depth = 0;
  let line = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    const next = text[i + 1];
    if (c === '\n') {
      line = false;
      out += c;
    } else if (line) {
      // Dropped up to the line break.
    } else if (c === '/' && next === '*') {
      depth++;
      out += '  ';
      i++;
    } else if (depth > 0 && c === '*' && next === '/') {
      depth--;
      out += '  ';
      i++;
    } else if (depth > 0) {
      out += c === '\r' || c === '\t' ? c : ' ';
    } else if (c === '/' && next === '/') {
      line = true;
    } else {
      out += c;
    }
  }
  return out.replace(/[ \t]+$/gm, '');
}

/** Identifiers, not counting member names after a `.` (nor the digits and letters of a number). */
const IDENTIFIER = /(?<!\.\s*)(?<![\p{ID_Continue}])[\p{ID_Start}_]\p{ID_Continue}*/gu;

/** The identifiers in code that has no comments left. */
export function identifiers(code: string): string[] {
  return code.match(IDENTIFIER) ?? [];
}

/** The name a declaration's code declares, after its attributes; undefined for const_assert. */
function declaredName(code: string): string | undefined {
  let rest = code.trimStart();
  // Attributes: @name or @name(...), with balanced parentheses.
  while (rest.startsWith('@')) {
    const name = /^@\s*[\p{ID_Start}_]\p{ID_Continue}*\s*/u.exec(rest);
    if (!name) return undefined;
    rest = rest.slice(name[0].length);
    if (rest.startsWith('(')) {
      let depth = 0;
      let end = 0;
      for (; end < rest.length; end++) {
        if (rest[end] === '(') depth++;
        else if (rest[end] === ')' && --depth === 0) break;
      }
      rest = rest.slice(end + 1).trimStart();
    }
  }
  const match = /^(?:(?:fn|struct|alias|const|override)\s+|var\s*(?:<[^>]*>)?\s*)([\p{ID_Start}_]\p{ID_Continue}*)/u.exec(rest);
  return match?.[1];
}

/** A library file's top-level declarations, in file order. */
export function declarations(file: WgslFile): WgslDeclaration[] {
  const lines = file.text.split('\n');
  const code = stripComments(file.text);
  const codeLines = code.split('\n');
  // Spans of lines (0-based, inclusive) with the names each declares, found on the stripped text.
  const spans: { first: number; last: number; names: (string | undefined)[] }[] = [];
  let depth = 0;
  let line = 0;
  let start: { line: number; offset: number } | undefined;
  const close = (offset: number) => {
    const name = declaredName(code.slice(start!.offset, offset + 1));
    const previous = spans[spans.length - 1];
    if (previous && previous.last >= start!.line) {
      // Shares a line with the one before (or is the `;` after a struct): one unit.
      previous.last = line;
      if (code.slice(start!.offset, offset + 1).trim() !== ';') previous.names.push(name);
    } else {
      spans.push({ first: start!.line, last: line, names: [name] });
    }
    start = undefined;
  };
  for (let i = 0; i < code.length; i++) {
    const c = code[i]!;
    if (c === '\n') {
      line++;
      continue;
    }
    if (start === undefined) {
      if (/\s/.test(c)) continue;
      start = { line, offset: i };
    }
    if (c === '{') depth++;
    else if (c === '}' && --depth === 0) close(i);
    else if (c === ';' && depth === 0) close(i);
  }
  // Text the scan could not close (unbalanced braces, a missing `;`): one unit, always kept.
  if (start !== undefined) spans.push({ first: start.line, last: line, names: [undefined] });

  return spans.map(({ first, last, names }) => {
    // The comment block right above: lines with text but no code, up to a blank line.
    let top = first;
    while (top > 0 && codeLines[top - 1]!.trim() === '' && lines[top - 1]!.trim() !== '' && !claimed(spans, top - 1)) top--;
    const declares = names.includes(undefined) ? [] : (names as string[]);
    return {
      path: file.path,
      fileLine: top + 1,
      text: `${lines.slice(top, last + 1).join('\n')}\n`,
      declares,
      uses: [...new Set(identifiers(codeLines.slice(first, last + 1).join('\n')))],
    };
  });
}

/** true when line l is inside one of the spans. */
function claimed(spans: readonly { first: number; last: number }[], l: number): boolean {
  return spans.some((s) => s.first <= l && l <= s.last);
}

/** The declarations of every library file, in order: parse once, link many times. */
export function parseLibrary(files: readonly WgslFile[]): readonly WgslDeclaration[] {
  return files.flatMap(declarations);
}

/**
 * The library declarations a module needs: those its own text (`own`: the preamble, the op's
 * file, the skeleton) names, and those they name in turn, in library order; plus any declaration
 * without a name it could read.
 *
 * @example
 * const kept = link(parseLibrary(libraries), [{ path: 'shaders/activations/relu.wgsl', text }]);
 */
export function link(library: readonly WgslDeclaration[], own: readonly WgslFile[]): WgslDeclaration[] {
  const byName = new Map<string, number[]>();
  library.forEach((d, i) => {
    for (const name of d.declares) byName.set(name, [...(byName.get(name) ?? []), i]);
  });
  const kept = new Set<number>();
  const pending: string[] = own.flatMap((f) => identifiers(stripComments(f.text)));
  const keep = (i: number) => {
    if (kept.has(i)) return;
    kept.add(i);
    pending.push(...library[i]!.uses);
  };
  library.forEach((d, i) => {
    if (d.declares.length === 0) keep(i);
  });
  const seen = new Set<string>();
  for (let name = pending.pop(); name !== undefined; name = pending.pop()) {
    if (seen.has(name)) continue;
    seen.add(name);
    for (const i of byName.get(name) ?? []) keep(i);
  }
  return library.filter((_, i) => kept.has(i));
}

/** Where the member lists of the struct declarations in `code` (comments stripped) start and end. */
function structBodies(code: string): [number, number][] {
  const bodies: [number, number][] = [];
  for (const m of code.matchAll(/(?<![\p{ID_Continue}])struct\s+[\p{ID_Start}_]\p{ID_Continue}*\s*\{/gu)) {
    const start = m.index + m[0].length;
    const end = code.indexOf('}', start);
    bodies.push([start, end < 0 ? code.length : end]);
  }
  return bodies;
}

/**
 * `code` (comments stripped) with each identifier that `names` maps replaced by its new name: a
 * rename over identifiers, not over text, so `exp` never touches `exp_lib_pow2`, `accurate_exp`
 * or `1e-5`. Left alone, as they live in other scopes: member names after a `.`, the members a
 * struct declares (`hi: V,` inside `struct { }`) and attribute names (`@builtin`). Since every
 * mention of a name changes the same way, a local that shadows a renamed declaration still
 * shadows it. `unchanged` lists the identifiers kept as they were (builtins, locals, members'
 * uses are not counted), so a caller can check that none of them is also a new name.
 *
 * @example
 * renameIdentifiers('fn f(x: V) -> V { return g(x.y); }', new Map([['f', 'p_f'], ['V', 'p_V'], ['y', 'p_y']]));
 * // { code: 'fn p_f(x: p_V) -> p_V { return g(x.y); }', unchanged: Set { 'fn', 'x', 'return', 'g' } }
 */
export function renameIdentifiers(code: string, names: ReadonlyMap<string, string>): { code: string; unchanged: Set<string> } {
  const bodies = structBodies(code);
  const unchanged = new Set<string>();
  const out = code.replace(IDENTIFIER, (name: string, at: number) => {
    if (code[at - 1] === '@') return name;
    const end = at + name.length;
    if (bodies.some(([s, e]) => s <= at && at < e) && /^\s*:/.test(code.slice(end, end + 64))) return name;
    const renamed = names.get(name);
    if (renamed === undefined) unchanged.add(name);
    return renamed ?? name;
  });
  return { code: out, unchanged };
}
