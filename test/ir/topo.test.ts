import { it } from 'node:test';
import assert from 'node:assert/strict';
import { topoSort } from '../../src/ir/topo.js';
import { throwsCode } from './helpers.js';

const n = (name: string, inputs: string[], outputs: string[]) => ({ name, inputs, outputs });
const names = (xs: readonly { name: string }[]) => xs.map((x) => x.name);
const avail = new Set(['x', 'w']);

it('keeps an already sorted list unchanged', () => {
  const nodes = [n('a', ['x'], ['a']), n('b', ['x'], ['b']), n('c', ['a', 'b', 'w'], ['c']), n('d', ['c'], ['d'])];
  assert.deepEqual(names(topoSort(nodes, avail)), ['a', 'b', 'c', 'd']);
});

it('sorts a reversed chain and keeps independent nodes in their written order', () => {
  const nodes = [n('d', ['c'], ['d']), n('c', ['b'], ['c']), n('p', ['x'], ['p']), n('b', ['a'], ['b']), n('a', ['x'], ['a'])];
  // Ready at start: p (index 2) and a (index 4); p first by index, then a, b, c, d as they unlock.
  assert.deepEqual(names(topoSort(nodes, avail)), ['p', 'a', 'b', 'c', 'd']);
});

it('ignores absent optional inputs and outputs', () => {
  const nodes = [n('a', ['x', '', 'w'], ['a', '']), n('b', ['a', ''], ['b'])];
  assert.deepEqual(names(topoSort(nodes, avail)), ['a', 'b']);
});

it('reports a value nothing defines, naming the node and the value', () => {
  throwsCode(() => topoSort([n('a', ['x'], ['a']), n('b', ['a', 'ghost'], ['b'])], avail), 'SNNC_E_UNDEFINED_VALUE', 'b', /'ghost'/);
});

it('reports a cycle with the nodes on it', () => {
  const nodes = [n('s', ['x'], ['s']), n('a', ['s', 'c'], ['a']), n('b', ['a'], ['b']), n('c', ['b'], ['c']), n('tail', ['c'], ['t'])];
  throwsCode(() => topoSort(nodes, avail), 'SNNC_E_CYCLE', undefined, /'a'.*'b'.*'c'|'b'.*'c'.*'a'|'c'.*'a'.*'b'/);
  assert.throws(
    () => topoSort(nodes, avail),
    (e: Error) => !/'s'|'tail'/.test(e.message),
  );
  throwsCode(() => topoSort([n('self', ['self'], ['self'])], avail), 'SNNC_E_CYCLE', 'self');
});

it('reports a value produced twice (by two nodes, or by a node and an input)', () => {
  throwsCode(() => topoSort([n('a', ['x'], ['v']), n('b', ['x'], ['v'])], avail), 'SNNC_E_DUPLICATE_NAME', 'b', /'v'.*'a'/);
  throwsCode(() => topoSort([n('a', ['x'], ['w'])], avail), 'SNNC_E_DUPLICATE_NAME', 'a');
});
