// Thresholds per layer or per channel, chosen by the target's own simulation. Conversion's
// default is one threshold per channel, folded into each channel's weights. On a crossbar that
// holds a layer in one weight scale, that moves high-threshold channels into the low digits,
// and 1-bit sense amplifiers read some networks far better one way, some the other (ADC-less,
// test images 0–499: LeNet 86.6 % per channel / 92.0 % per layer, the MLP 72.6 / 86.6,
// resnet-tiny 57.8 / 86.6, cnn-bn 72.0 / 52.6 — docs/targets/imc.md); with ADCs, and on
// Loihi (netx: one weight exponent per layer), a channel that fired on few calibration images
// gets a small threshold, hence the layer's largest weights, and squeezes the others (the
// padded-pool LeNets: HP-ADC 58 % per channel, 100 % per layer). No rule on the thresholds
// predicted it (a floor on the per-channel ones mended the MLP only), so a record that asks
// (`chooseGranularity`) gets the conversions run through its simulation on the calibration
// images, and per layer where it is clearly the better one.
import type { BackendRecord, BackendTarget, HardwareAccuracy } from '../backends/registry.js';
import type { Graph } from '../ir/types.js';
import { samplesOf } from '../data/spec.js';
import { programOf } from '../passes/quantize.js';
import type { SimData } from '../sim/snn/types.js';
import type { ConvertOptions } from './convert.js';
import { annMacs, convertModel, isConverted } from './convert.js';

export interface GranularityChoice {
  readonly granularity: 'layer' | 'channel';
  /** The target's simulated accuracy of each conversion on the calibration images. */
  readonly layer: number;
  readonly channel: number;
  readonly images: number;
  /** Images only the per-layer network reads right, and only the per-channel one (when the record gives predictions). */
  readonly onlyLayer?: number;
  readonly onlyChannel?: number;
}

/**
 * Two simulations of the calibration images must stay a short job: as many images as fit 2^34
 * multiply-accumulate steps (compile's measure for its hardware samples), and no choice on fewer
 * than 16 — a CIFAR ResNet-18 (0.56 G MACs) keeps conversion's default; every MNIST example
 * reads all 64.
 */
const CHOICE_OPS = 2 ** 34;
const CHOICE_MIN = 16;

/**
 * Per layer (made here) when its simulation on the calibration images reads clearly better than
 * per channel (`perChannel`, already made with the target's semantics; see `clearlyBetter`), else
 * per channel, conversion's default. Undefined — keep `perChannel`, nothing to report — when
 * per channel reads at most 4 of the images wrong (per layer could not be clearly better), and
 * unless the record asks, the user named no granularity, the model is an ANN whose thresholds are
 * not its trained clips (a retrained model's are one per layer whatever is asked) and the network
 * is small enough (above).
 * Device effects are left out: the choice is the network's, not a chip's.
 */
export function chooseGranularity(
  model: Graph,
  perChannel: Graph,
  convert: ConvertOptions,
  record: Pick<BackendRecord, 'chooseGranularity' | 'simulate'>,
  target: BackendTarget,
  T: number,
  calibration: () => SimData,
  // Compile hands in a cache: targets with the same neuron semantics share one per-layer conversion.
  convertPerLayer: (opts: ConvertOptions) => Graph = (opts) => convertModel(model, opts).graph,
): { graph: Graph; choice: GranularityChoice } | undefined {
  const sim = record.simulate;
  if (
    sim === undefined ||
    record.chooseGranularity?.(target) !== true ||
    convert.granularity !== undefined ||
    convert.method === 'clip' ||
    isConverted(model) ||
    model.meta['snnc.retrain.method'] !== undefined
  )
    return undefined;
  const calib = calibration();
  // MACs after clean-up, as compile counts them (an exporter's run-time shapes can hide layers from the raw graph).
  const n = Math.min(calib.y.length, Math.floor(CHOICE_OPS / Math.max(1, 2 * annMacs(model) * T)));
  if (n < CHOICE_MIN) return undefined;
  const images = n < calib.y.length ? samplesOf(calib, 0, n) : calib;
  const read = (g: Graph): HardwareAccuracy => {
    let program: ReturnType<typeof programOf> | undefined;
    return sim(g, target, { T, program: () => (program ??= programOf(g)), data: images, calibration: images });
  };
  const channel = read(perChannel);
  // Per layer can be clearly better (below) only where the default reads more than 4 images
  // wrong (b > 2√b): a target that reads nearly all of them right keeps it without a second run.
  const p = channel.predictions;
  const wrong = p !== undefined && p.length === n ? p.filter((c, i) => c !== images.y[i]).length : n - Math.round(channel.accuracy * n);
  if (wrong <= 4) return undefined;
  const perLayer = convertPerLayer({ ...convert, granularity: 'layer' });
  const layer = read(perLayer);
  const paired = discordant(layer.predictions, channel.predictions, images.y);
  const granularity = clearlyBetter(layer.accuracy, channel.accuracy, n, paired) ? 'layer' : 'channel';
  return {
    graph: granularity === 'layer' ? perLayer : perChannel,
    choice: {
      granularity,
      layer: layer.accuracy,
      channel: channel.accuracy,
      images: n,
      ...(paired !== undefined ? { onlyLayer: paired[0], onlyChannel: paired[1] } : {}),
    },
  };
}

