// calibrate: run the ANN on calibration inputs and collect, for every activation that
// convert turns into a spiking neuron (outputs of Relu and of Clip(0, a)), the statistic
// λ that becomes the neuron's firing scale — per layer and, when asked, per channel
// (channel = axis 1: feature maps of NCHW values, features of [N, F] values).
//
// Methods:
// - 'max': the largest activation seen (Diehl et al. 2015 weight normalization).
// - { percentile: p }: the p-th percentile of the NONZERO activations (as in snntoolbox's
//   robust normalization; zeros would drag the percentile of sparse ReLU layers down).
//   Computed from a fixed-bin histogram over [0, max] in a second pass: with B bins the
//   result r and the exact order statistic x_k satisfy 0 ≤ r − x_k ≤ max / B
//   (B = 16384 per layer, 4096 per channel), r ≤ max. Rank k = ceil(p/100 · count).
// - 'clip': the Clip node's own upper bound a (trained clipping, as in TCL).
// - 'hoyer': the Hoyer extremum of the activation clipped at its calibration max M:
//   with z = min(x, M)/M, M · ‖z‖₂²/‖z‖₁ = ‖x‖₂²/‖x‖₁ over the whole calibration set.
//
// Memory stays bounded: the ANN runs in batches; only the statistics are accumulated.
// Sums are float64 in a fixed order, so the result is deterministic.
import { fail } from '../errors.js';
import type { Graph, Node, Tensor } from '../ir/types.js';
import { runGraph } from '../sim/ann/run.js';
import type { CalibrationData, Pass } from './context.js';

export type CalibrationMethod = 'max' | 'clip' | 'hoyer' | { readonly percentile: number };
export type Granularity = 'layer' | 'channel';

export const METHODS_HELP = "'max', 'percentile:<p>' (e.g. percentile:99.99), 'clip', 'hoyer'";

/** 'max' | 'clip' | 'hoyer' | 'percentile:<p>' → the method (SNNC_E_USAGE otherwise). */
export function parseMethod(s: string, where?: string): CalibrationMethod {
  if (s === 'max' || s === 'clip' || s === 'hoyer') return s;
  const m = /^percentile:(\d+(?:\.\d+)?)$/.exec(s);
  const p = m !== null ? Number(m[1]) : NaN;
  if (p > 0 && p <= 100) return { percentile: p };
  throw fail({ code: 'SNNC_E_USAGE', message: `${where !== undefined ? `${where}: ` : ''}unknown calibration method '${s}'`, hint: `use ${METHODS_HELP}` });
}

export interface CalibrateOptions {
  readonly method: CalibrationMethod;
  readonly granularity: Granularity;
  /** Samples per ANN run (default 64; a model with a fixed batch dim uses that). */
  readonly batchSize?: number;
  readonly maxElements?: number;
}

export interface ActivationStat {
  /** λ of the whole layer (ANN units). */
  readonly layer: number;
  /** λ per channel (axis 1), present for granularity 'channel'. */
  readonly channel?: Float32Array;
}

export interface CalibrationStats {
  /** 'max', 'percentile:99.9', 'clip' or 'hoyer' (the value of meta snnc.calibration). */
  readonly method: string;
  readonly granularity: Granularity;
  readonly source: string;
  /** Range of the calibration inputs (convert warns when Poisson coding gets values outside [0, 1]). */
  readonly input: { readonly min: number; readonly max: number };
  /** Neuron value name → statistics, in node order. */
  readonly values: ReadonlyMap<string, ActivationStat>;
}

/** An activation convert turns into a neuron. */
export interface NeuronSite {
  readonly node: Node;
  readonly value: string;
  /** Clip's upper bound when the activation is Clip(0, a). */
  readonly bound?: number;
}

export const LAYER_BINS = 16384;
export const CHANNEL_BINS = 4096;
/** Fewest bins per channel when a huge net's histograms are shrunk to fit HIST_BUDGET. */
const MIN_CHANNEL_BINS = 256;
/** Bytes of histogram counters alive at once (percentile calibration). */
const HIST_BUDGET = 256 * 2 ** 20;
const META_KEY = 'snnc.calibration.stats';

function calibError(message: string, hint: string, node?: string): Error {
  return fail({ code: 'SNNC_E_CALIBRATION', message, hint, ...(node !== undefined ? { node } : {}) });
}

