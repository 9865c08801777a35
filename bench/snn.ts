// bench/snn: SNN simulator throughput as a ratio to onnxruntime running the same network as
// an ANN, measured in one run (issue 17: "≥ 1.0 % of onnxruntime's ANN throughput at T = 32;
// PyTorch/SpikingJelly reaches 0.82 % on a LeNet; aim 3 % = 1/T").
//
// Each example (LeNet, the residual resnet-tiny, the MLP) goes through the real pipeline —
// convertModel with the defaults (99.99th-percentile calibration on the embedded train split,
// IF with reset by subtraction, direct coding) — and is simulated on the first 500 images of
// the embedded test split at T = 16 and 32, event-driven (the default) and time-stepped, with
// the simulator's default two threads (a worker takes half the samples). onnxruntime runs the
// ANN file at batch 100 with 1 and with 2 intra-op threads; the ratio is against 2 threads
// (what the PyTorch figure used: same cores) and against 1.
//
// Hardware simulators (issue 17: "integer-exact simulator within 2× of the float simulator; IMC
// functional simulation within 10× of it"): the same converted network on the same images at
// T = 32, each on one thread — the float SNN (threads: 1), the integer program's simulation
// (programOf: the default per-channel 8-bit program compile's FPGA row runs), and the IMC
// functional simulation of both bundled IMC targets (the ADC-less one including its reference
// calibration on 64 train images, as compile runs it); as times slower than the float SNN.
//
// A shared 2-core VM runs fast and slow stretches (±25 % and more over minutes), and the
// goals are ratios between engines timed at different moments. So every figure of a model is
// timed in ROUNDS interleaved rounds — each round times every engine once, in the same order —
// and each keeps its fastest round: a stretch that slows (or speeds) one round touches all its
// engines alike, and the kept figures are each engine's own best.
import * as ort from 'onnxruntime-node';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { annMacs, convertModel } from '../src/api/convert.js';
import { loadModel } from '../src/api/load.js';
import { loadMnist } from '../src/data/mnist.js';
import type { Graph, Tensor } from '../src/ir/types.js';
import { runGraph } from '../src/sim/ann/run.js';
import { simulate } from '../src/sim/snn/index.js';
import { simulateInt } from '../src/sim/int/simulate.js';
import { programOf } from '../src/passes/quantize.js';
import { mapGraph, simulateImc } from '../src/backends/imc/index.js';
import { loadTarget } from '../src/costmodel/target.js';
import type { ImcTarget } from '../src/costmodel/target.js';
import type { SimMode } from '../src/sim/snn/index.js';
import { machine, projectRoot, sig, timeIt, writeResult } from './harness.js';

const MODELS = ['lenet', 'resnet-tiny', 'mlp'] as const;
const STEPS = [16, 32] as const;
const MODES: readonly SimMode[] = ['event-driven', 'time-stepped'];
const SAMPLES = 500;
const ORT_BATCH = 100;
const GOAL_PERCENT = 1;
const ROUNDS = 3;
const AIM_PERCENT = 3;

interface SimRow {
  readonly mode: SimMode;
  readonly T: number;
  readonly imagesPerSec: number;
  readonly accuracy: number;
  readonly spikesPerSample: number;
  readonly synopsPerSample: number;
  /** This engine's images/s as a percentage of onnxruntime's ANN images/s (2 threads, 1 thread). */
  readonly percentOfOrt2: number;
  readonly percentOfOrt1: number;
}

interface HardwareRow {
  readonly engine: 'float SNN (1 thread)' | 'integer program' | 'imc-hpadc' | 'imc-adcless';
  readonly imagesPerSec: number;
  readonly accuracy: number;
  /** Seconds per image ÷ the float SNN's on one thread. */
  readonly timesFloat: number;
}

interface ModelRow {
  readonly model: string;
  readonly annMacs: number;
  readonly ort: { readonly threads1: number; readonly threads2: number };
  readonly interpreter: number;
  readonly sim: readonly SimRow[];
  readonly hardware: readonly HardwareRow[];
}

