// A minimal WebAssembly binary encoder: just enough to emit the GEMM kernels from
// TypeScript (no C/Rust toolchain in the build). Instructions are plain byte arrays
// built by the functions in `op`; a function body is their concatenation. Only the
// module parts we use exist: one type per function, an exported memory, exported
// functions with declared locals. Spec: WebAssembly Core 2.0, section 5 (binary format).

export type Bytes = readonly number[];

/** Value types. */
export const I32 = 0x7f;
export const F32 = 0x7d;
export const F64 = 0x7c;
export const V128 = 0x7b;
export const I64 = 0x7e;
export type ValType = typeof I32 | typeof F32 | typeof F64 | typeof V128 | typeof I64;

/** Unsigned LEB128 of a non-negative integer below 2^32. */
export function uleb(n: number): number[] {
  if (!Number.isInteger(n) || n < 0 || n > 0xffffffff) throw new RangeError(`uleb: ${n} is not a u32`);
  const out: number[] = [];
  let v = n;
  do {
    let byte = v % 128;
    v = Math.floor(v / 128);
    if (v !== 0) byte |= 0x80;
    out.push(byte);
  } while (v !== 0);
  return out;
}

/** Signed LEB128 of an integer in the i32 range. */
export function sleb(n: number): number[] {
  if (!Number.isInteger(n) || n < -0x80000000 || n > 0x7fffffff) throw new RangeError(`sleb: ${n} is not an i32`);
  const out: number[] = [];
  let v = n;
  for (;;) {
    const byte = v & 0x7f;
    v >>= 7; // arithmetic shift keeps the sign
    const done = (v === 0 && (byte & 0x40) === 0) || (v === -1 && (byte & 0x40) !== 0);
    out.push(done ? byte : byte | 0x80);
    if (done) return out;
  }
}

/** Concatenate instruction fragments. */
export function seq(...parts: readonly Bytes[]): number[] {
  const out: number[] = [];
  for (const p of parts) for (const b of p) out.push(b);
  return out;
}

/** A length-prefixed vector of already-encoded items. */
function vec(items: readonly Bytes[]): number[] {
  return seq(uleb(items.length), ...items);
}

function name(s: string): number[] {
  const b = [...new TextEncoder().encode(s)];
  return seq(uleb(b.length), b);
}

// Memory immediates: alignment as log2 bytes, then a constant byte offset.
const memarg = (alignLog2: number, offset: number): number[] => seq(uleb(alignLog2), uleb(offset));
// SIMD instructions: prefix 0xfd, then the opcode as a u32 LEB128 (0xe4 takes two bytes).
const simd = (code: number, ...imm: Bytes[]): number[] => seq([0xfd], uleb(code), ...imm);

const EMPTY_BLOCK = 0x40;

