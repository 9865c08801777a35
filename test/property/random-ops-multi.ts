// Builders of the random-graph generator whose ops read several values: the
// broadcasting binaries (Add/Sub/Mul/Div/Max), Concat and Less+Where. A second operand
// is an earlier value when one fits (making the graph a DAG), else a new initializer or
// graph input of a shape that broadcasts against the first.
import type { Builder, Picks, State, Val } from './random-graph.js';
import { add, awayFromZero, fill, fresh, initF, inputF, uniform } from './random-graph.js';

/** Numpy broadcast of two shapes, or undefined when they do not broadcast. */
function broadcast(a: readonly number[], b: readonly number[]): number[] | undefined {
  const r = Math.max(a.length, b.length);
  const out: number[] = [];
  for (let i = 0; i < r; i++) {
    const x = a[a.length - r + i] ?? 1;
    const y = b[b.length - r + i] ?? 1;
    if (x !== y && x !== 1 && y !== 1) return undefined;
    out.push(Math.max(x, y));
  }
  return out;
}

/** A shape that broadcasts with `s`: dims kept, set to 1, expanded from 1, leading dims dropped or added. */
function partnerShape(s: readonly number[], p: Picks): number[] {
  let t = s.map((d) => {
    const c = p.int(0, 3);
    if (c === 3) return 1;
    if (d === 1 && c === 2) return p.int(2, 3);
    return d;
  });
  if (p.int(0, 3) === 3) t = t.slice(p.int(0, t.length));
  else if (p.int(0, 4) === 4 && t.length < 5) t = [p.int(1, 2), ...t];
  return t;
}

interface Operand {
  readonly name: string;
  readonly bound: number;
}

/** A fresh operand of `shape`: an initializer or a new graph input; `away` keeps |v| in [0.5, 2). */
function freshOperand(st: State, shape: readonly number[], p: Picks, away: boolean): Operand {
  const data = fill(st, shape, () => (away ? awayFromZero(st, 0.5, 2) : uniform(st, -1, 1)));
  const name = p.bool() ? inputF(st, shape, data) : initF(st, shape, data, 'k');
  return { name, bound: away ? 2 : 1 };
}

/** An earlier value that broadcasts with `shape` (sometimes x itself), or a fresh one. */
function partner(st: State, shape: readonly number[], p: Picks): Operand & { readonly shape: readonly number[] } {
  if (p.int(0, 2) === 2) {
    const fitting = st.vals.filter((v) => broadcast(v.shape, shape) !== undefined);
    const v = fitting.length > 0 ? p.choose(fitting) : undefined;
    if (v !== undefined) return v;
  }
  const t = partnerShape(shape, p);
  return { ...freshOperand(st, t, p, false), shape: t };
}

function binary(op: 'Add' | 'Sub' | 'Mul' | 'Div'): Builder {
  return (st, x, p) => {
    // Div only ever divides by fresh values bounded away from zero.
    const y = op === 'Div' ? freshOperand(st, partnerShape(x.shape, p), p, true) : partner(st, x.shape, p);
    const swap = op !== 'Div' && p.bool();
    const bound = op === 'Div' ? 2 * x.bound : op === 'Mul' ? x.bound * y.bound : x.bound + y.bound;
    const inputs = swap ? [y.name, x.name] : [x.name, y.name];
    return add(st, { op, inputs, outputs: [fresh(st, `${x.name}_${op.toLowerCase()}`)] }, bound) !== undefined;
  };
}

const max: Builder = (st, x, p) => {
  // Each further operand must broadcast with the shape so far, not just with x.
  let shape: readonly number[] = x.shape;
  const others = Array.from({ length: p.int(0, 2) }, () => {
    const o = partner(st, shape, p);
    shape = broadcast(shape, o.shape) ?? shape;
    return o;
  });
  const inputs = [x.name, ...others.map((o) => o.name)];
  const bound = Math.max(x.bound, ...others.map((o) => o.bound));
  return add(st, { op: 'Max', inputs, outputs: [fresh(st, `${x.name}_max`)] }, bound) !== undefined;
};

export const concatOp: Builder = (st, x, p) => {
  const r = x.shape.length;
  if (r < 1) return false;
  const axis = p.int(-r, r - 1);
  const a = axis < 0 ? axis + r : axis;
  const same = (v: Val): boolean => v.shape.length === r && v.shape.every((d, i) => i === a || d === x.shape[i]);
  const candidates = st.vals.filter(same);
  const parts: Operand[] = [x];
  const extra = p.int(1, 2);
  for (let i = 0; i < extra; i++) {
    if (p.bool() && candidates.length > 0) parts.push(p.choose(candidates));
    else
      parts.push(
        freshOperand(
          st,
          x.shape.map((d, j) => (j === a ? p.int(1, 3) : d)),
          p,
          false,
        ),
      );
  }
  // x need not come first.
  const at = p.int(0, parts.length - 1);
  [parts[0], parts[at]] = [parts[at] as Operand, parts[0] as Operand];
  const bound = Math.max(...parts.map((o) => o.bound));
  return add(st, { op: 'Concat', inputs: parts.map((o) => o.name), outputs: [fresh(st, `${x.name}_cat`)], attrs: { axis } }, bound) !== undefined;
};

/** Where(Less(x, t), x, y) or with the branches swapped. */
export const whereOp: Builder = (st, x, p) => {
  const tShape = partnerShape(x.shape, p);
  const t = freshOperand(st, tShape, p, false);
  const cond = fresh(st, `${x.name}_lt`);
  if (add(st, { op: 'Less', inputs: [x.name, t.name], outputs: [cond] }, 0) === undefined) return false;
  const y = partner(st, broadcast(x.shape, tShape) ?? x.shape, p);
  const inputs = p.bool() ? [cond, x.name, y.name] : [cond, y.name, x.name];
  return add(st, { op: 'Where', inputs, outputs: [fresh(st, `${x.name}_where`)] }, Math.max(x.bound, y.bound)) !== undefined;
};

export const binaryOps: Readonly<Record<string, Builder>> = {
  Add: binary('Add'),
  Sub: binary('Sub'),
  Mul: binary('Mul'),
  Div: binary('Div'),
  Max: max,
};
