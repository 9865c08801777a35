// Loihi cost model (Loihi 1 and 2 share it; only the constants differ).
//
// Energy per inference, per layer L (all activity counts are totals over T steps):
//   E_syn   = (synops + macs) * e_synop(kind)         conv layers use the conv synapse cost
//   E_neu   = neuronUpdates * (e_access + e_update)   every neuron is touched every step
//   E_route = outputSpikes * e_spikeGen
//           + outputSpikes * fanout * (e_axonOut + mean hop energy L -> next layer)
//   E_static = P_static * latency * cores_L / cores_total   (only if the target has P_static)
// Placement: cores are numbered row-major over the chip's mesh (tile = core / coresPerTile,
// x = tile % meshWidth, y = tile / meshWidth); a layer occupies cores
// [firstCore, firstCore + cores). Hops are Manhattan distances between tiles, averaged over
// every (source core, destination core) pair; E-W and N-S hops have their own costs.
// The last layer's spikes leave the chip (host I/O not modelled).
//
// Latency per time step: all cores work in parallel, so
//   t_core(L) = [ (synops+macs)/T * t_synop + neuronUpdates/T * (t_access + t_update)
//               + outputSpikes/T * t_spikeGen + messages/T * t_axonOut ] / cores_L
//   t_step = max_L t_core(L) + longest hop path + barrier(tiles in use)
// where barrier() interpolates the target's barrier table linearly in tiles (clamped).
// Latency per inference = T * t_step.
import type { CostReport, LayerCost, MappingOf, Activity, LoihiLayerMapping } from './types.js';
import type { LoihiTarget } from './target.js';
import { breakdownOf, makeReport, pairLayers } from './report.js';

interface Geometry {
  readonly coresPerTile: number;
  readonly meshWidth: number;
}

function tileXY(core: number, g: Geometry): [number, number] {
  const tile = Math.floor(core / g.coresPerTile);
  return [tile % g.meshWidth, Math.floor(tile / g.meshWidth)];
}

/** Mean hop energy and max hop latency between two core ranges. */
function hops(src: readonly [number, number], dst: readonly [number, number], g: Geometry, t: LoihiTarget): { meanEnergy: number; maxLatency: number } {
  let sum = 0;
  let n = 0;
  let maxLatency = 0;
  for (let s = src[0]; s < src[0] + src[1]; s++) {
    const [sx, sy] = tileXY(s, g);
    for (let d = dst[0]; d < dst[0] + dst[1]; d++) {
      const [dx, dy] = tileXY(d, g);
      const ew = Math.abs(sx - dx);
      const ns = Math.abs(sy - dy);
      sum += ew * t.energy.hopEastWest.value + ns * t.energy.hopNorthSouth.value;
      maxLatency = Math.max(maxLatency, ew * t.time.hopEastWest.value + ns * t.time.hopNorthSouth.value);
      n++;
    }
  }
  return { meanEnergy: n === 0 ? 0 : sum / n, maxLatency };
}

/** Barrier latency for `tiles` tiles in use: linear between table rows, clamped at the ends. */
export function barrierLatency(t: LoihiTarget, tiles: number): number {
  const rows = [...t.time.barrier].sort((a, b) => a.tiles - b.tiles);
  const first = rows[0];
  const last = rows[rows.length - 1];
  if (first === undefined || last === undefined) return 0;
  if (tiles <= first.tiles) return first.latency.value;
  if (tiles >= last.tiles) return last.latency.value;
  for (let i = 1; i < rows.length; i++) {
    const a = rows[i - 1];
    const b = rows[i];
    if (a !== undefined && b !== undefined && tiles <= b.tiles) {
      const f = (tiles - a.tiles) / (b.tiles - a.tiles);
      return a.latency.value + f * (b.latency.value - a.latency.value);
    }
  }
  return last.latency.value;
}

