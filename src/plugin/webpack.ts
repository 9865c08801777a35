// snnc/webpack: the snnc plugin for webpack (see src/plugin/index.ts).
import { snnc } from './index.js';

export default snnc.webpack;
