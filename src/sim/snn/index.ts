// The SNN simulator: time-stepped and event-driven runs of a converted graph.
export { simulate } from './simulate.js';
export type { AffineActivity, LayerActivity, SimData, SimDiagnostic, SimMode, SimulateOptions, SimulateResult, SpikingOpName } from './types.js';
