// canonicalize: local clean-ups that make every later pass see one form of the model.
// The pattern table below runs once over the nodes in order (see rewrite.ts):
//   1. constant-fold        a node whose inputs are all initializers becomes one
//   2. drop-identity        Identity / inference-mode Dropout: readers use the input
//   3. shape-chain          a run-time reshape target (Shape→Gather→…→Concat) as a constant
//   4. mean-to-pool         ReduceMean over all spatial axes is GlobalAveragePool (3–4: exporter-forms.ts)
//   5. fold-pad             a zero Pad before a Conv/AveragePool/MaxPool becomes its pads
//   6. window-pads          explicit pads, none beyond the last window (5–6: fold-pad.ts)
//   7. reshape-normalize    Reshape/Flatten chains collapse; [N,C,H,W]→[N,-1] is Flatten(1)
//   8. fold-output-affine   Add/Sub/Mul/Div by a per-channel constant after a Conv/Gemm
//   9. fold-input-affine    (x − mean) / std right before a Conv/Gemm, when exact
import { SnncError } from '../errors.js';
import { isStatic, shapeSize } from '../ir/dtype.js';
import { int64Tensor } from '../ir/build.js';
import { SPIKING_OPS } from '../ir/types.js';
import type { Dim, Graph, Node, Tensor } from '../ir/types.js';
import { productOf } from '../ir/shape-utils.js';
import { runGraph } from '../sim/ann/run.js';
import type { ChannelAffine } from './affine.js';
import { composeAffine, convPads, foldInputAffine, foldOutputAffine, identityAffine, perChannel } from './affine.js';
import type { Pass } from './context.js';
import { EXPORTER_FORMS } from './exporter-forms.js';
import { foldPad, windowPads } from './fold-pad.js';
import type { AnyPattern, GraphView } from './rewrite.js';
import { canReplace, constOf, infoOf, pattern, runPatterns, soleProducer, usesOf } from './rewrite.js';

/** Constant results above this many elements stay computed at run time (model size). */
const MAX_FOLDED_ELEMENTS = 2 ** 20;

const spiking: readonly string[] = SPIKING_OPS;

const constantFold = pattern<{ node: Node; results: Map<string, Tensor> }>({
  name: 'constant-fold',
  match: (node, view) => {
    if (spiking.includes(node.op)) return undefined;
    const ins = node.inputs.filter((v) => v !== '');
    if (ins.length === 0 || !ins.every((v) => view.graph.initializers.has(v))) return undefined;
    for (const o of node.outputs) {
      const info = o === '' ? undefined : infoOf(view, o);
      if (o !== '' && (info === undefined || !isStatic(info.shape) || shapeSize(info.shape, Infinity) > MAX_FOLDED_ELEMENTS)) return undefined;
    }
    const initializers = new Map<string, Tensor>();
    for (const v of ins) initializers.set(v, view.graph.initializers.get(v) as Tensor);
    const mini: Graph = {
      name: node.name,
      inputs: [],
      outputs: node.outputs.filter((o) => o !== ''),
      nodes: [node],
      values: new Map(),
      initializers,
      meta: {},
    };
    try {
      return { node, results: runGraph(mini, new Map(), { maxElements: MAX_FOLDED_ELEMENTS }) };
    } catch (e) {
      // A constant the interpreter rejects fails at run time with the same message; keep it.
      if (e instanceof SnncError) return undefined;
      throw e;
    }
  },
  rewrite: ({ node, results }) => ({ remove: [node.name], add: [], initializers: Object.fromEntries(results) }),
});

const dropIdentity = pattern<{ node: Node; from: string; to: string }>({
  name: 'drop-identity',
  match: (node, view) => {
    if (node.op !== 'Identity' && node.op !== 'Dropout') return undefined;
    const from = node.outputs[0] ?? '';
    const to = node.inputs[0] ?? '';
    const mask = node.outputs[1] ?? '';
    if (from === '' || to === '' || (mask !== '' && usesOf(view, mask) > 0)) return undefined;
    return canReplace(view, from, to) ? { node, from, to } : undefined;
  },
  rewrite: ({ node, from, to }) => ({ remove: [node.name], add: [], replace: { [from]: to } }),
});

// --- reshape-normalize ---------------------------------------------------------

const sameDims = (a: readonly Dim[], b: readonly Dim[]): boolean => a.length === b.length && a.every((d, i) => d === b[i]);

