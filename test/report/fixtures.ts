// Hand-made reports for the renderer tests: two SNN targets, one unavailable target,
// and a baseline. Numbers are chosen so the formatted text can be worked out by hand.
import type { CompileReport, TargetResult } from '../../src/report/index.js';
import { UNAVAILABLE } from '../../src/report/index.js';

export const LOIHI: TargetResult = {
  target: 'loihi2',
  kind: 'loihi',
  status: 'ok',
  accuracy: 0.9901,
  timesteps: 32,
  energyJ: 2.5e-6,
  latencyS: 1.2e-3,
  breakdown: { synops: 1.5e-6, macs: 0, neuronUpdates: 6e-7, routing: 3e-7, memory: 0, adc: 0, dac: 0, peripherals: 0, static: 1e-7 },
  layers: [
    { name: 'conv1', energyJ: 1e-6, latencyS: 4e-4 },
    { name: 'conv2', energyJ: 1.2e-6, latencyS: 5e-4 },
    { name: 'fc', energyJ: 3e-7, latencyS: 3e-4 },
  ],
  resources: { cores: 12 },
  // baseline 50 µJ / 2.5 µJ = 20; 0.6 ms / 1.2 ms = 0.5
  vsBaseline: { energy: 20, latency: 0.5 },
  assumptions: ['loihi2/energy/synop is an assumption: scaled from Loihi 1'],
};

const IMC: TargetResult = {
  target: 'imc-adcless',
  kind: 'imc',
  status: 'ok',
  accuracy: 0.9865,
  timesteps: 16,
  energyJ: 4.2e-7,
  latencyS: 3.5e-5,
  breakdown: { synops: 0, macs: 0, neuronUpdates: 0, routing: 0, memory: 1.5e-7, adc: 1e-7, dac: 5e-8, peripherals: 1.2e-7, static: 0 },
  layers: [
    { name: 'conv1', energyJ: 2e-7, latencyS: 1.5e-5 },
    { name: 'conv2', energyJ: 1.6e-7, latencyS: 1.5e-5 },
    { name: 'fc', energyJ: 6e-8, latencyS: 5e-6 },
  ],
  area: { mm2: 1.8 },
  // 5e-5 / 4.2e-7 = 119.047..., 6e-4 / 3.5e-5 = 17.142...
  vsBaseline: { energy: 5e-5 / 4.2e-7, latency: 6e-4 / 3.5e-5 },
  assumptions: [],
};

const FPGA: TargetResult = UNAVAILABLE('fpga', 'fpga', 'backend not built yet');

export function lenetReport(): CompileReport {
  return {
    schemaVersion: 1,
    tool: { name: 'snnc', version: '0.1.0' },
    model: { name: 'lenet5', file: 'examples/lenet5.onnx', params: 61706, macsPerSample: 416520, inputShape: ['N', 1, 28, 28] },
    settings: {
      dataset: 'mnist',
      samples: 1000,
      timesteps: [8, 16, 32],
      calibration: 'percentile 99.9',
      reset: 'subtract',
      coding: 'direct',
      bits: { weights: 8, membrane: 16 },
    },
    accuracy: {
      ann: 0.9912,
      snn: [
        { T: 8, accuracy: 0.9731, spikesPerSample: 10234.5, synopsPerSample: 1523456 },
        { T: 16, accuracy: 0.9865, spikesPerSample: 20311, synopsPerSample: 3012877 },
        { T: 32, accuracy: 0.9901, spikesPerSample: 40002, synopsPerSample: 5999001 },
      ],
    },
    targets: [LOIHI, IMC, FPGA],
    baseline: { target: 'cpu-ann', energyJ: 5e-5, latencyS: 6e-4 },
    diagnostics: [{ severity: 'warning', code: 'SNNC_W_CLAMP', message: 'threshold clamped to 8 bits', node: 'conv2' }],
  };
}

export const HOSTILE_MODEL = '<script>alert(1)</script>';
export const HOSTILE_LAYER = '"onload=alert(2) x="';
const HOSTILE_TARGET = 'chip|x';
const HOSTILE_NEWLINE = 'fc\n| injected | row |';

/** The same report with names that try to break out of HTML and Markdown. */
export function hostileReport(): CompileReport {
  const r = lenetReport();
  const loihi: TargetResult = {
    ...LOIHI,
    target: HOSTILE_TARGET,
    layers: [
      { name: HOSTILE_LAYER, energyJ: 1e-6, latencyS: 4e-4 },
      { name: "it's `code` & <b>bold</b>", energyJ: 1.2e-6, latencyS: 5e-4 },
      { name: HOSTILE_NEWLINE, energyJ: 3e-7, latencyS: 3e-4 },
    ],
    assumptions: ['<img src=x onerror=alert(3)>'],
  };
  return {
    ...r,
    model: { ...r.model, name: HOSTILE_MODEL, file: '"><img src=x onerror=alert(4)>.onnx' },
    targets: [loihi, IMC, UNAVAILABLE('fpga', 'fpga', '<iframe src="https://example.com"></iframe>')],
    diagnostics: [{ severity: 'info', code: 'X<y>', message: '<svg onload=alert(5)>', node: HOSTILE_LAYER }],
  };
}
