// Sliding-window geometry shared by Conv and the pooling ops: resolves auto_pad and
// ceil_mode into explicit pads and output sizes, exactly as the ONNX spec defines them.
// Shape inference and the interpreter both call this, so they can never disagree.
import { fail } from '../errors.js';
import type { WindowAttrs } from './types.js';

export interface ResolvedWindow {
  readonly padsBegin: readonly number[];
  readonly padsEnd: readonly number[];
  readonly outSpatial: readonly number[];
}

export function resolveWindow(inSpatial: readonly number[], w: WindowAttrs, ceilMode = false, node?: string): ResolvedWindow {
  const n = inSpatial.length;
  const padsBegin: number[] = [];
  const padsEnd: number[] = [];
  const outSpatial: number[] = [];
  for (let i = 0; i < n; i++) {
    const inp = inSpatial[i] ?? 0;
    const k = w.kernelShape[i] ?? 1;
    const s = w.strides[i] ?? 1;
    const d = w.dilations[i] ?? 1;
    const dk = (k - 1) * d + 1; // extent of the dilated kernel
    let pb = 0;
    let pe = 0;
    let out: number;
    if (w.autoPad === 'SAME_UPPER' || w.autoPad === 'SAME_LOWER') {
      out = Math.ceil(inp / s);
      const total = Math.max(0, (out - 1) * s + dk - inp);
      pb = w.autoPad === 'SAME_UPPER' ? Math.floor(total / 2) : Math.ceil(total / 2);
      pe = total - pb;
    } else if (w.autoPad === 'VALID') {
      out = Math.floor((inp - dk) / s) + 1;
    } else {
      pb = w.pads[i] ?? 0;
      pe = w.pads[i + n] ?? 0;
      const span = inp + pb + pe - dk;
      out = (ceilMode ? Math.ceil(span / s) : Math.floor(span / s)) + 1;
      // With ceil_mode, a window that would start inside the end padding is dropped.
      if (ceilMode && (out - 1) * s >= inp + pb) out--;
    }
    if (!(out > 0) || s <= 0 || k <= 0 || d <= 0) {
      throw fail({
        code: 'SNNC_E_BAD_SHAPE',
        message: `window of kernel ${k}, stride ${s}, dilation ${d}, pads (${pb}, ${pe}) does not fit input size ${inp} (output size ${out})`,
        ...(node !== undefined ? { node } : {}),
      });
    }
    padsBegin.push(pb);
    padsEnd.push(pe);
    outSpatial.push(out);
  }
  return { padsBegin, padsEnd, outSpatial };
}