/** The Flatten axis that turns `x` into `out`, preferring 1. */
function flattenAxis(x: readonly Dim[], out: readonly Dim[]): number | undefined {
  if (out.length !== 2) return undefined;
  const axes = [1, ...Array.from({ length: x.length + 1 }, (_, j) => j).filter((j) => j !== 1)];
  return axes.find((j) => j <= x.length && productOf(x.slice(0, j)) === out[0] && productOf(x.slice(j)) === out[1]);
}

const isReshape = (n: Node | undefined): n is Extract<Node, { op: 'Reshape' | 'Flatten' }> => n?.op === 'Reshape' || n?.op === 'Flatten';

type ReshapeMatch = { kind: 'identity'; node: Node; from: string; to: string } | { kind: 'node'; node: Node; add: Node; init?: [string, Tensor] };

/** The simplest node that reshapes `src` to `out`, or undefined when none is known to be equal. */
function reshapeFrom(node: Extract<Node, { op: 'Reshape' | 'Flatten' }>, src: string, view: GraphView): ReshapeMatch | undefined {
  const xs = infoOf(view, src)?.shape;
  const outName = node.outputs[0] ?? '';
  const out = infoOf(view, outName)?.shape;
  if (xs === undefined || out === undefined) return undefined;
  if (sameDims(xs, out) && canReplace(view, outName, src)) return { kind: 'identity', node, from: outName, to: src };
  const base = { name: node.name, inputs: [src], outputs: node.outputs } as const;
  const axis = flattenAxis(xs, out);
  if (axis !== undefined) return { kind: 'node', node, add: { ...base, op: 'Flatten', attrs: { axis } } };
  if (isStatic(out)) {
    const shapeName = view.fresh(`${node.name}_shape`);
    return { kind: 'node', node, add: { ...base, op: 'Reshape', inputs: [src, shapeName], attrs: { allowzero: false } }, init: [shapeName, int64Tensor(out)] };
  }
  // A symbolic output other than [x0, rest]: a new spec would re-infer a fresh symbol.
  return undefined;
}

const sameNode = (a: Node, b: Node): boolean =>
  a.op === b.op && sameDims(a.inputs, b.inputs) && sameDims(a.outputs, b.outputs) && JSON.stringify(a.attrs) === JSON.stringify(b.attrs);

const reshapeNormalize = pattern<ReshapeMatch>({
  name: 'reshape-normalize',
  match: (node, view) => {
    if (!isReshape(node)) return undefined;
    const input = node.inputs[0] ?? '';
    const inner = view.producers.get(input);
    // Reshapes of reshapes only move the same row-major data: read the first source.
    const sources = isReshape(inner) ? [inner.inputs[0] ?? '', input] : [input];
    for (const src of sources) {
      const m = reshapeFrom(node, src, view);
      if (m === undefined) continue;
      if (m.kind === 'node' && sameNode(m.add, node)) return undefined;
      if (m.kind === 'node' && node.op === 'Reshape' && m.add.op === 'Reshape' && src === input) return undefined;
      return m;
    }
    return undefined;
  },
  rewrite: (m) =>
    m.kind === 'identity'
      ? { remove: [m.node.name], add: [], replace: { [m.from]: m.to } }
      : { remove: [m.node.name], add: [m.add], ...(m.init !== undefined ? { initializers: { [m.init[0]]: m.init[1] } } : {}) },
});

// --- affine folds --------------------------------------------------------------

const ARITH = ['Add', 'Sub', 'Mul', 'Div'];

/**
 * An Add/Sub/Mul/Div with one per-channel constant operand, as an affine map of its
 * other operand `input` (rank `rank`, `channels` along axis 1).
 */
function stepAffine(p: Node, view: GraphView, rank: number, channels: number): { input: string; affine: ChannelAffine } | undefined {
  if (!ARITH.includes(p.op) || p.inputs.length !== 2) return undefined;
  const [a = '', b = ''] = p.inputs;
  const ca = constOf(view, a);
  const cb = constOf(view, b);
  if ((ca === undefined) === (cb === undefined)) return undefined;
  const constFirst = ca !== undefined;
  const input = constFirst ? b : a;
  const c = perChannel((ca ?? cb) as Tensor, rank, 1, channels);
  const xs = infoOf(view, input)?.shape;
  if (c === undefined || xs === undefined || xs.length !== rank) return undefined;
  const id = identityAffine(channels);
  switch (p.op) {
    case 'Add':
      return { input, affine: { scale: id.scale, shift: c } };
    case 'Sub':
      return { input, affine: constFirst ? { scale: id.scale.map(() => -1), shift: c } : { scale: id.scale, shift: c.map((v) => -v) } };
    case 'Mul':
      return { input, affine: { scale: c, shift: id.shift } };
    case 'Div':
      return constFirst || c.some((v) => v === 0) ? undefined : { input, affine: { scale: c.map((v) => 1 / v), shift: id.shift } };
    default:
      return undefined;
  }
}

