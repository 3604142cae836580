/**
 * The chapter's Pooling layer (7.4.4) on raw NHWC Float32Arrays.
 *
 * The book pools by im2col-ing each channel's windows and taking the max (or
 * mean) of every row; backward routes each dout to the argmax (or spreads it
 * evenly) and col2im's it back. Here the same walk over windows is done
 * directly, without building the window matrix: for each output pixel, the
 * window's in-bounds input pixels (ranges computed once per output row and
 * column), all channels at once.
 */
import { maxPoolGradWasm, maxPoolWasm, PoolGeometry } from '../wasm_runtime/vector';
import { ConvGeometry } from './geometry';

/** The in-bounds input range [min[o], max[o]) of each output position o along one axis (empty in padding). */
function windowRanges(outSize: number, stride: number, pad: number, filter: number, inSize: number): { min: Int32Array; max: Int32Array } {
  const min = new Int32Array(outSize);
  const max = new Int32Array(outSize);
  for (let o = 0; o < outSize; o++) {
    const start = o * stride - pad;
    min[o] = Math.max(0, start);
    max[o] = Math.max(min[o], Math.min(inSize, start + filter));
  }
  return { min, max };
}

/** The window ranges of every output row (along H) and column (along W). */
function windows(g: ConvGeometry): { rows: { min: Int32Array; max: Int32Array }; cols: { min: Int32Array; max: Int32Array } } {
  return {
    rows: windowRanges(g.outH, g.strideH, g.padTop, g.filterH, g.inH),
    cols: windowRanges(g.outW, g.strideW, g.padLeft, g.filterW, g.inW),
  };
}

/** The geometry as the WebAssembly pooling kernels take it. */
function poolGeometry(g: ConvGeometry): PoolGeometry {
  return [g.batch, g.inH, g.inW, g.inC, g.outH, g.outW, g.filterH, g.filterW, g.strideH, g.strideW, g.padTop, g.padLeft];
}

/**
 * y = max over each window, per channel (in WebAssembly SIMD where available:
 * kernels/wasm_runtime/vector.ts, the same values). Like tfjs cpu: NaN is skipped (`v > max`),
 * an empty max is -Infinity.
 */
export function maxPoolForward(x: Float32Array, g: ConvGeometry, y: Float32Array): void {
  if (maxPoolWasm(x, poolGeometry(g), y)) return;
  const { batch, inH, inW, inC: C, outH, outW } = g;
  const { rows, cols } = windows(g);
  y.fill(-Infinity);
  let out = 0;
  for (let n = 0; n < batch; n++) {
    for (let oh = 0; oh < outH; oh++) {
      for (let ow = 0; ow < outW; ow++, out += C) {
        for (let ih = rows.min[oh]; ih < rows.max[oh]; ih++) {
          for (let iw = cols.min[ow]; iw < cols.max[ow]; iw++) {
            const at = ((n * inH + ih) * inW + iw) * C;
            for (let c = 0; c < C; c++) {
              const v = x[at + c];
              if (v > y[out + c]) y[out + c] = v;
            }
          }
        }
      }
    }
  }
}

/** y = mean over each window's in-bounds pixels (padding not counted), per channel. */
export function avgPoolForward(x: Float32Array, g: ConvGeometry, y: Float32Array): void {
  const { batch, inH, inW, inC: C, outH, outW } = g;
  const { rows, cols } = windows(g);
  const sum = new Float64Array(C);
  let out = 0;
  for (let n = 0; n < batch; n++) {
    for (let oh = 0; oh < outH; oh++) {
      for (let ow = 0; ow < outW; ow++, out += C) {
        sum.fill(0);
        for (let ih = rows.min[oh]; ih < rows.max[oh]; ih++) {
          for (let iw = cols.min[ow]; iw < cols.max[ow]; iw++) {
            const at = ((n * inH + ih) * inW + iw) * C;
            for (let c = 0; c < C; c++) sum[c] += x[at + c];
          }
        }
        const count = (rows.max[oh] - rows.min[oh]) * (cols.max[ow] - cols.min[ow]);
        for (let c = 0; c < C; c++) y[out + c] = sum[c] / count;
      }
    }
  }
}

/**
 * dx = dy routed to the first maximum of each window (row-major window order),
 * like TensorFlow and the book's argmax (in WebAssembly SIMD where available). A window with no value > -Infinity
 * (all NaN or -Infinity) passes no gradient, as in tfjs cpu.
 */
export function maxPoolBackward(x: Float32Array, dy: Float32Array, g: ConvGeometry, dx: Float32Array): void {
  if (maxPoolGradWasm(x, dy, poolGeometry(g), dx)) return;
  dx.fill(0);
  const { batch, inH, inW, inC: C, outH, outW } = g;
  const { rows, cols } = windows(g);
  const best = new Float32Array(C);
  const argmax = new Int32Array(C);
  let out = 0;
  for (let n = 0; n < batch; n++) {
    for (let oh = 0; oh < outH; oh++) {
      for (let ow = 0; ow < outW; ow++, out += C) {
        best.fill(-Infinity);
        argmax.fill(-1);
        for (let ih = rows.min[oh]; ih < rows.max[oh]; ih++) {
          for (let iw = cols.min[ow]; iw < cols.max[ow]; iw++) {
            const at = ((n * inH + ih) * inW + iw) * C;
            for (let c = 0; c < C; c++) {
              if (x[at + c] > best[c]) {
                best[c] = x[at + c];
                argmax[c] = at + c;
              }
            }
          }
        }
        for (let c = 0; c < C; c++) {
          if (argmax[c] >= 0) dx[argmax[c]] += dy[out + c];
        }
      }
    }
  }
}

/** dx += dy spread evenly over each window's in-bounds pixels: the exact gradient of avgPoolForward. */
export function avgPoolBackward(dy: Float32Array, g: ConvGeometry, dx: Float32Array): void {
  const { batch, inH, inW, inC: C, outH, outW } = g;
  const { rows, cols } = windows(g);
  let out = 0;
  for (let n = 0; n < batch; n++) {
    for (let oh = 0; oh < outH; oh++) {
      for (let ow = 0; ow < outW; ow++, out += C) {
        const count = (rows.max[oh] - rows.min[oh]) * (cols.max[ow] - cols.min[ow]);
        for (let ih = rows.min[oh]; ih < rows.max[oh]; ih++) {
          for (let iw = cols.min[ow]; iw < cols.max[ow]; iw++) {
            const at = ((n * inH + ih) * inW + iw) * C;
            for (let c = 0; c < C; c++) dx[at + c] += dy[out + c] / count;
          }
        }
      }
    }
  }
}

/** A 1×1 window with stride 1 that keeps the shape: tfjs returns the input unchanged. */
export function isIdentityPool(g: ConvGeometry): boolean {
  return g.filterH === 1 && g.filterW === 1 && g.outH === g.inH && g.outW === g.inW;
}
