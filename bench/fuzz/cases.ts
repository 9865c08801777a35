// The fuzz cases: seeds (our examples, their TF.js forms, a NIR export, small .npy/.npz files
// and the bundled target files) and, for case i, one mutant of one seed plus the snnc commands
// that read it. A case is a pure function of (seed, i).
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { loadModel } from '../../src/api/load.js';
import { convertModel } from '../../src/api/convert.js';
import { loadMnist } from '../../src/data/mnist.js';
import { writeNpy } from '../../src/data/npy.js';
import { writeNpz } from '../../src/data/npz.js';
import { exportNir } from '../../src/frontend/nir/index.js';
import { mutateBytes as mutateRaw } from './mutate-bytes.js';
import { mutateJson as mutateJsonText } from './mutate-json.js';
import { mutateNir as mutateNirDoc } from './mutate-nir.js';
import { mutateOnnx as mutateOnnxModel } from './mutate-onnx.js';
import { rand } from './rand.js';
import type { Rand } from './rand.js';
import type { Tensor } from '../../src/ir/types.js';

export const KINDS = ['onnx', 'onnx-bytes', 'tfjs', 'tfjs-shard', 'nir', 'nir-bytes', 'npy', 'npz', 'npz-bytes', 'target'] as const;
export type CaseKind = (typeof KINDS)[number];
/** How often each kind is drawn (ONNX, the main input, most). */
const WEIGHTS: Readonly<Record<CaseKind, number>> = {
  onnx: 30,
  'onnx-bytes': 10,
  tfjs: 12,
  'tfjs-shard': 4,
  nir: 8,
  'nir-bytes': 4,
  npy: 6,
  npz: 8,
  'npz-bytes': 4,
  target: 14,
};

export interface CaseFile {
  readonly name: string;
  readonly data: Uint8Array;
}

export interface FuzzCase {
  readonly index: number;
  readonly kind: CaseKind;
  readonly seed: string;
  readonly files: readonly CaseFile[];
  /** snnc argv lists; `{dir}` is the case's folder. `{inputs}` expands to -i name=file for the model's inputs. */
  readonly steps: readonly (readonly string[])[];
  /** The model file whose inputs `{inputs}` and `{data}` are made for (in the case folder). */
  readonly model?: string;
}

export interface Seeds {
  readonly onnx: readonly { readonly name: string; readonly bytes: Uint8Array }[];
  readonly tfjs: readonly { readonly name: string; readonly json: string; readonly shard: Uint8Array; readonly shardName: string }[];
  readonly nir: Uint8Array;
  readonly npy: Uint8Array;
  readonly npz: Uint8Array;
  readonly targets: readonly { readonly name: string; readonly text: string }[];
  readonly root: string;
}

export async function buildSeeds(root: string): Promise<Seeds> {
  const ex = join(root, 'examples');
  const onnx = ['mlp', 'lenet', 'cnn-bn', 'resnet-tiny'].map((name) => ({ name, bytes: readFileSync(join(ex, `${name}.onnx`)) }));
  const tfjs = ['mlp', 'lenet'].map((name) => {
    const dir = join(ex, 'tfjs', name);
    const shardName = readdirSync(dir).find((f) => f.endsWith('.bin')) ?? 'group1-shard1of1.bin';
    return { name, json: readFileSync(join(dir, 'model.json'), 'utf8'), shard: readFileSync(join(dir, shardName)), shardName };
  });
  const mlp = await loadModel(join(ex, 'mlp.onnx'));
  const train = loadMnist('train', { limit: 64 });
  const nir = await exportNir(convertModel(mlp, { calibData: train }).graph);
  const test = loadMnist('test', { limit: 8 });
  const npy = writeNpy({ dtype: 'float32', shape: [1, 1, 28, 28], data: test.x.data.slice(0, 784) });
  const npz = writeNpz({ x: test.x, y: { dtype: 'int64', shape: [8], data: BigInt64Array.from(test.y, (v) => BigInt(v)) } });
  const targets = ['loihi1', 'loihi2', 'imc-hpadc', 'imc-adcless', 'fpga'].map((name) => ({
    name,
    text: readFileSync(join(root, 'targets', `${name}.json`), 'utf8'),
  }));
  return { onnx, tfjs, nir, npy, npz, targets, root };
}

function pickKind(r: Rand): CaseKind {
  const total = KINDS.reduce((s, k) => s + WEIGHTS[k], 0);
  let x = r.int(total);
  for (const k of KINDS) {
    x -= WEIGHTS[k];
    if (x < 0) return k;
  }
  return 'onnx';
}

const TARGETS = ['loihi2', 'imc-hpadc', 'imc-adcless', 'fpga', 'loihi1'] as const;
const SMALL = ['--n', '4', '--hw-samples', '2', '--T', '4', '--calib-samples', '16'];

/** inspect, run, convert and a small compile of one model file. */
function modelSteps(file: string, r: Rand, spiking: boolean): string[][] {
  const t = r.pick(TARGETS);
  return [
    ['inspect', `{dir}/${file}`],
    // The ANN interpreter does not run spiking nets: a NIR file is simulated instead.
    spiking ? ['simulate', `{dir}/${file}`, '--T', '4', '--n', '4', '--dataset', '{data}'] : ['run', `{dir}/${file}`, '{inputs}', '-o', '{dir}/run'],
    spiking
      ? ['convert', `{dir}/${file}`, '-o', '{dir}/c.snn.onnx']
      : ['convert', `{dir}/${file}`, '--calib', '{data}', '--calib-samples', '16', '-o', '{dir}/c.snn.onnx'],
    ['compile', `{dir}/${file}`, '--target', t, ...SMALL, '--calib', '{data}', '--dataset', '{data}', '-o', '{dir}/out'],
  ];
}

