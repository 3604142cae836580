// The chapter's im2col in WebAssembly: rows [r0, r1) of the im2col matrix
// (kernels/core/im2col.ts has the same walk in JavaScript, and the layout:
// rows are output pixels (n, oh, ow), columns (fh, fw, c)). x[n, ih, iw, c]
// lives at float n·imageStride + ih·rowStride + iw·colStride + c·channelStride,
// which covers NHWC and NCHW. Padding reads as 0.

/** Copies `count` floats (a filter row: often only a handful, too few for memory.copy to pay off). */
@inline function copyFloats(dst: usize, src: usize, count: i32): void {
  let i = 0;
  for (; i + 4 <= count; i += 4) v128.store(dst + (<usize>i << 2), v128.load(src + (<usize>i << 2)));
  for (; i < count; i++) store<f32>(dst + (<usize>i << 2), load<f32>(src + (<usize>i << 2)));
}

@inline function zeroFloats(dst: usize, count: i32): void {
  let i = 0;
  for (; i + 4 <= count; i += 4) v128.store(dst + (<usize>i << 2), i32x4.splat(0));
  for (; i < count; i++) store<f32>(dst + (<usize>i << 2), 0);
}

/** Fills col (byte address) with rows [r0, r1) of im2col(x). */
export function im2col(
  x: usize, col: usize, r0: i32, r1: i32,
  inH: i32, inW: i32, inC: i32, filterH: i32, filterW: i32, dilationH: i32, dilationW: i32,
  strideH: i32, strideW: i32, padTop: i32, padLeft: i32, outH: i32, outW: i32,
  imageStride: i32, rowStride: i32, colStride: i32, channelStride: i32,
): void {
  const span = filterW * inC;
  const rowBytes = <usize>(filterH * span) << 2;
  // An undilated filter row inside a channels-last image is one contiguous run of x.
  const contiguous = channelStride == 1 && colStride == inC && dilationW == 1;
  // One output row (n, oh) at a time, columns [ow0, ow1) of it; per filter row fh
  // the input row is fixed, so the inner loop over ow only copies.
  for (let r = r0; r < r1;) {
    const n = r / (outH * outW);
    const oh = (r - n * outH * outW) / outW;
    const ow0 = r - (n * outH + oh) * outW;
    const ow1 = min(outW, ow0 + r1 - r);
    const rowCol = col + <usize>(r - r0) * rowBytes;
    for (let fh = 0; fh < filterH; fh++) {
      const ih = oh * strideH - padTop + fh * dilationH;
      let dst = rowCol + (<usize>(fh * span) << 2);
      if (ih < 0 || ih >= inH) {
        for (let ow = ow0; ow < ow1; ow++, dst += rowBytes) zeroFloats(dst, span);
        continue;
      }
      const src = n * imageStride + ih * rowStride;
      for (let ow = ow0; ow < ow1; ow++, dst += rowBytes) {
        const iw0 = ow * strideW - padLeft;
        if (contiguous && iw0 >= 0 && iw0 + filterW <= inW) {
          copyFloats(dst, x + (<usize>(src + iw0 * inC) << 2), span);
          continue;
        }
        for (let fw = 0; fw < filterW; fw++) {
          const at = dst + (<usize>(fw * inC) << 2);
          const iw = iw0 + fw * dilationW;
          if (iw < 0 || iw >= inW) {
            zeroFloats(at, inC);
            continue;
          }
          const from = src + iw * colStride;
          for (let c = 0; c < inC; c++) {
            store<f32>(at + (<usize>c << 2), load<f32>(x + (<usize>(from + c * channelStride) << 2)));
          }
        }
      }
    }
    r += ow1 - ow0;
  }
}
