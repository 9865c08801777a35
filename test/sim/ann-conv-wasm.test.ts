// The float32 Conv path in WebAssembly (src/sim/ann/conv.ts, convResident): its three ways
// of reading patches (1x1 as is, in place from a padded copy, gathered by im2col) and the
// Relu that runGraph folds into a Conv or Gemm. The reference is the summation contract
// written out here by hand — float32 products added in ascending patch order (c, kd, kh, kw),
// padding taps included as zeros, the bias added to the finished sum — so every mode must
// give exactly these bits, not merely something close.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { convAttrs } from '../../src/ir/build.js';
import type { Graph, Node, Tensor } from '../../src/ir/types.js';
import { foldedRelus, runGraph } from '../../src/sim/ann/run.js';
import { KERNELS } from '../../src/sim/ann/table.js';
import { wasmGemmEnabled } from '../../src/sim/ann/wasm/sgemm.js';
import { mulberry32 } from '../../src/sim/snn/rng.js';

const forcedOff = process.env['SNNC_NO_WASM'] === '1';

/** The shared seeded generator, centred: uniform in [-0.5, 0.5). */
function mulberry(seed: number): () => number {
  const u = mulberry32(seed);
  return () => u() - 0.5;
}
const rand = (n: number, seed: number): Float32Array => Float32Array.from({ length: n }, mulberry(seed));
const f32 = (shape: readonly number[], data: Float32Array): Tensor => ({ dtype: 'float32', shape: [...shape], data });

interface Case {
  readonly name: string;
  readonly x: readonly number[]; // [N, C, ...spatial]
  readonly oc: number;
  readonly k: readonly number[];
  readonly strides?: readonly number[];
  readonly pads?: readonly number[];
  readonly dilations?: readonly number[];
  readonly group?: number;
  readonly bias?: boolean;
}

/** Spatial dims lifted to three (leading 1s), as the kernel does. */
const lift3 = (v: readonly number[], fill: number): number[] => [...new Array<number>(3 - v.length).fill(fill), ...v];

/** The contract: y = fround(sum) (+ b), sum over (c, kd, kh, kw) ascending in float32, zeros for padding taps. */
function reference(c: Case, x: Float32Array, w: Float32Array, b: Float32Array | undefined): { shape: number[]; data: Float32Array } {
  const r = c.k.length;
  const [N, C] = c.x as [number, number];
  const group = c.group ?? 1;
  const Cg = C / group;
  const OCg = c.oc / group;
  const [D, H, W] = lift3(c.x.slice(2), 1) as [number, number, number];
  const [KD, KH, KW] = lift3(c.k, 1) as [number, number, number];
  const [SD, SH, SW] = lift3(c.strides ?? new Array<number>(r).fill(1), 1) as [number, number, number];
  const [DD, DH, DW] = lift3(c.dilations ?? new Array<number>(r).fill(1), 1) as [number, number, number];
  const pads = c.pads ?? new Array<number>(2 * r).fill(0);
  const [PD, PH, PW] = lift3(pads.slice(0, r), 0) as [number, number, number];
  const [ED, EH, EW] = lift3(pads.slice(r), 0) as [number, number, number];
  const out = (n: number, p: number, e: number, k: number, s: number, d: number): number => Math.floor((n + p + e - ((k - 1) * d + 1)) / s) + 1;
  const [OD, OH, OW] = [out(D, PD, ED, KD, SD, DD), out(H, PH, EH, KH, SH, DH), out(W, PW, EW, KW, SW, DW)];
  const y = new Float32Array(N * c.oc * OD * OH * OW);
  let q = 0;
  for (let n = 0; n < N; n++)
    for (let o = 0; o < c.oc; o++) {
      const g = Math.floor(o / OCg);
      for (let od = 0; od < OD; od++)
        for (let oh = 0; oh < OH; oh++)
          for (let ow = 0; ow < OW; ow++) {
            let acc = 0;
            for (let ci = 0; ci < Cg; ci++)
              for (let kd = 0; kd < KD; kd++)
                for (let kh = 0; kh < KH; kh++)
                  for (let kw = 0; kw < KW; kw++) {
                    const id = od * SD - PD + kd * DD;
                    const ih = oh * SH - PH + kh * DH;
                    const iw = ow * SW - PW + kw * DW;
                    const inside = id >= 0 && id < D && ih >= 0 && ih < H && iw >= 0 && iw < W;
                    const xv = inside ? x[(((n * C + g * Cg + ci) * D + id) * H + ih) * W + iw]! : 0;
                    const prod = xv * w[(((o * Cg + ci) * KD + kd) * KH + kh) * KW + kw]!;
                    acc = Math.fround(acc + Math.fround(prod));
                  }
            y[q++] = b !== undefined ? b[o]! + acc : acc;
          }
    }
  return { shape: [N, c.oc, ...[OD, OH, OW].slice(3 - r)], data: y };
}

