// The SNN simulator: time-stepped and event-driven runs of a converted graph.
export { simulate, MAX_T } from './simulate.js';
export type { AffineActivity, LayerActivity, SimData, SimDiagnostic, SimMode, SimulateOptions, SimulateResult, SpikingOpName } from './types.js';