export const op = {
  // control
  block: (...body: Bytes[]): number[] => seq([0x02, EMPTY_BLOCK], ...body, [0x0b]),
  loop: (...body: Bytes[]): number[] => seq([0x03, EMPTY_BLOCK], ...body, [0x0b]),
  if: (then: Bytes, otherwise?: Bytes): number[] =>
    otherwise === undefined ? seq([0x04, EMPTY_BLOCK], then, [0x0b]) : seq([0x04, EMPTY_BLOCK], then, [0x05], otherwise, [0x0b]),
  br: (depth: number): number[] => [0x0c, ...uleb(depth)],
  brIf: (depth: number): number[] => [0x0d, ...uleb(depth)],
  // locals
  get: (l: number): number[] => [0x20, ...uleb(l)],
  set: (l: number): number[] => [0x21, ...uleb(l)],
  tee: (l: number): number[] => [0x22, ...uleb(l)],
  /** select: [a, b, cond] → cond ≠ 0 ? a : b. */
  select: [0x1b] as Bytes,
  // i32
  i32: (v: number): number[] => [0x41, ...sleb(v)],
  i32Eqz: [0x45] as Bytes,
  i32Eq: [0x46] as Bytes,
  i32Ne: [0x47] as Bytes,
  i32GeS: [0x4e] as Bytes,
  i32ShrS: [0x75] as Bytes,
  i32LtU: [0x49] as Bytes,
  i32GtU: [0x4b] as Bytes,
  i32LeU: [0x4d] as Bytes,
  i32Add: [0x6a] as Bytes,
  i32Sub: [0x6b] as Bytes,
  i32Mul: [0x6c] as Bytes,
  i32DivU: [0x6e] as Bytes,
  i32Shl: [0x74] as Bytes,
  i32ShrU: [0x76] as Bytes,
  i32Load: (offset = 0): number[] => [0x28, ...memarg(2, offset)],
  i32Store: (offset = 0): number[] => [0x36, ...memarg(2, offset)],
  i32And: [0x71] as Bytes,
  i32Or: [0x72] as Bytes,
  // i64 (bit-packed operands)
  i64Load: (offset = 0): number[] => [0x29, ...memarg(3, offset)],
  i64Const0: [0x42, 0x00] as Bytes,
  i64Eqz: [0x50] as Bytes,
  i64Popcnt: [0x7b] as Bytes,
  i64Ctz: [0x7a] as Bytes,
  i64Sub: [0x7d] as Bytes,
  i64Const1: [0x42, 0x01] as Bytes,
  i32Ctz: [0x68] as Bytes,
  i64And: [0x83] as Bytes,
  i64Or: [0x84] as Bytes,
  i32WrapI64: [0xa7] as Bytes,
  /** memory.fill (bulk memory): [dest, byte value, length] from the stack. */
  memoryFill: [0xfc, 0x0b, 0x00] as Bytes,
  // f32 (memory access takes the address from the stack)
  f32: (v: number): number[] => {
    const b = new Uint8Array(new Float32Array([v]).buffer);
    return [0x43, ...b];
  },
  f32Load: (offset = 0): number[] => [0x2a, ...memarg(2, offset)],
  f32Store: (offset = 0): number[] => [0x38, ...memarg(2, offset)],
  f32Add: [0x92] as Bytes,
  f32Sub: [0x93] as Bytes,
  f32Mul: [0x94] as Bytes,
  f32Div: [0x95] as Bytes,
  f32Eq: [0x5b] as Bytes,
  f32Ne: [0x5c] as Bytes,
  // f64
  f64: (v: number): number[] => {
    const b = new Uint8Array(new Float64Array([v]).buffer);
    return [0x44, ...b];
  },
  f64Load: (offset = 0): number[] => [0x2b, ...memarg(3, offset)],
  f64Store: (offset = 0): number[] => [0x39, ...memarg(3, offset)],
  f64Add: [0xa0] as Bytes,
  f64Sub: [0xa1] as Bytes,
  f64Eq: [0x61] as Bytes,
  f64Gt: [0x64] as Bytes,
  f64Ge: [0x66] as Bytes,
  f64Mul: [0xa2] as Bytes,
  f64Div: [0xa3] as Bytes,
  f64PromoteF32: [0xbb] as Bytes,
  f64ConvertI32S: [0xb7] as Bytes,
  /** i32.trunc_sat_f64_s (non-trapping float-to-int conversion). */
  i32TruncSatF64S: [0xfc, 0x02] as Bytes,
  f32DemoteF64: [0xb6] as Bytes,
  // v128 / f32x4 (alignment hint 2^4; unaligned addresses are still correct)
  v128Load: (offset = 0): number[] => simd(0x00, memarg(4, offset)),
  v128Load32Splat: (offset = 0): number[] => simd(0x09, memarg(2, offset)),
  v128Store: (offset = 0): number[] => simd(0x0b, memarg(4, offset)),
  f32x4Splat: simd(0x13) as Bytes,
  f32x4ExtractLane: (lane: number): number[] => simd(0x1f, [lane]),
  f32x4Add: simd(0xe4) as Bytes,
  f32x4Sub: simd(0xe5) as Bytes,
  f32x4Mul: simd(0xe6) as Bytes,
  f32x4Div: simd(0xe7) as Bytes,
  f32x4Lt: simd(0x43) as Bytes,
  f32Lt: [0x5d] as Bytes,
  v128Load64Zero: (offset = 0): number[] => simd(0x5d, memarg(3, offset)),
  v128Store64Lane: (lane: number, offset = 0): number[] => simd(0x5b, memarg(3, offset), [lane]),
  v128Const: (bytes: readonly number[]): number[] => simd(0x0c, bytes),
  v128And: simd(0x4e) as Bytes,
  v128AndNot: simd(0x4f) as Bytes,
  v128Bitselect: simd(0x52) as Bytes,
  i8x16Shuffle: (lanes: readonly number[]): number[] => simd(0x0d, lanes),
  i32x4ExtractLane: (lane: number): number[] => simd(0x1b, [lane]),
  i32x4Sub: simd(0xb1) as Bytes,
  i32x4Splat: simd(0x11) as Bytes,
  i32x4Add: simd(0xae) as Bytes,
  i32x4Mul: simd(0xb5) as Bytes,
  i32x4Shl: simd(0xab) as Bytes,
  i32x4ShrS: simd(0xac) as Bytes,
  i32x4MinS: simd(0xb6) as Bytes,
  i32x4MaxS: simd(0xb8) as Bytes,
  i32x4GtS: simd(0x3b) as Bytes,
  i32x4GeS: simd(0x3f) as Bytes,
  v128Xor: simd(0x51) as Bytes,
  f64x2PromoteLowF32x4: simd(0x5f) as Bytes,
  f32x4DemoteF64x2Zero: simd(0x5e) as Bytes,
  i8x16AddSatU: simd(0x70) as Bytes,
  i8x16GeU: simd(0x2c) as Bytes,
  i8x16Bitmask: simd(0x64) as Bytes,
  i8x16Swizzle: simd(0x0e) as Bytes,
  i32x4Ne: simd(0x38) as Bytes,
  i32x4Bitmask: simd(0xa4) as Bytes,
  f32x4Ne: simd(0x42) as Bytes,
  i32Popcnt: [0x69] as Bytes,
  i8x16Eq: simd(0x23) as Bytes,
  i32Load8U: (offset = 0): number[] => [0x2d, ...memarg(0, offset)],
  i32Xor: [0x73] as Bytes,
  i32GeU: [0x4f] as Bytes,
  f64x2ExtractLane: (lane: number): number[] => simd(0x21, [lane]),
  f64x2Gt: simd(0x4a) as Bytes,
  f64x2Ge: simd(0x4c) as Bytes,
  f64x2Sub: simd(0xf1) as Bytes,
  f64x2Splat: simd(0x14) as Bytes,
  f64x2Add: simd(0xf0) as Bytes,
  f64x2Mul: simd(0xf2) as Bytes,
} as const;