function scalarOf(g: Graph, name: string | undefined): number | undefined {
  if (name === undefined || name === '') return undefined;
  const t = g.initializers.get(name);
  if (t === undefined || t.data.length !== 1) return undefined;
  return Number(t.data[0]);
}

/**
 * Clip(x, 0, a) (a > 0, or absent) is a neuron; any other Clip is not (convert rejects it).
 * Returns undefined for a non-neuron Clip, or { bound } (bound undefined when max is absent).
 */
export function clipNeuron(g: Graph, n: Node): { readonly bound: number | undefined } | undefined {
  if (n.op !== 'Clip') return undefined;
  const lo = scalarOf(g, n.inputs[1]);
  if (lo !== 0) return undefined;
  const maxName = n.inputs[2];
  if (maxName === undefined || maxName === '') return { bound: undefined };
  const hi = scalarOf(g, maxName);
  return hi !== undefined && hi > 0 ? { bound: hi } : undefined;
}

export function neuronSites(g: Graph): NeuronSite[] {
  const sites: NeuronSite[] = [];
  for (const n of g.nodes) {
    const value = n.outputs[0];
    if (value === undefined) continue;
    if (n.op === 'Relu') sites.push({ node: n, value });
    const c = clipNeuron(g, n);
    if (c !== undefined) sites.push(c.bound !== undefined ? { node: n, value, bound: c.bound } : { node: n, value });
  }
  return sites;
}

function methodLabel(m: CalibrationMethod): string {
  return typeof m === 'string' ? m : `percentile:${m.percentile}`;
}

const fmt = (s: readonly (number | string)[]): string => `[${s.join(', ')}]`;

/** The calibration inputs fit the graph input: one input, float32, N ≥ 1, same per-sample shape. */
function checkCalibrationData(g: Graph, data: CalibrationData): number {
  if (g.inputs.length !== 1) {
    throw calibError(
      `calibration feeds one tensor, but graph '${g.name}' has ${g.inputs.length} inputs (${g.inputs.join(', ')})`,
      'calibrate a model with a single input',
    );
  }
  const input = g.inputs[0] as string;
  const info = g.values.get(input);
  const x = data.x;
  const from = `calibration data (${data.source})`;
  if (x.dtype !== 'float32' || !(x.data instanceof Float32Array)) {
    throw calibError(`${from} has dtype ${x.dtype}; input '${input}' needs float32`, 'store x as float32');
  }
  const N = x.shape[0];
  if (N === undefined || N < 1) throw calibError(`${from} holds no samples`, 'give at least one calibration sample');
  const want = info?.shape.slice(1) ?? [];
  const got = x.shape.slice(1);
  const ok = got.length === want.length && want.every((d, i) => typeof d !== 'number' || d === got[i]);
  if (!ok) {
    throw calibError(
      `${from} has per-sample shape ${fmt(got)}, but input '${input}' expects ${fmt(want)} (after the batch dim)`,
      `x must be [N, ${want.join(', ')}]`,
    );
  }
  const per = got.reduce((a, b) => a * b, 1);
  if (x.data.length !== N * per) throw calibError(`${from} holds ${x.data.length} values, not ${N}·${per}`, 'the tensor data does not match its shape');
  if (data.y !== undefined && data.y.length !== N) {
    throw calibError(`${from} has ${N} samples but ${data.y.length} labels`, 'x and y must have the same length');
  }
  return N;
}

interface Acc {
  readonly site: NeuronSite;
  channels: number;
  inner: number;
  max: number;
  sum: number;
  sumSq: number;
  count: number;
  cMax?: Float64Array;
  cSum?: Float64Array;
  cSumSq?: Float64Array;
  cCount?: Float64Array;
  hist?: Uint32Array;
  cHist?: Uint32Array;
  /** Bins per channel of cHist. */
  cBins: number;
}

function layout(t: Tensor): { channels: number; inner: number } {
  const channels = t.shape.length >= 2 ? (t.shape[1] as number) : 1;
  const inner = t.shape.slice(2).reduce((a, b) => a * b, 1);
  return { channels, inner };
}

