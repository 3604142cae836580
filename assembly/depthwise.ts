// Depthwise convolution in WebAssembly SIMD128 over NHWC float32 tensors:
// four channels per f32x4 (NHWC makes a pixel's channels contiguous). Every
// input channel c has its own `mult` filters, so output channel c·mult + q
// reads input channel c; with mult > 1 the input image is first expanded to
// outC channels (xe[p, c·mult + q] = x[p, c]) in scratch memory, after which
// input, filter [filterH, filterW, inC, mult] and output all have the same
// channel layout and each lane is one output channel.
//
// Compiled by scripts/build-wasm.mjs into the vector module;
// kernels/wasm_runtime/vector.ts places the operands (byte addresses below).
// kernels/core/depthwise.ts has the same loops in JavaScript, and the
// semantics, value for value:
//   depthwiseConv:       y = Σ x·w over each window's in-bounds taps in (fh, fw)
//                        order, float32 products and sums (taps in the padding
//                        add nothing: skipped, or +0 from a zero filter vector
//                        times zeros), then + bias and relu / relu6;
//   depthwiseInputGrad:  dx = Σ dy·w, added to each input pixel in output-pixel
//                        order (stride 1: as a convolution of dy, same order);
//   depthwiseFilterGrad: dW = Σ x·dy, float32 partial sums along each output
//                        row, added into float64 accumulators row by row.

/** The first tap f of a window starting at `start` (dilation `dil`) that lands at or after 0. */
@inline function firstTap(start: i32, dil: i32): i32 {
  return start >= 0 ? 0 : (dil - 1 - start) / dil;
}

/** One past the last tap of a window starting at `start` that lands before `size` (at most `filter`). */
@inline function endTap(start: i32, dil: i32, size: i32, filter: i32): i32 {
  const left = size - start;
  return left <= 0 ? 0 : min(filter, (left + dil - 1) / dil);
}

/** Four-channel group starts 0, 4, …; the last one at C − 4, overlapping, when 4 does not divide C. */
@inline function overlapStart(c: i32, C: i32): i32 {
  return c + 4 <= C ? c : C - 4;
}

/** xe[p, c·mult + q] = x[p, c] for `pixels` pixels of inC channels. */
function expandChannels(x: usize, xe: usize, pixels: i32, inC: i32, mult: i32): void {
  let src = x;
  let dst = xe;
  for (let p = 0; p < pixels; p++) {
    for (let c = 0; c < inC; c++) {
      const v = load<f32>(src);
      src += 4;
      for (let q = 0; q < mult; q++) {
        store<f32>(dst, v);
        dst += 4;
      }
    }
  }
}

/** Image n of x (NHWC), as its mult·inC output channels: x itself when mult is 1, else expanded into scratch. */
@inline function imageOf(x: usize, scratch: usize, n: i32, inH: i32, inW: i32, inC: i32, mult: i32): usize {
  const src = x + (<usize>(n * inH * inW * inC) << 2);
  if (mult == 1) return src;
  expandChannels(src, scratch, inH * inW, inC, mult);
  return scratch;
}

/**
 * Bias and activation over `pixels` pixels of C channels at `out`, in place: v + bias, then
 * clamped to [lo, hi] — (-∞, ∞) linear, [0, ∞) relu, [0, 6] relu6 — by pmax / pmin, single
 * instructions where max / min are not. They differ only on -0 (which no sum here is: each starts
 * at 0 + the first product) and keep NaN, so the floats are those of max(0, v) and min(v, 6).
 * Without a bias, + 0 leaves every value unchanged.
 */