/**
 * Images per hardware run: issue 17's IMC goal is there "so compile's default hardware sample can
 * be 1,000 images", so the runs are that size — the ADC-less target's reference calibration (64
 * train images, once per compile) is part of each timed run, as in a compile. (Until 2026-12 the
 * runs were 200 images, where the calibration's fixed cost weighs five times as much.)
 */
const HW_SAMPLES = 1000;
const HW_T = 32;

/** Float SNN (one thread), integer program and both IMC targets on the same images: img/s and × the float SNN. */
async function hardwareRows(snn: Graph): Promise<HardwareRow[]> {
  const test = loadMnist('test', { limit: HW_SAMPLES });
  const train = loadMnist('train', { limit: 64 });
  const program = programOf(snn);
  const engines: [HardwareRow['engine'], () => number][] = [
    ['float SNN (1 thread)', () => simulate(snn, test, { T: HW_T, threads: 1 }).accuracyPerStep[HW_T - 1] ?? 0],
    ['integer program', () => simulateInt(program, test, { T: HW_T }).accuracyPerStep[HW_T - 1] ?? 0],
    ...(['imc-hpadc', 'imc-adcless'] as const).map(
      (name) =>
        [
          name,
          () => {
            const net = mapGraph(snn, loadTarget(name) as ImcTarget);
            return simulateImc(snn, net, test, { T: HW_T, calibration: train }).accuracyPerStep[HW_T - 1] ?? 0;
          },
        ] as [HardwareRow['engine'], () => number],
    ),
  ];
  const accuracy = new Map(engines.map(([engine, run]) => [engine, run()]));
  const best = await bestOf(engines.map(([engine, run]) => [engine, async () => (1000 * HW_SAMPLES) / (await timeIt(() => run(), 1500, 20)).meanMs] as const));
  const floatIps = best.get('float SNN (1 thread)') ?? 0;
  return engines.map(([engine]) => {
    const ips = best.get(engine) ?? 0;
    return { engine, imagesPerSec: sig(ips), accuracy: accuracy.get(engine) ?? 0, timesFloat: sig(floatIps / ips, 3) };
  });
}

/** Each entry's highest images/s over ROUNDS rounds, every round running every entry once in order. */
async function bestOf(entries: readonly (readonly [string, () => Promise<number>])[]): Promise<Map<string, number>> {
  const best = new Map<string, number>();
  for (let round = 0; round < ROUNDS; round++) {
    for (const [key, run] of entries) best.set(key, Math.max(best.get(key) ?? 0, await run()));
  }
  return best;
}

/** The first n samples' data. */
function firstSamples(x: Tensor, n: number): Float32Array {
  return (x.data as Float32Array).slice(0, n * (x.data.length / (x.shape[0] as number)));
}

async function ortImagesPerSec(file: string, g: Graph, x: Tensor, threads: number): Promise<number> {
  const session = await ort.InferenceSession.create(readFileSync(file), { intraOpNumThreads: threads, interOpNumThreads: 1, executionMode: 'sequential' });
  const shape = [ORT_BATCH, ...x.shape.slice(1)];
  const feeds = { [g.inputs[0] as string]: new ort.Tensor('float32', firstSamples(x, ORT_BATCH), shape) };
  const t = await timeIt(() => session.run(feeds), 1000);
  await session.release();
  return (1000 * ORT_BATCH) / t.meanMs;
}

