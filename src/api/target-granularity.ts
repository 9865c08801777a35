// Thresholds per layer or per channel, chosen by the target's own simulation. Conversion's
// default is one threshold per channel, folded into each channel's weights. On a crossbar that
// holds a layer in one weight scale, that moves high-threshold channels into the low digits,
// and 1-bit sense amplifiers read some networks far better one way, some the other (ADC-less,
// test images 0–499: LeNet 86.6 % per channel / 92.0 % per layer, the MLP 72.6 / 86.6,
// resnet-tiny 57.8 / 86.6, cnn-bn 72.0 / 52.6 — docs/targets/imc.md). No rule on the
// thresholds predicted it (a floor on the per-channel ones mended the MLP only), so a record
// that asks (`chooseGranularity`) gets both conversions run through its simulation on the
// calibration images, and the better one.
import type { BackendRecord, BackendTarget } from '../backends/registry.js';
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
 * The conversion whose simulation on the calibration images reads higher: per channel
 * (`perChannel`, already made with the target's semantics) or per layer (made here), per channel
 * on a tie, as conversion's default. Undefined — keep `perChannel` — unless the record asks, the
 * user named no granularity, the model is an ANN whose thresholds are not its trained clips (a
 * retrained model's are one per layer whatever is asked) and the network is small enough (above).
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
  const perLayer = convertModel(model, { ...convert, granularity: 'layer' }).graph;
  const read = (g: Graph): number => {
    let program: ReturnType<typeof programOf> | undefined;
    return sim(g, target, { T, program: () => (program ??= programOf(g)), data: images, calibration: images }).accuracy;
  };
  const channel = read(perChannel);
  const layer = read(perLayer);
  const granularity = layer > channel ? 'layer' : 'channel';
  return { graph: granularity === 'layer' ? perLayer : perChannel, choice: { granularity, layer, channel, images: n } };
}

/**
 * The sentence the report and `simulate --target` give for a choice. Compile says which files
 * hold it: the target's own, while model.snn.onnx stays conversion's default.
 */
export function granularityNote(targetName: string, c: GranularityChoice, T: number, files = false): string {
  const pct = (a: number): string => `${(100 * a).toFixed(1)} %`;
  const where =
    files && c.granularity === 'layer'
      ? `; its files, accuracy and energy are of that network, model.snn.onnx and the float SNN figures of the default (per channel; snnc convert --granularity layer writes this one)`
      : '';
  return `${targetName}: one threshold per ${c.granularity} (its simulation on the ${c.images} calibration images at T=${T}: ${pct(c.layer)} per layer, ${pct(c.channel)} per channel)${where}; --granularity sets it`;
}
