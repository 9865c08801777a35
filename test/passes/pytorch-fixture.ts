// A PyTorch-style fixture shared by the pipeline and conversion tests.
import type { NodeSpec } from '../../src/ir/build.js';
import { buildGraph, convAttrs, float32Tensor, gemmAttrs, int64Tensor, maxPoolAttrs } from '../../src/ir/build.js';
import type { Graph, Tensor } from '../../src/ir/types.js';
import { prng, rand } from './equivalence.js';

/**
 * What torch.onnx.export gives for a small ResNet-style classifier in eval mode:
 * input normalization, Conv+BN+ReLU, MaxPool, a residual block, Dropout, an Identity
 * (exported for nn.Identity), GlobalAveragePool, Reshape [0, -1], Gemm with transB.
 */
export function pytorchStyle(): Graph {
  const rnd = prng(2024);
  const inits: Record<string, Tensor> = {
    mean: float32Tensor([1, 3, 1, 1], [0.485, 0.456, 0.406]),
    std: float32Tensor([1, 3, 1, 1], [0.229, 0.224, 0.225]),
    shape: int64Tensor([0, -1]),
    fc_w: rand([10, 8], rnd),
    fc_b: rand([10], rnd),
  };
  const convBn = (p: string, x: string, cin: number, cout: number, k: number, pad: number): NodeSpec[] => {
    inits[`${p}_w`] = rand([cout, cin, k, k], rnd, -0.5, 0.5);
    inits[`${p}_bn_g`] = rand([cout], rnd, 0.5, 1.5);
    inits[`${p}_bn_b`] = rand([cout], rnd, -0.2, 0.2);
    inits[`${p}_bn_m`] = rand([cout], rnd, -0.2, 0.2);
    inits[`${p}_bn_v`] = rand([cout], rnd, 0.5, 1.5);
    return [
      { op: 'Conv', name: `${p}_conv`, inputs: [x, `${p}_w`, ''], outputs: [`${p}_c`], attrs: convAttrs({ kernelShape: [k, k], pads: [pad, pad, pad, pad] }) },
      {
        op: 'BatchNormalization',
        name: `${p}_bn`,
        inputs: [`${p}_c`, `${p}_bn_g`, `${p}_bn_b`, `${p}_bn_m`, `${p}_bn_v`],
        outputs: [`${p}_n`],
        attrs: { epsilon: 1e-5 },
      },
    ];
  };
  const nodes: NodeSpec[] = [
    { op: 'Sub', inputs: ['input', 'mean'], outputs: ['xc'] },
    { op: 'Div', inputs: ['xc', 'std'], outputs: ['xn'] },
    ...convBn('stem', 'xn', 3, 8, 3, 0),
    { op: 'Relu', inputs: ['stem_n'], outputs: ['stem_r'] },
    { op: 'MaxPool', inputs: ['stem_r'], outputs: ['pool'], attrs: maxPoolAttrs({ kernelShape: [2, 2], strides: [2, 2] }) },
    ...convBn('b1', 'pool', 8, 8, 3, 1),
    { op: 'Relu', inputs: ['b1_n'], outputs: ['b1_r'] },
    ...convBn('b2', 'b1_r', 8, 8, 3, 1),
    { op: 'Add', inputs: ['b2_n', 'pool'], outputs: ['res'] },
    { op: 'Relu', inputs: ['res'], outputs: ['res_r'] },
    { op: 'Identity', inputs: ['res_r'], outputs: ['ident'] },
    { op: 'GlobalAveragePool', inputs: ['ident'], outputs: ['gap'] },
    { op: 'Reshape', inputs: ['gap', 'shape'], outputs: ['flat'], attrs: { allowzero: false } },
    { op: 'Dropout', inputs: ['flat'], outputs: ['drop'] },
    { op: 'Gemm', name: 'fc', inputs: ['drop', 'fc_w', 'fc_b'], outputs: ['logits'], attrs: gemmAttrs({ transB: true }) },
  ];
  return buildGraph({
    name: 'resnet_tiny',
    inputs: [{ name: 'input', dtype: 'float32', shape: ['N', 3, 10, 10] }],
    initializers: inits,
    nodes,
    outputs: ['logits'],
  });
}
