// The public face of the IR layer.
export type * from './types.js';
export * from './dtype.js';
export * from './window.js';
export * from './shape-utils.js';
export * from './ops.js';
export * from './topo.js';
export * from './infer.js';
export * from './verify.js';
export * from './print.js';
export * from './stats.js';
export * from './build.js';