function epilogueRow(out: usize, pixels: i32, C: i32, hasBias: i32, bias: usize, act: i32): void {
  const C4 = C & ~3;
  const lo: f32 = act == 0 ? -Infinity : 0;
  const hi: f32 = act == 2 ? 6 : Infinity;
  const lo4 = f32x4.splat(lo);
  const hi4 = f32x4.splat(hi);
  let p = out;
  for (let i = 0; i < pixels; i++) {
    for (let c = 0; c < C4; c += 4) {
      const at = <usize>c << 2;
      const b = hasBias ? v128.load(bias + at) : f32x4.splat(0);
      v128.store(p + at, f32x4.pmin(f32x4.pmax(f32x4.add(v128.load(p + at), b), lo4), hi4));
    }
    for (let c = C4; c < C; c++) {
      const at = <usize>c << 2;
      const v = load<f32>(p + at) + (hasBias ? load<f32>(bias + at) : 0);
      // pmax / pmin: v < lo ? lo : v, hi < v ? hi : v.
      const above = select<f32>(lo, v, v < lo);
      store<f32>(p + at, select<f32>(hi, above, hi < above));
    }
    p += <usize>C << 2;
  }
}

/**
 * Output pixels [ow0, ow1) of output row (oh) whose window starts at input row ih0, any filter: per
 * pixel, the in-bounds taps only (no epilogue). `src` is the image (expanded to C channels), `out` y[n, oh, ow0].
 */
function convPixels(
  src: usize, w: usize, out: usize, ow0: i32, ow1: i32, ih0: i32, fh0: i32, fh1: i32,
  inW: i32, C: i32, filterW: i32, strideW: i32, dilationH: i32, dilationW: i32, padLeft: i32,
): void {
  const pixelBytes = <usize>C << 2;
  const tapStepW = <usize>(dilationW * C) << 2;
  const tapStepH = <usize>(dilationH * inW * C) << 2;
  const filterRowBytes = <usize>(filterW * C) << 2;
  for (let ow = ow0; ow < ow1; ow++) {
    const iw0 = ow * strideW - padLeft;
    const fw0 = firstTap(iw0, dilationW);
    const fw1 = endTap(iw0, dilationW, inW, filterW);
    // The first in-bounds tap of the window, in x and in w.
    const x0 = src + (<usize>(((ih0 + fh0 * dilationH) * inW + iw0 + fw0 * dilationW) * C) << 2);
    const w0 = w + (<usize>((fh0 * filterW + fw0) * C) << 2);
    if (C >= 4) {
      for (let c0 = 0; c0 < C; c0 += 4) {
        const at = <usize>overlapStart(c0, C) << 2;
        let acc = f32x4.splat(0);
        let xr = x0 + at;
        let wr = w0 + at;
        for (let fh = fh0; fh < fh1; fh++) {
          let xp = xr;
          let wp = wr;
          for (let fw = fw0; fw < fw1; fw++) {
            acc = f32x4.add(acc, f32x4.mul(v128.load(xp), v128.load(wp)));
            xp += tapStepW;
            wp += pixelBytes;
          }
          xr += tapStepH;
          wr += filterRowBytes;
        }
        v128.store(out + at, acc);
      }
    } else {
      for (let c = 0; c < C; c++) {
        const at = <usize>c << 2;
        let acc: f32 = 0;
        let xr = x0 + at;
        let wr = w0 + at;
        for (let fh = fh0; fh < fh1; fh++) {
          let xp = xr;
          let wp = wr;
          for (let fw = fw0; fw < fw1; fw++) {
            acc = acc + load<f32>(xp) * load<f32>(wp);
            xp += tapStepW;
            wp += pixelBytes;
          }
          xr += tapStepH;
          wr += filterRowBytes;
        }
        store<f32>(out + at, acc);
      }
    }
    out += pixelBytes;
  }
}

/** Output pixels per block of conv3x3Row: the block's three input rows stay in the L1 cache. */
const BLOCK: i32 = 32;

/** The filter vector of tap `k` (at a channel group), or zeros when its input row is padding. */
@inline function tap(w: usize, k: i32, pixelBytes: usize, valid: bool): v128 {
  return valid ? v128.load(w + <usize>k * pixelBytes) : f32x4.splat(0);
}

/**
 * One 3×3 window's sum for four channels: rows p0, p1, p2 (byte addresses of the window's left
 * column), taps `col` bytes apart, in the order (fh, fw) of convPixels, starting from 0 + the first product.
 */
