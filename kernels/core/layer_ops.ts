/**
 * Loops for the non-convolution layers of MobileNet/ResNet-style nets on cpu:
 * clipping (ReLU6), batch normalisation, padding, concatenation, slicing,
 * means and softmax.
 *
 * Each reproduces the arithmetic of tfjs-backend-cpu's builtin kernel
 * operation for operation, so results are bit-identical on float32:
 *  - ClipByValue: `x > max ? max : x < min ? min : x` (NaN passes through);
 *  - Relu6: `min(max(0, x), 6)` (NaN passes through, -0 becomes 0);
 *  - FusedBatchNorm: `offset + (x − mean) · scale / sqrt(variance + ε)` in
 *    float64, rounded once; each parameter repeats with its own length (the
 *    builtin's flat-index cycling), sqrt(variance + ε) is computed once per
 *    parameter element instead of once per x element (same float64 value);
 *  - Softmax over the last axis: the builtin's Max, Sub, Exp, Sum and RealDiv
 *    kernels, each rounding to float32 as its output array does;
 *  - Pad, Concat and Slice are copies.
 * The builtins convert every flat index to coordinates and back (Pad, a
 * non-contiguous Slice, via TensorBuffer) or call a closure per element;
 * here boxes are copied as runs of contiguous elements.
 */

import { unaryInto } from './elementwise';
import { wasmBatchNorm } from '../wasm_runtime/vector';

// Module constants, not global lookups per element (slow in Node's vm contexts, e.g. under jest).
const { exp, sqrt } = Math;
const fround = Math.fround;

/** Runs at least this long are copied with TypedArray.set (a memmove); shorter ones element by element. */
const SET_RUN = 48;

/**
 * y = clip(x, lo, hi) with the builtin's comparisons (`x > hi ? hi : x < lo ? lo : x`; `lo`, `hi` as
 * float32 values): branch-free in WebAssembly SIMD where it runs (assembly/elementwise.ts), where a
 * JavaScript loop over signed data mispredicts the test against `lo` about every other element.
 */
export function clipInto(x: Float32Array, y: Float32Array, lo: number, hi: number): void {
  if (lo <= hi) {
    unaryInto('clip', x, y, lo, hi);
    return;
  }
  // Bounds the wrong way round (tf.clipByValue refuses them; runKernel does not): the builtin's tests as written.
  for (let i = 0; i < x.length; i++) {
    const v = x[i];
    y[i] = v > hi ? hi : v < lo ? lo : v;
  }
}

/** y = min(max(0, x), 6): NaN stays NaN, -0 becomes +0. */
export function relu6Into(x: Float32Array, y: Float32Array): void {
  unaryInto('relu6', x, y);
}

/**
 * out[i] = offset[i mod |offset|] + (x[i] − mean[i mod |mean|]) · scale[i mod |scale|] / sqrt(variance[i mod |variance|] + ε),
 * in float64, as tfjs's builtin FusedBatchNorm (a missing scale is [1], a missing offset [0]).
 */
export function batchNormInto(
  x: Float32Array, mean: Float32Array, variance: Float32Array, scale: Float32Array, offset: Float32Array,
  epsilon: number, out: Float32Array,
): void {
  const den = new Float64Array(variance.length);
  for (let i = 0; i < variance.length; i++) den[i] = sqrt(variance[i] + epsilon);
  const n = x.length;
  const lm = mean.length;
  const lv = variance.length;
  const ls = scale.length;
  const lo = offset.length;
  if (lm === lv && (ls === lm || ls === 1) && (lo === lm || lo === 1) && n % lm === 0) {
    // The usual case: per-channel vectors (a scale or offset of one value repeated) over rows of channels,
    // in WebAssembly SIMD where it runs.
    const perChannel = (p: Float32Array) => p.length === lm ? Float64Array.from(p) : new Float64Array(lm).fill(p[0]);
    const [m, s, o] = [perChannel(mean), perChannel(scale), perChannel(offset)];
    if (wasmBatchNorm(x, out, lm, m, s, o, den)) return;
    for (let r = 0; r < n; r += lm) {
      for (let c = 0; c < lm; c++) out[r + c] = o[c] + (x[r + c] - m[c]) * s[c] / den[c];
    }
    return;
  }
  let mi = 0;
  let vi = 0;
  let si = 0;
  let oi = 0;
  for (let i = 0; i < n; i++) {
    out[i] = offset[oi] + (x[i] - mean[mi]) * scale[si] / den[vi];
    if (++mi === lm) mi = 0;
    if (++vi === lv) vi = 0;
    if (++si === ls) si = 0;
    if (++oi === lo) oi = 0;
  }
}

/** Row-major strides of `shape`. */
function stridesOf(shape: number[]): number[] {
  const strides = new Array<number>(shape.length);
  let s = 1;
  for (let d = shape.length - 1; d >= 0; d--) {
    strides[d] = s;
    s *= shape[d];
  }
  return strides;
}

