// Types of `import net from './model.onnx?snn'` for TypeScript apps built with the snnc
// plugin. Add `"types": ["snnc/client"]` to tsconfig (or `/// <reference types="snnc/client" />`).
declare module '*?snn' {
  import type { CompileReport } from 'snnc';
  import type { SnnNet, RunOptions, RunResult } from 'snnc/runtime';

  export interface SnncManifest {
    readonly model: string;
    readonly inputShape: readonly number[];
    readonly classes: number;
    readonly T: number;
    readonly bits: Readonly<Record<string, number | 'auto'>>;
    readonly targets: readonly string[];
    readonly files: readonly { readonly path: string; readonly bytes: number }[];
    readonly snncVersion: string;
  }
  /** The compile report (report.json), or null when the plugin was given no targets. */
  export const report: CompileReport | null;
  export const manifest: SnncManifest;
  export const net: SnnNet;
  export function run(x: ArrayLike<number>, opts?: RunOptions): RunResult;
  const model: { readonly report: CompileReport | null; readonly manifest: SnncManifest; readonly net: SnnNet; run(x: ArrayLike<number>, opts?: RunOptions): RunResult };
  export default model;
}
