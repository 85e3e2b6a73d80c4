// The op kinds: how forward, backward and layer run an op of each kind of the registry. The
// facade looks an op up and calls its kind; it treats every op alike.
import type { AnyOp } from '../ops/define.js';
import type { Runtime } from '../runtime.js';
import type { Dtype, Tensor } from '../tensor.js';
import * as elementwise from './elementwise.js';
import { gatedKind } from './gated.js';
import { softmaxKind } from './softmax.js';
import { groupedKind } from './grouped.js';
import { perChannelKind } from './per-channel.js';

/** What every kind does with an op of its own. */
export interface OpKind<O extends AnyOp> {
  forward(rt: Runtime, op: O, x: Tensor<Dtype>, attrs: unknown): Tensor<Dtype>;
  backward(rt: Runtime, op: O, grads: unknown, attrs: unknown): Tensor<Dtype>;
  layer(rt: Runtime, op: O, attrs: unknown, options: unknown): { dispose(): void };
}

const kinds: { readonly [K in AnyOp['kind']]: OpKind<Extract<AnyOp, { kind: K }>> } = {
  elementwise: { forward: elementwise.forward, backward: elementwise.backward, layer: elementwise.layer },
  'per-channel': perChannelKind,
  grouped: groupedKind,
  gated: gatedKind,
  softmax: softmaxKind,
};

/** The kind that runs `op`. */
export function kindOf(op: AnyOp): OpKind<AnyOp> {
  return kinds[op.kind];
}
