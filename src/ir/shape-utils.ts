// Small pure shape helpers shared by shape inference (src/ir/ops.ts) and the
// interpreter (src/sim/ann), so compile-time and run-time shapes follow one rule.
//
// Every helper works on `Dim` (number | symbol). Callers holding concrete
// `number[]` shapes get `number[]` back (overloads). Where an output dim cannot be
// known from symbols (e.g. Flatten of [N, 3] at axis 2 gives N*3), the helper asks
// `fresh(axis)` for a new symbol name; inference passes `<node>:<output>:<axis>`.
import { fail } from '../errors.js';
import type { Dim } from './types.js';

/** Names a dimension that is only known at run time; gets the output axis. */
export type FreshDim = (axis: number) => string;

const defaultFresh: FreshDim = (axis) => `?${axis}`;

/** `[N, 3, 4]` — the form every shape error message uses. */
export function fmtShape(shape: readonly Dim[]): string {
  return `[${shape.join(', ')}]`;
}

function badShape(message: string, node: string | undefined, hint?: string): Error {
  return fail({
    code: 'SNNC_E_BAD_SHAPE',
    message,
    ...(node !== undefined ? { node } : {}),
    ...(hint !== undefined ? { hint } : {}),
  });
}

/**
 * Multidirectional (numpy) broadcast of two shapes.
 * A symbol against 1 gives the symbol; a symbol against any other number gives the
 * number (the symbol must equal it at run time, or be 1). Two different symbols are
 * assumed equal and the lexicographically smaller name is kept, so the result does
 * not depend on operand order; the interpreter checks real sizes at run time.
 */
export function broadcastShapes(a: readonly number[], b: readonly number[], node?: string): number[];
export function broadcastShapes(a: readonly Dim[], b: readonly Dim[], node?: string): Dim[];
export function broadcastShapes(a: readonly Dim[], b: readonly Dim[], node?: string): Dim[] {
  const r = Math.max(a.length, b.length);
  const out: Dim[] = new Array<Dim>(r);
  for (let i = 0; i < r; i++) {
    const x = a[a.length - r + i] ?? 1;
    const y = b[b.length - r + i] ?? 1;
    out[i] = broadcastDim(x, y, a, b, node);
  }
  return out;
}

function broadcastDim(x: Dim, y: Dim, a: readonly Dim[], b: readonly Dim[], node: string | undefined): Dim {
  if (x === y) return x;
  if (typeof x === 'number' && typeof y === 'number') {
    if (x === 1) return y;
    if (y === 1) return x;
    throw badShape(
      `shapes ${fmtShape(a)} and ${fmtShape(b)} cannot be broadcast together (${x} vs ${y})`,
      node,
      'broadcast dims must be equal or one of them 1 (numpy rules)',
    );
  }
  if (typeof x === 'string' && typeof y === 'string') return x < y ? x : y;
  const num = typeof x === 'number' ? x : (y as number);
  const sym = typeof x === 'string' ? x : (y as string);
  return num === 1 ? sym : num;
}

/** Broadcast any number of shapes (Max, Where). */
export function broadcastAll(shapes: readonly (readonly number[])[], node?: string): number[];
export function broadcastAll(shapes: readonly (readonly Dim[])[], node?: string): Dim[];
export function broadcastAll(shapes: readonly (readonly Dim[])[], node?: string): Dim[] {
  let out: Dim[] = [];
  for (const s of shapes) out = broadcastShapes(out, s, node);
  return out;
}

/** True when `from` can be broadcast to exactly `to` (unidirectional, Gemm's C). */
export function canBroadcastTo(from: readonly Dim[], to: readonly Dim[]): boolean {
  if (from.length > to.length) return false;
  for (let i = 0; i < from.length; i++) {
    const f = from[from.length - 1 - i] ?? 1;
    const t = to[to.length - 1 - i] ?? 1;
    if (f === 1 || f === t || typeof f === 'string' || typeof t === 'string') continue;
    return false;
  }
  return true;
}

/** Map an axis in [-rank, rank-1] to [0, rank-1]. */
export function normalizeAxis(axis: number, rank: number, node?: string): number {
  if (!Number.isInteger(axis) || axis < -rank || axis >= rank) {
    throw badShape(`axis ${axis} is out of range for rank ${rank} (allowed ${-rank}..${rank - 1})`, node);
  }
  return axis < 0 ? axis + rank : axis;
}

/** Normalize a list of axes and reject duplicates. */
export function normalizeAxes(axes: readonly number[], rank: number, node?: string): number[] {
  const out = axes.map((a) => normalizeAxis(a, rank, node));
  const seen = new Set<number>();
  for (const a of out) {
    if (seen.has(a)) throw badShape(`axis ${a} is listed twice in axes [${axes.join(', ')}]`, node);
    seen.add(a);
  }
  return out;
}

/**
 * A product of dims as one Dim when it is expressible without a new symbol: a number when
 * all are numbers, the symbol when exactly one symbol is multiplied only by 1s; else undefined.
 */