/**
 * Case `index` of run `seed`. With `clean`, the seed itself goes through the same commands
 * unmutated, of kind `kind`: the harness's check that its commands reach the deep paths
 * (every clean case must exit 0 everywhere).
 */
export async function makeCase(seeds: Seeds, seed: number, index: number, clean?: CaseKind): Promise<FuzzCase> {
  const r = rand((seed * 0x9e3779b1) ^ (index * 0x85ebca6b));
  const kind = clean ?? pickKind(r);
  const mutateOnnx = clean !== undefined ? (_: Rand, b: Uint8Array): Uint8Array => b : mutateOnnxModel;
  const mutateBytes = clean !== undefined ? (_: Rand, b: Uint8Array): Uint8Array => b : mutateRaw;
  const mutateJson = clean !== undefined ? (_: Rand, t: string): string => t : mutateJsonText;
  const mutateNir = clean !== undefined ? (_: Rand, b: Uint8Array): Promise<Uint8Array> => Promise.resolve(b) : mutateNirDoc;
  const mutateNpz = clean !== undefined ? (): Uint8Array => seeds.npz : mutateNpzArrays;
  const mlp = join(seeds.root, 'examples', 'mlp.onnx');
  switch (kind) {
    case 'onnx':
    case 'onnx-bytes': {
      const s = r.pick(seeds.onnx);
      let data: Uint8Array;
      try {
        data = kind === 'onnx' ? mutateOnnx(r, s.bytes) : mutateBytes(r, s.bytes);
      } catch {
        data = mutateBytes(r, s.bytes);
      }
      return { index, kind, seed: s.name, files: [{ name: 'model.onnx', data }], steps: modelSteps('model.onnx', r, false), model: 'model.onnx' };
    }
    case 'tfjs':
    case 'tfjs-shard': {
      const s = r.pick(seeds.tfjs);
      const json = kind === 'tfjs' ? mutateJson(r, s.json) : s.json;
      const shard = kind === 'tfjs-shard' ? mutateBytes(r, s.shard) : s.shard;
      return {
        index,
        kind,
        seed: s.name,
        files: [
          { name: 'model.json', data: new TextEncoder().encode(json) },
          { name: s.shardName, data: shard },
        ],
        steps: modelSteps('model.json', r, false),
        model: 'model.json',
      };
    }
    case 'nir':
    case 'nir-bytes': {
      let data: Uint8Array;
      try {
        data = kind === 'nir' ? await mutateNir(r, seeds.nir) : mutateBytes(r, seeds.nir);
      } catch {
        data = mutateBytes(r, seeds.nir);
      }
      return { index, kind, seed: 'mlp.nir', files: [{ name: 'model.nir', data }], steps: modelSteps('model.nir', r, true), model: 'model.nir' };
    }
    case 'npy':
      return {
        index,
        kind,
        seed: 'digit.npy',
        files: [{ name: 'x.npy', data: mutateBytes(r, seeds.npy) }],
        steps: [['run', mlp, '-i', 'flatten_input={dir}/x.npy', '-o', '{dir}/run']],
      };
    case 'npz':
    case 'npz-bytes': {
      const data = kind === 'npz' ? mutateNpz(r) : mutateBytes(r, seeds.npz);
      return {
        index,
        kind,
        seed: 'mnist8.npz',
        files: [{ name: 'd.npz', data }],
        steps: [
          ['simulate', mlp, '--dataset', '{dir}/d.npz', '--T', '4', '--n', '8'],
          ['convert', mlp, '--calib', '{dir}/d.npz', '--calib-samples', '8', '-o', '{dir}/c.snn.onnx'],
        ],
      };
    }
    case 'target': {
      const s = r.pick(seeds.targets);
      return {
        index,
        kind,
        seed: s.name,
        files: [{ name: 'target.json', data: new TextEncoder().encode(mutateJson(r, s.text)) }],
        steps: [['compile', mlp, '--target', '{dir}/target.json', ...SMALL, '-o', '{dir}/out']],
      };
    }
  }
}

/** An .npz whose arrays are well-formed but hostile: shapes, dtypes, labels, values. */
function mutateNpzArrays(r: Rand): Uint8Array {
  const n = r.pick([0, 1, 3, 8, 9]);
  const shapes = [[n, 1, 28, 28], [n, 784], [n, 28, 28], [n], [n, 1, 28, 27], [n, 3, 32, 32]];
  const shape = r.pick(shapes);
  const size = shape.reduce((a, b) => a * b, 1);
  const x = new Float32Array(size).fill(0.5);
  if (size > 0 && r.chance(0.3)) x[r.int(size)] = r.pick([NaN, Infinity, -Infinity, 1e30]);
  const labels = BigInt64Array.from({ length: r.chance(0.2) ? n + 1 : n }, () => BigInt(r.pick([0, 1, 9, 10, -1, 2 ** 40])));
  const arrays: Record<string, Tensor> = {};
  if (r.chance(0.9)) arrays['x'] = r.chance(0.8) ? { dtype: 'float32', shape, data: x } : { dtype: 'int32', shape, data: Int32Array.from(x) };
  if (r.chance(0.9))
    arrays['y'] = r.chance(0.8)
      ? { dtype: 'int64', shape: [labels.length], data: labels }
      : { dtype: 'float32', shape: [labels.length], data: Float32Array.from(labels, Number) };
  return writeNpz(arrays);
}
