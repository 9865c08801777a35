// C++ for one layer's step: the synaptic sum of the IntProgram contract (program.ts) for
// each output element, fused with that element's neuron update, in one function per layer.
// Loops are written plainly (gather form, bounds-checked windows) so the C-simulation is
// obviously the contract; pragmas shape the hardware and do not change the arithmetic.
import type { IntNeuron } from '../../sim/int/program.js';
import { elements, hasChannelGains, unsignedBitsFor } from '../../sim/int/program.js';
import type { LayerPlan } from './plan.js';

/** State arrays a layer keeps across steps (declared in the top function). */
export interface StateArray {
  readonly name: string;
  readonly type: string;
  readonly size: number;
}

export function stateArrays(lp: LayerPlan): StateArray[] {
  const l = lp.layer;
  const n = l.neuron;
  const out: StateArray[] = [];
  if (n !== null) {
    out.push({ name: `${lp.id}_v`, type: `${lp.id}_v_t`, size: lp.out.size });
    if (n.refractory > 0) out.push({ name: `${lp.id}_r`, type: `${lp.id}_r_t`, size: lp.out.size });
    if (n.currentDecay !== undefined) out.push({ name: `${lp.id}_i`, type: `${lp.id}_i_t`, size: lp.out.size });
  }
  if (l.kind === 'max-pool') out.push({ name: `${lp.id}_cnt`, type: `${lp.id}_cnt_t`, size: elements(l.inShape) });
  return out;
}

/** Signed width holding every accumulated spike count of a max-pool input. */
export function countBits(lp: LayerPlan, T: number): number {
  const m = T * (lp.ins[0]?.maxAbs ?? 1);
  return Math.min(64, unsignedBitsFor(m) + 1);
}

export function layerTypedefs(lp: LayerPlan, T: number): string[] {
  const l = lp.layer;
  const out = [`typedef snnc_int<${l.accBits}> ${lp.id}_acc_t;`];
  const n = l.neuron;
  if (n !== null) {
    out.push(`typedef snnc_int<${n.membraneBits}> ${lp.id}_v_t;`);
    if (n.refractory > 0) out.push(`typedef snnc_uint<${unsignedBitsFor(n.refractory)}> ${lp.id}_r_t;`);
    if (n.currentDecay !== undefined) out.push(`typedef snnc_int<32> ${lp.id}_i_t;`);
  }
  if (l.kind === 'max-pool') out.push(`typedef snnc_int<${countBits(lp, T)}> ${lp.id}_cnt_t;`);
  return out;
}

/**
 * The current I of element `i` (channel `ch`) from the accumulated `acc`, then the neuron
 * update or the plain output store. dense/conv: I = bias + ((S + 2^(k-1)) >> k) (k = shift,
 * rounding half up; formed in 64 bits because S + 2^(k-1) may exceed accBits); add: acc is I.
 */
function fire(lp: LayerPlan, i: string, ch: string, ind: string): string[] {
  const l = lp.layer;
  const n: IntNeuron | null = l.neuron;
  const k = l.kind === 'dense' || l.kind === 'conv' ? l.shift : 0;
  const rounded = k > 0 ? `((snnc_wide(acc) + ${2 ** (k - 1)}) >> ${k})` : 'snnc_wide(acc)';
  const bias = l.kind !== 'add' && l.bias.length > 0 ? ` + ${lp.id}_b[${ch}]` : '';
  if (n === null) return [`${ind}const snnc_wide cur = ${rounded}${bias};`, `${ind}out[${i}] = cur;`];
  // A current-based neuron first updates its synaptic current (also while refractory):
  // i = sat32(trunc(i·(4096 − d) / 2^12) + I), truncation toward zero as lava's CUBA neuron.
  const d = n.currentDecay;
  const cur =
    d === undefined
      ? `${ind}const snnc_wide cur = ${rounded}${bias};`
      : [
          `${ind}const snnc_wide in_cur = ${rounded}${bias};`,
          `${ind}const snnc_wide i_keep = snnc_wide(syn[${i}]) * ${4096 - d};`,
          `${ind}const snnc_wide cur = snnc_sat<32>((i_keep < 0 ? -((-i_keep) >> 12) : (i_keep >> 12)) + in_cur);`,
          `${ind}syn[${i}] = cur;`,
        ].join('\n');
  const ov = `snnc_${n.overflow === 'saturate' ? 'sat' : 'wrap'}<${n.membraneBits}>`;
  const th = `${lp.id}_th[${n.threshold.length === 1 ? '0' : ch}]`;
  const body: string[] = [
    `snnc_wide vv = mem[${i}];`,
    ...(n.leakShift !== null ? [`vv = vv - (vv >> ${n.leakShift});`] : []),
    `vv = ${ov}(vv + cur);`,
    `const snnc_wide th = ${th};`,
    `if (vv ${n.fire === 'ge' ? '>=' : '>'} th) {`,
    `  mem[${i}] = ${n.reset === 'subtract' ? `${ov}(vv - th)` : lit(n.vReset)};`,
    ...(n.refractory > 0 ? [`  ref[${i}] = ${n.refractory};`] : []),
    `  out[${i}] = 1;`,
    '} else {',
    `  mem[${i}] = vv;`,
    `  out[${i}] = 0;`,
    '}',
  ];
  if (n.refractory === 0) return [cur, ...body.map((s) => ind + s)];
  return [
    cur,
    `${ind}if (ref[${i}] != 0) {`,
    `${ind}  ref[${i}] = ref[${i}] - 1;`,
    `${ind}  out[${i}] = 0;`,
    `${ind}} else {`,
    ...body.map((s) => `${ind}  ${s}`),
    `${ind}}`,
  ];
}