export function productOf(dims: readonly Dim[]): Dim | undefined {
  let n = 1;
  const syms: string[] = [];
  for (const d of dims) {
    if (typeof d === 'number') n *= d;
    else syms.push(d);
  }
  if (syms.length === 0) return n;
  return syms.length === 1 && n === 1 ? syms[0] : undefined;
}

/** Product of dims: productOf, 0 when a number factor is 0, otherwise a fresh symbol. */
function productDim(dims: readonly Dim[], fresh: () => string): Dim {
  if (dims.includes(0)) return 0;
  return productOf(dims) ?? fresh();
}

/**
 * ONNX Reshape target shape: 0 copies the input dim (unless allowzero, where 0 is a
 * real zero), one -1 is inferred from the element count.
 */
export function reshapeTarget(inShape: readonly number[], spec: readonly number[], allowzero: boolean, node?: string): number[];
export function reshapeTarget(inShape: readonly Dim[], spec: readonly number[], allowzero: boolean, node?: string, fresh?: FreshDim): Dim[];
export function reshapeTarget(inShape: readonly Dim[], spec: readonly number[], allowzero: boolean, node?: string, fresh: FreshDim = defaultFresh): Dim[] {
  const ctx = `reshape of ${fmtShape(inShape)} to [${spec.join(', ')}]`;
  let inferAt = -1;
  const out: Dim[] = [];
  for (let i = 0; i < spec.length; i++) {
    const s = spec[i] as number;
    if (!Number.isInteger(s) || s < -1) throw badShape(`${ctx}: invalid entry ${s}`, node);
    if (s === -1) {
      if (inferAt >= 0) throw badShape(`${ctx}: more than one -1`, node);
      if (allowzero && spec.includes(0)) throw badShape(`${ctx}: -1 together with 0 under allowzero`, node);
      inferAt = i;
      out.push(-1);
    } else if (s === 0 && !allowzero) {
      if (i >= inShape.length) throw badShape(`${ctx}: 0 at position ${i} copies a dim the input does not have`, node);
      out.push(inShape[i] as Dim);
    } else {
      out.push(s);
    }
  }
  // Cancel what is known on both sides: numeric factors and matching symbols.
  const inSyms: string[] = [];
  let inN = 1;
  for (const d of inShape) {
    if (typeof d === 'number') inN *= d;
    else inSyms.push(d);
  }
  const outSyms: string[] = [];
  let outN = 1;
  for (let i = 0; i < out.length; i++) {
    const d = out[i] as Dim;
    if (i === inferAt) continue;
    if (typeof d === 'number') outN *= d;
    else {
      const k = inSyms.indexOf(d);
      if (k >= 0) inSyms.splice(k, 1);
      else outSyms.push(d);
    }
  }
  if (inferAt < 0) {
    if (inSyms.length === 0 && outSyms.length === 0 && inN !== outN) {
      throw badShape(`${ctx}: element counts differ (${inN} vs ${outN})`, node);
    }
    return out;
  }
  if (outSyms.length > 0 || inSyms.length > 1) {
    out[inferAt] = fresh(inferAt);
  } else if (outN === 0) {
    throw badShape(`${ctx}: cannot infer -1 when the other dims multiply to 0`, node);
  } else if (inN % outN !== 0) {
    throw badShape(`${ctx}: ${inN} elements do not divide into ${outN}`, node);
  } else if (inSyms.length === 1) {
    out[inferAt] = inN / outN === 1 ? (inSyms[0] as string) : fresh(inferAt);
  } else {
    out[inferAt] = inN / outN;
  }
  return out;
}

/** Squeeze: remove the listed axes (each must be 1), or every static 1 when axes is absent. */
export function squeezeShape<D extends Dim>(shape: readonly D[], axes: readonly number[] | undefined, node?: string): D[] {
  if (axes === undefined) return shape.filter((d) => d !== 1);
  const ax = new Set(normalizeAxes(axes, shape.length, node));
  for (const a of ax) {
    const d = shape[a];
    // A symbolic dim may be squeezed: it must be 1 at run time, which the interpreter checks.
    if (typeof d === 'number' && d !== 1) {
      throw badShape(`cannot squeeze axis ${a} of size ${d} in shape ${fmtShape(shape)}`, node);
    }
  }
  return shape.filter((_, i) => !ax.has(i));
}

/** Unsqueeze: insert 1s at the given axes of the output (rank + axes.length). */
export function unsqueezeShape<D extends Dim>(shape: readonly D[], axes: readonly number[], node?: string): (D | 1)[] {
  const r = shape.length + axes.length;
  const ax = new Set(normalizeAxes(axes, r, node));
  const out: (D | 1)[] = [];
  let j = 0;
  for (let i = 0; i < r; i++) out.push(ax.has(i) ? 1 : (shape[j++] as D));
  return out;
}

