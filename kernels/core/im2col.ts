/**
 * im2col and col2im on raw Float32Arrays, one tile of output rows at a time.
 *
 * The chapter's im2col (7.4.3) lays every filter window of the input out as
 * one row of a matrix, so that convolution becomes a matrix product. Here the
 * rows are output pixels ordered (n, oh, ow) and the columns are ordered
 * (fh, fw, c) — the order of a tfjs filter [filterH, filterW, inC, outC], so
 * the filter is already the right-hand matrix. Only rows [r0, r1) are built at
 * a time, so the workspace stays bounded whatever the batch size.
 *
 * col2im is the adjoint: it adds each row's entries back to the input pixels
 * they came from (overlapping windows are summed, padding is dropped).
 */
import { colWidth, ConvGeometry } from './geometry';

/**
 * Calls `visit(r, n, ih0, iw0)` for each output row r in [r0, r1), with the
 * image index and the input coordinates of the window's top-left corner.
 */
function forEachWindow(
  g: ConvGeometry, r0: number, r1: number,
  visit: (r: number, n: number, ih0: number, iw0: number) => void,
): void {
  const pixels = g.outH * g.outW;
  let n = Math.floor(r0 / pixels);
  let oh = Math.floor((r0 - n * pixels) / g.outW);
  let ow = r0 - n * pixels - oh * g.outW;
  for (let r = r0; r < r1; r++) {
    visit(r, n, oh * g.strideH - g.padTop, ow * g.strideW - g.padLeft);
    if (++ow === g.outW) {
      ow = 0;
      if (++oh === g.outH) {
        oh = 0;
        n++;
      }
    }
  }
}

/** Offsets of x[n, ih, iw, c] as (base + c * channelStride), for NHWC or NCHW. */
function pixelLayout(g: ConvGeometry): { channelStride: number; rowStride: number; colStride: number; imageStride: number } {
  const imageStride = g.inH * g.inW * g.inC;
  return g.channelsLast
    ? { channelStride: 1, rowStride: g.inW * g.inC, colStride: g.inC, imageStride }
    : { channelStride: g.inH * g.inW, rowStride: g.inW, colStride: 1, imageStride };
}

/** Fills col[(r - r0) * K + (fh * filterW + fw) * inC + c] for rows r in [r0, r1). */
export function im2colRows(x: Float32Array, g: ConvGeometry, r0: number, r1: number, col: Float32Array): void {
  const K = colWidth(g);
  const { channelStride, rowStride, colStride, imageStride } = pixelLayout(g);
  const { inH, inW, inC, filterH, filterW, dilationH, dilationW } = g;
  forEachWindow(g, r0, r1, (r, n, ih0, iw0) => {
    let o = (r - r0) * K;
    for (let fh = 0; fh < filterH; fh++) {
      const ih = ih0 + fh * dilationH;
      if (ih < 0 || ih >= inH) {
        col.fill(0, o, o + filterW * inC);
        o += filterW * inC;
        continue;
      }
      for (let fw = 0; fw < filterW; fw++) {
        const iw = iw0 + fw * dilationW;
        if (iw < 0 || iw >= inW) {
          col.fill(0, o, o + inC);
        } else {
          const base = n * imageStride + ih * rowStride + iw * colStride;
          if (channelStride === 1) {
            for (let c = 0; c < inC; c++) col[o + c] = x[base + c];
          } else {
            for (let c = 0; c < inC; c++) col[o + c] = x[base + c * channelStride];
          }
        }
        o += inC;
      }
    }
  });
}

/** Adds col's rows [r0, r1) back onto the input pixels they were taken from: dx += col2im(col). */
export function col2imRows(col: Float32Array, g: ConvGeometry, r0: number, r1: number, dx: Float32Array): void {
  const K = colWidth(g);
  const { channelStride, rowStride, colStride, imageStride } = pixelLayout(g);
  const { inH, inW, inC, filterH, filterW, dilationH, dilationW } = g;
  forEachWindow(g, r0, r1, (r, n, ih0, iw0) => {
    let o = (r - r0) * K;
    for (let fh = 0; fh < filterH; fh++) {
      const ih = ih0 + fh * dilationH;
      if (ih < 0 || ih >= inH) {
        o += filterW * inC;
        continue;
      }
      for (let fw = 0; fw < filterW; fw++) {
        const iw = iw0 + fw * dilationW;
        if (iw >= 0 && iw < inW) {
          const base = n * imageStride + ih * rowStride + iw * colStride;
          for (let c = 0; c < inC; c++) dx[base + c * channelStride] += col[o + c];
        }
        o += inC;
      }
    }
  });
}