@inline function window3x3(
  p0: usize, p1: usize, p2: usize, col: usize,
  w0: v128, w1: v128, w2: v128, w3: v128, w4: v128, w5: v128, w6: v128, w7: v128, w8: v128,
): v128 {
  let acc = f32x4.add(f32x4.splat(0), f32x4.mul(v128.load(p0), w0));
  acc = f32x4.add(acc, f32x4.mul(v128.load(p0 + col), w1));
  acc = f32x4.add(acc, f32x4.mul(v128.load(p0 + 2 * col), w2));
  acc = f32x4.add(acc, f32x4.mul(v128.load(p1), w3));
  acc = f32x4.add(acc, f32x4.mul(v128.load(p1 + col), w4));
  acc = f32x4.add(acc, f32x4.mul(v128.load(p1 + 2 * col), w5));
  acc = f32x4.add(acc, f32x4.mul(v128.load(p2), w6));
  acc = f32x4.add(acc, f32x4.mul(v128.load(p2 + col), w7));
  return f32x4.add(acc, f32x4.mul(v128.load(p2 + 2 * col), w8));
}

/**
 * A 3×3 filter over output pixels [ow0, ow1) of one output row whose windows lie inside the input
 * width (C ≥ 4): per group of four channels, the nine filter vectors stay in registers (which
 * measured faster than two or four pixels at a time with the filter read from memory). r0, r1, r2
 * are the window's three input rows at the first window's left column; a row in the padding
 * points into a row of zeros and its filter vectors are zeros, so its products are +0, which
 * leave every sum unchanged (a sum starts at 0 + the first product, so it is never -0): the same
 * floats as skipping those taps, as convPixels does, whatever the filter holds.
 */
function conv3x3Row(
  r0: usize, r1: usize, r2: usize, valid0: bool, valid1: bool, valid2: bool,
  w: usize, out: usize, ow0: i32, ow1: i32, C: i32, strideW: i32, dilationW: i32, hasBias: i32, bias: usize, act: i32,
): void {
  // The epilogue as in epilogueRow, applied before each store when there is one.
  const epilogue = hasBias != 0 || act != 0;
  const lo4 = f32x4.splat(act == 0 ? -Infinity : 0);
  const hi4 = f32x4.splat(act == 2 ? 6 : Infinity);
  const pixelBytes = <usize>C << 2;
  const col = <usize>(dilationW * C) << 2;
  const step = <usize>(strideW * C) << 2;
  for (let b0 = ow0; b0 < ow1; b0 += BLOCK) {
    const b1 = min(ow1, b0 + BLOCK);
    const skip = <usize>(b0 - ow0) * step;
    const ob = out + <usize>(b0 - ow0) * pixelBytes;
    for (let c0 = 0; c0 < C; c0 += 4) {
      const at = <usize>overlapStart(c0, C) << 2;
      const wp = w + at;
      const w0 = tap(wp, 0, pixelBytes, valid0);
      const w1 = tap(wp, 1, pixelBytes, valid0);
      const w2 = tap(wp, 2, pixelBytes, valid0);
      const w3 = tap(wp, 3, pixelBytes, valid1);
      const w4 = tap(wp, 4, pixelBytes, valid1);
      const w5 = tap(wp, 5, pixelBytes, valid1);
      const w6 = tap(wp, 6, pixelBytes, valid2);
      const w7 = tap(wp, 7, pixelBytes, valid2);
      const w8 = tap(wp, 8, pixelBytes, valid2);
      let p0 = r0 + skip + at;
      let p1 = r1 + skip + at;
      let p2 = r2 + skip + at;
      let op = ob + at;
      if (epilogue) {
        const bv = hasBias ? v128.load(bias + at) : f32x4.splat(0);
        for (let ow = b0; ow < b1; ow++) {
          const acc = window3x3(p0, p1, p2, col, w0, w1, w2, w3, w4, w5, w6, w7, w8);
          v128.store(op, f32x4.pmin(f32x4.pmax(f32x4.add(acc, bv), lo4), hi4));
          p0 += step;
          p1 += step;
          p2 += step;
          op += pixelBytes;
        }
      } else {
        for (let ow = b0; ow < b1; ow++) {
          v128.store(op, window3x3(p0, p1, p2, col, w0, w1, w2, w3, w4, w5, w6, w7, w8));
          p0 += step;
          p1 += step;
          p2 += step;
          op += pixelBytes;
        }
      }
    }
  }
}
/**
 * y = depthwise conv2d of x with w (NHWC), then the epilogue. `scratch` holds
 * inH·inW·outC floats when mult > 1, then inW·outC floats (a row of zeros);
 * `bias` is outC floats when `hasBias`.
 */