/** Flatten to 2-D at `axis` in [-rank, rank]: [prod(dims < axis), prod(dims >= axis)]. */
export function flattenShape(shape: readonly number[], axis: number, node?: string): number[];
export function flattenShape(shape: readonly Dim[], axis: number, node?: string, fresh?: FreshDim): Dim[];
export function flattenShape(shape: readonly Dim[], axis: number, node?: string, fresh: FreshDim = defaultFresh): Dim[] {
  const r = shape.length;
  if (!Number.isInteger(axis) || axis < -r || axis > r) {
    throw badShape(`Flatten axis ${axis} is out of range for shape ${fmtShape(shape)} (allowed ${-r}..${r})`, node);
  }
  const a = axis < 0 ? axis + r : axis;
  return [productDim(shape.slice(0, a), () => fresh(0)), productDim(shape.slice(a), () => fresh(1))];
}

/** Transpose: output dim i is input dim perm[i]; perm absent reverses. */
export function transposeShape<D extends Dim>(shape: readonly D[], perm: readonly number[] | undefined, node?: string): D[] {
  const r = shape.length;
  const p = perm ?? shape.map((_, i) => r - 1 - i);
  const sorted = [...p].sort((x, y) => x - y);
  if (p.length !== r || sorted.some((v, i) => v !== i)) {
    throw badShape(`perm [${p.join(', ')}] is not a permutation of the ${r} axes of ${fmtShape(shape)}`, node);
  }
  return p.map((i) => shape[i] as D);
}

/**
 * Pad: `pads` is [begin_0.., end_0..] over `axes` (all axes when absent); entries may
 * be negative (cropping) but no output dim may go below 0.
 */
export function padShape(shape: readonly number[], pads: readonly number[], axes?: readonly number[], node?: string): number[];
export function padShape(shape: readonly Dim[], pads: readonly number[], axes?: readonly number[], node?: string, fresh?: FreshDim): Dim[];
export function padShape(shape: readonly Dim[], pads: readonly number[], axes?: readonly number[], node?: string, fresh: FreshDim = defaultFresh): Dim[] {
  const r = shape.length;
  const ax = axes === undefined ? shape.map((_, i) => i) : normalizeAxes(axes, r, node);
  if (pads.length !== 2 * ax.length) {
    throw badShape(`pads [${pads.join(', ')}] must have 2 x ${ax.length} entries for shape ${fmtShape(shape)}`, node);
  }
  const out = [...shape];
  ax.forEach((a, k) => {
    const delta = (pads[k] as number) + (pads[k + ax.length] as number);
    const d = shape[a] as Dim;
    if (typeof d === 'string') {
      out[a] = delta === 0 ? d : fresh(a);
      return;
    }
    if (d + delta < 0) {
      throw badShape(`pads [${pads.join(', ')}] crop axis ${a} of ${fmtShape(shape)} below zero`, node);
    }
    out[a] = d + delta;
  });
  return out;
}

/** Reduce over `axes` (all when absent/empty unless noop); keepdims keeps them as 1. */
export function reduceShape<D extends Dim>(
  shape: readonly D[],
  axes: readonly number[] | undefined,
  keepdims: boolean,
  noopWithEmptyAxes: boolean,
  node?: string,
): (D | 1)[] {
  if ((axes === undefined || axes.length === 0) && noopWithEmptyAxes) return [...shape];
  const ax = axes === undefined || axes.length === 0 ? new Set(shape.map((_, i) => i)) : new Set(normalizeAxes(axes, shape.length, node));
  const out: (D | 1)[] = [];
  shape.forEach((d, i) => {
    if (!ax.has(i)) out.push(d);
    else if (keepdims) out.push(1);
  });
  return out;
}

/** numpy matmul: 1-D operands are promoted (and the added dim dropped), batch dims broadcast. */
export function matmulShape(a: readonly number[], b: readonly number[], node?: string): number[];
export function matmulShape(a: readonly Dim[], b: readonly Dim[], node?: string): Dim[];
export function matmulShape(a: readonly Dim[], b: readonly Dim[], node?: string): Dim[] {
  if (a.length === 0 || b.length === 0) {
    throw badShape(`MatMul operands must have rank >= 1, got ${fmtShape(a)} and ${fmtShape(b)}`, node);
  }
  const a2 = a.length === 1 ? [1, ...a] : a;
  const b2 = b.length === 1 ? [...b, 1] : b;
  const k1 = a2[a2.length - 1] as Dim;
  const k2 = b2[b2.length - 2] as Dim;
  if (typeof k1 === 'number' && typeof k2 === 'number' && k1 !== k2) {
    throw badShape(`MatMul inner dims differ: ${fmtShape(a)} x ${fmtShape(b)} (${k1} vs ${k2})`, node);
  }
  const batch = broadcastShapes(a2.slice(0, -2), b2.slice(0, -2), node);
  const out: Dim[] = [...batch];
  if (a.length > 1) out.push(a2[a2.length - 2] as Dim);
  if (b.length > 1) out.push(b2[b2.length - 1] as Dim);
  return out;
}

/** Shape's start/end attributes (opset 15) resolved against the rank: negative counts from the end, clamped. */
export function shapeSlice(rank: number, start: number, end: number | undefined): [number, number] {
  const clamp = (v: number): number => Math.min(rank, Math.max(0, v < 0 ? v + rank : v));
  return [clamp(start), clamp(end ?? rank)];
}