/** Runs the ANN batch by batch and hands each site's activation tensor to `visit`. */
function sweep(g: Graph, data: CalibrationData, sites: readonly NeuronSite[], opts: CalibrateOptions, visit: (i: number, t: Tensor) => void): void {
  const N = data.x.shape[0] as number;
  const input = g.inputs[0] as string;
  const batchDim = g.values.get(input)?.shape[0];
  let bs = typeof batchDim === 'number' ? batchDim : (opts.batchSize ?? 64);
  if (typeof batchDim === 'number' && N % batchDim !== 0) {
    throw calibError(
      `input '${input}' has a fixed batch of ${batchDim}, which does not divide the ${N} calibration samples`,
      `use a multiple of ${batchDim} samples`,
    );
  }
  if (!Number.isInteger(bs) || bs < 1) throw calibError(`batch size ${bs} is not a positive integer`, 'omit it for the default');
  bs = Math.min(bs, N);
  const per = data.x.data.length / N;
  // Each site's activation is visited the moment it is computed (onValue), not collected as
  // an output: a deep net keeps only the live activations in memory, not all of them.
  const siteOf = new Map<string, number[]>();
  sites.forEach((s, i) => siteOf.set(s.value, [...(siteOf.get(s.value) ?? []), i]));
  const onValue = (name: string, t: Tensor): void => {
    for (const i of siteOf.get(name) ?? []) visit(i, t);
  };
  const runOpts = { onValue, ...(opts.maxElements !== undefined ? { maxElements: opts.maxElements } : {}) };
  for (let start = 0; start < N; start += bs) {
    const n = Math.min(bs, N - start);
    const x: Tensor = { dtype: 'float32', shape: [n, ...data.x.shape.slice(1)], data: (data.x.data as Float32Array).subarray(start * per, (start + n) * per) };
    runGraph(g, new Map([[input, x]]), runOpts);
  }
}

function accumulate(a: Acc, t: Tensor, perChannel: boolean): void {
  const { channels, inner } = layout(t);
  a.channels = channels;
  a.inner = inner;
  if (perChannel && a.cMax === undefined) {
    a.cMax = new Float64Array(channels);
    a.cSum = new Float64Array(channels);
    a.cSumSq = new Float64Array(channels);
    a.cCount = new Float64Array(channels);
  }
  const d = t.data as Float32Array;
  const block = channels * inner;
  for (let base = 0; base < d.length; base += block) {
    for (let c = 0; c < channels; c++) {
      let mx = 0;
      let s = 0;
      let s2 = 0;
      let k = 0;
      const off = base + c * inner;
      for (let j = 0; j < inner; j++) {
        const v = d[off + j] as number;
        if (v > 0) {
          if (v > mx) mx = v;
          s += v;
          s2 += v * v;
          k++;
        }
      }
      if (mx > a.max) a.max = mx;
      a.sum += s;
      a.sumSq += s2;
      a.count += k;
      if (a.cMax !== undefined && a.cSum !== undefined && a.cSumSq !== undefined && a.cCount !== undefined) {
        if (mx > (a.cMax[c] as number)) a.cMax[c] = mx;
        a.cSum[c] = (a.cSum[c] as number) + s;
        a.cSumSq[c] = (a.cSumSq[c] as number) + s2;
        a.cCount[c] = (a.cCount[c] as number) + k;
      }
    }
  }
}

/** Activations the calibration keeps from its first pass for the percentile histograms (bytes). */
const KEPT_BUDGET = 256 * 2 ** 20;

/**
 * Splits the sites into groups whose histograms fit HIST_BUDGET. A net whose per-channel
 * histograms would not fit at CHANNEL_BINS first gets fewer bins per channel (down to
 * MIN_CHANNEL_BINS: a percentile then resolves to 1/256 of the channel's max instead of
 * 1/4096); every net of ordinary size keeps the full resolution and a single group.
 */
function histogramGroups(accs: Acc[], perChannel: boolean): Acc[][] {
  const channels = perChannel ? accs.reduce((s, a) => s + a.channels, 0) : 0;
  const layerBytes = accs.length * LAYER_BINS * 4;
  const fit = Math.floor((HIST_BUDGET - layerBytes) / Math.max(1, channels * 4));
  const cBins = Math.max(MIN_CHANNEL_BINS, Math.min(CHANNEL_BINS, fit));
  for (const a of accs) a.cBins = cBins;
  const groups: Acc[][] = [];
  let cur: Acc[] = [];
  let bytes = 0;
  for (const a of accs) {
    const need = (LAYER_BINS + (perChannel ? a.channels * cBins : 0)) * 4;
    if (cur.length > 0 && bytes + need > HIST_BUDGET) {
      groups.push(cur);
      cur = [];
      bytes = 0;
    }
    cur.push(a);
    bytes += need;
  }
  if (cur.length > 0) groups.push(cur);
  return groups;
}