export function depthwiseConv(
  x: usize, w: usize, y: usize, scratch: usize, hasBias: i32, bias: usize, act: i32,
  batch: i32, inH: i32, inW: i32, inC: i32, mult: i32, outH: i32, outW: i32,
  filterH: i32, filterW: i32, strideH: i32, strideW: i32, dilationH: i32, dilationW: i32, padTop: i32, padLeft: i32,
): void {
  const C = inC * mult;
  const pixelBytes = <usize>C << 2;
  const rowBytes = <usize>outW * pixelBytes;
  const inRowBytes = <usize>(inW * C) << 2;
  // Output columns whose 3×3 windows lie inside the input width: [owA, owB).
  const owA = min(outW, (padLeft + strideW - 1) / strideW);
  const lastW = inW - 1 - 2 * dilationW + padLeft;
  const owB = lastW < 0 ? 0 : min(outW, lastW / strideW + 1);
  const fast = filterH == 3 && filterW == 3 && C >= 4 && owA < owB;
  const zeroRow = scratch + (mult > 1 ? <usize>inH * inRowBytes : 0);
  if (fast) memory.fill(zeroRow, 0, inRowBytes);
  let out = y;
  for (let n = 0; n < batch; n++) {
    const src = imageOf(x, scratch, n, inH, inW, inC, mult);
    for (let oh = 0; oh < outH; oh++) {
      const ih0 = oh * strideH - padTop;
      const fh0 = firstTap(ih0, dilationH);
      const fh1 = endTap(ih0, dilationH, inH, filterH);
      if (fast) {
        // Edge columns pixel by pixel (taps in the padding skipped), the columns between as rows.
        convPixels(src, w, out, 0, owA, ih0, fh0, fh1, inW, C, filterW, strideW, dilationH, dilationW, padLeft);
        const left = <usize>((owA * strideW - padLeft) * C) << 2;
        const valid0 = fh0 <= 0 && fh1 > 0;
        const valid1 = fh0 <= 1 && fh1 > 1;
        const valid2 = fh0 <= 2 && fh1 > 2;
        const r0 = (valid0 ? src + <usize>ih0 * inRowBytes : zeroRow) + left;
        const r1 = (valid1 ? src + <usize>(ih0 + dilationH) * inRowBytes : zeroRow) + left;
        const r2 = (valid2 ? src + <usize>(ih0 + 2 * dilationH) * inRowBytes : zeroRow) + left;
        conv3x3Row(r0, r1, r2, valid0, valid1, valid2, w, out + <usize>owA * pixelBytes, owA, owB, C, strideW, dilationW,
          hasBias, bias, act);
        convPixels(src, w, out + <usize>owB * pixelBytes, owB, outW, ih0, fh0, fh1,
          inW, C, filterW, strideW, dilationH, dilationW, padLeft);
      } else {
        convPixels(src, w, out, 0, outW, ih0, fh0, fh1, inW, C, filterW, strideW, dilationH, dilationW, padLeft);
      }
      // Elsewhere the epilogue is a pass over the pixels just written (still in the L1 cache).
      if (hasBias != 0 || act != 0) {
        if (fast) {
          epilogueRow(out, owA, C, hasBias, bias, act);
          epilogueRow(out + <usize>owB * pixelBytes, outW - owB, C, hasBias, bias, act);
        } else {
          epilogueRow(out, outW, C, hasBias, bias, act);
        }
      }
      out += rowBytes;
    }
  }
}

