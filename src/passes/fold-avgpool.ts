// Fold a non-overlapping average pool into the synaptic layer after it.
//
// In a converted network, spikes → AveragePool(k×k, stride k) → Conv/Gemm hands the
// synaptic layer graded values, so its inputs are no longer events: hardware would pay MACs
// instead of synaptic ops, and lava-dl netx has no pooling layer at all. Both layers are
// linear, so they compose exactly into one layer that reads the spikes directly:
//   Conv (kernel K, stride s, pads p):  W'[o,c,u,v] = W[o,c,⌊u/k⌋,⌊v/k⌋]/k², kernel K·k,
//                                       stride s·k, pads p·k (zero padding of the pooled
//                                       map = k·p zero spikes)
//   Flatten → Gemm over [C,h,w]:        B'[o, c,y,x] = B[o, c,⌊y/k⌋,⌊x/k⌋]/k² over [C,h·k,w·k]
// Exact when the pool has no padding and no ceil mode. An input size that is not a multiple
// of k makes the pool drop the trailing rows and columns: the merged dense layer reads them with
// weight 0 (PyTorch's padded LeNets pool an 11×11 map to 5×5; left as a pool, it was a spiking
// layer of its own on Loihi, 84 % against 98 % at T = 16). Into a Conv only when the size is a
// multiple of k (the merged kernel would have to skip rows mid-map); dilated Convs are left alone.
import type { Graph, Node, Tensor } from '../ir/types.js';
import type { Pass } from './context.js';
import { consumersOf, nameAllocator, rebuildGraph } from './graph-edit.js';

type Pool = Extract<Node, { op: 'AveragePool' }>;

/** k of a k×k, stride-k pool without padding or ceil mode; `whole`: the input a multiple of k too. */
function simplePool(p: Pool, g: Graph, whole: boolean): number | undefined {
  const a = p.attrs;
  const k = a.kernelShape[0];
  if (k === undefined || a.kernelShape.length !== 2 || a.kernelShape[1] !== k) return undefined;
  if (a.strides.some((s) => s !== k) || a.dilations.some((d) => d !== 1) || a.ceilMode) return undefined;
  if (a.autoPad !== 'NOTSET' && a.autoPad !== 'VALID') return undefined;
  if (a.autoPad === 'NOTSET' && a.pads.some((x) => x !== 0)) return undefined;
  const shape = g.values.get(p.inputs[0] ?? '')?.shape ?? [];
  const H = shape[2];
  const W = shape[3];
  if (typeof H !== 'number' || typeof W !== 'number' || H < k || W < k) return undefined;
  if (whole && (H % k !== 0 || W % k !== 0)) return undefined;
  return k;
}

function f32(t: Tensor): Float32Array | undefined {
  return t.dtype === 'float32' ? (t.data as Float32Array) : undefined;
}

/** Conv weight [O, C/g, K, K] → [O, C/g, K·k, K·k] reading the unpooled map. */
function expandConvWeight(w: Tensor, k: number): Tensor | undefined {
  const d = f32(w);
  const [O, C, KH, KW] = w.shape;
  if (d === undefined || O === undefined || C === undefined || KH === undefined || KW === undefined) return undefined;
  const H2 = KH * k;
  const W2 = KW * k;
  const out = new Float32Array(O * C * H2 * W2);
  const inv = 1 / (k * k);
  for (let oc = 0; oc < O * C; oc++) {
    for (let u = 0; u < H2; u++) {
      for (let v = 0; v < W2; v++) {
        out[(oc * H2 + u) * W2 + v] = (d[(oc * KH + Math.floor(u / k)) * KW + Math.floor(v / k)] as number) * inv;
      }
    }
  }
  return { dtype: 'float32', shape: [O, C, H2, W2], data: out };
}

/**
 * Gemm B over a flattened pooled [C,h,w] input → over the pool's input [C,H,W] (H ≥ h·k; rows
 * and columns past h·k, w·k, which the pool drops, get 0); `transB` says B is [O, F].
 */
