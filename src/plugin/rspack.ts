// snnc/rspack: the snnc plugin for rspack (see src/plugin/index.ts).
import { snnc } from './index.js';

export default snnc.rspack;