/**
 * dx = the gradient of depthwiseConv with respect to x: each dy·w is added to
 * the input pixel it came from, output pixel by output pixel. With mult > 1
 * the sums are made per output channel in `scratch` (inH·inW·outC floats) and
 * then each input channel's mult of them are added in order. `scratch` holds
 * at least filterH·filterW·outC + 4 + outW·outC floats too.
 */
export function depthwiseInputGrad(
  dy: usize, w: usize, dx: usize, scratch: usize,
  batch: i32, inH: i32, inW: i32, inC: i32, mult: i32, outH: i32, outW: i32,
  filterH: i32, filterW: i32, strideH: i32, strideW: i32, dilationH: i32, dilationW: i32, padTop: i32, padLeft: i32,
): void {
  const C = inC * mult;
  // With stride 1 and mult 1, dx is the forward convolution of dy with the filter rotated by 180°
  // (padding (filter − 1)·dilation − pad): its sum runs over the taps in reverse, which is the
  // order the loop below adds them to each input pixel, so the floats are the same.
  const padT = (filterH - 1) * dilationH - padTop;
  const padL = (filterW - 1) * dilationW - padLeft;
  if (mult == 1 && strideH == 1 && strideW == 1 && padT >= 0 && padL >= 0) {
    const taps = filterH * filterW;
    const rowBytes = <usize>C << 2;
    for (let k = 0; k < taps; k++) memory.copy(scratch + <usize>k * rowBytes, w + <usize>(taps - 1 - k) * rowBytes, rowBytes);
    depthwiseConv(dy, scratch, dx, scratch + ((<usize>taps * rowBytes + 15) & ~15), 0, 0, 0,
      batch, outH, outW, C, 1, inH, inW, filterH, filterW, 1, 1, dilationH, dilationW, padT, padL);
    return;
  }
  const pixelBytes = <usize>C << 2;
  const tapStepW = <usize>(dilationW * C) << 2;
  const tapStepH = <usize>(dilationH * inW * C) << 2;
  const filterRowBytes = <usize>(filterW * C) << 2;
  const C4 = C & ~3;
  let g = dy;
  for (let n = 0; n < batch; n++) {
    const image = dx + (<usize>(n * inH * inW * inC) << 2);
    const dst = mult > 1 ? scratch : image;
    memory.fill(dst, 0, <usize>(inH * inW * C) << 2);
    for (let oh = 0; oh < outH; oh++) {
      const ih0 = oh * strideH - padTop;
      const fh0 = firstTap(ih0, dilationH);
      const fh1 = endTap(ih0, dilationH, inH, filterH);
      for (let ow = 0; ow < outW; ow++) {
        const iw0 = ow * strideW - padLeft;
        const fw0 = firstTap(iw0, dilationW);
        const fw1 = endTap(iw0, dilationW, inW, filterW);
        const d0 = dst + (<usize>(((ih0 + fh0 * dilationH) * inW + iw0 + fw0 * dilationW) * C) << 2);
        const w0 = w + (<usize>((fh0 * filterW + fw0) * C) << 2);
        for (let c = 0; c < C4; c += 4) {
          const at = <usize>c << 2;
          const gv = v128.load(g + at);
          let dr = d0 + at;
          let wr = w0 + at;
          for (let fh = fh0; fh < fh1; fh++) {
            let dp = dr;
            let wp = wr;
            for (let fw = fw0; fw < fw1; fw++) {
              v128.store(dp, f32x4.add(v128.load(dp), f32x4.mul(gv, v128.load(wp))));
              dp += tapStepW;
              wp += pixelBytes;
            }
            dr += tapStepH;
            wr += filterRowBytes;
          }
        }
        for (let c = C4; c < C; c++) {
          const at = <usize>c << 2;
          const gs = load<f32>(g + at);
          let dr = d0 + at;
          let wr = w0 + at;
          for (let fh = fh0; fh < fh1; fh++) {
            let dp = dr;
            let wp = wr;
            for (let fw = fw0; fw < fw1; fw++) {
              store<f32>(dp, load<f32>(dp) + gs * load<f32>(wp));
              dp += tapStepW;
              wp += pixelBytes;
            }
            dr += tapStepH;
            wr += filterRowBytes;
          }
        }
        g += pixelBytes;
      }
    }
    if (mult > 1) {
      let src = scratch;
      let to = image;
      for (let p = 0, count = inH * inW * inC; p < count; p++) {
        let s: f32 = 0;
        for (let q = 0; q < mult; q++) {
          s += load<f32>(src);
          src += 4;
        }
        store<f32>(to, s);
        to += 4;
      }
    }
  }
}

