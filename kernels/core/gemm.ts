/**
 * General matrix multiply, the engine under every convolution kernel.
 *
 * The chapter turns convolution into one big matrix product (im2col, then
 * `np.dot`); this file is that `np.dot`, for Float32Arrays.
 *
 * One signature: `gemm(m, n, k, a, b, c, accumulate)` computes
 * C (m×n) = A (m×k) · B (k×n), or C += A·B when `accumulate` is set.
 * Each operand is a strided view, so a transpose is just swapped strides and
 * NCHW outputs can be written in place.
 *
 * This file holds the views and the scalar engine: a cache-blocked,
 * register-blocked kernel in TypeScript, the fallback everywhere. The entry
 * point and the faster engines (WebAssembly SIMD, threads) are the
 * WebAssembly runtime's (kernels/wasm_runtime/engines.ts).
 */

/** A strided matrix view: element (i, j) is data[offset + i*rowStride + j*colStride]. */
export interface Matrix {
  data: Float32Array;
  offset: number;
  rowStride: number;
  colStride: number;
}

export type GemmFn = (
  m: number, n: number, k: number, a: Matrix, b: Matrix, c: Matrix, accumulate: boolean,
) => void;

export interface GemmEngine {
  name: string;
  gemm: GemmFn;
}

/** A row-major matrix view starting at `offset` with leading dimension `ld`. */
export function rowMajor(data: Float32Array, offset: number, ld: number): Matrix {
  return { data, offset, rowStride: ld, colStride: 1 };
}

/** The transpose of a row-major matrix: element (i, j) of the view is M[j][i]. */
export function transposed(data: Float32Array, offset: number, ld: number): Matrix {
  return { data, offset, rowStride: 1, colStride: ld };
}

// Blocking sizes: an A block (MC×KC) stays in L2, a B panel (KC×NR) in L1.
const MR = 4;
const NR = 4;
const KC = 256;
const MC = 128;
const NC = 2048;

const packedA = new Float32Array(MC * KC);
const packedB = new Float32Array(KC * NC);

/** Copies rows [i0, i0+mc) × cols [p0, p0+kc) of A into MR-row panels, zero-padded. */
function packA(a: Matrix, i0: number, mc: number, p0: number, kc: number, out: Float32Array): void {
  const { data, offset, rowStride, colStride } = a;
  let o = 0;
  for (let ir = 0; ir < mc; ir += MR) {
    const rows = Math.min(MR, mc - ir);
    for (let p = 0; p < kc; p++) {
      const base = offset + (i0 + ir) * rowStride + (p0 + p) * colStride;
      for (let ii = 0; ii < MR; ii++) {
        out[o++] = ii < rows ? data[base + ii * rowStride] : 0;
      }
    }
  }
}

/** Copies rows [p0, p0+kc) × cols [j0, j0+nc) of B into NR-column panels, zero-padded. */
function packB(b: Matrix, p0: number, kc: number, j0: number, nc: number, out: Float32Array): void {
  const { data, offset, rowStride, colStride } = b;
  let o = 0;
  for (let jr = 0; jr < nc; jr += NR) {
    const cols = Math.min(NR, nc - jr);
    for (let p = 0; p < kc; p++) {
      const base = offset + (p0 + p) * rowStride + (j0 + jr) * colStride;
      if (cols === NR) {
        out[o] = data[base];
        out[o + 1] = data[base + colStride];
        out[o + 2] = data[base + 2 * colStride];
        out[o + 3] = data[base + 3 * colStride];
        o += NR;
      } else {
        for (let jj = 0; jj < NR; jj++) out[o++] = jj < cols ? data[base + jj * colStride] : 0;
      }
    }
  }
}

/**
 * The 4×4 micro-kernel: a panel of A (4 rows) times a panel of B (4 cols)
 * over kc, kept in 16 locals, then added into (or written to) C.
 */
