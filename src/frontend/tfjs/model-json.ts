// model.json → a plain list of Keras layers with their inbound connections.
//
// Accepted topologies: what TF.js saves (Sequential / Model, inbound nodes as
// [layer, nodeIndex, tensorIndex, kwargs] lists), what the TF.js converter makes of Keras 2
// models (the same, optionally under `model_config`, class `Functional`), and Keras 3
// configs (inbound nodes as {args: [{config: {keras_history: [...]}}]}, `batch_shape`).
// A Sequential model becomes a chain; a layer called more than once (shared weights) or
// a nested model is reported as unsupported.
import { fail } from '../../errors.js';

export type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
export type JsonObject = { [k: string]: Json };

export interface TensorRef {
  readonly layer: string;
  readonly node: number;
  readonly index: number;
}

export interface KerasLayer {
  readonly className: string;
  readonly name: string;
  readonly config: JsonObject;
  /** Tensors this layer is called on (empty for InputLayer). */
  readonly inbound: readonly TensorRef[];
}

export interface KerasModel {
  readonly name: string;
  readonly inputs: readonly { readonly name: string; readonly batchShape: readonly (number | null)[] }[];
  readonly layers: readonly KerasLayer[];
  readonly outputs: readonly TensorRef[];
}

export function isObject(x: Json | undefined): x is JsonObject {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

export function parseTopology(topology: Json | undefined, file: string): KerasModel {
  const bad = (message: string, node?: string): never => {
    throw fail({
      code: 'SNNC_E_TFJS_INVALID',
      message,
      file,
      ...(node !== undefined ? { node } : {}),
      hint: 'save the model with model.save() in TF.js or convert it with tensorflowjs_converter --output_format tfjs_layers_model',
    });
  };
  let top = isObject(topology) ? topology : bad('modelTopology is missing or not an object');
  if (isObject(top['model_config'])) top = top['model_config'];
  const cls = top['class_name'];
  if (typeof cls !== 'string') bad('modelTopology has no class_name');
  const cfg = top['config'];
  const layersJson = Array.isArray(cfg) ? cfg : isObject(cfg) && Array.isArray(cfg['layers']) ? cfg['layers'] : bad(`${String(cls)} config has no layers list`);
  const name = isObject(cfg) && typeof cfg['name'] === 'string' ? cfg['name'] : 'model';
  const raw = layersJson.map((l, i) => {
    if (!isObject(l) || typeof l['class_name'] !== 'string' || !isObject(l['config'])) return bad(`layer ${i} has no class_name or config`);
    const lname =
      typeof l['config']['name'] === 'string'
        ? l['config']['name']
        : typeof l['name'] === 'string'
          ? l['name']
          : bad(`layer ${i} (${l['class_name']}) has no name`);
    return { className: l['class_name'], name: lname, config: l['config'], json: l };
  });
  const seen = new Set<string>();
  for (const l of raw) {
    if (seen.has(l.name)) bad(`two layers are named '${l.name}'`, l.name);
    seen.add(l.name);
    if (['Sequential', 'Model', 'Functional'].includes(l.className)) {
      throw fail({
        code: 'SNNC_E_UNSUPPORTED_OP',
        message: `layer '${l.name}' is a nested ${l.className}; nested models are not supported`,
        node: l.name,
        file,
        hint: 'flatten the model into one Sequential or functional model before saving',
      });
    }
  }

  if (cls === 'Sequential') {
    if (raw.length === 0) bad('the Sequential model has no layers');
    const layers: KerasLayer[] = [];
    let prev: TensorRef;
    const first = raw[0];
    let inputs: KerasModel['inputs'];
    if (first?.className === 'InputLayer') {
      inputs = [{ name: first.name, batchShape: batchShapeOf(first.config, first.name, bad) }];
      prev = { layer: first.name, node: 0, index: 0 };
      layers.push({ className: 'InputLayer', name: first.name, config: first.config, inbound: [] });
    } else {
      const inName = `${first?.name ?? 'model'}_input`;
      inputs = [{ name: inName, batchShape: batchShapeOf(first?.config ?? {}, first?.name ?? '', bad) }];
      prev = { layer: inName, node: 0, index: 0 };
      layers.push({ className: 'InputLayer', name: inName, config: {}, inbound: [] });
    }
    for (const l of raw) {
      if (l.className === 'InputLayer') continue;
      layers.push({ className: l.className, name: l.name, config: l.config, inbound: [prev] });
      prev = { layer: l.name, node: 0, index: 0 };
    }
    return { name, inputs, layers, outputs: [prev] };
  }

  if (cls !== 'Model' && cls !== 'Functional') {
    throw fail({
      code: 'SNNC_E_UNSUPPORTED_OP',
      message: `model class '${String(cls)}' is not supported`,
      file,
      hint: 'use a Sequential or functional (Model) topology',
    });
  }
  const c = isObject(cfg) ? cfg : bad('functional model config is not an object');
  const layers = raw.map((l): KerasLayer => {
    const nodes = l.json['inbound_nodes'];
    const list = Array.isArray(nodes) ? nodes : [];
    if (list.length > 1) {
      throw fail({
        code: 'SNNC_E_UNSUPPORTED_OP',
        message: `layer '${l.name}' is called ${list.length} times (shared weights); shared layers are not supported`,
        node: l.name,
        file,
        hint: 'use a separate layer for each call',
      });
    }
    const inbound: TensorRef[] = [];
    if (list[0] !== undefined) collectRefs(list[0], inbound);
    if (l.className !== 'InputLayer' && inbound.length === 0) bad(`layer '${l.name}' has no inbound nodes`, l.name);
    return { className: l.className, name: l.name, config: l.config, inbound };
  });
  const refs = (key: string): TensorRef[] => {
    const out: TensorRef[] = [];
    const v = c[key];
    if (Array.isArray(v) && v.length === 3 && typeof v[0] === 'string')
      collectRefs([v], out); // Keras 3 single tensor
    else if (v !== undefined) collectRefs(v, out);
    if (out.length === 0) bad(`functional model config has no ${key}`);
    return out;
  };
  const inputRefs = refs('input_layers');
  const inputs = inputRefs.map((r) => {
    const l = raw.find((x) => x.name === r.layer);
    if (l === undefined || l.className !== 'InputLayer') return bad(`model input '${r.layer}' is not an InputLayer`, r.layer);
    return { name: l.name, batchShape: batchShapeOf(l.config, l.name, bad) };
  });
  return { name, inputs, layers, outputs: refs('output_layers') };
}

/** Every [layer, node, index] triple (or Keras 3 keras_history) inside an inbound-node structure. */
function collectRefs(x: Json, out: TensorRef[]): void {
  if (Array.isArray(x)) {
    if (x.length >= 3 && typeof x[0] === 'string' && typeof x[1] === 'number' && typeof x[2] === 'number') {
      out.push({ layer: x[0], node: x[1], index: x[2] });
      return;
    }
    for (const y of x) collectRefs(y, out);
  } else if (isObject(x)) {
    const hist = isObject(x['config']) ? x['config']['keras_history'] : undefined;
    if (Array.isArray(hist)) {
      collectRefs(hist, out);
      return;
    }
    // Keras 3: {args: [...], kwargs: {...}}; only args carry tensors we follow.
    if (x['args'] !== undefined) collectRefs(x['args'], out);
  }
}

function batchShapeOf(config: JsonObject, layer: string, bad: (m: string, node?: string) => never): (number | null)[] {
  const s = config['batch_input_shape'] ?? config['batch_shape'];
  if (!Array.isArray(s) || s.length < 2 || !s.every((d) => d === null || (typeof d === 'number' && Number.isSafeInteger(d) && d > 0))) {
    return bad(`input layer '${layer}' has no usable batch_input_shape (got ${JSON.stringify(s ?? null)})`, layer);
  }
  return s as (number | null)[];
}
