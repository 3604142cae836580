/**
 * Conv2DBackpropFilter on the wasm backend, which has no builtin for it (tfjs issue #8474): the
 * filter gradient as one GEMM over the im2col matrix (kernels/core/conv.ts) on heap views.
 *
 * The calls our im2col kernels leave to a builtin elsewhere — zero-size tensors, a dy whose shape
 * no forward geometry gives, non-finite dy values meeting the zero padding — are computed here by
 * a direct loop over the filter taps that skips padded taps and sums in float64, as tfjs's cpu
 * builtin does: the same numbers, with no builtin to hand them to.
 */
import {
  backend_util, Conv2DBackpropFilter, Conv2DBackpropFilterAttrs, Conv2DBackpropFilterInputs, TensorInfo,
} from '@tensorflow/tfjs-core';
import { convBackpropFilter } from '../core/conv';
import { hasNonFinite, windowsLeaveInput } from '../core/fallback';
import { BuiltinOnly, builtinOnly, checkRank, convInfoFor, geometryOf, KernelInputError } from '../core/geometry';
import { heapFloats, WasmBackend, wasmKernel } from './util';

type Args = { inputs: Conv2DBackpropFilterInputs; backend: WasmBackend; attrs: Conv2DBackpropFilterAttrs };

export function conv2DBackpropFilter(args: Args): TensorInfo {
  const { inputs: { x, dy }, backend, attrs } = args;
  const { strides, pad, dataFormat, dimRoundingMode, filterShape } = attrs;
  heapFloats(Conv2DBackpropFilter, 'x', backend, x!);
  const dyValues = heapFloats(Conv2DBackpropFilter, 'dy', backend, dy!);
  const info = convInfoFor(Conv2DBackpropFilter, x!.shape, filterShape, strides, 1, pad, dimRoundingMode, dataFormat, dy!.shape);
  const g = geometryOf(info);
  if (windowsLeaveInput(g) && hasNonFinite(dyValues)) builtinOnly('non-finite values in dy meet the zero padding');
  const out = backend.makeOutput(filterShape, 'float32');
  // Views after the allocation: it may have grown (and so detached) the heap.
  convBackpropFilter(
    heapFloats(Conv2DBackpropFilter, 'x', backend, x!), heapFloats(Conv2DBackpropFilter, 'dy', backend, dy!), g,
    backend.typedArrayFromHeap(out) as Float32Array);
  return out;
}

/**
 * dW by direct summation over in-bounds taps, with the geometry tfjs's cpu builtin uses (the
 * attributes' own, dy read with its own shape): for the calls the im2col path declines.
 */
export function conv2DBackpropFilterDirect(args: Args): TensorInfo {
  const { inputs: { x, dy }, backend, attrs } = args;
  const { strides, pad, dataFormat, dimRoundingMode, filterShape } = attrs;
  checkRank(Conv2DBackpropFilter, 'x', x!.shape, 4);
  checkRank(Conv2DBackpropFilter, 'dy', dy!.shape, 4);
  checkRank(Conv2DBackpropFilter, 'filterShape', filterShape, 4);
  for (const [name, t] of [['x', x!], ['dy', dy!]] as const) {
    if (t.dtype !== 'float32') {
      throw new KernelInputError(Conv2DBackpropFilter, `${name} must be float32 on the wasm backend, got '${t.dtype}'`);
    }
  }
  const info = backend_util.computeConv2DInfo(
    x!.shape as [number, number, number, number], filterShape as [number, number, number, number], strides, 1, pad,
    dimRoundingMode, false, backend_util.convertConv2DDataFormat(dataFormat));
  const { filterHeight: FH, filterWidth: FW, inChannels: C, outChannels: OC, batchSize: N } = info;
  const { strideHeight: sH, strideWidth: sW, inHeight: H, inWidth: W } = info;
  const top = info.padInfo.top;
  const left = info.padInfo.left;
  const last = info.dataFormat === 'channelsLast';
  // dy's own extent, so that a dy the geometry does not describe is never read out of bounds.
  const dyH = last ? dy!.shape[1] : dy!.shape[2];
  const dyW = last ? dy!.shape[2] : dy!.shape[3];
  const outH = Math.min(info.outHeight, dyH);
  const outW = Math.min(info.outWidth, dyW);
  const dyC = last ? dy!.shape[3] : dy!.shape[1];
  if (dy!.shape[0] !== N || dyC !== OC) {
    throw new KernelInputError(Conv2DBackpropFilter, `dy [${dy!.shape}] does not match input [${x!.shape}] and filter ` +
      `[${filterShape}] (${dataFormat})`);
  }
  const out = backend.makeOutput(filterShape, 'float32');
  const xs = backend.typedArrayFromHeap(x!) as Float32Array;
  const dys = backend.typedArrayFromHeap(dy!) as Float32Array;
  const dW = backend.typedArrayFromHeap(out) as Float32Array;
  const xAt = (n: number, r: number, c: number, ch: number) =>
    last ? ((n * H + r) * W + c) * C + ch : ((n * C + ch) * H + r) * W + c;
  const dyAt = (n: number, r: number, c: number, ch: number) =>
    last ? ((n * dyH + r) * dyW + c) * OC + ch : ((n * OC + ch) * dyH + r) * dyW + c;
  let o = 0;
  for (let fh = 0; fh < FH; fh++) {
    const r0 = Math.max(0, Math.ceil((top - fh) / sH));
    const r1 = Math.min(outH, (H + top - fh) / sH);
    for (let fw = 0; fw < FW; fw++) {
      const c0 = Math.max(0, Math.ceil((left - fw) / sW));
      const c1 = Math.min(outW, (W + left - fw) / sW);
      for (let ci = 0; ci < C; ci++) {
        for (let co = 0; co < OC; co++, o++) {
          let sum = 0;
          for (let n = 0; n < N; n++) {
            for (let r = r0; r < r1; r++) {
              const xr = fh + r * sH - top;
              for (let c = c0; c < c1; c++) sum += xs[xAt(n, xr, fw + c * sW - left, ci)] * dys[dyAt(n, r, c, co)];
            }
          }
          dW[o] = sum;
        }
      }
    }
  }
  return out;
}

/** Ours; the calls the im2col path declines go to the direct loop (there is no builtin to hand them to). */
function conv2DBackpropFilterKernel(args: Args): TensorInfo {
  try {
    return conv2DBackpropFilter(args);
  } catch (e) {
    if (e instanceof BuiltinOnly) return conv2DBackpropFilterDirect(args);
    throw e;
  }
}

export const conv2DBackpropFilterConfig = wasmKernel(Conv2DBackpropFilter, conv2DBackpropFilterKernel);