function convGraph(c: Case, relu: boolean, exposeConv: boolean): Graph {
  const xName = 'x';
  const attrs = convAttrs({
    kernelShape: [...c.k],
    strides: [...(c.strides ?? [])],
    pads: [...(c.pads ?? [])],
    dilations: [...(c.dilations ?? [])],
    group: c.group ?? 1,
  });
  const conv = { op: 'Conv', name: 'conv', inputs: [xName, 'w', c.bias === true ? 'b' : ''], outputs: ['y'], attrs } as Node;
  const nodes: Node[] = [conv];
  if (relu) nodes.push({ op: 'Relu', name: 'relu', inputs: ['y'], outputs: ['z'], attrs: {} } as Node);
  const outputs = relu ? (exposeConv ? ['y', 'z'] : ['z']) : ['y'];
  const group = c.group ?? 1;
  const w = rand(c.oc * (c.x[1]! / group) * c.k.reduce((a, b) => a * b, 1), 2);
  const inits = new Map<string, Tensor>([['w', f32([c.oc, c.x[1]! / group, ...c.k], w)]]);
  if (c.bias === true) inits.set('b', f32([c.oc], rand(c.oc, 3)));
  return {
    name: c.name,
    inputs: [xName],
    outputs,
    nodes,
    values: new Map([[xName, { name: xName, dtype: 'float32', shape: [...c.x] }]]),
    initializers: inits,
    meta: {},
  };
}

const bits = (a: Float32Array): number[] => Array.from(new Uint32Array(a.buffer, a.byteOffset, a.length));

function check(c: Case, exact = false): void {
  const g = convGraph(c, false, false);
  const x = rand(
    c.x.reduce((a, b) => a * b, 1),
    1,
  );
  const w = g.initializers.get('w')!.data as Float32Array;
  const b = g.initializers.get('b')?.data as Float32Array | undefined;
  const want = reference(c, x, w, b);
  const node = g.nodes[0] as Extract<Node, { op: 'Conv' }>;
  const got = exact
    ? (KERNELS.Conv(node, [f32(c.x, x), g.initializers.get('w'), g.initializers.get('b')], { limit: 1e9, exactSums: true })[0] as Tensor)
    : runGraph(g, new Map([['x', f32(c.x, x)]])).get('y')!;
  assert.deepEqual(got.shape, want.shape, c.name);
  assert.deepEqual(bits(got.data as Float32Array), bits(want.data), c.name);
}

describe('Conv in WebAssembly: exactly the float32 summation contract', { skip: forcedOff ? 'SNNC_NO_WASM=1' : false }, () => {
  it('runs in WebAssembly here', () => assert.equal(wasmGemmEnabled(), true));
  const cases: Case[] = [
    // read in place (unit width stride, 1-D / 2-D): widths giving 8-, 4- and 1-column tiles, 1..7 output channels
    { name: 'lenet conv1', x: [3, 1, 28, 28], oc: 6, k: [5, 5], bias: true },
    { name: 'lenet conv2', x: [2, 6, 12, 12], oc: 16, k: [5, 5], bias: true },
    { name: '13 wide, 7 channels', x: [2, 3, 9, 17], oc: 7, k: [3, 5] },
    { name: 'padded 3x3 (the ResNet block)', x: [2, 4, 7, 11], oc: 5, k: [3, 3], pads: [1, 1, 1, 1], bias: true },
    { name: 'asymmetric pads, height stride 2, dilation', x: [1, 2, 10, 13], oc: 3, k: [2, 3], strides: [2, 1], pads: [0, 2, 3, 1], dilations: [2, 2] },
    { name: 'groups, in place', x: [2, 6, 8, 9], oc: 9, k: [3, 3], group: 3, pads: [1, 0, 1, 0], bias: true },
    { name: '1-D with pads and dilation', x: [2, 3, 29], oc: 4, k: [4], pads: [2, 3], dilations: [2], bias: true },
    // gathered (im2col): width stride > 1, 3-D
    { name: 'stride 2 both ways, padded', x: [2, 3, 11, 12], oc: 5, k: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1], bias: true },
    { name: 'width stride 3, groups', x: [1, 4, 9, 20], oc: 6, k: [2, 4], strides: [1, 3], group: 2 },
    { name: '3-D, padded, strided', x: [2, 2, 5, 6, 7], oc: 3, k: [2, 3, 3], strides: [1, 2, 1], pads: [1, 0, 1, 0, 1, 2], bias: true },
    // as is (1x1, stride 1, no pads)
    { name: 'pointwise', x: [2, 8, 5, 7], oc: 5, k: [1, 1], bias: true },
    { name: 'pointwise depthwise', x: [2, 4, 3, 3], oc: 4, k: [1, 1], group: 4 },
  ];
  for (const c of cases) it(c.name, () => check(c));
  // exactSums (the SNN simulator's): the same contract, which is its order (ascending, float32).
  for (const c of cases) it(`${c.name}, exact sums`, () => check(c, true));
});

