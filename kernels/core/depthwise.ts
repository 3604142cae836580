/**
 * Depthwise convolution on raw NHWC Float32Arrays: every input channel c is
 * convolved with its own `mult` filters (filter [filterH, filterW, inC, mult]),
 * giving output channels c·mult + q. There is no sum over channels, so no
 * im2col matrix and no GEMM: each output is a filterH·filterW dot product,
 * done four channels at a time in WebAssembly SIMD (assembly/depthwise.ts).
 *
 * The loops below are the JavaScript fallback (SIMD off or unavailable) and
 * give the same floats: float32 products and sums in the same order. Like
 * tfjs's cpu builtins, taps that fall in the padding are skipped (never
 * multiplied as zeros), the forward sum runs over (fh, fw) in order and the
 * input gradient reaches each input pixel in output-pixel order. The filter
 * gradient sums each output row in float32 and the rows in float64 (the
 * builtin sums everything in float64).
 */
import {
  depthwiseConvWasm, depthwiseFilterGradWasm, DepthwiseGeometry, depthwiseInputGradWasm,
} from '../wasm_runtime/vector';
import { ConvGeometry } from './geometry';

const { fround, max, min } = Math;

/** The activations the depthwise loops apply themselves (others go through kernels/core/epilogue.ts). */
export const DEPTHWISE_ACTIVATIONS = { linear: 0, relu: 1, relu6: 2 } as const;
export type DepthwiseActivation = keyof typeof DEPTHWISE_ACTIVATIONS;

/** The channel multiplier: outC / inC. */
export function channelMultiplier(g: ConvGeometry): number {
  return g.outC / g.inC;
}

function depthwiseGeometry(g: ConvGeometry): DepthwiseGeometry {
  return [g.batch, g.inH, g.inW, g.inC, channelMultiplier(g), g.outH, g.outW, g.filterH, g.filterW,
    g.strideH, g.strideW, g.dilationH, g.dilationW, g.padTop, g.padLeft];
}

/** The first tap f of a window starting at `start` that lands at or after 0. */
function firstTap(start: number, dil: number): number {
  return start >= 0 ? 0 : Math.ceil(-start / dil);
}

/** One past the last tap of a window starting at `start` that lands before `size` (at most `filter`). */
function endTap(start: number, dil: number, size: number, filter: number): number {
  const left = size - start;
  return left <= 0 ? 0 : min(filter, Math.ceil(left / dil));
}

/** The input with each channel repeated mult times (the layout of the output), or x itself when mult is 1. */
function expandChannels(x: Float32Array, pixels: number, inC: number, mult: number): Float32Array {
  if (mult === 1) return x;
  const xe = new Float32Array(pixels * inC * mult);
  for (let i = 0, o = 0; i < pixels * inC; i++) {
    for (let q = 0; q < mult; q++) xe[o++] = x[i];
  }
  return xe;
}

/**
 * y = depthwise conv2d(x, filter), then + bias (outC floats, or none) and the
 * activation; y need not start zeroed.
 */
export function depthwiseForward(
  x: Float32Array, filter: Float32Array, g: ConvGeometry, y: Float32Array,
  bias: Float32Array | null = null, activation: DepthwiseActivation = 'linear',
): void {
  const act = DEPTHWISE_ACTIVATIONS[activation];
  if (depthwiseConvWasm(x, filter, y, depthwiseGeometry(g), bias, act)) return;
  const { batch, inH, inW, inC, outC: C, outH, outW, filterH, filterW, strideH, strideW, dilationH, dilationW, padTop, padLeft } = g;
  const xe = expandChannels(x, batch * inH * inW, inC, C / inC);
  let out = 0;
  for (let n = 0; n < batch; n++) {
    const image = n * inH * inW * C;
    for (let oh = 0; oh < outH; oh++) {
      const ih0 = oh * strideH - padTop;
      const fh0 = firstTap(ih0, dilationH);
      const fh1 = endTap(ih0, dilationH, inH, filterH);
      for (let ow = 0; ow < outW; ow++, out += C) {
        const iw0 = ow * strideW - padLeft;
        const fw0 = firstTap(iw0, dilationW);
        const fw1 = endTap(iw0, dilationW, inW, filterW);
        for (let c = 0; c < C; c++) {
          let acc = 0;
          for (let fh = fh0; fh < fh1; fh++) {
            const xr = image + (ih0 + fh * dilationH) * inW * C + c;
            const wr = fh * filterW * C + c;
            for (let fw = fw0; fw < fw1; fw++) {
              acc = fround(acc + fround(xe[xr + (iw0 + fw * dilationW) * C] * filter[wr + fw * C]));
            }
          }
          if (bias) acc = fround(acc + bias[c]);
          if (act === 1) acc = max(acc, 0);
          else if (act === 2) acc = min(max(acc, 0), 6);
          y[out + c] = acc;
        }
      }
    }
  }
}