/** An integer literal that is valid C++ for every int32 (−2^31 has no literal form). */
export function lit(v: number): string {
  return v === -2147483648 ? '(-2147483647 - 1)' : String(v);
}

function params(lp: LayerPlan): string {
  const ps = lp.ins.map((s, j) => `const ${s.type} in${j}[${s.size}]`);
  const n = lp.layer.neuron;
  if (n !== null) {
    ps.push(`${lp.id}_v_t mem[${lp.out.size}]`);
    if (n.refractory > 0) ps.push(`${lp.id}_r_t ref[${lp.out.size}]`);
    if (n.currentDecay !== undefined) ps.push(`${lp.id}_i_t syn[${lp.out.size}]`);
  }
  if (lp.layer.kind === 'max-pool') ps.push(`${lp.id}_cnt_t cnt[${elements(lp.layer.inShape)}]`);
  ps.push(`${lp.out.type} out[${lp.out.size}]`);
  return ps.join(', ');
}

/** `acc += w·x` for one synapse; a spike input makes it a conditional add. */
function synapse(lp: LayerPlan, x: string, w: string): string {
  return (lp.ins[0]?.binary ?? false) ? `if (${x} != 0) acc += ${w};` : `acc += ${w} * ${x};`;
}

/** The accumulator: the add layer starts from its bias, dense/conv from 0 (bias after the shift). */
function accDecl(lp: LayerPlan, ch: string): string {
  const withBias = lp.layer.kind === 'add' && lp.layer.bias.length > 0;
  return `${lp.id}_acc_t acc = ${withBias ? `${lp.id}_b[${ch}]` : '0'};`;
}

function dense(lp: LayerPlan): string[] {
  const [O, NI] = lp.layer.weightShape as [number, number];
  const factor = Math.max(1, Math.ceil((O * NI) / lp.reuse));
  return [
    `  SNNC_HLS(PIPELINE II=${lp.reuse})`,
    `  SNNC_HLS(ARRAY_PARTITION variable=${lp.id}_w type=cyclic factor=${factor})`,
    `SNNC_LABEL(${lp.id}_o)`,
    `  for (int o = 0; o < ${O}; o++) {`,
    `    ${accDecl(lp, 'o')}`,
    `SNNC_LABEL(${lp.id}_i)`,
    `    for (int i = 0; i < ${NI}; i++) {`,
    `      ${synapse(lp, 'in0[i]', `${lp.id}_w[o * ${NI} + i]`)}`,
    '    }',
    ...fire(lp, 'o', 'o', '    '),
    '  }',
  ];
}

/** Nested window loops over (ku, kv) with the in-bounds test, around `inner` lines. */
function windowLoops(lp: LayerPlan, H: number, W: number, inner: string[], ind: string): string[] {
  const g = lp.layer.geometry;
  if (g === undefined) return [];
  const [KH, KW] = g.kernel;
  const [sh, sw] = g.strides;
  const [pt, pl] = g.pads;
  const [dh, dw] = g.dilations;
  return [
    `${ind}for (int ku = 0; ku < ${KH}; ku++) {`,
    `${ind}  const int iy = oy * ${sh} + ku * ${dh} - ${pt};`,
    `${ind}  for (int kv = 0; kv < ${KW}; kv++) {`,
    `${ind}    const int ix = ox * ${sw} + kv * ${dw} - ${pl};`,
    `${ind}    if (iy >= 0 && iy < ${H} && ix >= 0 && ix < ${W}) {`,
    ...inner.map((s) => `${ind}      ${s}`),
    `${ind}    }`,
    `${ind}  }`,
    `${ind}}`,
  ];
}

function positions(lp: LayerPlan, body: string[]): string[] {
  const [, OH, OW] = lp.layer.outShape as [number, number, number];
  return [
    `SNNC_LABEL(${lp.id}_y)`,
    `  for (int oy = 0; oy < ${OH}; oy++) {`,
    `SNNC_LABEL(${lp.id}_x)`,
    `    for (int ox = 0; ox < ${OW}; ox++) {`,
    `      SNNC_HLS(PIPELINE II=${lp.reuse})`,
    ...body,
    '    }',
    '  }',
  ];
}