describe('Relu folded into its producer', { skip: forcedOff ? 'SNNC_NO_WASM=1' : false }, () => {
  const c: Case = { name: 'conv+relu', x: [2, 3, 9, 11], oc: 5, k: [3, 3], pads: [1, 1, 1, 1], bias: true };
  it('is folded only when the Relu is the one reader and nothing else sees the Conv output', () => {
    assert.deepEqual([...foldedRelus(convGraph(c, true, false), new Set(['z']))], [[0, 1]]);
    assert.deepEqual([...foldedRelus(convGraph(c, true, true), new Set(['y', 'z']))], []);
  });
  it('gives the Relu kernel’s bits, NaN and -0 included (odd sizes exercise the lane tail)', () => {
    const x = rand(2 * 3 * 9 * 11, 5);
    x[7] = NaN;
    const feeds = new Map([['x', f32(c.x, x)]]);
    const fused = runGraph(convGraph(c, true, false), feeds).get('z')!;
    const apart = runGraph(convGraph(c, true, true), feeds);
    const y = apart.get('y')!.data as Float32Array;
    const z = apart.get('z')!.data as Float32Array;
    assert.ok(y.some((v) => v < 0) && y.some((v) => Number.isNaN(v)), 'the case has negatives and a NaN to rectify');
    assert.deepEqual(bits(fused.data as Float32Array), bits(z));
    // and the same when an observer asks for every value (nothing folded)
    const seen: string[] = [];
    const observed = runGraph(convGraph(c, true, false), feeds, { onValue: (name) => seen.push(name) }).get('z')!;
    assert.deepEqual(seen, ['y', 'z']);
    assert.deepEqual(bits(observed.data as Float32Array), bits(z));
  });
});

describe('four-tap AveragePool in WebAssembly: the float64 sum of the TS loop, bit for bit', { skip: forcedOff ? 'SNNC_NO_WASM=1' : false }, () => {
  // y = fround((((x0 + x1) + x2) + x3) / 4) in float64, taps in row-major order.
  const cases: { name: string; x: number[]; k: number[]; s: number[]; d?: number[] }[] = [
    { name: '2x2 stride 2 (LeNet)', x: [3, 5, 24, 24], k: [2, 2], s: [2, 2] },
    { name: '2x2 stride 1 (overlapping)', x: [2, 3, 7, 9], k: [2, 2], s: [1, 1] },
    { name: '2x2 strides 3 and 2, dilation 2', x: [2, 2, 11, 10], k: [2, 2], s: [3, 2], d: [2, 2] },
    { name: '1-D, four taps', x: [2, 3, 17], k: [4], s: [3] },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const n = c.x.reduce((a, b) => a * b, 1);
      const x = rand(n, 9).map((v) => v * 1e3);
      const attrs = { kernelShape: c.k, strides: c.s, pads: [], dilations: c.d ?? [], autoPad: 'NOTSET', ceilMode: false, countIncludePad: false };
      const node = { op: 'AveragePool', name: 'pool', inputs: ['x'], outputs: ['y'], attrs } as unknown as Node;
      const g: Graph = {
        name: c.name,
        inputs: ['x'],
        outputs: ['y'],
        nodes: [node],
        values: new Map([['x', { name: 'x', dtype: 'float32', shape: c.x }]]),
        initializers: new Map(),
        meta: {},
      };
      const y = runGraph(g, new Map([['x', f32(c.x, x)]])).get('y')!;
      const [N, C] = c.x as [number, number];
      const sp = c.x.slice(2);
      const H = sp.length === 2 ? sp[0]! : 1;
      const W = sp[sp.length - 1]!;
      const [KH, KW] = c.k.length === 2 ? [c.k[0]!, c.k[1]!] : [1, c.k[0]!];
      const [SH, SW] = c.s.length === 2 ? [c.s[0]!, c.s[1]!] : [1, c.s[0]!];
      const [DH, DW] = (c.d ?? [1, 1]) as [number, number];
      const OH = Math.floor((H - ((KH - 1) * DH + 1)) / SH) + 1;
      const OW = Math.floor((W - ((KW - 1) * DW + 1)) / SW) + 1;
      const want = new Float32Array(N * C * OH * OW);
      let q = 0;
      let f32Differs = false;
      for (let nc = 0; nc < N * C; nc++)
        for (let oh = 0; oh < OH; oh++)
          for (let ow = 0; ow < OW; ow++) {
            let s = 0;
            let s32 = 0;
            for (let kh = 0; kh < KH; kh++)
              for (let kw = 0; kw < KW; kw++) {
                const v = x[nc * H * W + (oh * SH + kh * DH) * W + ow * SW + kw * DW]!;
                s += v;
                s32 = Math.fround(s32 + v);
              }
            want[q++] = s / 4;
            if (Math.fround(s32 / 4) !== Math.fround(s / 4)) f32Differs = true;
          }
      assert.ok(f32Differs, 'some window rounds differently when summed in float32, so the test tells the two apart');
      assert.deepEqual(y.shape, [N, C, ...(sp.length === 2 ? [OH, OW] : [OW])]);
      assert.deepEqual(bits(y.data as Float32Array), bits(want));
    });
  }
});
