// IMC backend: converted graph → crossbar mapping (imc/mapping.json), configuration with
// placement, converters and schedule (imc/config.json), per-tile conductance matrices
// (.npy) and a manifest. Also exports the functional simulation of the mapped network and
// the hardware-aware forward function (imcAffine) for retraining. See docs/targets/imc.md.
import { SHAPE_ONLY_OPS } from '../../ir/types.js';
import type { ImcTarget } from '../../costmodel/target.js';
import type { MappingOf } from '../../costmodel/types.js';
import type { Graph } from '../../ir/types.js';
import type { BackendDiagnostic, EmitResult, EmittedFile } from '../common/types.js';
import { configFiles } from './config.js';
import { senseSetup } from './sense-amp.js';
import { synapticLayers } from './layers.js';
import { mapNetwork } from './mapping.js';
import type { MappedNetwork } from './mapping.js';
import type { ImcOptions } from './options.js';
import { resolveOptions } from './options.js';

export type ImcEmitOptions = ImcOptions;

// The last mapping of each graph: compile emits a target's files and then simulates it, both
// from the same mapping (a CIFAR ResNet-18 takes 1.5 s to map); the simulation then lets go of
// it (forgetMapping), so a compile keeps no mapping alive after its target (hundreds of MB on
// CIFAR nets). One entry per graph; a graph that is dropped takes its entry with it. Graphs
// are immutable (passes return new ones), so the key is the graph's identity and the resolved
// configuration.
const lastMapping = new WeakMap<Graph, { readonly key: string; readonly net: MappedNetwork }>();

/** Map a converted graph onto the target's crossbars (no files). */
export function mapGraph(graph: Graph, target: ImcTarget, opts: ImcOptions = {}): MappedNetwork {
  const cfg = resolveOptions(target, opts);
  const key = JSON.stringify(cfg);
  const known = lastMapping.get(graph);
  if (known?.key === key) return known.net;
  const net = mapNetwork(synapticLayers(graph), cfg);
  lastMapping.set(graph, { key, net });
  return net;
}

/** Drop the graph's kept mapping (its last user is done with it). */
export function forgetMapping(graph: Graph): void {
  lastMapping.delete(graph);
}

function diagnosticsOf(graph: Graph, net: MappedNetwork): BackendDiagnostic[] {
  const out: BackendDiagnostic[] = [];
  const cfg = net.config;
  for (const m of net.layers) {
    const L = m.layer;
    if (L.input.kind === 'analog' && !graph.inputs.includes(graphInputOf(graph, L.name))) {
      out.push({
        severity: 'warning',
        code: 'SNNC_W_IMC_ANALOG_INPUT',
        node: L.name,
        message: `layer '${L.name}' is fed non-binary values that are not the network input; they are quantized to ${cfg.inputBits} bits over [0, ${cfg.inputMax}] and applied ${cfg.analogInput}`,
        hint: 'place a neuron layer (or an unpadded average pool of one) before every synaptic layer',
      });
    }
    if (cfg.periphery === 'adc' && cfg.adcBits < m.losslessBits) {
      out.push({
        severity: 'warning',
        code: 'SNNC_W_IMC_ADC_LOSSY',
        node: L.name,
        message: `layer '${L.name}': column partial sums need ${m.losslessBits} ADC bits to be exact; the ${cfg.adcBits}-bit ADC drops ${m.losslessBits - cfg.adcBits} low bits`,
        hint: `use adcBits ${m.losslessBits}, fewer rows per tile, or measure the accuracy cost with the IMC simulation`,
      });
    }
  }
  if (net.chips > 1) {
    out.push({
      severity: 'info',
      code: 'SNNC_I_IMC_CHIPS',
      message: `the network needs ${net.mapping.totals.tiles} crossbars on ${net.chips} chips of ${cfg.arraysPerChip} arrays`,
    });
  }
  return out;
}

/** The graph input a layer reads directly (through order-keeping ops), or ''. */
function graphInputOf(graph: Graph, layer: string): string {
  const node = graph.nodes.find((n) => n.name === layer);
  let v = node?.inputs[0] ?? '';
  for (;;) {
    const p = graph.nodes.find((n) => n.outputs.includes(v));
    if (p === undefined || !SHAPE_ONLY_OPS.has(p.op)) return v;
    v = p.inputs[0] ?? '';
  }
}

/** `out`: takes the tile files as they are made (configFiles), instead of returning them. */
export function emit(graph: Graph, target: ImcTarget, opts: ImcEmitOptions = {}, out?: (f: EmittedFile) => void): EmitResult<MappingOf<'imc'>> {
  const net = mapGraph(graph, target, opts);
  const sense = senseSetup(graph.meta, net);
  return { files: configFiles(net, sense.refs, out, sense.dither), mapping: net.mapping, diagnostics: diagnosticsOf(graph, net) };
}

export type { ImcOptions, ImcConfig, SignedMode, AnalogInputMode } from './options.js';
export { synapticLayers } from './layers.js';
export type { SynapticLayer, InputKind } from './layers.js';
export { programmedLevels, quantizeWeights } from './mapping.js';
export type { MappedLayer, MappedNetwork, TilePlacement } from './mapping.js';
export { imcAffine, newScratch, adcConverter } from './functional.js';
export type { Converter, LayerProgram, AffineScratch } from './functional.js';
export type { DeviceEffects, Rng } from './devices.js';
export { parseNoise } from './devices.js';
export { simulateImc } from './simulate.js';
export type { ImcSimOptions, ImcSimResult } from './simulate.js';
export type { SenseReference, SenseAmpRefs } from './sense-amp.js';
export { DEFAULT_SENSE_DITHER, ditherOffsets, ditheredRefs, senseSetup, trainedDither, trainedRefs } from './sense-amp.js';
export { cellRange, resolveOptions, targetDither } from './options.js';
