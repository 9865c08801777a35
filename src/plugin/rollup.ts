// snnc/rollup: the snnc plugin for rollup (see src/plugin/index.ts).
import type { Plugin } from 'rollup';
import type { SnncPluginOptions } from './build.js';
import { snnc } from './index.js';

// Typed here so the public declaration names no `any` (the bundler's default type argument).
const plugin: (options?: SnncPluginOptions) => Plugin<unknown> = snnc.rollup;
export default plugin;
