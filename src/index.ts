export * from './errors.js';
export type * from './ir/types.js';
