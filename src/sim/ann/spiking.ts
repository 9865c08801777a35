// The ANN interpreter evaluates one forward pass; spiking ops carry state across time
// steps, so a converted graph must go through the SNN simulator instead.
import type { Node } from '../../ir/types.js';
import { nodeError } from './kernel.js';

export function spikingOnly(node: Node): never {
  throw nodeError(
    node,
    'SNNC_E_UNSUPPORTED_OP',
    `${node.op} '${node.name}' is a spiking op; the ANN interpreter cannot run a converted network`,
    "simulate it over time steps with 'snnc simulate'",
  );
}
