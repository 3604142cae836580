/**
 * The chapter's Pooling layer (7.4.4) on raw NHWC Float32Arrays.
 *
 * The book pools by im2col-ing each channel's windows and taking the max (or
 * mean) of every row; backward routes each dout to the argmax (or spreads it
 * evenly) and col2im's it back. Here the same walk over windows is done
 * directly, without building the window matrix: for each output pixel, the
 * window's in-bounds input pixels, all channels at once.
 */
import { ConvGeometry } from './geometry';

/**
 * Calls `visit(o, ihMin, ihMax, iwMin, iwMax, n)` for every output pixel o (its
 * NHWC offset is o * channels) with the in-bounds window rows [ihMin, ihMax)
 * and columns [iwMin, iwMax) (empty for a window that lies wholly in the padding).
 */
function forEachWindow(
  g: ConvGeometry,
  visit: (o: number, ihMin: number, ihMax: number, iwMin: number, iwMax: number, n: number) => void,
): void {
  let o = 0;
  for (let n = 0; n < g.batch; n++) {
    for (let oh = 0; oh < g.outH; oh++) {
      const ih0 = oh * g.strideH - g.padTop;
      const ihMin = Math.max(0, ih0);
      const ihMax = Math.max(ihMin, Math.min(g.inH, ih0 + g.filterH));
      for (let ow = 0; ow < g.outW; ow++, o++) {
        const iw0 = ow * g.strideW - g.padLeft;
        const iwMin = Math.max(0, iw0);
        visit(o, ihMin, ihMax, iwMin, Math.max(iwMin, Math.min(g.inW, iw0 + g.filterW)), n);
      }
    }
  }
}

function pixelOffset(g: ConvGeometry, n: number, ih: number, iw: number): number {
  return ((n * g.inH + ih) * g.inW + iw) * g.inC;
}

/** y = max over each window, per channel. Like tfjs cpu: NaN is skipped (`v > max`), an empty max is -Infinity. */
export function maxPoolForward(x: Float32Array, g: ConvGeometry, y: Float32Array): void {
  const C = g.inC;
  y.fill(-Infinity);
  forEachWindow(g, (o, ihMin, ihMax, iwMin, iwMax, n) => {
    const out = o * C;
    for (let ih = ihMin; ih < ihMax; ih++) {
      for (let iw = iwMin; iw < iwMax; iw++) {
        const at = pixelOffset(g, n, ih, iw);
        for (let c = 0; c < C; c++) {
          const v = x[at + c];
          if (v > y[out + c]) y[out + c] = v;
        }
      }
    }
  });
}

/** y = mean over each window's in-bounds pixels (padding not counted), per channel. */
export function avgPoolForward(x: Float32Array, g: ConvGeometry, y: Float32Array): void {
  const C = g.inC;
  const sum = new Float64Array(C);
  forEachWindow(g, (o, ihMin, ihMax, iwMin, iwMax, n) => {
    sum.fill(0);
    for (let ih = ihMin; ih < ihMax; ih++) {
      for (let iw = iwMin; iw < iwMax; iw++) {
        const at = pixelOffset(g, n, ih, iw);
        for (let c = 0; c < C; c++) sum[c] += x[at + c];
      }
    }
    const count = (ihMax - ihMin) * (iwMax - iwMin);
    for (let c = 0; c < C; c++) y[o * C + c] = sum[c] / count;
  });
}

/**
 * dx += dy routed to the first maximum of each window (row-major window order),
 * like TensorFlow and the book's argmax. A window with no value > -Infinity
 * (all NaN or -Infinity) passes no gradient, as in tfjs cpu.
 */
export function maxPoolBackward(x: Float32Array, dy: Float32Array, g: ConvGeometry, dx: Float32Array): void {
  const C = g.inC;
  const best = new Float32Array(C);
  const argmax = new Int32Array(C);
  forEachWindow(g, (o, ihMin, ihMax, iwMin, iwMax, n) => {
    best.fill(-Infinity);
    argmax.fill(-1);
    for (let ih = ihMin; ih < ihMax; ih++) {
      for (let iw = iwMin; iw < iwMax; iw++) {
        const at = pixelOffset(g, n, ih, iw);
        for (let c = 0; c < C; c++) {
          if (x[at + c] > best[c]) {
            best[c] = x[at + c];
            argmax[c] = at + c;
          }
        }
      }
    }
    for (let c = 0; c < C; c++) {
      if (argmax[c] >= 0) dx[argmax[c]] += dy[o * C + c];
    }
  });
}

/** dx += dy spread evenly over each window's in-bounds pixels: the exact gradient of avgPoolForward. */
export function avgPoolBackward(dy: Float32Array, g: ConvGeometry, dx: Float32Array): void {
  const C = g.inC;
  forEachWindow(g, (o, ihMin, ihMax, iwMin, iwMax, n) => {
    const count = (ihMax - ihMin) * (iwMax - iwMin);
    for (let ih = ihMin; ih < ihMax; ih++) {
      for (let iw = iwMin; iw < iwMax; iw++) {
        const at = pixelOffset(g, n, ih, iw);
        for (let c = 0; c < C; c++) dx[at + c] += dy[o * C + c] / count;
      }
    }
  });
}

/** A 1×1 window with stride 1 that keeps the shape: tfjs returns the input unchanged. */
export function isIdentityPool(g: ConvGeometry): boolean {
  return g.filterH === 1 && g.filterW === 1 && g.outH === g.inH && g.outW === g.inW;
}