function binOf(v: number, max: number, bins: number): number {
  return Math.min(bins - 1, Math.floor((v / max) * bins));
}

function histogram(a: Acc, t: Tensor): void {
  if (a.hist === undefined) return; // not in the group being counted now
  const d = t.data as Float32Array;
  const { channels, inner, cBins } = a;
  const block = channels * inner;
  for (let base = 0; base < d.length; base += block) {
    for (let c = 0; c < channels; c++) {
      const cm = a.cMax?.[c] ?? 0;
      const off = base + c * inner;
      for (let j = 0; j < inner; j++) {
        const v = d[off + j] as number;
        if (!(v > 0)) continue;
        if (a.hist !== undefined) {
          const b = binOf(v, a.max, LAYER_BINS);
          a.hist[b] = (a.hist[b] as number) + 1;
        }
        if (a.cHist !== undefined) {
          const b = c * cBins + binOf(v, cm, cBins);
          a.cHist[b] = (a.cHist[b] as number) + 1;
        }
      }
    }
  }
}

/** Upper edge of the bin holding the k-th smallest value (k = ceil(p/100 · count)), ≤ max. */
function percentileOf(hist: Uint32Array, offset: number, bins: number, count: number, max: number, p: number): number {
  if (count === 0 || max === 0) return 0;
  const k = Math.max(1, Math.ceil((p / 100) * count));
  let seen = 0;
  for (let b = 0; b < bins; b++) {
    seen += hist[offset + b] as number;
    if (seen >= k) return Math.min(max, ((b + 1) * max) / bins);
  }
  return max;
}

function checkMethod(m: CalibrationMethod): void {
  if (typeof m === 'object') {
    const p = m.percentile;
    if (typeof p !== 'number' || !(p > 0 && p <= 100)) {
      throw calibError(`percentile ${String(p)} is not in (0, 100]`, 'use e.g. --method percentile:99.9');
    }
  } else if (m !== 'max' && m !== 'clip' && m !== 'hoyer') {
    throw calibError(`unknown calibration method '${String(m)}'`, "methods are 'max', 'percentile:<p>', 'clip', 'hoyer'");
  }
}

export function calibrate(g: Graph, data: CalibrationData, opts: CalibrateOptions): CalibrationStats {
  checkMethod(opts.method);
  checkCalibrationData(g, data);
  const sites = neuronSites(g);
  const method = opts.method;
  const perChannel = opts.granularity === 'channel';
  if (method === 'clip') {
    const plain = sites.find((s) => s.bound === undefined);
    if (plain !== undefined) {
      throw calibError(
        `method 'clip' needs every activation to be Clip(0, a), but '${plain.node.name}' is a ${plain.node.op} without an upper bound`,
        "use 'max' or 'percentile:99.9', or train with clipped activations (ReLU6 / TCL)",
        plain.node.name,
      );
    }
  }
  const xd = data.x.data as Float32Array;
  let inMin = Infinity;
  let inMax = -Infinity;
  for (let i = 0; i < xd.length; i++) {
    const v = xd[i] as number;
    if (v < inMin) inMin = v;
    if (v > inMax) inMax = v;
  }
  const accs: Acc[] = sites.map((site) => ({ site, channels: 1, inner: 1, max: 0, sum: 0, sumSq: 0, count: 0, cBins: CHANNEL_BINS }));
  // Percentiles bin by the maximum, so they need a second look at every activation: kept from
  // the first pass when they fit KEPT_BUDGET (the interpreter's outputs are fresh arrays that
  // nothing writes to later), else computed again — the same values either way.
  let kept: Tensor[][] | undefined = typeof method === 'object' ? sites.map(() => []) : undefined;
  let keptBytes = 0;
  // 'clip' needs the channel count only, but one pass also catches a model that fails to run.
  sweep(g, data, sites, opts, (i, t) => {
    accumulate(accs[i] as Acc, t, perChannel);
    if (kept === undefined) return;
    keptBytes += t.data.byteLength;
    if (keptBytes > KEPT_BUDGET) kept = undefined;
    else kept[i]?.push(t);
  });
  const values = new Map<string, ActivationStat>();
  const finish = (a: Acc): void => {
    const pick = (max: number, sum: number, sumSq: number, count: number, hist: Uint32Array | undefined, off: number, bins: number): number => {
      if (method === 'max') return max;
      if (method === 'clip') return a.site.bound as number;
      if (method === 'hoyer') return sum > 0 ? sumSq / sum : 0;
      return percentileOf(hist as Uint32Array, off, bins, count, max, method.percentile);
    };
    const layer = pick(a.max, a.sum, a.sumSq, a.count, a.hist, 0, LAYER_BINS);
    if (!perChannel) {
      values.set(a.site.value, { layer });
      return;
    }
    const ch = new Float32Array(a.channels);
    for (let c = 0; c < a.channels; c++) {
      ch[c] = pick(a.cMax?.[c] ?? 0, a.cSum?.[c] ?? 0, a.cSumSq?.[c] ?? 0, a.cCount?.[c] ?? 0, a.cHist, c * a.cBins, a.cBins);
    }
    values.set(a.site.value, { layer, channel: ch });
  };
  if (typeof method !== 'object') {
    accs.forEach(finish);
  } else {
    // Percentiles need histograms: a group of sites at a time, each group one more pass over
    // the data, so the counters alive at once stay within HIST_BUDGET however deep the net.
    for (const group of histogramGroups(accs, perChannel)) {
      for (const a of group) {
        a.hist = new Uint32Array(LAYER_BINS);
        if (perChannel) a.cHist = new Uint32Array(a.channels * a.cBins);
      }
      if (kept !== undefined) for (const a of group) for (const t of kept[accs.indexOf(a)] ?? []) histogram(a, t);
      else sweep(g, data, sites, opts, (i, t) => histogram(accs[i] as Acc, t));
      for (const a of group) {
        finish(a);
        delete a.hist;
        delete a.cHist;
      }
    }
  }
  // Groups are consecutive runs of accs, so values is filled in graph order either way.
  return { method: methodLabel(method), granularity: opts.granularity, source: data.source, input: { min: inMin, max: inMax }, values };
}