function expandGemmWeight(b: Tensor, transB: boolean, C: number, h: number, w: number, k: number, H: number, W: number): Tensor | undefined {
  const d = f32(b);
  if (d === undefined || b.shape.length !== 2) return undefined;
  const F = C * h * w;
  const O = (transB ? b.shape[0] : b.shape[1]) ?? 0;
  if ((transB ? b.shape[1] : b.shape[0]) !== F) return undefined;
  const F2 = C * H * W;
  const out = new Float32Array(O * F2);
  const inv = 1 / (k * k);
  for (let o = 0; o < O; o++) {
    for (let c = 0; c < C; c++) {
      // Rows and columns past h·k, w·k keep their 0.
      for (let y = 0; y < h * k; y++) {
        for (let x = 0; x < w * k; x++) {
          const f = (c * h + Math.floor(y / k)) * w + Math.floor(x / k);
          const f2 = (c * H + y) * W + x;
          const v = (transB ? d[o * F + f] : d[f * O + o]) as number;
          out[transB ? o * F2 + f2 : f2 * O + o] = v * inv;
        }
      }
    }
  }
  return { dtype: 'float32', shape: transB ? [O, F2] : [F2, O], data: out };
}

export interface FoldAvgPoolOptions {
  /**
   * Also fold into a following Conv. Off by default: the merged kernel is k² times larger,
   * which multiplies a neuromorphic core's input axons and synapses (Loihi's allocator then
   * needs several chips for LeNet), while folding into a dense layer costs nothing extra.
   */
  readonly conv?: boolean;
}

export function foldAvgPool(g: Graph, opts: FoldAvgPoolOptions = {}): Graph {
  const consumers = consumersOf(g);
  const fresh = nameAllocator(g);
  const inits = new Map(g.initializers);
  const replaced = new Map<string, Node>();
  let changed = false;
  for (const p of g.nodes) {
    if (p.op !== 'AveragePool' || g.outputs.includes(p.outputs[0] ?? '')) continue;
    const users = consumers.get(p.outputs[0] ?? '') ?? [];
    const user = users[0];
    const k = simplePool(p, g, user?.op !== 'Flatten');
    if (k === undefined || users.length !== 1 || user === undefined) continue;
    const src = p.inputs[0] ?? '';
    if (
      opts.conv === true &&
      user.op === 'Conv' &&
      user.inputs[0] === p.outputs[0] &&
      user.attrs.dilations.every((x) => x === 1) &&
      user.attrs.autoPad === 'NOTSET'
    ) {
      const w = inits.get(user.inputs[1] ?? '');
      const w2 = w !== undefined ? expandConvWeight(w, k) : undefined;
      if (w2 === undefined) continue;
      const wName = fresh(`${user.name}_pooled_w`);
      inits.set(wName, w2);
      const a = user.attrs;
      replaced.set(user.name, {
        ...user,
        inputs: [src, wName, ...user.inputs.slice(2)],
        attrs: { ...a, kernelShape: a.kernelShape.map((x) => x * k), strides: a.strides.map((s) => s * k), pads: a.pads.map((x) => x * k) },
      });
      changed = true;
    } else if (user.op === 'Flatten' && user.attrs.axis === 1) {
      const gemms = consumers.get(user.outputs[0] ?? '') ?? [];
      const gm = gemms[0];
      const [, C, h, w] = g.values.get(p.outputs[0] ?? '')?.shape ?? [];
      const [, , H, W] = g.values.get(src)?.shape ?? [];
      if (gemms.length !== 1 || gm?.op !== 'Gemm' || gm.attrs.transA || gm.inputs[0] !== user.outputs[0]) continue;
      if (typeof C !== 'number' || typeof h !== 'number' || typeof w !== 'number' || g.outputs.includes(user.outputs[0] ?? '')) continue;
      if (typeof H !== 'number' || typeof W !== 'number' || h !== Math.floor(H / k) || w !== Math.floor(W / k)) continue;
      const b = inits.get(gm.inputs[1] ?? '');
      const b2 = b !== undefined ? expandGemmWeight(b, gm.attrs.transB, C, h, w, k, H, W) : undefined;
      if (b2 === undefined) continue;
      const bName = fresh(`${gm.name}_pooled_w`);
      inits.set(bName, b2);
      replaced.set(user.name, { ...user, inputs: [src] });
      replaced.set(gm.name, { ...gm, inputs: [gm.inputs[0] ?? '', bName, ...gm.inputs.slice(2)] });
      changed = true;
    }
  }
  if (!changed) return g;
  return rebuildGraph(g, { nodes: g.nodes.map((n) => replaced.get(n.name) ?? n), initializers: inits });
}

export const foldAvgPoolPass: Pass = { name: 'fold-avgpool', run: (g) => foldAvgPool(g) };