function conv(lp: LayerPlan): string[] {
  const l = lp.layer;
  const g = l.geometry;
  if (g === undefined) return [];
  const [C, H, W] = l.inShape as [number, number, number];
  const [O, OH, OW] = l.outShape as [number, number, number];
  const [KH, KW] = g.kernel;
  const Cg = C / g.group;
  const Og = O / g.group;
  const chan = g.group === 1 ? 'c' : `o / ${Og} * ${Cg} + c`;
  const inner = [synapse(lp, `in0[((${chan}) * ${H} + iy) * ${W} + ix]`, `${lp.id}_w[((o * ${Cg} + c) * ${KH} + ku) * ${KW} + kv]`)];
  return positions(lp, [
    `SNNC_LABEL(${lp.id}_o)`,
    `      for (int o = 0; o < ${O}; o++) {`,
    `        ${accDecl(lp, 'o')}`,
    `        for (int c = 0; c < ${Cg}; c++) {`,
    ...windowLoops(lp, H, W, inner, '          '),
    '        }',
    ...fire(lp, `(o * ${OH} + oy) * ${OW} + ox`, 'o', '        '),
    '      }',
  ]);
}

function sumPool(lp: LayerPlan): string[] {
  const [C, H, W] = lp.layer.inShape as [number, number, number];
  const [, OH, OW] = lp.layer.outShape as [number, number, number];
  return positions(lp, [
    `      for (int c = 0; c < ${C}; c++) {`,
    `        ${lp.id}_acc_t acc = 0;`,
    ...windowLoops(lp, H, W, [`acc += in0[(c * ${H} + iy) * ${W} + ix];`], '        '),
    `        out[(c * ${OH} + oy) * ${OW} + ox] = acc;`,
    '      }',
  ]);
}

function maxPool(lp: LayerPlan): string[] {
  const [C, H, W] = lp.layer.inShape as [number, number, number];
  const [, OH, OW] = lp.layer.outShape as [number, number, number];
  const N = C * H * W;
  // Counts include this step's spikes before any window looks at them (contract).
  return [
    `SNNC_LABEL(${lp.id}_count)`,
    `  for (int i = 0; i < ${N}; i++) {`,
    '    SNNC_HLS(PIPELINE II=1)',
    '    cnt[i] = cnt[i] + in0[i];',
    '  }',
    ...positions(lp, [
      `      for (int c = 0; c < ${C}; c++) {`,
      '        snnc_wide best = -1;',
      `        ${lp.out.type} spk = 0;`,
      ...windowLoops(
        lp,
        H,
        W,
        [`const int k = (c * ${H} + iy) * ${W} + ix;`, 'if (snnc_wide(cnt[k]) > best) {', '  best = cnt[k];', '  spk = in0[k];', '}'],
        '        ',
      ),
      `        out[(c * ${OH} + oy) * ${OW} + ox] = spk;`,
      '      }',
    ]),
  ];
}

function add(lp: LayerPlan): string[] {
  const l = lp.layer;
  const C = l.outShape[0] ?? 1;
  const per = lp.out.size / C;
  const perChannel = hasChannelGains(l);
  const terms = l.inputs.map((_, j) => {
    if (perChannel) return `acc += ${lp.id}_g[${j * C} + c] * in${j}[i];`;
    const gk = l.gains?.[j] ?? 1;
    return gk === 1 ? `acc += in${j}[i];` : `acc += ${lit(gk)} * in${j}[i];`;
  });
  return [
    `  SNNC_HLS(PIPELINE II=${lp.reuse})`,
    `SNNC_LABEL(${lp.id}_c)`,
    `  for (int c = 0; c < ${C}; c++) {`,
    `    for (int j = 0; j < ${per}; j++) {`,
    `      const int i = c * ${per} + j;`,
    `      ${accDecl(lp, 'c')}`,
    ...terms.map((t) => `      ${t}`),
    ...fire(lp, 'i', 'c', '      '),
    '    }',
    '  }',
  ];
}

/** The step function of one layer. */
export function layerFunction(lp: LayerPlan): string[] {
  const l = lp.layer;
  const body =
    l.kind === 'dense' ? dense(lp) : l.kind === 'conv' ? conv(lp) : l.kind === 'sum-pool' ? sumPool(lp) : l.kind === 'max-pool' ? maxPool(lp) : add(lp);
  const what =
    l.neuron === null ? 'no neuron' : `${l.neuron.currentDecay !== undefined ? 'current-based ' : ''}${l.neuron.leakShift === null ? 'IF' : 'LIF'} neuron`;
  return [
    `// layer ${lp.k}: ${lp.ident} (${l.kind}, [${l.inShape.join(', ')}] -> [${l.outShape.join(', ')}], ${what}, reuse ${lp.reuse})`,
    `static void ${lp.id}_step(${params(lp)}) {`,
    ...body,
    '}',
  ];
}

/** Arguments of the layer's call in the step loop, matching `params`. */
export function layerCall(lp: LayerPlan): string {
  const args = lp.ins.map((s) => s.arr);
  const n = lp.layer.neuron;
  if (n !== null) {
    args.push(`${lp.id}_v`);
    if (n.refractory > 0) args.push(`${lp.id}_r`);
    if (n.currentDecay !== undefined) args.push(`${lp.id}_i`);
  }
  if (lp.layer.kind === 'max-pool') args.push(`${lp.id}_cnt`);
  args.push(lp.out.arr);
  return `${lp.id}_step(${args.join(', ')});`;
}
