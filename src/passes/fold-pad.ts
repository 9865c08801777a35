// fold-pad: a zero `Pad` in front of a Conv, AveragePool or MaxPool becomes that node's own
// `pads`, as if the exporter had written it there. PyTorch emits the split form for
// F.pad(x) before a layer and for nn.AvgPool2d(k, padding=p) with count_include_pad=True;
// folded, every later stage (conversion, the integer program, netx, the FPGA C++) sees one
// windowed op it already knows, and synops count the real windows.
//
// Exact only where the padded values are what the op would see anyway:
// - Conv pads with zeros: always exact.
// - AveragePool: a zero Pad counts its zeros in the divisor, which is count_include_pad=1.
//   Exact when the pool has no pads of its own, or already counts them (count_include_pad=1).
// - MaxPool pads with −∞: a zero pad gives the same maximum only when the input is ≥ 0
//   (it comes from a ReLU or Clip(0, a)) and every window keeps a real element (pad < kernel).
// Only spatial pads fold (batch and channel pads of zero); ceil_mode pools stay as they are
// (their window placement depends on the padding).
//
// window-pads, the same module's second pattern, gives every windowed op one form of its
// padding: auto_pad SAME/VALID resolved to explicit pads (static input sizes), and end pads
// that no window reaches dropped down to the begin pad (a one-sided Pad that only emulated
// ceil_mode, for one); symmetric pads stay symmetric.
import type { Node, WindowAttrs } from '../ir/types.js';
import { resolveWindow } from '../ir/window.js';
import type { AnyPattern, GraphView } from './rewrite.js';
import { constOf, intValues, pattern, soleProducer } from './rewrite.js';

type Windowed = Extract<Node, { op: 'Conv' | 'AveragePool' | 'MaxPool' }>;
type PadNode = Extract<Node, { op: 'Pad' }>;

const isWindowed = (n: Node): n is Windowed => n.op === 'Conv' || n.op === 'AveragePool' || n.op === 'MaxPool';

/** The Pad's spatial pads in window layout [b1, b2, …, e1, e2, …], or undefined when it cannot fold. */
function spatialPads(pad: PadNode, view: GraphView, rank: number): number[] | undefined {
  if (pad.attrs.mode !== 'constant') return undefined;
  const value = constOf(view, pad.inputs[2]);
  if ((pad.inputs[2] ?? '') !== '' && (value === undefined || Number(value.data[0]) !== 0)) return undefined;
  const padsT = constOf(view, pad.inputs[1]);
  if (padsT === undefined) return undefined;
  const raw = intValues(padsT);
  let axes = Array.from({ length: rank }, (_, i) => i);
  if ((pad.inputs[3] ?? '') !== '') {
    const a = constOf(view, pad.inputs[3]);
    if (a === undefined) return undefined;
    axes = intValues(a).map((x) => (x < 0 ? x + rank : x));
  }
  if (raw.length !== 2 * axes.length || raw.some((p) => p < 0)) return undefined;
  const full = new Array<number>(2 * rank).fill(0);
  axes.forEach((ax, k) => {
    full[ax] = raw[k] as number;
    full[rank + ax] = raw[axes.length + k] as number;
  });
  // Batch and channel must not be padded.
  if (full[0] !== 0 || full[1] !== 0 || full[rank] !== 0 || full[rank + 1] !== 0) return undefined;
  return [...full.slice(2, rank), ...full.slice(rank + 2)];
}

function ownPads(a: WindowAttrs, s: number): number[] | undefined {
  if (a.autoPad === 'VALID') return new Array<number>(2 * s).fill(0);
  if (a.autoPad !== 'NOTSET') return undefined;
  return a.pads.length === 2 * s ? [...a.pads] : undefined;
}

/** ReLU-like producers: their output is never negative. */
function nonNegative(view: GraphView, value: string): boolean {
  const p = view.producers.get(value);
  if (p === undefined) return false;
  if (p.op === 'Relu') return true;
  if (p.op === 'Clip') {
    const lo = constOf(view, p.inputs[1]);
    return lo !== undefined && Number(lo.data[0]) >= 0;
  }
  return false;
}

