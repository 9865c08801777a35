// TF.js layers format (model.json + weight shards) → IR graph in NCHW.
// See context.ts for how the NHWC → NCHW layout change is handled.
import { readFileSync } from 'node:fs';
import { fail, isSnncError, SnncError } from '../../errors.js';
import { DEFAULT_MAX_ELEMENTS } from '../../ir/dtype.js';
import { inferShapes } from '../../ir/infer.js';
import type { Graph, Node, Tensor, ValueInfo } from '../../ir/types.js';
import type { Ctx, Val } from './context.js';
import { materialize } from './context.js';
import { inputLayer, LAYERS, SUPPORTED_TFJS_LAYERS } from './layers.js';
import type { Json, KerasLayer } from './model-json.js';
import { isObject, parseTopology } from './model-json.js';
import { readWeights } from './weights.js';

export interface TfjsImportOptions {
  readonly maxElements?: number;
  /** Called with every file read (model.json, then each weight shard), for watchers. */
  readonly onRead?: (path: string) => void;
}

export function importTfjs(modelJsonPath: string, opts: TfjsImportOptions = {}): Graph {
  const file = modelJsonPath;
  try {
    return importModel(file, opts.maxElements ?? DEFAULT_MAX_ELEMENTS, opts.onRead);
  } catch (e) {
    // Errors from shared IR code (inference, topo sort) do not know the file.
    if (isSnncError(e) && e.file === undefined) throw new SnncError({ ...e.toJSON(), file }, { cause: e });
    throw e;
  }
}

function importModel(file: string, maxElements: number, onRead?: (path: string) => void): Graph {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw fail({ code: 'SNNC_E_IO', message: `cannot read model (${e instanceof Error ? e.message : String(e)})`, file });
  }
  onRead?.(file);
  let json: Json;
  try {
    json = JSON.parse(text) as Json;
  } catch (e) {
    throw fail({ code: 'SNNC_E_TFJS_INVALID', message: `model.json is not valid JSON (${e instanceof Error ? e.message : String(e)})`, file });
  }
  if (!isObject(json)) throw fail({ code: 'SNNC_E_TFJS_INVALID', message: 'model.json is not a JSON object', file });
  if (json['format'] === 'graph-model') {
    throw fail({
      code: 'SNNC_E_UNSUPPORTED_OP',
      message: 'this is a TF.js graph model (format graph-model); only the layers format is supported',
      file,
      hint: 'convert the Keras model with --output_format tfjs_layers_model, or export it to ONNX (tf2onnx)',
    });
  }
  const model = parseTopology(json['modelTopology'], file);
  const ctx: Ctx = {
    file,
    nodes: [] as Node[],
    initializers: new Map<string, Tensor>(),
    values: new Map<string, ValueInfo>(),
    weights: readWeights(json['weightsManifest'], file, maxElements, onRead),
  };

  // Import layers once all their inputs exist (model configs are usually sorted already).
  const done = new Map<string, Val>();
  const inputShapes = new Map(model.inputs.map((i) => [i.name, i.batchShape]));
  let pending: KerasLayer[] = [...model.layers];
  while (pending.length > 0) {
    const next: KerasLayer[] = [];
    for (const layer of pending) {
      if (!layer.inbound.every((r) => done.has(r.layer))) {
        next.push(layer);
        continue;
      }
      done.set(
        layer.name,
        importLayer(
          ctx,
          layer,
          layer.inbound.map((r) => done.get(r.layer) as Val),
          inputShapes,
        ),
      );
    }
    if (next.length === pending.length) {
      const l = next[0] as KerasLayer;
      const missing = l.inbound.find((r) => !model.layers.some((x) => x.name === r.layer));
      throw fail({
        code: 'SNNC_E_TFJS_INVALID',
        message:
          missing !== undefined
            ? `layer '${l.name}' reads from unknown layer '${missing.layer}'`
            : `layers ${next.map((x) => `'${x.name}'`).join(', ')} form a cycle`,
        node: l.name,
        file,
      });
    }
    pending = next;
  }

  const outputs = model.outputs.map((r) => {
    const v = done.get(r.layer);
    if (v === undefined) throw fail({ code: 'SNNC_E_TFJS_INVALID', message: `model output '${r.layer}' is not a layer`, file });
    return materialize(ctx, v).name;
  });
  const values = new Map<string, ValueInfo>();
  for (const i of model.inputs) {
    const info = ctx.values.get(i.name);
    if (info !== undefined) values.set(i.name, info);
  }
  return inferShapes(
    {
      name: model.name,
      inputs: model.inputs.map((i) => i.name),
      outputs,
      nodes: ctx.nodes,
      values,
      initializers: ctx.initializers,
      // No file path: it would make exported artifacts depend on where the model sat.
      meta: { format: 'tfjs-layers', ...(typeof json['generatedBy'] === 'string' ? { producer: json['generatedBy'] } : {}) },
    },
    { maxElements },
  );
}

function importLayer(ctx: Ctx, layer: KerasLayer, ins: readonly Val[], inputShapes: ReadonlyMap<string, readonly (number | null)[]>): Val {
  if (layer.className === 'InputLayer') {
    const shape = inputShapes.get(layer.name);
    if (shape === undefined)
      throw fail({ code: 'SNNC_E_TFJS_INVALID', message: `InputLayer '${layer.name}' is not a model input`, node: layer.name, file: ctx.file });
    return inputLayer(ctx, layer, shape);
  }
  const importer = LAYERS[layer.className];
  if (importer === undefined) {
    throw fail({
      code: 'SNNC_E_UNSUPPORTED_OP',
      message: `layer '${layer.name}' has class ${layer.className}, which snnc does not import`,
      node: layer.name,
      file: ctx.file,
      hint: `supported layers: ${SUPPORTED_TFJS_LAYERS.join(', ')}`,
    });
  }
  return importer(ctx, layer, ins);
}
