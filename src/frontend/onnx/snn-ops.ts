// The snnc spiking ops in ONNX: domain `ai.snnc`, opset version 1 (docs/formats.md).
// A converted network stays an ONNX file that Netron displays and every command reloads;
// its standard ops keep their ONNX meaning, only neurons and spike pooling are ours.
import { fail } from '../../errors.js';
import type { Node } from '../../ir/types.js';
import type { OnnxNode } from './attrs.js';
import { attrEnum, attrFloat, attrInt, attrInts, checkKnownAttrs, invalid } from './attrs.js';
import type { AttributeProto } from './proto.js';
import { onnx } from './proto.js';
import { windowAttrs } from './ops.js';

export const SNNC_DOMAIN = 'ai.snnc';
export const SNNC_DOMAIN_VERSION = 1;

const NEURON_ATTRS = ['reset', 'v_init', 'fire', 'refractory'];

function neuronAttrs(n: OnnxNode) {
  const refractory = attrInt(n, 'refractory', 0);
  if (refractory < 0) invalid(n, `refractory must be >= 0, got ${refractory}`);
  return {
    reset: attrEnum(n, 'reset', 'subtract', ['subtract', 'zero'] as const),
    vInit: attrFloat(n, 'v_init', 0),
    fire: attrEnum(n, 'fire', 'ge', ['ge', 'gt'] as const),
    refractory,
  };
}

const TABLE: Readonly<Record<string, { attrs: readonly string[]; run: (n: OnnxNode) => Node }>> = {
  IF: { attrs: NEURON_ATTRS, run: (n) => ({ name: n.name, inputs: n.inputs, outputs: n.outputs, op: 'IF', attrs: neuronAttrs(n) }) },
  LIF: {
    attrs: [...NEURON_ATTRS, 'leak', 'syn_decay'],
    run: (n) => {
      const synDecay = attrFloat(n, 'syn_decay', 0);
      if (!(synDecay >= 0 && synDecay < 1)) {
        throw fail({
          code: 'SNNC_E_UNSUPPORTED_ATTR',
          message: `LIF '${n.name}': syn_decay ${synDecay} is outside [0, 1)`,
          node: n.name,
          ...(n.file !== undefined ? { file: n.file } : {}),
          hint: 'the synaptic current decays by syn_decay per step; 0 = no synaptic state',
        });
      }
      return {
        name: n.name,
        inputs: n.inputs,
        outputs: n.outputs,
        op: 'LIF',
        attrs: { ...neuronAttrs(n), leak: attrFloat(n, 'leak', 1), ...(synDecay > 0 ? { synDecay } : {}) },
      };
    },
  },
  SpikeMaxPool: {
    attrs: ['auto_pad', 'ceil_mode', 'dilations', 'kernel_shape', 'pads', 'strides'],
    run: (n) => ({
      name: n.name,
      inputs: n.inputs,
      outputs: n.outputs,
      op: 'SpikeMaxPool',
      attrs: { ...windowAttrs(n, attrInts(n, 'kernel_shape')), ceilMode: attrInt(n, 'ceil_mode', 0) !== 0 },
    }),
  },
};

export function importSnnNode(n: OnnxNode, domainVersion: number | undefined): Node {
  const row = Object.prototype.hasOwnProperty.call(TABLE, n.opType) ? TABLE[n.opType] : undefined;
  if (row === undefined || domainVersion === undefined || domainVersion > SNNC_DOMAIN_VERSION) {
    throw fail({
      code: 'SNNC_E_UNSUPPORTED_OP',
      message: `operator '${SNNC_DOMAIN}.${n.opType}' (node '${n.name}', domain version ${domainVersion ?? 'not imported'}) is not supported`,
      node: n.name,
      ...(n.file !== undefined ? { file: n.file } : {}),
      hint: `this snnc reads ${SNNC_DOMAIN} version ${SNNC_DOMAIN_VERSION}: ${Object.keys(TABLE).join(', ')}`,
    });
  }
  checkKnownAttrs(n, row.attrs);
  return row.run(n);
}

const A = onnx.AttributeProto.AttributeType;
const utf8 = new TextEncoder();

/** Attributes of a spiking op in its ONNX form, or undefined for a standard op. */
export function snnAttributes(node: Node): AttributeProto[] | undefined {
  const s = (name: string, v: string): AttributeProto => ({ name, type: A.STRING, s: utf8.encode(v) });
  const f = (name: string, v: number): AttributeProto => ({ name, type: A.FLOAT, f: v });
  const i = (name: string, v: number): AttributeProto => ({ name, type: A.INT, i: v });
  const ints = (name: string, v: readonly number[]): AttributeProto => ({ name, type: A.INTS, ints: [...v] });
  switch (node.op) {
    case 'IF':
    case 'LIF': {
      const a = node.attrs;
      return [
        s('fire', a.fire),
        ...(node.op === 'LIF' ? [f('leak', node.attrs.leak)] : []),
        i('refractory', a.refractory),
        s('reset', a.reset),
        // Written only for a current-based neuron, so LIF files stay as they were.
        ...(node.op === 'LIF' && (node.attrs.synDecay ?? 0) > 0 ? [f('syn_decay', node.attrs.synDecay ?? 0)] : []),
        f('v_init', a.vInit),
      ];
    }
    case 'SpikeMaxPool': {
      const w = node.attrs;
      return [
        s('auto_pad', w.autoPad),
        i('ceil_mode', w.ceilMode ? 1 : 0),
        ints('dilations', w.dilations),
        ints('kernel_shape', w.kernelShape),
        ...(w.autoPad === 'NOTSET' ? [ints('pads', w.pads)] : []),
        ints('strides', w.strides),
      ];
    }
    default:
      return undefined;
  }
}
