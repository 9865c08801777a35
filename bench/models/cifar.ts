// CIFAR-shape networks for the deployment-matrix bench, written by our own code with a fixed
// seed (never downloaded): ResNet-18 (the CIFAR variant: 3×3 stem, four stages of two basic
// blocks, 1×1 projection shortcuts, 11.2 M parameters) and VGG-16 with BatchNorm (13 conv
// layers, 5 MaxPool, 512-512-10 classifier, 15 M parameters), both as torch.onnx.export
// writes them at opset 13 with BatchNorm kept. Weights are He-initialized random numbers, so
// accuracy figures mean nothing; the bench measures whether, how fast and in how much memory
// every target takes networks of this size. A random-pixel .npz of the right shape goes with them.
import { onnx } from '../../src/frontend/onnx/proto.js';
import type { onnx as OnnxNs } from 'onnx-proto';
import { mulberry32 } from '../../src/sim/snn/rng.js';
import { writeNpz } from '../../src/data/npz.js';

type INode = OnnxNs.INodeProto;
type ITensor = OnnxNs.ITensorProto;

class Builder {
  readonly nodes: INode[] = [];
  readonly inits: ITensor[] = [];
  params = 0;
  private readonly rand: () => number;
  constructor(seed: number) {
    this.rand = mulberry32(seed);
  }

  private tensor(name: string, dims: number[], f: (i: number) => number): string {
    const n = dims.reduce((a, b) => a * b, 1);
    const v = new Float32Array(n);
    for (let i = 0; i < n; i++) v[i] = f(i);
    this.inits.push({ name, dataType: 1, dims, rawData: new Uint8Array(v.buffer) });
    this.params += n;
    return name;
  }
  /** Approximately normal (sum of uniforms), scaled to He's std √(2 / fan-in). */
  private he(fanIn: number): number {
    let s = 0;
    for (let k = 0; k < 4; k++) s += this.rand();
    return (s - 2) * Math.sqrt(3) * Math.sqrt(2 / fanIn);
  }
  conv(name: string, x: string, cin: number, cout: number, k: number, stride: number): string {
    const w = this.tensor(`${name}.weight`, [cout, cin, k, k], () => this.he(cin * k * k));
    const p = (k - 1) / 2;
    this.nodes.push({
      name,
      opType: 'Conv',
      input: [x, w],
      output: [`${name}_out`],
      attribute: [
        { name: 'kernel_shape', type: 7, ints: [k, k] },
        { name: 'strides', type: 7, ints: [stride, stride] },
        { name: 'pads', type: 7, ints: [p, p, p, p] },
        { name: 'dilations', type: 7, ints: [1, 1] },
        { name: 'group', type: 2, i: 1 },
      ],
    });
    return `${name}_out`;
  }
  bn(name: string, x: string, c: number): string {
    const ins = [
      this.tensor(`${name}.weight`, [c], () => 0.8 + 0.4 * this.rand()),
      this.tensor(`${name}.bias`, [c], () => 0.1 * (this.rand() - 0.5)),
      this.tensor(`${name}.running_mean`, [c], () => 0.1 * (this.rand() - 0.5)),
      this.tensor(`${name}.running_var`, [c], () => 0.8 + 0.4 * this.rand()),
    ];
    this.nodes.push({
      name,
      opType: 'BatchNormalization',
      input: [x, ...ins],
      output: [`${name}_out`],
      attribute: [
        { name: 'epsilon', type: 1, f: 1e-5 },
        { name: 'momentum', type: 1, f: 0.9 },
      ],
    });
    return `${name}_out`;
  }
  relu(name: string, x: string): string {
    this.nodes.push({ name, opType: 'Relu', input: [x], output: [`${name}_out`] });
    return `${name}_out`;
  }
  op(name: string, opType: string, inputs: string[], attribute: OnnxNs.IAttributeProto[] = []): string {
    this.nodes.push({ name, opType, input: inputs, output: [`${name}_out`], attribute });
    return `${name}_out`;
  }
  gemm(name: string, x: string, fin: number, fout: number): string {
    const w = this.tensor(`${name}.weight`, [fout, fin], () => this.he(fin));
    const b = this.tensor(`${name}.bias`, [fout], () => 0);
    return this.op(
      name,
      'Gemm',
      [x, w, b],
      [
        { name: 'transB', type: 2, i: 1 },
        { name: 'alpha', type: 1, f: 1 },
        { name: 'beta', type: 1, f: 1 },
      ],
    );
  }
  model(name: string, out: string): Uint8Array {
    const vi = (n: string, dims: (number | string)[]): OnnxNs.IValueInfoProto => ({
      name: n,
      type: { tensorType: { elemType: 1, shape: { dim: dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) } } },
    });
    return onnx.ModelProto.encode(
      onnx.ModelProto.create({
        irVersion: 7,
        producerName: 'snnc-bench',
        opsetImport: [{ domain: '', version: 13 }],
        graph: { name, node: this.nodes, initializer: this.inits, input: [vi('input', ['N', 3, 32, 32])], output: [vi(out, ['N', 10])] },
      }),
    ).finish();
  }
}

