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
import { im2colWasm } from '../wasm_runtime/vector';
import { colWidth, ConvGeometry, pixelLayout } from './geometry';

/**
 * Walks output rows [r0, r1): `visit(o, n, ih0, iw0)` gets the col offset o of
 * the row's K entries, its image n, and its window's top-left input
 * coordinates (negative where the window starts in the padding). One call per
 * output row, not per filter row: for a 5×5 single-channel filter a filter row
 * is only 5 floats, and a call for each would cost more than the copying.
 */
function forEachWindowRow(
  g: ConvGeometry, r0: number, r1: number, visit: (o: number, n: number, ih0: number, iw0: number) => void,
): void {
  const K = colWidth(g);
  const pixels = g.outH * g.outW;
  let n = Math.floor(r0 / pixels);
  let oh = Math.floor((r0 - n * pixels) / g.outW);
  let ow = r0 - n * pixels - oh * g.outW;
  for (let r = r0; r < r1; r++) {
    visit((r - r0) * K, n, oh * g.strideH - g.padTop, ow * g.strideW - g.padLeft);
    if (++ow === g.outW) {
      ow = 0;
      if (++oh === g.outH) {
        oh = 0;
        n++;
      }
    }
  }
}

/** Fills col[(r - r0) * K + (fh * filterW + fw) * inC + c] for rows r in [r0, r1) (in WebAssembly where it can). */
export function im2colRows(x: Float32Array, g: ConvGeometry, r0: number, r1: number, col: Float32Array): void {
  const { inH, inW, inC, filterH, filterW, dilationH, dilationW } = g;
  const { imageStride, rowStride, colStride, channelStride } = pixelLayout(g);
  const rows = col.subarray(0, (r1 - r0) * colWidth(g));
  if (im2colWasm(x, r0, r1, rows, [inH, inW, inC, filterH, filterW, dilationH, dilationW, g.strideH, g.strideW,
    g.padTop, g.padLeft, g.outH, g.outW, imageStride, rowStride, colStride, channelStride])) return;
  const span = filterW * inC;
  // NHWC, undilated: an in-bounds filter row is one contiguous run of the input.
  const contiguous = g.channelsLast && dilationW === 1;
  forEachWindowRow(g, r0, r1, (o, n, ih0, iw0) => {
    const inside = contiguous && iw0 >= 0 && iw0 + filterW <= inW;
    for (let fh = 0; fh < filterH; fh++, o += span) {
      const ih = ih0 + fh * dilationH;
      if (ih < 0 || ih >= inH) {
        col.fill(0, o, o + span);
        continue;
      }
      const src = n * imageStride + ih * rowStride;
      if (inside) {
        const from = src + iw0 * inC;
        for (let i = 0; i < span; i++) col[o + i] = x[from + i];
        continue;
      }
      for (let fw = 0, at = o; fw < filterW; fw++, at += inC) {
        const iw = iw0 + fw * dilationW;
        if (iw < 0 || iw >= inW) {
          col.fill(0, at, at + inC);
          continue;
        }
        const from = src + iw * colStride;
        for (let c = 0; c < inC; c++) col[at + c] = x[from + c * channelStride];
      }
    }
  });
}

/** Adds col's rows [r0, r1) back onto the input pixels they were taken from: dx += col2im(col). */
export function col2imRows(col: Float32Array, g: ConvGeometry, r0: number, r1: number, dx: Float32Array): void {
  const { inH, inW, inC, filterH, filterW, dilationH, dilationW } = g;
  const { imageStride, rowStride, colStride, channelStride } = pixelLayout(g);
  const span = filterW * inC;
  const contiguous = g.channelsLast && dilationW === 1;
  forEachWindowRow(g, r0, r1, (o, n, ih0, iw0) => {
    const inside = contiguous && iw0 >= 0 && iw0 + filterW <= inW;
    for (let fh = 0; fh < filterH; fh++, o += span) {
      const ih = ih0 + fh * dilationH;
      if (ih < 0 || ih >= inH) continue;
      const dst = n * imageStride + ih * rowStride;
      if (inside) {
        const to = dst + iw0 * inC;
        for (let i = 0; i < span; i++) dx[to + i] += col[o + i];
        continue;
      }
      for (let fw = 0, at = o; fw < filterW; fw++, at += inC) {
        const iw = iw0 + fw * dilationW;
        if (iw < 0 || iw >= inW) continue;
        const to = dst + iw * colStride;
        for (let c = 0; c < inC; c++) dx[to + c * channelStride] += col[at + c];
      }
    }
  });
}
