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

/** Where x[n, ih, iw, c] lives: n·imageStride + ih·rowStride + iw·colStride + c·channelStride. */
interface PixelLayout { imageStride: number; rowStride: number; colStride: number; channelStride: number }

function pixelLayout(g: ConvGeometry): PixelLayout {
  const imageStride = g.inH * g.inW * g.inC;
  return g.channelsLast
    ? { imageStride, rowStride: g.inW * g.inC, colStride: g.inC, channelStride: 1 }
    : { imageStride, rowStride: g.inW, colStride: 1, channelStride: g.inH * g.inW };
}

/**
 * Walks output rows [r0, r1) and, for each, the filter rows fh of its window
 * (col2im's walk; im2colRows writes the same walk out inline):
 * `visit(o, src, iw0)` gets the col offset o of that filter row's filterW·inC
 * entries and the input offset `src` of the input row it reads (−1 when that
 * input row is padding), plus the window's left column iw0.
 */
function forEachFilterRow(
  g: ConvGeometry, r0: number, r1: number, visit: (o: number, src: number, iw0: number) => void,
): void {
  const K = colWidth(g);
  const L = pixelLayout(g);
  const pixels = g.outH * g.outW;
  let n = Math.floor(r0 / pixels);
  let oh = Math.floor((r0 - n * pixels) / g.outW);
  let ow = r0 - n * pixels - oh * g.outW;
  for (let r = r0; r < r1; r++) {
    const ih0 = oh * g.strideH - g.padTop;
    const iw0 = ow * g.strideW - g.padLeft;
    let o = (r - r0) * K;
    for (let fh = 0; fh < g.filterH; fh++, o += g.filterW * g.inC) {
      const ih = ih0 + fh * g.dilationH;
      visit(o, ih < 0 || ih >= g.inH ? -1 : n * L.imageStride + ih * L.rowStride, iw0);
    }
    if (++ow === g.outW) {
      ow = 0;
      if (++oh === g.outH) {
        oh = 0;
        n++;
      }
    }
  }
}

/**
 * Fills col[(r - r0) * K + (fh * filterW + fw) * inC + c] for rows r in [r0, r1).
 * The same walk as forEachFilterRow, written out: im2col runs on every
 * forward and filter-gradient call, and a callback per filter row (5 floats
 * for a 5×5 single-channel filter) would cost more than the copying.
 */
export function im2colRows(x: Float32Array, g: ConvGeometry, r0: number, r1: number, col: Float32Array): void {
  const { inH, inW, inC, outH, outW, filterH, filterW, strideH, strideW, padTop, padLeft, dilationH, dilationW } = g;
  const { imageStride, rowStride, colStride, channelStride } = pixelLayout(g);
  const K = colWidth(g);
  const span = filterW * inC;
  // NHWC, undilated: an in-bounds filter row is one contiguous run of the input.
  const contiguous = g.channelsLast && dilationW === 1;
  const pixels = outH * outW;
  let n = Math.floor(r0 / pixels);
  let oh = Math.floor((r0 - n * pixels) / outW);
  let ow = r0 - n * pixels - oh * outW;
  for (let r = r0; r < r1; r++) {
    const ih0 = oh * strideH - padTop;
    const iw0 = ow * strideW - padLeft;
    const inside = contiguous && iw0 >= 0 && iw0 + filterW <= inW;
    let o = (r - r0) * K;
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
    if (++ow === outW) {
      ow = 0;
      if (++oh === outH) {
        oh = 0;
        n++;
      }
    }
  }
}

/** Adds col's rows [r0, r1) back onto the input pixels they were taken from: dx += col2im(col). */
export function col2imRows(col: Float32Array, g: ConvGeometry, r0: number, r1: number, dx: Float32Array): void {
  const { inW, inC, filterW, dilationW } = g;
  const { colStride, channelStride } = pixelLayout(g);
  const span = filterW * inC;
  const contiguous = g.channelsLast && dilationW === 1;
  forEachFilterRow(g, r0, r1, (o, src, iw0) => {
    if (src < 0) return;
    if (contiguous && iw0 >= 0 && iw0 + filterW <= inW) {
      const to = src + iw0 * inC;
      for (let i = 0; i < span; i++) dx[to + i] += col[o + i];
      return;
    }
    for (let fw = 0; fw < filterW; fw++, o += inC) {
      const iw = iw0 + fw * dilationW;
      if (iw < 0 || iw >= inW) continue;
      const to = src + iw * colStride;
      for (let c = 0; c < inC; c++) dx[to + c * channelStride] += col[o + c];
    }
  });
}
