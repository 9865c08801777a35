// fold-batchnorm: an inference BatchNormalization is the per-channel affine map
//   y = s·x + t,  s = γ/√(σ² + ε),  t = β − μ·s
// and disappears into a neighbouring Conv/Gemm:
//   backward  Conv/Gemm → BN (BN the only reader): W' = W·s per output channel, b' = s·b + t
//   forward   BN → Conv without zero padding, BN → Gemm, BN → Flatten(1) → Gemm: the map is
//             folded into the reader's input side (exact: no padded zeros see the shift)
// Anything else (e.g. BN → ReLU after an Add) stays and is reported as
// SNNC_W_BN_NOT_FOLDED; the converter rejects it later with the node named.
import { isStatic } from '../ir/dtype.js';
import type { Node, Tensor } from '../ir/types.js';
import type { ChannelAffine } from './affine.js';
import { convPads, foldInputAffine, foldOutputAffine, readFloats } from './affine.js';
import type { Pass } from './context.js';
import type { AnyPattern, GraphView } from './rewrite.js';
import { constOf, infoOf, pattern, runPatterns, soleConsumer, soleProducer } from './rewrite.js';

type BN = Extract<Node, { op: 'BatchNormalization' }>;
type Affine = Extract<Node, { op: 'Conv' | 'Gemm' }>;

const isBN = (n: Node): n is BN => n.op === 'BatchNormalization';
const isAffine = (n: Node | undefined): n is Affine => n?.op === 'Conv' || n?.op === 'Gemm';

/** The BN as a per-channel affine map, when its parameters are constants of one length. */
function bnAffine(bn: BN, view: GraphView): ChannelAffine | undefined {
  const [gamma, beta, mean, variance] = [1, 2, 3, 4].map((i) => {
    const t = constOf(view, bn.inputs[i]);
    return t === undefined ? undefined : readFloats(t);
  });
  if (gamma === undefined || beta === undefined || mean === undefined || variance === undefined) return undefined;
  const c = gamma.length;
  if (beta.length !== c || mean.length !== c || variance.length !== c) return undefined;
  const scale = new Float64Array(c);
  const shift = new Float64Array(c);
  for (let i = 0; i < c; i++) {
    const s = (gamma[i] as number) / Math.sqrt((variance[i] as number) + bn.attrs.epsilon);
    scale[i] = s;
    shift[i] = (beta[i] as number) - (mean[i] as number) * s;
  }
  return { scale, shift };
}

interface Fold {
  readonly remove: string[];
  readonly add: Node[];
  readonly initializers: Record<string, Tensor>;
}

const backward = pattern<Fold>({
  name: 'fold-bn-backward',
  match: (bn, view) => {
    if (!isBN(bn)) return undefined;
    const producer = soleProducer(view, bn.inputs[0]);
    const a = bnAffine(bn, view);
    if (!isAffine(producer) || a === undefined) return undefined;
    const folded = foldOutputAffine(producer, view.graph, a, view.fresh);
    if (folded === undefined) return undefined;
    return { remove: [producer.name, bn.name], add: [{ ...folded.node, outputs: bn.outputs }], initializers: folded.initializers };
  },
  rewrite: (m) => m,
});

/** True when `reader` reads `value` only as its data input (input 0). */
const readsAsData = (reader: Node, value: string): boolean => reader.inputs[0] === value && reader.inputs.indexOf(value, 1) < 0;

/** Repeats each channel's map over the `inner` features that Flatten(1) puts after it. */
function perFeature(a: ChannelAffine, inner: number): ChannelAffine {
  const n = a.scale.length * inner;
  const scale = new Float64Array(n);
  const shift = new Float64Array(n);
  for (let k = 0; k < n; k++) {
    const c = Math.floor(k / inner);
    scale[k] = a.scale[c] as number;
    shift[k] = a.shift[c] as number;
  }
  return { scale, shift };
}

const forward = pattern<Fold>({
  name: 'fold-bn-forward',
  match: (bn, view) => {
    if (!isBN(bn)) return undefined;
    const x = bn.inputs[0] ?? '';
    const y = bn.outputs[0] ?? '';
    const a = bnAffine(bn, view);
    const reader = soleConsumer(view, y);
    const xs = infoOf(view, x)?.shape;
    if (a === undefined || reader === undefined || xs === undefined || !readsAsData(reader, y)) return undefined;
    const fold = (target: Affine, affine: ChannelAffine, input: string, extra: Node[]): Fold | undefined => {
      const f = foldInputAffine(target, view.graph, affine, view.fresh);
      if (f === undefined) return undefined;
      const node: Node = { ...f.node, inputs: [input, ...f.node.inputs.slice(1)] };
      return { remove: [bn.name, ...extra.map((n) => n.name), target.name], add: [...extra, node], initializers: f.initializers };
    };
    if (reader.op === 'Conv') {
      // Padded zeros would meet the shift t inside the Conv: only exact when t = 0.
      if (convPads(reader, view.graph) && a.shift.some((t) => t !== 0)) return undefined;
      return fold(reader, a, x, []);
    }
    if (reader.op === 'Gemm' && xs.length === 2) return fold(reader, a, x, []);
    if (reader.op === 'Flatten' && reader.attrs.axis === 1 && isStatic(xs.slice(1))) {
      const gemm = soleConsumer(view, reader.outputs[0] ?? '');
      if (gemm?.op !== 'Gemm' || !readsAsData(gemm, reader.outputs[0] ?? '')) return undefined;
      const inner = (xs.slice(2) as number[]).reduce((p, d) => p * d, 1);
      const flatten: Node = { ...reader, inputs: [x] };
      return fold(gemm, perFeature(a, inner), reader.outputs[0] ?? '', [flatten]);
    }
    return undefined;
  },
  rewrite: (m) => m,
});

const report = pattern<never>({
  name: 'report-unfolded-bn',
  match: (bn, view) => {
    if (!isBN(bn)) return undefined;
    const producer = view.producers.get(bn.inputs[0] ?? '');
    const after = producer === undefined ? 'a graph input' : `${producer.op} '${producer.name}'`;
    view.ctx.report({
      severity: 'warning',
      code: 'SNNC_W_BN_NOT_FOLDED',
      pass: view.pass,
      node: bn.name,
      message: `BatchNormalization '${bn.name}' (after ${after}) could not be folded into a Conv/Gemm on either side`,
      hint: 'fold it in training (or move it next to a Conv/Gemm): the ANN→SNN converter cannot convert a standalone BatchNormalization',
    });
    return undefined;
  },
  rewrite: (m) => m,
});

const FOLD_BATCHNORM_PATTERNS: readonly AnyPattern[] = [backward, forward, report];

export const foldBatchnorm: Pass = {
  name: 'fold-batchnorm',
  run: (g, ctx) => runPatterns(g, FOLD_BATCHNORM_PATTERNS, ctx, 'fold-batchnorm'),
};
