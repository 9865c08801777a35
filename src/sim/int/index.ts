// Integer-exact SNN simulation: the IntProgram contract, its checker, simulator and file form.
export * from './program.js';
export { checkProgram } from './check.js';
export { simulateInt, runSample, quantizeInput, poissonWords } from './simulate.js';
export { traceHash } from './trace-hash.js';
export type { IntSimOptions, IntSimResult, IntLayerActivity, SampleRun } from './simulate.js';
export { programFromGraph, programToParts, PROGRAM_META_KEY } from './serialize.js';