/**
 * `node` with explicit pads and no end pad beyond the last window, or undefined when that is
 * what it has (or its input size is not static, or it is a ceil_mode pool).
 */
function normalWindow(node: Windowed, view: GraphView): Windowed | undefined {
  if (node.op !== 'Conv' && node.attrs.ceilMode) return undefined;
  const x = view.graph.values.get(node.inputs[0] ?? '')?.shape;
  const spatial = x?.slice(2);
  if (spatial === undefined || spatial.length === 0 || spatial.some((d) => typeof d !== 'number')) return undefined;
  const a = node.attrs;
  const w = resolveWindow(spatial as number[], a, false, node.name);
  const s = spatial.length;
  const ends = w.padsEnd.map((pe, i) => {
    const dk = ((a.kernelShape[i] ?? 1) - 1) * (a.dilations[i] ?? 1) + 1;
    const reached = ((w.outSpatial[i] ?? 1) - 1) * (a.strides[i] ?? 1) + dk;
    const unused = (w.padsBegin[i] ?? 0) + (spatial[i] as number) + pe - reached;
    // Never below the begin pad: symmetric padding is what netx and most hardware express.
    return Math.max(pe - Math.max(0, unused), Math.min(pe, w.padsBegin[i] ?? 0));
  });
  const pads = [...w.padsBegin.slice(0, s), ...ends];
  if (a.autoPad === 'NOTSET' && pads.every((p, i) => p === a.pads[i])) return undefined;
  return { ...node, attrs: { ...a, autoPad: 'NOTSET', pads } } as Windowed;
}

export const windowPads: AnyPattern = pattern<{ node: Node; add: Node }>({
  name: 'window-pads',
  match: (node, view) => {
    const add = isWindowed(node) ? normalWindow(node, view) : undefined;
    return add === undefined ? undefined : { node, add };
  },
  rewrite: ({ node, add }) => ({ remove: [node.name], add: [add] }),
});

function folded(node: Windowed, pad: PadNode, view: GraphView): Windowed | undefined {
  const x = view.graph.values.get(pad.inputs[0] ?? '');
  const rank = x?.shape.length ?? 0;
  if (rank < 3) return undefined;
  const s = rank - 2;
  const extra = spatialPads(pad, view, rank);
  const own = ownPads(node.attrs, s);
  if (extra === undefined || own === undefined) return undefined;
  const pads = own.map((p, i) => p + (extra[i] as number));
  const inputs = [pad.inputs[0] as string, ...node.inputs.slice(1)];
  switch (node.op) {
    case 'Conv':
      return { ...node, inputs, attrs: { ...node.attrs, autoPad: 'NOTSET', pads } };
    case 'AveragePool':
      if (node.attrs.ceilMode || (!node.attrs.countIncludePad && own.some((p) => p !== 0))) return undefined;
      return { ...node, inputs, attrs: { ...node.attrs, autoPad: 'NOTSET', pads, countIncludePad: true } };
    case 'MaxPool': {
      const fits = pads.every((p, i) => p < (node.attrs.kernelShape[i % s] as number));
      if (node.attrs.ceilMode || !fits || !nonNegative(view, pad.inputs[0] as string)) return undefined;
      return { ...node, inputs, attrs: { ...node.attrs, autoPad: 'NOTSET', pads } };
    }
  }
}

export const foldPad: AnyPattern = pattern<{ node: Node; pad: PadNode; add: Node }>({
  name: 'fold-pad',
  match: (node, view) => {
    if (!isWindowed(node)) return undefined;
    const pad = soleProducer(view, node.inputs[0]);
    if (pad?.op !== 'Pad') return undefined;
    const add = folded(node, pad, view);
    if (add === undefined) return undefined;
    // Normalize the merged window at once (a pattern applies once per node and pass); its
    // input is the Pad's input, whose shape the view knows.
    return { node, pad, add: normalWindow(add, view) ?? add };
  },
  rewrite: ({ node, pad, add }) => ({ remove: [pad.name, node.name], add: [add] }),
});
