// Planning for convert (no graph edits): λ of every neuron from the calibration
// statistics (with dead layers/channels patched and reported), and the scale each
// value's consumer wants, so an affine op can fold that scale into its weights.
import { fail } from '../errors.js';
import type { Graph, Node } from '../ir/types.js';
import type { ActivationStat, CalibrationStats, Granularity } from './calibrate.js';
import { neuronSites } from './calibrate.js';
import type { Diagnostic } from './context.js';
import type { Scale } from './convert-scales.js';
import { unitScale } from './convert-scales.js';
import { consumersOf, useCount } from './graph-edit.js';

/** λ per neuron value from the statistics, with dead layers/channels replaced and reported. */
export function lambdas(g: Graph, stats: CalibrationStats, gran: Granularity, report: (d: Diagnostic) => void): Map<string, Scale> {
  const out = new Map<string, Scale>();
  for (const site of neuronSites(g)) {
    const st: ActivationStat | undefined = stats.values.get(site.value);
    const name = site.node.name;
    if (st === undefined) {
      throw fail({
        code: 'SNNC_E_CALIBRATION',
        message: `no calibration statistics for activation '${site.value}' of ${site.node.op} '${name}'`,
        node: name,
        hint: 'calibrate this very graph (after the ANN passes) before converting',
      });
    }
    const layer = st.layer > 0 ? st.layer : 1;
    if (!(st.layer > 0)) {
      report({
        severity: 'warning',
        code: 'SNNC_W_DEAD_LAYER',
        pass: 'convert',
        node: name,
        message: `${site.node.op} '${name}' never activated on the calibration data (λ = 0); its neurons get λ = 1`,
        hint: 'check the calibration data, or remove the dead layer',
      });
    }
    if (gran === 'layer') {
      out.set(site.value, Float64Array.of(layer));
      continue;
    }
    if (st.channel === undefined) {
      throw fail({
        code: 'SNNC_E_CALIBRATION',
        message: `statistics of '${site.value}' are per layer, but per-channel thresholds were asked for`,
        node: name,
        hint: 'calibrate with granularity channel',
      });
    }
    const ch = Float64Array.from(st.channel);
    let dead = 0;
    for (let c = 0; c < ch.length; c++) {
      if (!((ch[c] as number) > 0)) {
        ch[c] = layer;
        dead++;
      }
    }
    if (dead > 0 && st.layer > 0) {
      report({
        severity: 'warning',
        code: 'SNNC_W_DEAD_CHANNELS',
        pass: 'convert',
        node: name,
        message: `${dead} of ${ch.length} channels of '${name}' never activated on the calibration data; they get the layer's λ`,
        hint: 'more calibration samples may help',
      });
    }
    out.set(site.value, ch);
  }
  return out;
}

const SCALE_THROUGH = new Set(['AveragePool', 'GlobalAveragePool', 'Identity', 'Dropout', 'Add', 'Sub']);

/** The scale each value's consumer wants (walks the nodes backwards). */
export function desiredScales(g: Graph, lambda: ReadonlyMap<string, Scale>): Map<string, Scale> {
  const cons = consumersOf(g);
  const desired = new Map<string, Scale>();
  for (let i = g.nodes.length - 1; i >= 0; i--) {
    for (const v of (g.nodes[i] as Node).outputs) {
      if (v === '') continue;
      if (g.outputs.includes(v)) {
        desired.set(v, unitScale());
        continue;
      }
      const c = cons.get(v);
      if (c === undefined || c.length !== 1 || useCount(g, cons, v) !== 1) continue;
      const reader = c[0] as Node;
      const rOut = reader.outputs[0] as string;
      const want = lambda.get(rOut) ?? (SCALE_THROUGH.has(reader.op) ? desired.get(rOut) : undefined);
      if (want !== undefined) desired.set(v, want);
      else if ((reader.op === 'Softmax' || reader.op === 'Sigmoid') && g.outputs.includes(rOut)) desired.set(v, unitScale());
    }
  }
  return desired;
}