/** dx = the gradient of depthwiseForward with respect to x, for dy; dx need not start zeroed. */
export function depthwiseBackpropInput(dy: Float32Array, filter: Float32Array, g: ConvGeometry, dx: Float32Array): void {
  if (depthwiseInputGradWasm(dy, filter, dx, depthwiseGeometry(g))) return;
  const { batch, inH, inW, inC, outC: C, outH, outW, filterH, filterW, strideH, strideW, dilationH, dilationW, padTop, padLeft } = g;
  const mult = C / inC;
  const pixels = inH * inW;
  // With mult > 1, each output channel's sums first, then each input channel's mult of them in order.
  const sums = mult > 1 ? new Float32Array(pixels * C) : dx;
  let at = 0;
  for (let n = 0; n < batch; n++) {
    const image = mult > 1 ? 0 : n * pixels * C;
    sums.fill(0, image, image + pixels * C);
    for (let oh = 0; oh < outH; oh++) {
      const ih0 = oh * strideH - padTop;
      const fh0 = firstTap(ih0, dilationH);
      const fh1 = endTap(ih0, dilationH, inH, filterH);
      for (let ow = 0; ow < outW; ow++, at += C) {
        const iw0 = ow * strideW - padLeft;
        const fw0 = firstTap(iw0, dilationW);
        const fw1 = endTap(iw0, dilationW, inW, filterW);
        for (let fh = fh0; fh < fh1; fh++) {
          const dr = image + (ih0 + fh * dilationH) * inW * C;
          for (let fw = fw0; fw < fw1; fw++) {
            const d = dr + (iw0 + fw * dilationW) * C;
            const w = (fh * filterW + fw) * C;
            for (let c = 0; c < C; c++) sums[d + c] = fround(sums[d + c] + fround(dy[at + c] * filter[w + c]));
          }
        }
      }
    }
    if (mult > 1) {
      for (let p = 0, i = 0, o = n * pixels * inC; p < pixels * inC; p++, o++) {
        let s = 0;
        for (let q = 0; q < mult; q++) s = fround(s + sums[i++]);
        dx[o] = s;
      }
    }
  }
}

/** dW = the gradient of depthwiseForward with respect to the filter [filterH, filterW, inC, mult]; dW need not start zeroed. */
export function depthwiseBackpropFilter(x: Float32Array, dy: Float32Array, g: ConvGeometry, dW: Float32Array): void {
  if (depthwiseFilterGradWasm(x, dy, dW, depthwiseGeometry(g))) return;
  const { batch, inH, inW, inC, outC: C, outH, outW, filterH, filterW, strideH, strideW, dilationH, dilationW, padTop, padLeft } = g;
  const xe = expandChannels(x, batch * inH * inW, inC, C / inC);
  const acc = new Float64Array(filterH * filterW * C);
  for (let n = 0; n < batch; n++) {
    for (let oh = 0; oh < outH; oh++) {
      const ih0 = oh * strideH - padTop;
      const fh0 = firstTap(ih0, dilationH);
      const fh1 = endTap(ih0, dilationH, inH, filterH);
      const gRow = (n * outH + oh) * outW * C;
      for (let fh = fh0; fh < fh1; fh++) {
        const xRow = (n * inH + ih0 + fh * dilationH) * inW * C;
        for (let fw = 0; fw < filterW; fw++) {
          // Output columns whose tap fw lands inside the row: iw = ow·strideW + off in [0, inW).
          const off = fw * dilationW - padLeft;
          const ow0 = off >= 0 ? 0 : Math.ceil(-off / strideW);
          const ow1 = inW - off <= 0 ? 0 : min(outW, Math.ceil((inW - off) / strideW));
          const a = (fh * filterW + fw) * C;
          for (let c = 0; c < C; c++) {
            let sum = 0;
            for (let ow = ow0; ow < ow1; ow++) {
              sum = fround(sum + fround(xe[xRow + (ow * strideW + off) * C + c] * dy[gRow + ow * C + c]));
            }
            if (ow0 < ow1) acc[a + c] += sum;
          }
        }
      }
    }
  }
  for (let i = 0; i < acc.length; i++) dW[i] = acc[i];
}
