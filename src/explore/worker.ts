// Worker thread of `snnc explore`: rebuilds the evaluation context from plain data (the
// converted network as ONNX bytes, the dataset spec, the target name), then evaluates the
// units the main thread sends, one at a time, reporting progress per sample.
import { parentPort, workerData } from 'node:worker_threads';
import { errorData } from '../errors.js';
import type { ErrorData } from '../errors.js';
import { importOnnx } from '../frontend/onnx/read.js';
import { loadAnyTarget } from '../costmodel/target.js';
import type { BackendTarget } from '../backends/registry.js';
import { fitToModel, loadDatasetSpec } from '../data/spec.js';
import type { EvalContext } from './evaluate.js';
import { evaluateUnit } from './evaluate.js';
import type { ExploreUnit } from './space.js';

export interface WorkerInit {
  readonly snnOnnx: Uint8Array;
  readonly dataset: string;
  readonly n: number | undefined;
  readonly Ts: readonly number[];
  readonly seed: number;
  readonly target: string;
  readonly targetUnavailable: boolean;
  readonly extraSteps: number;
  readonly quant: EvalContext['quant'];
}

export type WorkerMessage =
  | { readonly type: 'progress'; readonly unit: number; readonly done: number }
  | { readonly type: 'result'; readonly result: ReturnType<typeof evaluateUnit> }
  | { readonly type: 'error'; readonly error: ErrorData };

export function contextFrom(init: WorkerInit): EvalContext {
  const snn = importOnnx(init.snnOnnx);
  return {
    snn,
    data: fitToModel(snn, loadDatasetSpec(init.dataset, 'test', init.n)),
    Ts: init.Ts,
    seed: init.seed,
    target: loadAnyTarget(init.target) as BackendTarget,
    targetUnavailable: init.targetUnavailable,
    extraSteps: init.extraSteps,
    quant: init.quant,
  };
}

const port = parentPort;
if (port !== null) {
  let ctx: EvalContext | undefined;
  port.on('message', (u: ExploreUnit) => {
    try {
      ctx ??= contextFrom(workerData as WorkerInit);
      const result = evaluateUnit(ctx, u, (done) => port.postMessage({ type: 'progress', unit: u.index, done } satisfies WorkerMessage));
      port.postMessage({ type: 'result', result } satisfies WorkerMessage);
    } catch (e) {
      port.postMessage({ type: 'error', error: errorData(e) } satisfies WorkerMessage);
    }
  });
}