async function benchModel(name: string): Promise<ModelRow> {
  const file = join(projectRoot(), 'examples', `${name}.onnx`);
  const ann = await loadModel(file);
  const { graph: snn } = convertModel(ann, { calib: 'mnist' });
  const test = loadMnist('test', { limit: SAMPLES });
  const input = ann.inputs[0] as string;
  const batch = { dtype: 'float32' as const, shape: [ORT_BATCH, ...test.x.shape.slice(1)], data: firstSamples(test.x, ORT_BATCH) };
  const configs = STEPS.flatMap((T) => MODES.map((mode) => ({ T, mode, key: `${mode}@${T}` })));
  const best = await bestOf([
    ['ort2', () => ortImagesPerSec(file, ann, test.x, 2)],
    ['ort1', () => ortImagesPerSec(file, ann, test.x, 1)],
    ['interp', async () => (1000 * ORT_BATCH) / (await timeIt(() => runGraph(ann, new Map([[input, batch]])), 700)).meanMs],
    ...configs.map(
      ({ T, mode, key }) => [key, async () => (1000 * SAMPLES) / (await timeIt(() => simulate(snn, test, { T, mode }), 1500, 100)).meanMs] as const,
    ),
  ]);
  const ort2 = best.get('ort2') ?? 0;
  const ort1 = best.get('ort1') ?? 0;
  const sim: SimRow[] = [];
  for (const T of STEPS) {
    for (const mode of MODES) {
      const r = simulate(snn, test, { T, mode });
      const ips = best.get(`${mode}@${T}`) ?? 0;
      sim.push({
        mode,
        T,
        imagesPerSec: sig(ips),
        accuracy: r.accuracyPerStep[T - 1] ?? 0,
        spikesPerSample: sig(r.spikesPerSample),
        synopsPerSample: sig(r.synopsPerSample),
        percentOfOrt2: sig((100 * ips) / ort2, 3),
        percentOfOrt1: sig((100 * ips) / ort1, 3),
      });
    }
  }
  return {
    model: name,
    annMacs: annMacs(ann),
    ort: { threads1: sig(ort1), threads2: sig(ort2) },
    interpreter: sig(best.get('interp') ?? 0),
    sim,
    hardware: await hardwareRows(snn),
  };
}

export async function runSnnBench(): Promise<void> {
  const rows: ModelRow[] = [];
  for (const m of MODELS) rows.push(await benchModel(m));
  const pad = (s: string | number, n: number): string => String(s).padStart(n);
  console.log(`${'model'.padEnd(12)} ${'engine'.padEnd(13)} ${pad('T', 3)} ${pad('img/s', 9)} ${pad('% ort×2', 8)} ${pad('% ort×1', 8)} ${pad('acc', 7)}`);
  for (const r of rows) {
    console.log(`${r.model.padEnd(12)} ${'onnxruntime'.padEnd(13)} ${pad('-', 3)} ${pad(r.ort.threads2, 9)} (2 threads; ${r.ort.threads1} on 1)`);
    console.log(`${r.model.padEnd(12)} ${'interpreter'.padEnd(13)} ${pad('-', 3)} ${pad(r.interpreter, 9)}`);
    for (const s of r.sim) {
      console.log(
        `${r.model.padEnd(12)} ${s.mode.padEnd(13)} ${pad(s.T, 3)} ${pad(s.imagesPerSec, 9)} ${pad(s.percentOfOrt2, 8)} ${pad(s.percentOfOrt1, 8)} ${pad((100 * s.accuracy).toFixed(2), 7)}`,
      );
    }
  }
  console.log(`hardware simulators, ${HW_SAMPLES} images, T = ${HW_T}, one thread each:`);
  for (const r of rows)
    for (const h of r.hardware)
      console.log(
        `${r.model.padEnd(12)} ${h.engine.padEnd(21)} ${pad(h.imagesPerSec, 9)} img/s ${pad(h.timesFloat, 6)}× float ${pad((100 * h.accuracy).toFixed(2), 7)}`,
      );
  const atGoal = rows.map((r) => ({ model: r.model, percentOfOrt2: r.sim.find((s) => s.T === 32 && s.mode === 'event-driven')?.percentOfOrt2 ?? 0 }));
  const file = writeResult('snn', {
    machine: machine(),
    onnxruntime: ort.env.versions.common,
    setup: `examples/*.onnx through convertModel (defaults), first ${SAMPLES} test images, our simulator with its default 2 threads; onnxruntime on the ANN at batch ${ORT_BATCH}; every figure the best of ${ROUNDS} interleaved rounds`,
    goal: { T: 32, minPercentOfOrt2: GOAL_PERCENT, aimPercent: AIM_PERCENT, met: atGoal.every((a) => a.percentOfOrt2 >= GOAL_PERCENT), atT32: atGoal },
    hardwareSetup: `first ${HW_SAMPLES} test images, T = ${HW_T}, one thread each; goals: integer program within 2×, IMC within 10× of the float SNN`,
    rows,
  });
  console.log(`wrote ${file}`);
}

if (process.argv[1] !== undefined && /bench[\\/]snn\.(ts|js)$/.test(process.argv[1])) await runSnnBench();