type Affine = Extract<Node, { op: 'Conv' | 'Gemm' }>;
const isAffine = (n: Node | undefined): n is Affine => n?.op === 'Conv' || n?.op === 'Gemm';

/** Rank and channel count of an affine node's output (o) or input (i) along axis 1. */
function channelsOf(n: Affine, view: GraphView, side: 'in' | 'out'): { rank: number; channels: number } | undefined {
  const w = constOf(view, n.inputs[1]);
  if (w === undefined || w.shape.length < 2) return undefined;
  if (n.op === 'Conv') {
    const channels = side === 'out' ? (w.shape[0] as number) : (w.shape[1] as number) * n.attrs.group;
    return { rank: w.shape.length, channels };
  }
  const [r, c] = [w.shape[0] as number, w.shape[1] as number];
  const outputs = n.attrs.transB ? r : c;
  return { rank: 2, channels: side === 'out' ? outputs : n.attrs.transB ? c : r };
}

const foldOutput = pattern<{ op: Node; add: Node; initializers: Record<string, Tensor>; producer: Node }>({
  name: 'fold-output-affine',
  match: (op, view) => {
    for (const v of op.inputs) {
      const producer = soleProducer(view, v);
      if (!isAffine(producer)) continue;
      const ch = channelsOf(producer, view, 'out');
      const step = ch === undefined ? undefined : stepAffine(op, view, ch.rank, ch.channels);
      if (step === undefined || step.input !== v) continue;
      const folded = foldOutputAffine(producer, view.graph, step.affine, view.fresh);
      if (folded === undefined) continue;
      return { op, producer, add: { ...folded.node, outputs: op.outputs }, initializers: folded.initializers };
    }
    return undefined;
  },
  rewrite: (m) => ({ remove: [m.producer.name, m.op.name], add: [m.add], initializers: m.initializers }),
});

const foldInput = pattern<{ node: Node; chain: string[]; add: Node; initializers: Record<string, Tensor> }>({
  name: 'fold-input-affine',
  match: (node, view) => {
    if (!isAffine(node)) return undefined;
    const ch = channelsOf(node, view, 'in');
    if (ch === undefined) return undefined;
    const pads = node.op === 'Conv' && convPads(node, view.graph);
    let acc = identityAffine(ch.channels);
    let cur = node.inputs[0] ?? '';
    const chain: string[] = [];
    for (let p = soleProducer(view, cur); p !== undefined; p = soleProducer(view, cur)) {
      const step = stepAffine(p, view, ch.rank, ch.channels);
      if (step === undefined) break;
      const next = composeAffine(acc, step.affine);
      if (pads && next.shift.some((t) => t !== 0)) {
        view.ctx.report({
          severity: 'info',
          code: 'SNNC_I_SHIFT_NOT_FOLDED',
          pass: view.pass,
          node: p.name,
          message: `${p.op} '${p.name}' shifts the input of Conv '${node.name}', which pads with zeros; folding it would change the border outputs, so it stays`,
          hint: 'exact only for pads = 0; the graph stays correct with one extra elementwise op',
        });
        break;
      }
      acc = next;
      chain.push(p.name);
      cur = step.input;
    }
    if (chain.length === 0) return undefined;
    const folded = foldInputAffine(node, view.graph, acc, view.fresh);
    if (folded === undefined) return undefined;
    const add: Node = { ...folded.node, inputs: [cur, ...folded.node.inputs.slice(1)] };
    return { node, chain, add, initializers: folded.initializers };
  },
  rewrite: (m) => ({ remove: [...m.chain, m.node.name], add: [m.add], initializers: m.initializers }),
});

const CANONICALIZE_PATTERNS: readonly AnyPattern[] = [
  constantFold,
  dropIdentity,
  ...EXPORTER_FORMS,
  foldPad,
  windowPads,
  reshapeNormalize,
  foldOutput,
  foldInput,
];

export const canonicalize: Pass = {
  name: 'canonicalize',
  run: (g, ctx) => runPatterns(g, CANONICALIZE_PATTERNS, ctx, 'canonicalize'),
};
