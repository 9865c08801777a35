// A readable, deterministic text form of a graph (for --dump-ir-after and tests):
//
//   graph "tiny"
//     input x : float32[N, 4]
//     init w : float32[3, 4]
//     fc = Gemm(x, w, '') {alpha=1, beta=1, transA=false, transB=true} -> y : float32[N, 3]
//     output y : float32[N, 3]
//
// Attributes are printed with sorted keys, initializers sorted by name; absent
// optional inputs print as ''.
import { fmtShape } from './shape-utils.js';
import type { Graph, QuantInfo, Tensor, ValueInfo } from './types.js';

/** The one number formatter of the printer: shortest round-trip form. */
function fmtNumber(n: number): string {
  return Object.is(n, -0) ? '-0' : String(n);
}

function fmtAttr(v: unknown): string {
  if (typeof v === 'number') return fmtNumber(v);
  if (typeof v === 'string') return v;
  if (typeof v === 'boolean') return String(v);
  if (Array.isArray(v)) return `[${v.map(fmtAttr).join(', ')}]`;
  if (v === undefined) return 'undefined';
  return JSON.stringify(v);
}

function fmtAttrs(attrs: object): string {
  const rec = attrs as Readonly<Record<string, unknown>>;
  const keys = Object.keys(rec)
    .filter((k) => rec[k] !== undefined)
    .sort();
  if (keys.length === 0) return '';
  return ` {${keys.map((k) => `${k}=${fmtAttr(rec[k])}`).join(', ')}}`;
}

function fmtInfo(v: ValueInfo | undefined, name: string): string {
  return v === undefined ? `${name} : ?` : `${name} : ${v.dtype}${fmtShape(v.shape)}`;
}

function fmtQuant(q: QuantInfo | undefined): string {
  if (q === undefined) return '';
  const axis = q.perChannelAxis !== undefined ? `, axis=${q.perChannelAxis}` : '';
  return ` quant{bits=${q.bits}, scales=${q.scale.length}, zeroPoint=${q.zeroPoint}${axis}, rounding=${q.rounding}}`;
}

function fmtInit(name: string, t: Tensor): string {
  return `init ${name} : ${t.dtype}${fmtShape(t.shape)}${fmtQuant(t.quant)}`;
}

export function printGraph(g: Graph): string {
  const lines = [`graph ${JSON.stringify(g.name)}`];
  for (const k of Object.keys(g.meta).sort()) lines.push(`  meta ${k} = ${JSON.stringify(g.meta[k])}`);
  for (const name of g.inputs) lines.push(`  input ${fmtInfo(g.values.get(name), name)}`);
  // Initializers sorted by name so map insertion order does not change the text.
  const inits = [...g.initializers].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  for (const [name, t] of inits) lines.push(`  ${fmtInit(name, t)}`);
  for (const n of g.nodes) {
    const ins = n.inputs.map((v) => (v === '' ? "''" : v)).join(', ');
    const outs = n.outputs.map((v) => (v === '' ? "''" : fmtInfo(g.values.get(v), v))).join(', ');
    lines.push(`  ${n.name} = ${n.op}(${ins})${fmtAttrs(n.attrs)} -> ${outs}`);
  }
  for (const name of g.outputs) lines.push(`  output ${fmtInfo(g.values.get(name), name)}`);
  return lines.join('\n') + '\n';
}