export function loihiCost(target: LoihiTarget, mapping: MappingOf<'loihi'>, activity: Activity): CostReport {
  const T = activity.T;
  const g: Geometry = { coresPerTile: target.chip.coresPerTile.value, meshWidth: target.chip.meshWidth.value };
  const e = target.energy;
  const tm = target.time;
  const pairs = pairLayers(mapping.layers, activity.layers);

  // Placement: consecutive unless the backend gave firstCore.
  const ranges: [number, number][] = [];
  let next = 0;
  for (const m of mapping.layers) {
    const first = m.firstCore ?? next;
    ranges.push([first, m.cores]);
    next = first + m.cores;
  }
  const tilesUsed = new Set<number>();
  for (const [first, n] of ranges) for (let c = first; c < first + n; c++) tilesUsed.add(Math.floor(c / g.coresPerTile));

  let maxHop = 0;
  let maxCore = 0;
  const work: { layer: LoihiLayerMapping; energy: ReturnType<typeof breakdownOf>; busyPerStep: number }[] = [];
  pairs.forEach(({ map, act }, i) => {
    const conv = act.kind === 'conv';
    const synCount = act.synops + act.macs;
    const nextRange = ranges[i + 1];
    const fanout = nextRange === undefined ? 0 : (map.fanoutCores ?? nextRange[1]);
    const range = ranges[i] ?? [0, map.cores];
    const hop = nextRange === undefined ? { meanEnergy: 0, maxLatency: 0 } : hops(range, nextRange, g, target);
    maxHop = Math.max(maxHop, hop.maxLatency);
    const messages = act.outputSpikes * fanout;
    const energy = breakdownOf({
      synops: act.synops * (conv ? e.synopConv.value : e.synopDense.value),
      macs: act.macs * (conv ? e.synopConv.value : e.synopDense.value),
      neuronUpdates: act.neuronUpdates * (e.neuronAccess.value + e.neuronUpdate.value),
      routing: act.outputSpikes * e.spikeGen.value + messages * (e.axonOut.value + hop.meanEnergy),
    });
    const busy =
      (synCount / T) * (conv ? tm.synopConv.value : tm.synopDense.value) +
      (act.neuronUpdates / T) * (tm.neuronAccess.value + tm.neuronUpdate.value) +
      (act.outputSpikes / T) * tm.spikeGen.value +
      (messages / T) * tm.axonOut.value;
    const busyPerStep = busy / Math.max(1, map.cores);
    maxCore = Math.max(maxCore, busyPerStep);
    work.push({ layer: map, energy, busyPerStep });
  });

  const step = maxCore + maxHop + barrierLatency(target, tilesUsed.size);
  const latencyS = T * step;
  const totalCores = mapping.layers.reduce((s, m) => s + m.cores, 0);
  const pStatic = e.staticPower?.value ?? 0;
  const layers: LayerCost[] = work.map(({ layer, energy, busyPerStep }) => {
    const withStatic = { ...energy, static: totalCores === 0 ? 0 : (pStatic * latencyS * layer.cores) / totalCores };
    const energyJ = Object.values(withStatic).reduce((s, v) => s + v, 0);
    return { name: layer.name, energyJ, latencyS: busyPerStep * T, breakdown: withStatic };
  });

  const assumptions = [
    'every neuron is accessed and updated on every time step (SANA-FE access + update energy)',
    "a layer's work is spread evenly over its cores; per-step latency uses the dataset-average step, not the worst step",
    'cores are placed row-major over the mesh in layer order; a spike is sent to every core of the next layer (exact for dense, an upper bound for conv) over Manhattan-routed hops',
    "the last layer's spikes leave the chip; host I/O is not modelled",
    'layer latencies are per-core busy times; layers run in parallel, so the total is max over layers + hops + barrier, not their sum',
  ];
  if (e.staticPower === undefined) assumptions.push('static (leakage) power is not modelled: the target gives no sourced figure');
  if (pairs.some((p) => p.act.macs > 0)) assumptions.push('real-valued inputs are counted as one synaptic op per MAC (graded-spike / bias input)');
  if (tilesUsed.size > target.chip.cores.value / g.coresPerTile)
    assumptions.push('the network needs more than one chip; chip-to-chip links are modelled as extra mesh rows');

  return makeReport({
    target,
    T,
    layers,
    latencyS,
    resources: { cores: totalCores, tiles: tilesUsed.size, compartments: mapping.totals.compartments, synapseBits: mapping.totals.synapseBits },
    assumptions,
  });
}