/**
 * dW = the gradient of depthwiseConv with respect to w. `acc` holds
 * filterH·filterW·outC float64 accumulators, `scratch` inH·inW·outC floats
 * when mult > 1. For every output row and tap, the products along the row are
 * summed in float32, and that partial sum is added to the tap's accumulator.
 */
export function depthwiseFilterGrad(
  x: usize, dy: usize, dw: usize, acc: usize, scratch: usize,
  batch: i32, inH: i32, inW: i32, inC: i32, mult: i32, outH: i32, outW: i32,
  filterH: i32, filterW: i32, strideH: i32, strideW: i32, dilationH: i32, dilationW: i32, padTop: i32, padLeft: i32,
): void {
  const C = inC * mult;
  const taps = filterH * filterW * C;
  const C4 = C & ~3;
  const xStep = <usize>(strideW * C) << 2;
  const gStep = <usize>C << 2;
  memory.fill(acc, 0, <usize>taps << 3);
  for (let n = 0; n < batch; n++) {
    const src = imageOf(x, scratch, n, inH, inW, inC, mult);
    for (let oh = 0; oh < outH; oh++) {
      const ih0 = oh * strideH - padTop;
      const fh0 = firstTap(ih0, dilationH);
      const fh1 = endTap(ih0, dilationH, inH, filterH);
      const gRow = dy + (<usize>((n * outH + oh) * outW * C) << 2);
      for (let fh = fh0; fh < fh1; fh++) {
        const xRow = src + (<usize>((ih0 + fh * dilationH) * inW * C) << 2);
        for (let fw = 0; fw < filterW; fw++) {
          // Output columns whose tap fw lands inside the row: iw = ow·strideW + off in [0, inW).
          const off = fw * dilationW - padLeft;
          const ow0 = off >= 0 ? 0 : (strideW - 1 - off) / strideW;
          const ow1 = inW - off <= 0 ? 0 : min(outW, (inW - off + strideW - 1) / strideW);
          if (ow0 >= ow1) continue;
          const a = acc + (<usize>((fh * filterW + fw) * C) << 3);
          const x0 = xRow + (<usize>((ow0 * strideW + off) * C) << 2);
          const g0 = gRow + (<usize>(ow0 * C) << 2);
          for (let c = 0; c < C4; c += 4) {
            const at = <usize>c << 2;
            let sum = f32x4.splat(0);
            let xp = x0 + at;
            let gp = g0 + at;
            for (let ow = ow0; ow < ow1; ow++) {
              sum = f32x4.add(sum, f32x4.mul(v128.load(xp), v128.load(gp)));
              xp += xStep;
              gp += gStep;
            }
            const ap = a + (<usize>c << 3);
            v128.store(ap, f64x2.add(v128.load(ap), f64x2.promote_low_f32x4(sum)));
            v128.store(ap + 16, f64x2.add(v128.load(ap + 16), f64x2.promote_low_f32x4(f32x4.shuffle(sum, sum, 2, 3, 2, 3))));
          }
          for (let c = C4; c < C; c++) {
            const at = <usize>c << 2;
            let sum: f32 = 0;
            let xp = x0 + at;
            let gp = g0 + at;
            for (let ow = ow0; ow < ow1; ow++) {
              sum = sum + load<f32>(xp) * load<f32>(gp);
              xp += xStep;
              gp += gStep;
            }
            const ap = a + (<usize>c << 3);
            store<f64>(ap, load<f64>(ap) + <f64>sum);
          }
        }
      }
    }
  }
  for (let i = 0; i < taps; i++) store<f32>(dw + (<usize>i << 2), <f32>load<f64>(acc + (<usize>i << 3)));
}