// --- carrying the statistics from the calibrate pass to the convert pass --------
// Passes hold no hidden state, so the statistics travel in the graph's meta as JSON
// (float32 values print exactly); convert removes the key.

interface StatsJson {
  readonly method: string;
  readonly granularity: Granularity;
  readonly source: string;
  readonly input: { readonly min: number; readonly max: number };
  readonly values: readonly { readonly value: string; readonly layer: number; readonly channel?: readonly number[] }[];
}

function statsToMeta(g: Graph, s: CalibrationStats): Graph {
  const json: StatsJson = {
    method: s.method,
    granularity: s.granularity,
    source: s.source,
    input: s.input,
    values: [...s.values].map(([value, st]) => (st.channel !== undefined ? { value, layer: st.layer, channel: [...st.channel] } : { value, layer: st.layer })),
  };
  return { ...g, meta: { ...g.meta, [META_KEY]: JSON.stringify(json) } };
}

export function statsFromMeta(g: Graph): CalibrationStats | undefined {
  const raw = g.meta[META_KEY];
  if (raw === undefined) return undefined;
  let j: StatsJson;
  try {
    j = JSON.parse(raw) as StatsJson;
  } catch {
    throw calibError(`graph meta ${META_KEY} is not valid JSON`, 'rerun the calibrate pass');
  }
  const values = new Map<string, ActivationStat>();
  for (const v of j.values) values.set(v.value, v.channel !== undefined ? { layer: v.layer, channel: Float32Array.from(v.channel) } : { layer: v.layer });
  return { method: j.method, granularity: j.granularity, source: j.source, input: j.input, values };
}

/** Graph meta without the statistics key (what convert leaves behind). */
export function withoutStats(meta: Readonly<Record<string, string>>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(meta)) if (k !== META_KEY) out[k] = v;
  return out;
}

/** The pass: needs ctx.calibration; stores the statistics in the graph meta for convert. */
export function calibratePass(opts: CalibrateOptions): Pass {
  return {
    name: 'calibrate',
    run: (g, ctx) => {
      if (ctx.calibration === undefined) {
        throw calibError('the calibrate pass has no calibration data', 'pass --calib mnist or --calib <file.npz>');
      }
      const o = ctx.maxElements !== undefined && opts.maxElements === undefined ? { ...opts, maxElements: ctx.maxElements } : opts;
      return statsToMeta(g, calibrate(g, ctx.calibration, o));
    },
  };
}
