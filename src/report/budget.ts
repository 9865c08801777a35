// Budgets: "accuracy>=97%,energy<=5uJ,latency<=1ms" — limits a compiled network must meet.
// One parser and one checker for every caller (the build plugin's CI budget, `snnc retrain`),
// so a unit or operator means the same everywhere. Values are stored in SI base units
// (accuracy as a fraction, energy in joules, latency in seconds), like report.json.
import { fail } from '../errors.js';
import type { CompileReport, TargetResult } from './types.js';

export type BudgetMetric = 'accuracy' | 'energy' | 'latency';
export type BudgetOp = '<=' | '<' | '>=' | '>';

export interface BudgetLimit {
  readonly metric: BudgetMetric;
  readonly op: BudgetOp;
  /** SI base units: fraction, joules, seconds. */
  readonly value: number;
  /** As written, for messages. */
  readonly text: string;
}

export type Budget = readonly BudgetLimit[];

const PREFIX: Readonly<Record<string, number>> = { p: 1e-12, n: 1e-9, u: 1e-6, µ: 1e-6, μ: 1e-6, m: 1e-3, '': 1 };
const UNIT: Readonly<Record<BudgetMetric, string>> = { accuracy: '%', energy: 'J', latency: 's' };
const HINT = 'write e.g. "accuracy>=97%,energy<=5uJ,latency<=1ms" (metrics: accuracy in % or as a fraction, energy in pJ/nJ/uJ/mJ/J, latency in ns/us/ms/s)';

function usage(message: string, where: string): Error {
  return fail({ code: 'SNNC_E_BUDGET', message: `${where}: ${message}`, hint: HINT });
}

function parseValue(metric: BudgetMetric, raw: string, where: string): number {
  const m = /^([0-9]*\.?[0-9]+(?:e[+-]?[0-9]+)?)\s*([a-zµμ%]*)$/i.exec(raw.trim());
  if (m === null) throw usage(`'${raw}' is not a number with a unit`, where);
  const x = Number(m[1]);
  const unit = m[2] ?? '';
  if (metric === 'accuracy') {
    if (unit === '%') {
      if (x > 100) throw usage(`accuracy ${raw} is above 100 %`, where);
      return x / 100;
    }
    if (unit !== '') throw usage(`accuracy takes % or a fraction, not '${unit}'`, where);
    if (x > 1) throw usage(`accuracy ${raw} without % must be a fraction in [0, 1] (did you mean ${raw}%?)`, where);
    return x;
  }
  const base = UNIT[metric];
  if (!unit.endsWith(base)) throw usage(`${metric} needs a unit in ${base} (e.g. ${metric === 'energy' ? '5uJ' : '1ms'}), got '${raw}'`, where);
  const scale = PREFIX[unit.slice(0, -base.length)];
  if (scale === undefined) throw usage(`unknown unit prefix in '${unit}'`, where);
  return x * scale;
}

/** Parse a budget; an empty string is no budget. Bad input → SNNC_E_BUDGET naming the term. */
export function parseBudget(text: string, where = '--budget'): Budget {
  const out: BudgetLimit[] = [];
  for (const term of text
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '')) {
    const m = /^([a-z]+)\s*(<=|>=|<|>)\s*(.+)$/i.exec(term);
    if (m === null) throw usage(`'${term}' is not <metric><op><value>`, where);
    const metric = (m[1] ?? '').toLowerCase();
    if (metric !== 'accuracy' && metric !== 'energy' && metric !== 'latency') throw usage(`unknown metric '${m[1] ?? ''}'`, where);
    const op = m[2] as BudgetOp;
    const value = parseValue(metric, m[3] ?? '', where);
    if (metric === 'accuracy' && (op === '<' || op === '<=')) throw usage(`an upper bound on accuracy ('${term}') is not a budget`, where);
    if (metric !== 'accuracy' && (op === '>' || op === '>=')) throw usage(`a lower bound on ${metric} ('${term}') is not a budget`, where);
    if (metric !== 'accuracy' && value <= 0 && op === '<') throw usage(`'${term}' can never hold`, where);
    out.push({ metric, op, value, text: term });
  }
  const seen = new Set<string>();
  for (const l of out) {
    if (seen.has(l.metric)) throw usage(`${l.metric} is limited twice`, where);
    seen.add(l.metric);
  }
  return out;
}

export interface BudgetMiss {
  readonly target: string;
  readonly limit: BudgetLimit;
  /** The measured value (SI base units), or null when the report has none. */
  readonly measured: number | null;
}

function holds(op: BudgetOp, x: number, v: number): boolean {
  return op === '<=' ? x <= v : op === '<' ? x < v : op === '>=' ? x >= v : x > v;
}

function measured(r: TargetResult, metric: BudgetMetric): number | null {
  return metric === 'accuracy' ? r.accuracy : metric === 'energy' ? r.energyJ : r.latencyS;
}

/** Every limit that a target of the report misses (unavailable targets miss every limit). */
export function checkBudget(report: CompileReport, budget: Budget): BudgetMiss[] {
  const out: BudgetMiss[] = [];
  for (const r of report.targets) {
    if (r.kind === 'ann') continue;
    for (const limit of budget) {
      const x = r.status === 'ok' ? measured(r, limit.metric) : null;
      if (x === null || !holds(limit.op, x, limit.value)) out.push({ target: r.target, limit, measured: x });
    }
  }
  return out;
}

/** "accuracy 82.00 % (needs >=97%)" for messages. */
export function describeMiss(m: BudgetMiss): string {
  const x = m.measured;
  const shown = x === null ? 'not measured' : m.limit.metric === 'accuracy' ? `${(100 * x).toFixed(2)} %` : `${x.toPrecision(3)} ${UNIT[m.limit.metric]}`;
  return `${m.target}: ${m.limit.metric} ${shown} (needs ${m.limit.text})`;
}
