// The ANN reference interpreter: runs an IR graph on concrete tensors.
export { runGraph } from './run.js';
export type { RunOptions } from './run.js';