/**
 * Copies the box of `size` at `srcBegin` in `src` (shape `srcShape`) to the
 * box at `dstBegin` in `dst` (shape `dstShape`), element for element. Inner
 * dimensions that the box covers whole in both arrays are merged into one
 * contiguous run. Nothing is copied for an empty box.
 */
export function copyBox(
  src: Float32Array, srcShape: number[], srcBegin: number[],
  dst: Float32Array, dstShape: number[], dstBegin: number[], size: number[],
): void {
  const rank = size.length;
  if (size.some((s) => s === 0)) return;
  if (rank === 0) {
    dst[0] = src[0];
    return;
  }
  const srcStrides = stridesOf(srcShape);
  const dstStrides = stridesOf(dstShape);
  let srcAt = 0;
  let dstAt = 0;
  for (let d = 0; d < rank; d++) {
    srcAt += srcBegin[d] * srcStrides[d];
    dstAt += dstBegin[d] * dstStrides[d];
  }
  // The run: the innermost dimension, extended outwards while the dimension inside is whole in both.
  let first = rank - 1;
  let run = size[rank - 1];
  while (first > 0 && size[first] === srcShape[first] && size[first] === dstShape[first]) {
    first--;
    run *= size[first];
  }
  // Dimensions outside the run, with size-1 ones dropped.
  const sizes: number[] = [];
  const ss: number[] = [];
  const ds: number[] = [];
  for (let d = 0; d < first; d++) {
    if (size[d] === 1) continue;
    sizes.push(size[d]);
    ss.push(srcStrides[d]);
    ds.push(dstStrides[d]);
  }
  const levels = sizes.length;
  if (levels === 0) {
    if (run >= SET_RUN) dst.set(src.subarray(srcAt, srcAt + run), dstAt);
    else for (let i = 0; i < run; i++) dst[dstAt + i] = src[srcAt + i];
    return;
  }
  // The innermost outer dimension loops here; the rest recurse.
  const lastSize = sizes[levels - 1];
  const lastSs = ss[levels - 1];
  const lastDs = ds[levels - 1];
  const walk = (level: number, s: number, o: number): void => {
    if (level === levels - 1) {
      if (run < SET_RUN) {
        for (let r = 0; r < lastSize; r++, s += lastSs, o += lastDs) {
          for (let i = 0; i < run; i++) dst[o + i] = src[s + i];
        }
      } else {
        for (let r = 0; r < lastSize; r++, s += lastSs, o += lastDs) dst.set(src.subarray(s, s + run), o);
      }
      return;
    }
    for (let i = 0; i < sizes[level]; i++) walk(level + 1, s + i * ss[level], o + i * ds[level]);
  };
  walk(0, srcAt, dstAt);
}

/**
 * Softmax over the last axis of `rows` rows of `n`, as tfjs's builtin: the
 * row's Max (NaN wins), then each of x − max, exp(·), their float64 sum and
 * the quotient rounded to float32, as the builtin's intermediate tensors are.
 * `e` is scratch of n floats.
 */
export function softmaxRows(x: Float32Array, out: Float32Array, rows: number, n: number): void {
  const e = new Float32Array(n);
  for (let r = 0, at = 0; r < rows; r++, at += n) {
    let m = x[at];
    for (let j = 0; j < n; j++) {
      const v = x[at + j];
      if (v !== v || v > m) m = v;
    }
    m = fround(m);
    let s = 0;
    for (let j = 0; j < n; j++) {
      const ej = fround(exp(fround(x[at + j] - m)));
      e[j] = ej;
      s += ej;
    }
    const total = fround(s);
    for (let j = 0; j < n; j++) out[at + j] = e[j] / total;
  }
}

/**
 * out = x (shape `shape`) repeated reps[d] times along each dimension d (tfjs's Tile). Built from the
 * innermost dimension out: each of x's rows is copied once, then every block already written is
 * repeated with copyWithin, where the builtin converts every output index to coordinates and back.
 */
export function tileInto<T extends Float32Array | Int32Array | Uint8Array>(x: T, shape: number[], reps: number[], out: T): void {
  const rank = shape.length;
  if (rank === 0) {
    out.set(x);
    return;
  }
  const xStrides = stridesOf(shape);
  const outStrides = stridesOf(shape.map((d, i) => d * reps[i]));
  const fill = (d: number, xAt: number, outAt: number): void => {
    const block = shape[d] * outStrides[d];
    if (d === rank - 1) out.set(x.subarray(xAt, xAt + shape[d]), outAt);
    else for (let i = 0; i < shape[d]; i++) fill(d + 1, xAt + i * xStrides[d], outAt + i * outStrides[d]);
    for (let r = 1; r < reps[d]; r++) out.copyWithin(outAt + r * block, outAt, outAt + block);
  };
  fill(0, 0, 0);
}