/** Images only `a` reads right and only `b` does, when both runs give their predictions. */
function discordant(a: Int32Array | undefined, b: Int32Array | undefined, y: ArrayLike<number>): [number, number] | undefined {
  if (a === undefined || b === undefined || a.length !== y.length || b.length !== y.length) return undefined;
  let onlyA = 0;
  let onlyB = 0;
  for (let i = 0; i < y.length; i++) {
    const ra = a[i] === y[i];
    const rb = b[i] === y[i];
    if (ra && !rb) onlyA++;
    else if (rb && !ra) onlyB++;
  }
  return [onlyA, onlyB];
}

/**
 * Per layer replaces the default only when it reads clearly better: by more than two standard
 * deviations of a sign test on the images only one of the two reads right (McNemar's), 2·√(b + c).
 * On networks where the two are near level (the examples on ADC crossbars and Loihi, within
 * 1.5 pp on 500 test images) a bare "higher" would follow the 64 calibration images' noise; where
 * one collapses (the padded-pool LeNets: 58 % per channel on ADC crossbars, 98 % per layer) the
 * margin is small beside the gap. Without predictions the least b + c can be, |b − c|, stands in.
 */
function clearlyBetter(layer: number, channel: number, n: number, paired: readonly [number, number] | undefined): boolean {
  const [b, c] = paired ?? [Math.round(Math.max(0, layer - channel) * n), Math.round(Math.max(0, channel - layer) * n)];
  return b - c > 2 * Math.sqrt(b + c);
}

/**
 * The sentence the report and `simulate --target` give for a choice. Compile says which files
 * hold it (`files`): the target's own, while model.snn.onnx stays conversion's default — and the
 * `snnc convert` arguments that write the chosen network in its place (`convertArgs`; none for
 * Loihi's firing on v > θ, which convert has no switch for).
 */
export function granularityNote(targetName: string, c: GranularityChoice, T: number, files?: { readonly convertArgs: string | undefined }): string {
  const pct = (a: number): string => `${(100 * a).toFixed(1)} %`;
  const where =
    files !== undefined && c.granularity === 'layer'
      ? `; its files, accuracy and energy are of that network, model.snn.onnx and the float SNN figures of the default (per channel${files.convertArgs !== undefined ? `; snnc convert ${files.convertArgs} writes this one` : ''})`
      : '';
  const split = c.onlyLayer !== undefined && c.onlyChannel !== undefined ? `; ${c.onlyLayer} read right only per layer, ${c.onlyChannel} only per channel` : '';
  const kept = c.granularity === 'channel' && c.layer > c.channel ? ', per layer not clearly better' : '';
  return `${targetName}: one threshold per ${c.granularity} (its simulation on the ${c.images} calibration images at T=${T}: ${pct(c.layer)} per layer, ${pct(c.channel)} per channel${split}${kept})${where}; --granularity sets it`;
}
