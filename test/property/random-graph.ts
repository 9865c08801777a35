// Random small graphs for the ORT property test: the state a recipe is built into.
//
// fast-check generates a *recipe* (a seed, an input shape, and a list of steps, each an
// op name plus a few small integers); `buildRecipe` turns it into a valid graph by
// reading those integers as choices that are clamped to what the current shapes allow.
// Shrinking the integers toward 0 therefore shrinks toward the simplest attribute
// choices, and every recipe builds a graph ONNX accepts. Weights and inputs come from a
// seeded PRNG, so a recipe fully determines the graph and its feeds.
import { mulberry32 } from '../../src/sim/snn/rng.js';
import type { NodeSpec } from '../../src/ir/build.js';
import { buildGraph } from '../../src/ir/build.js';
import { makeTensor } from '../../src/ir/dtype.js';
import { inferNode } from '../../src/ir/ops.js';
import type { DType, Graph, Node, Tensor, ValueInfo } from '../../src/ir/types.js';

/** Largest tensor a step may create; keeps each graph to a few milliseconds of work. */
const MAX_ELEMS = 2048;

export interface Step {
  readonly op: string;
  /** < 60 (of 100): read the newest value; otherwise any earlier value. */
  readonly operand: number;
  readonly picks: readonly number[];
}

export interface Recipe {
  readonly seed: number;
  readonly batch: number;
  readonly dims: readonly number[];
  readonly steps: readonly Step[];
}

/** A float32 value a later step may read, with a bound on |element| (for Exp and Div). */
export interface Val {
  readonly name: string;
  readonly shape: readonly number[];
  readonly bound: number;
  /** A graph input holds distinct random floats: no ties (MaxPool Indices is only checked then). */
  readonly raw: boolean;
}

/** Choices read from the step's integers; past their end, from the PRNG. */
export interface Picks {
  int(lo: number, hi: number): number;
  bool(): boolean;
  choose<T>(xs: readonly T[]): T;
}

export interface State {
  readonly rng: () => number;
  readonly nodes: NodeSpec[];
  readonly inits: Map<string, Tensor>;
  readonly inputs: { name: string; dtype: DType; shape: number[] }[];
  readonly feeds: Map<string, Tensor>;
  readonly vals: Val[];
  readonly infos: Map<string, ValueInfo>;
  readonly used: Set<string>;
  /** Tensors created for the step in progress: committed by `add`, dropped on reject. */
  readonly pending: { inits: Map<string, Tensor>; inputs: Map<string, Tensor> };
  counter: number;
}

/** The shared seeded generator (mulberry32), under this module's old name. */
export const prng = mulberry32;

function reader(picks: readonly number[], rng: () => number): Picks {
  let i = 0;
  const next = (): number => (i < picks.length ? (picks[i++] ?? 0) : Math.floor(rng() * 1000));
  const int = (lo: number, hi: number): number => (hi <= lo ? lo : lo + (next() % (hi - lo + 1)));
  return {
    int,
    bool: () => next() % 2 === 1,
    choose: <T>(xs: readonly T[]): T => xs[int(0, xs.length - 1)] as T,
  };
}

export const size = (shape: readonly number[]): number => shape.reduce((a, b) => a * b, 1);

export function fresh(st: State, prefix: string): string {
  return `${prefix}${st.counter++}`;
}

/** Uniform in [lo, hi), rounded to float32 so bounds are computed on the stored values. */
export function uniform(st: State, lo: number, hi: number): number {
  return Math.fround(lo + (hi - lo) * st.rng());
}

/** Magnitude in [lo, hi) with a random sign: values bounded away from zero (Div denominators). */
export function awayFromZero(st: State, lo: number, hi: number): number {
  const m = uniform(st, lo, hi);
  return st.rng() < 0.5 ? -m : m;
}

export function tensorOf(shape: readonly number[], data: readonly number[]): Tensor {
  return makeTensor('float32', shape, Float32Array.from(data));
}

export function fill(st: State, shape: readonly number[], gen: () => number): number[] {
  return Array.from({ length: size(shape) }, gen);
}

/** A float32 initializer for the step in progress. */
export function initF(st: State, shape: readonly number[], data: readonly number[], prefix = 'w'): string {
  const name = fresh(st, prefix);
  st.pending.inits.set(name, tensorOf(shape, data));
  return name;
}

export function initT(st: State, t: Tensor, prefix = 'c'): string {
  const name = fresh(st, prefix);
  st.pending.inits.set(name, t);
  return name;
}

/** A new float32 graph input fed with `data`. */
export function inputF(st: State, shape: readonly number[], data: readonly number[]): string {
  const name = fresh(st, 'x');
  st.pending.inputs.set(name, tensorOf(shape, data));
  return name;
}

