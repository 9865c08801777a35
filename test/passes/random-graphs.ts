// Random small graphs full of what canonicalize rewrites (Identity, Dropout, constant
// subgraphs, Reshape/Flatten chains, constant Add/Sub/Mul/Div around Conv/Gemm), for
// the property tests. fast-check picks the step kinds; weights come from a seeded PRNG.
import type { NodeSpec } from '../../src/ir/build.js';
import { buildGraph, convAttrs, gemmAttrs, int64Tensor } from '../../src/ir/build.js';
import type { Graph, Tensor } from '../../src/ir/types.js';
import { prng, rand } from './equivalence.js';

export const STEP_KINDS = ['conv', 'relu', 'identity', 'dropout', 'arith', 'const-chain', 'reshape-trip', 'bn', 'flatten', 'gemm'] as const;
export type StepKind = (typeof STEP_KINDS)[number];

export function randomGraph(seed: number, kinds: readonly StepKind[]): Graph {
  const rnd = prng(seed);
  const int = (lo: number, hi: number): number => lo + Math.floor(rnd() * (hi - lo + 1));
  const pick = <T>(xs: readonly T[]): T => xs[int(0, xs.length - 1)] as T;
  const nodes: NodeSpec[] = [];
  const inits: Record<string, Tensor> = {};
  let k = 0;
  const fresh = (p: string): string => `${p}${k++}`;
  const init = (p: string, t: Tensor): string => {
    const n = fresh(p);
    inits[n] = t;
    return n;
  };
  let cur = 'x';
  // [C, H, W] while 4-D, [F] once flattened.
  const inDims = [int(1, 3), int(3, 5), int(3, 5)];
  let dims = inDims;
  const out = (): string => fresh('v');

  for (const kind of kinds) {
    const rank4 = dims.length === 3;
    const y = out();
    const c = dims[0] as number;
    switch (kind) {
      case 'conv':
      case 'gemm': {
        const m = int(1, 3);
        if (rank4) {
          const kk = pick([1, 3]);
          const h = dims[1] as number;
          const pad = kk === 3 && (h < 4 || rnd() < 0.5) ? 1 : 0;
          const group = m === c && c > 1 && rnd() < 0.5 ? c : 1;
          const w = init('w', rand([m, c / group, kk, kk], rnd));
          const b = rnd() < 0.5 ? init('b', rand([m], rnd)) : '';
          nodes.push({ op: 'Conv', inputs: [cur, w, b], outputs: [y], attrs: convAttrs({ kernelShape: [kk, kk], pads: [pad, pad, pad, pad], group }) });
          const s = (dims[1] as number) - kk + 1 + 2 * pad;
          dims = [m, s, (dims[2] as number) - kk + 1 + 2 * pad];
        } else {
          const transB = rnd() < 0.5;
          const w = init('w', rand(transB ? [m, c] : [c, m], rnd));
          const b = pick(['none', 'vec', 'row']);
          const bias = b === 'none' ? '' : init('b', rand(b === 'vec' ? [m] : [1, m], rnd));
          nodes.push({ op: 'Gemm', inputs: [cur, w, bias], outputs: [y], attrs: gemmAttrs({ transB, alpha: pick([1, 0.5]), beta: pick([1, 2]) }) });
          dims = [m];
        }
        break;
      }
      case 'relu':
        nodes.push({ op: 'Relu', inputs: [cur], outputs: [y] });
        break;
      case 'identity':
        nodes.push({ op: 'Identity', inputs: [cur], outputs: [y] });
        break;
      case 'dropout':
        nodes.push({ op: 'Dropout', inputs: [cur], outputs: [y] });
        break;
      case 'arith':
      case 'const-chain': {
        const op = pick(['Add', 'Sub', 'Mul', 'Div'] as const);
        const shapes: number[][] = rank4 ? [[], [1], [c, 1, 1], [1, c, 1, 1], [1, 1, 1, dims[2] as number]] : [[], [c], [1, c]];
        const shape = pick(shapes);
        let k2: string;
        if (kind === 'const-chain') {
          // A constant computed from two initializers: constant folding must remove it.
          k2 = fresh('k');
          nodes.push({ op: 'Add', inputs: [init('ca', rand(shape, rnd, 0.5, 1)), init('cb', rand(shape, rnd, 0.5, 1))], outputs: [k2] });
        } else {
          k2 = init('c', rand(shape, rnd, 0.5, 2));
        }
        const constFirst = op !== 'Div' && rnd() < 0.5;
        nodes.push({ op, inputs: constFirst ? [k2, cur] : [cur, k2], outputs: [y] });
        break;
      }
      case 'reshape-trip': {
        if (rank4) {
          const mid = out();
          nodes.push({ op: 'Reshape', inputs: [cur, init('s', int64Tensor([0, c, -1]))], outputs: [mid], attrs: { allowzero: false } });
          nodes.push({ op: 'Reshape', inputs: [mid, init('s', int64Tensor([0, ...dims]))], outputs: [y], attrs: { allowzero: false } });
        } else {
          nodes.push({ op: 'Reshape', inputs: [cur, init('s', int64Tensor([0, -1]))], outputs: [y], attrs: { allowzero: false } });
        }
        break;
      }
      case 'bn': {
        const ch = c;
        const ins = [cur, init('g', rand([ch], rnd, 0.5, 1.5)), init('be', rand([ch], rnd)), init('mu', rand([ch], rnd)), init('var', rand([ch], rnd, 0.5, 2))];
        nodes.push({ op: 'BatchNormalization', inputs: ins, outputs: [y], attrs: { epsilon: 1e-5 } });
        break;
      }
      case 'flatten': {
        if (!rank4) {
          nodes.push({ op: 'Relu', inputs: [cur], outputs: [y] });
          break;
        }
        if (rnd() < 0.5) nodes.push({ op: 'Flatten', inputs: [cur], outputs: [y], attrs: { axis: 1 } });
        else nodes.push({ op: 'Reshape', inputs: [cur, init('s', int64Tensor([0, -1]))], outputs: [y], attrs: { allowzero: false } });
        dims = [dims.reduce((a, b) => a * b, 1)];
        break;
      }
    }
    cur = y;
  }
  return buildGraph({
    name: `random_${seed}`,
    inputs: [{ name: 'x', dtype: 'float32', shape: ['N', ...inDims] }],
    initializers: inits,
    nodes,
    outputs: [cur],
  });
}
