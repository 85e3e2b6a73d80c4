import skeleton from '../../shaders/elementwise.wgsl?raw';
import maskedSkeleton from '../../shaders/masked.wgsl?raw';
import fusedSkeleton from '../../shaders/fused.wgsl?raw';
import fusedMask from '../../shaders/fused-mask.wgsl?raw';
import telemetry from '../../shaders/telemetry.wgsl?raw';
import perChannel from '../../shaders/per-channel.wgsl?raw';
import grouped from '../../shaders/grouped.wgsl?raw';
import gated from '../../shaders/gated.wgsl?raw';
import softmax from '../../shaders/softmax.wgsl?raw';
import treeSum from '../../shaders/tree-sum.wgsl?raw';
import halfSkeleton from '../../shaders/elementwise-f16.wgsl?raw';
import convertHalf from '../../shaders/convert-f16.wgsl?raw';
import type { GatedOp, OpDefinition } from '../ops/registry.js';
import { link, parseLibrary, stripComments, type WgslDeclaration } from './wgsl-link.js';

// Shared helpers, shaders/lib/*.wgsl: each module takes only the declarations it uses (wgsl-link.ts).
const libraries = Object.entries(import.meta.glob<string>('../../shaders/lib/*.wgsl', { query: '?raw', import: 'default', eager: true }))
  .sort(([a], [b]) => a.localeCompare(b))
  .map(([path, text]) => ({ path: path.replace('../../', ''), text }));
let library: readonly WgslDeclaration[] | undefined;

/** The shared helpers' top-level declarations (shaders/lib/*.wgsl), parsed once. */
export function libraryDeclarations(): readonly WgslDeclaration[] {
  library ??= parseLibrary(libraries);
  return library;
}

/**
 * A WGSL module assembled from parts, remembering which file each line came from: part lines
 * firstLine .. firstLine + lines - 1 of `code` are lines fileLine .. of `path`.
 */
export interface ShaderSource {
  readonly code: string;
  readonly parts: readonly { readonly path: string; readonly firstLine: number; readonly lines: number; readonly fileLine: number }[];
}

/**
 * The generated preamble: the only text not read from a .wgsl file. It picks the element type
 * and the vector width; op files are written once against these aliases.
 */
export function preamble(width: 1 | 4): string {
  const shape = (t: string) => (width === 4 ? `vec4<${t}>` : t);
  return [
    'alias T = f32;',
    `alias V = ${shape('T')};`,
    `alias U = ${shape('u32')};`,
    `alias S = ${shape('i32')};`,
    `alias B = ${shape('bool')};`,
    '',
  ].join('\n');
}

/** preamble + the shared helpers it uses + the op's file + the elementwise skeleton. */
export function elementwiseSource(op: OpDefinition, width: 1 | 4): ShaderSource {
  return assemble(op, width, { path: 'shaders/elementwise.wgsl', text: skeleton });
}

/** The elementwise kernels for f16 tensors (packed halves widened to vec4<f32>). */
export function halfSource(op: OpDefinition): ShaderSource {
  return assemble(op, 4, { path: 'shaders/elementwise-f16.wgsl', text: halfSkeleton });
}

/** The training layer's mask kernels for an op that declares a mask (vec4, width 4). */
export function maskedSource(op: OpDefinition): ShaderSource {
  return assemble(op, 4, { path: 'shaders/masked.wgsl', text: maskedSkeleton });
}

/** Fused bias + activation kernels (scalar), with the mask kernel for ops that declare a mask. */
export function fusedSource(op: OpDefinition): ShaderSource {
  const extra = op.mask ? [{ path: 'shaders/fused-mask.wgsl', text: fusedMask }] : [];
  return assemble(op, 1, { path: 'shaders/fused.wgsl', text: fusedSkeleton }, ...extra);
}

/** The dead-neuron telemetry kernel: no op in it, only the shared helpers (scalar preamble). */
export function telemetrySource(): ShaderSource {
  return join([
    { path: '<preamble>', text: preamble(1) },
    { path: 'shaders/telemetry.wgsl', text: telemetry },
  ]);
}

/** An op's file, for the kernels of ops outside the elementwise registry (prelu, maxout). */
export interface OpFile {
  readonly wgsl: string;
  readonly wgslPath: string;
}

/** Kernels for an op with a broadcast tensor parameter (prelu), scalar. */
export function perChannelSource(op: OpFile): ShaderSource {
  return assemble(op, 1, { path: 'shaders/per-channel.wgsl', text: perChannel });
}

/** Kernels for an op over groups of entries along an axis (maxout), scalar. */
export function groupedSource(op: OpFile): ShaderSource {
  return assemble(op, 1, { path: 'shaders/grouped.wgsl', text: grouped });
}

/** Kernels for a gated unit (glu...), scalar: its gate's file, then its own, then the skeleton. */
export function gatedSource(op: GatedOp): ShaderSource {
  return join([
    { path: '<preamble>', text: preamble(1) },
    { path: op.gate.wgslPath, text: op.gate.wgsl },
    { path: op.wgslPath, text: op.wgsl },
    { path: 'shaders/gated.wgsl', text: gated },
  ]);
}

/** Kernels for a row-normalising op (softmax, logSoftmax), scalar. */
export function softmaxSource(op: OpFile): ShaderSource {
  return assemble(op, 1, { path: 'shaders/softmax.wgsl', text: softmax });
}

/** f16 <-> f32 tensor conversions: no op in it, only the shared helpers (scalar preamble). */
export function convertSource(): ShaderSource {
  return join([
    { path: '<preamble>', text: preamble(1) },
    { path: 'shaders/convert-f16.wgsl', text: convertHalf },
  ]);
}

/** The deterministic row sums: no op in it, only the shared helpers (scalar preamble). */
export function treeSumSource(): ShaderSource {
  return join([
    { path: '<preamble>', text: preamble(1) },
    { path: 'shaders/tree-sum.wgsl', text: treeSum },
  ]);
}

function assemble(op: OpFile, width: 1 | 4, ...main: { path: string; text: string }[]): ShaderSource {
  return join([{ path: '<preamble>', text: preamble(width) }, { path: op.wgslPath, text: op.wgsl }, ...main]);
}

/**
 * The module: the first piece (the preamble), the library declarations the pieces use, each a
 * part of its own at its line in its file, then the other pieces; comments stripped, lines kept.
 */
function join(pieces: readonly { path: string; text: string }[]): ShaderSource {
  const [head, ...rest] = pieces;
  const linked = link(libraryDeclarations(), pieces).map((d) => ({ path: d.path, text: d.text, fileLine: d.fileLine }));
  const all = [...(head ? [{ ...head, fileLine: 1 }] : []), ...linked, ...rest.map((p) => ({ ...p, fileLine: 1 }))];
  const parts = [];
  const code = [];
  let line = 1;
  for (const { path, text, fileLine } of all) {
    const body = stripComments(text.endsWith('\n') ? text : `${text}\n`);
    const lines = body.split('\n').length - 1;
    parts.push({ path, firstLine: line, lines, fileLine });
    code.push(body);
    line += lines;
  }
  return { code: code.join(''), parts };
}

/** Maps a line of the assembled module back to `file:line`. */
export function locate(source: ShaderSource, line: number): string {
  for (const part of source.parts) {
    if (line >= part.firstLine && line < part.firstLine + part.lines) {
      return `${part.path}:${line - part.firstLine + part.fileLine}`;
    }
  }
  return `<module>:${line}`;
}