const maxAbs = (xs: readonly number[]): number => xs.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
export { maxAbs };

function lookupInfo(st: State, v: string): ValueInfo {
  const known = st.infos.get(v);
  if (known !== undefined) return known;
  const t = st.pending.inits.get(v) ?? st.pending.inputs.get(v) ?? st.inits.get(v);
  if (t === undefined) throw new Error(`generator bug: value '${v}' is undefined`);
  return { name: v, dtype: t.dtype, shape: t.shape };
}

/**
 * Add one node: infer its outputs (our shape inference), reject it if any output is
 * over MAX_ELEMS, else commit its pending tensors. Returns the output infos, or
 * undefined when rejected. Float32 outputs become readable values with `bound`.
 */
export function add(st: State, spec: NodeSpec, bound: number, raw = false): ValueInfo[] | undefined {
  const name = `n${st.nodes.length}`;
  const node = { ...spec, name, attrs: spec.attrs ?? {} } as Node;
  const outs = inferNode(
    node,
    (v) => lookupInfo(st, v),
    (v) => st.pending.inits.get(v) ?? st.inits.get(v),
  );
  const shapes = outs.map((o) => o.shape.map((d) => (typeof d === 'number' ? d : NaN)));
  if (shapes.some((s) => !(size(s) <= MAX_ELEMS))) {
    st.pending.inits.clear();
    st.pending.inputs.clear();
    return undefined;
  }
  for (const [k, t] of st.pending.inits) st.inits.set(k, t);
  for (const [k, t] of st.pending.inputs) {
    st.inputs.push({ name: k, dtype: t.dtype, shape: [...t.shape] });
    st.feeds.set(k, t);
    st.infos.set(k, { name: k, dtype: t.dtype, shape: t.shape });
  }
  st.pending.inits.clear();
  st.pending.inputs.clear();
  for (const v of spec.inputs) if (v !== '') st.used.add(v);
  st.nodes.push({ ...spec, name } as NodeSpec);
  outs.forEach((o, i) => {
    st.infos.set(o.name, o);
    const shape = shapes[i] ?? [];
    if (o.dtype === 'float32') st.vals.push({ name: o.name, shape, bound, raw });
  });
  return outs;
}

export type Builder = (st: State, x: Val, p: Picks) => boolean;

export interface Built {
  readonly graph: Graph;
  readonly feeds: ReadonlyMap<string, Tensor>;
}

/**
 * Run the recipe's steps through `builders`; a builder returns false when its op does
 * not fit the chosen operand, and `fallback` (which always fits) runs instead. The graph
 * outputs are every node output nothing reads, so no computed value goes unchecked.
 */
export function buildRecipe(r: Recipe, builders: Readonly<Record<string, Builder>>, fallback: Builder): Built {
  const rng = prng(r.seed);
  const st: State = {
    rng,
    nodes: [],
    inits: new Map(),
    inputs: [],
    feeds: new Map(),
    vals: [],
    infos: new Map(),
    used: new Set(),
    pending: { inits: new Map(), inputs: new Map() },
    counter: 0,
  };
  const shape = [r.batch, ...r.dims];
  // Keep the input small whatever the recipe says: shrink the largest dim until it fits.
  while (size(shape) > MAX_ELEMS / 2) {
    const i = shape.indexOf(Math.max(...shape.slice(1)), 1);
    shape[i] = (shape[i] as number) - 1;
  }
  const x0 = fresh(st, 'x');
  const t0 = tensorOf(
    shape,
    fill(st, shape, () => uniform(st, -1, 1)),
  );
  st.inputs.push({ name: x0, dtype: 'float32', shape });
  st.feeds.set(x0, t0);
  st.infos.set(x0, { name: x0, dtype: 'float32', shape });
  st.vals.push({ name: x0, shape, bound: 1, raw: true });
  for (const step of r.steps) {
    const last = st.vals[st.vals.length - 1] as Val;
    const x = step.operand < 60 ? last : (st.vals[step.operand % st.vals.length] as Val);
    const builder = builders[step.op];
    if (builder === undefined) throw new Error(`generator bug: no builder for ${step.op}`);
    const before = st.nodes.length;
    if (!builder(st, x, reader(step.picks, rng)) || st.nodes.length === before) {
      st.pending.inits.clear();
      st.pending.inputs.clear();
      fallback(st, x, reader(step.picks, rng));
    }
  }
  const outputs = st.nodes.flatMap((n) => n.outputs).filter((o) => o !== '' && !st.used.has(o));
  const graph = buildGraph({ name: 'random', inputs: st.inputs, initializers: st.inits, nodes: st.nodes, outputs });
  return { graph, feeds: st.feeds };
}
