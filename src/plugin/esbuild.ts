// snnc/esbuild: the snnc plugin for esbuild (see src/plugin/index.ts).
import { snnc } from './index.js';

export default snnc.esbuild;