export function resnet18(seed = 18): { bytes: Uint8Array; params: number } {
  const b = new Builder(seed);
  let x = b.relu('relu', b.bn('bn1', b.conv('conv1', 'input', 3, 64, 3, 1), 64));
  let cin = 64;
  [64, 128, 256, 512].forEach((c, s) => {
    for (let k = 0; k < 2; k++) {
      const p = `layer${s + 1}.${k}`;
      const stride = s > 0 && k === 0 ? 2 : 1;
      const h = b.relu(`${p}.relu1`, b.bn(`${p}.bn1`, b.conv(`${p}.conv1`, x, cin, c, 3, stride), c));
      const y = b.bn(`${p}.bn2`, b.conv(`${p}.conv2`, h, c, c, 3, 1), c);
      const short = stride !== 1 || cin !== c ? b.bn(`${p}.downsample.1`, b.conv(`${p}.downsample.0`, x, cin, c, 1, stride), c) : x;
      x = b.relu(`${p}.relu2`, b.op(`${p}.add`, 'Add', [y, short]));
      cin = c;
    }
  });
  const pooled = b.op('avgpool', 'GlobalAveragePool', [x]);
  const flat = b.op('flatten', 'Flatten', [pooled], [{ name: 'axis', type: 2, i: 1 }]);
  const out = b.gemm('fc', flat, 512, 10);
  return { bytes: b.model('resnet18_cifar', out), params: b.params };
}

export function vgg16(seed = 16): { bytes: Uint8Array; params: number } {
  const b = new Builder(seed);
  const cfg: (number | 'M')[] = [64, 64, 'M', 128, 128, 'M', 256, 256, 256, 'M', 512, 512, 512, 'M', 512, 512, 512, 'M'];
  let x = 'input';
  let cin = 3;
  let i = 0;
  for (const c of cfg) {
    if (c === 'M') {
      x = b.op(
        `features.${i++}`,
        'MaxPool',
        [x],
        [
          { name: 'kernel_shape', type: 7, ints: [2, 2] },
          { name: 'strides', type: 7, ints: [2, 2] },
        ],
      );
      continue;
    }
    const k = i;
    i += 3;
    x = b.relu(`features.${k + 2}`, b.bn(`features.${k + 1}`, b.conv(`features.${k}`, x, cin, c, 3, 1), c));
    cin = c;
  }
  const flat = b.op('flatten', 'Flatten', [x], [{ name: 'axis', type: 2, i: 1 }]);
  const h1 = b.relu('classifier.1', b.gemm('classifier.0', flat, 512, 512));
  const h2 = b.relu('classifier.3', b.gemm('classifier.2', h1, 512, 512));
  const out = b.gemm('classifier.4', h2, 512, 10);
  return { bytes: b.model('vgg16_bn_cifar', out), params: b.params };
}

/** n random CIFAR-shape images in [0, 1) with random labels 0–9, as an .npz (x, y). */
export function randomCifarNpz(n: number, seed = 10): Uint8Array {
  const rand = mulberry32(seed);
  const x = new Float32Array(n * 3 * 32 * 32);
  for (let i = 0; i < x.length; i++) x[i] = rand();
  const y = new BigInt64Array(n);
  for (let i = 0; i < n; i++) y[i] = BigInt(Math.floor(rand() * 10));
  return writeNpz({ x: { dtype: 'float32', shape: [n, 3, 32, 32], data: x }, y: { dtype: 'int64', shape: [n], data: y } });
}