/** Locals after `params` parameters: add(t) declares one and returns its index; `types` goes to FuncSpec.locals. */
export function localsAfter(params: number): { readonly types: ValType[]; readonly add: (t: ValType) => number } {
  const types: ValType[] = [];
  return {
    types,
    add: (t) => {
      types.push(t);
      return params + types.length - 1;
    },
  };
}

/** `while (cond) body`: cond and body are sequences; body sits two labels deep. */
export function whileLoop(cond: Bytes, ...body: Bytes[]): number[] {
  return op.block(op.loop(cond, op.i32Eqz, op.brIf(1), ...body, op.br(0)));
}

export interface FuncSpec {
  readonly name: string;
  readonly params: readonly ValType[];
  readonly results: readonly ValType[];
  /** Types of the locals after the parameters (indices continue from params.length). */
  readonly locals: readonly ValType[];
  readonly body: Bytes;
}

export interface ModuleSpec {
  /** Exported memory: name and initial size in 64 KiB pages. */
  readonly memory: { readonly name: string; readonly pages: number };
  readonly funcs: readonly FuncSpec[];
}

function section(id: number, payload: Bytes): number[] {
  return seq([id], uleb(payload.length), payload);
}

/** Locals are declared as runs of one type: (count, type) pairs. */
function localRuns(locals: readonly ValType[]): number[] {
  const runs: Bytes[] = [];
  let i = 0;
  while (i < locals.length) {
    let j = i;
    while (j < locals.length && locals[j] === locals[i]) j++;
    runs.push(seq(uleb(j - i), [locals[i] as number]));
    i = j;
  }
  return vec(runs);
}

export function encodeModule(m: ModuleSpec): Uint8Array {
  const types = m.funcs.map((f) => seq([0x60], vec(f.params.map((t) => [t])), vec(f.results.map((t) => [t]))));
  const funcIdx = m.funcs.map((_, i) => uleb(i));
  const memory = [seq([0x00], uleb(m.memory.pages))]; // limits: min only
  const exports = [seq(name(m.memory.name), [0x02], uleb(0)), ...m.funcs.map((f, i) => seq(name(f.name), [0x00], uleb(i)))];
  const codes = m.funcs.map((f) => {
    const body = seq(localRuns(f.locals), f.body, [0x0b]);
    return seq(uleb(body.length), body);
  });
  return Uint8Array.from(
    seq(
      [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00], // "\0asm", version 1
      section(1, vec(types)),
      section(3, vec(funcIdx)),
      section(5, vec(memory)),
      section(7, vec(exports)),
      section(10, vec(codes)),
    ),
  );
}
