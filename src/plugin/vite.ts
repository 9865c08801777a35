// snnc/vite: the snnc plugin for vite (see src/plugin/index.ts).
import type { Plugin } from 'vite';
import type { SnncPluginOptions } from './build.js';
import { snnc } from './index.js';

// Typed here so the public declaration names no `any` (the bundler's default type argument).
const plugin: (options?: SnncPluginOptions) => Plugin<unknown> = snnc.vite;
export default plugin;