function microKernel(
  kc: number, ap: Float32Array, aOff: number, bp: Float32Array, bOff: number,
  c: Matrix, i: number, j: number, rows: number, cols: number, add: boolean,
): void {
  let c00 = 0, c01 = 0, c02 = 0, c03 = 0;
  let c10 = 0, c11 = 0, c12 = 0, c13 = 0;
  let c20 = 0, c21 = 0, c22 = 0, c23 = 0;
  let c30 = 0, c31 = 0, c32 = 0, c33 = 0;
  let ai = aOff;
  let bi = bOff;
  for (let p = 0; p < kc; p++) {
    const a0 = ap[ai], a1 = ap[ai + 1], a2 = ap[ai + 2], a3 = ap[ai + 3];
    const b0 = bp[bi], b1 = bp[bi + 1], b2 = bp[bi + 2], b3 = bp[bi + 3];
    c00 += a0 * b0; c01 += a0 * b1; c02 += a0 * b2; c03 += a0 * b3;
    c10 += a1 * b0; c11 += a1 * b1; c12 += a1 * b2; c13 += a1 * b3;
    c20 += a2 * b0; c21 += a2 * b1; c22 += a2 * b2; c23 += a2 * b3;
    c30 += a3 * b0; c31 += a3 * b1; c32 += a3 * b2; c33 += a3 * b3;
    ai += MR;
    bi += NR;
  }
  const cd = c.data;
  const rs = c.rowStride;
  const cs = c.colStride;
  const base = c.offset + i * rs + j * cs;
  if (rows === MR && cols === NR) {
    store4(cd, base, cs, c00, c01, c02, c03, add);
    store4(cd, base + rs, cs, c10, c11, c12, c13, add);
    store4(cd, base + 2 * rs, cs, c20, c21, c22, c23, add);
    store4(cd, base + 3 * rs, cs, c30, c31, c32, c33, add);
    return;
  }
  const acc = [c00, c01, c02, c03, c10, c11, c12, c13, c20, c21, c22, c23, c30, c31, c32, c33];
  for (let ii = 0; ii < rows; ii++) {
    for (let jj = 0; jj < cols; jj++) {
      const idx = base + ii * rs + jj * cs;
      cd[idx] = add ? cd[idx] + acc[ii * NR + jj] : acc[ii * NR + jj];
    }
  }
}

function store4(
  cd: Float32Array, at: number, cs: number,
  v0: number, v1: number, v2: number, v3: number, add: boolean,
): void {
  if (add) {
    cd[at] += v0; cd[at + cs] += v1; cd[at + 2 * cs] += v2; cd[at + 3 * cs] += v3;
  } else {
    cd[at] = v0; cd[at + cs] = v1; cd[at + 2 * cs] = v2; cd[at + 3 * cs] = v3;
  }
}

/** The scalar TypeScript engine: always available, the reference for faster engines. */
export function gemmScalar(
  m: number, n: number, k: number, a: Matrix, b: Matrix, c: Matrix, accumulate: boolean,
): void {
  if (m === 0 || n === 0) return;
  if (k === 0) {
    if (!accumulate) fillZero(m, n, c);
    return;
  }
  for (let j0 = 0; j0 < n; j0 += NC) {
    const nc = Math.min(NC, n - j0);
    for (let p0 = 0; p0 < k; p0 += KC) {
      const kc = Math.min(KC, k - p0);
      const add = accumulate || p0 > 0;
      packB(b, p0, kc, j0, nc, packedB);
      for (let i0 = 0; i0 < m; i0 += MC) {
        const mc = Math.min(MC, m - i0);
        packA(a, i0, mc, p0, kc, packedA);
        for (let jr = 0; jr < nc; jr += NR) {
          const cols = Math.min(NR, nc - jr);
          const bOff = (jr / NR) * kc * NR;
          for (let ir = 0; ir < mc; ir += MR) {
            const rows = Math.min(MR, mc - ir);
            microKernel(kc, packedA, (ir / MR) * kc * MR, packedB, bOff,
              c, i0 + ir, j0 + jr, rows, cols, add);
          }
        }
      }
    }
  }
}

function fillZero(m: number, n: number, c: Matrix): void {
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) c.data[c.offset + i * c.rowStride + j * c.colStride] = 0;
  }
}

export const scalarEngine: GemmEngine = { name: 'scalar', gemm: gemmScalar };
