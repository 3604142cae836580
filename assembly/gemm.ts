// WebAssembly SIMD128 GEMM: C (m×n) = A (m×k) · B (k×n), or C += A·B.
//
// Compiled by scripts/build-wasm.mjs into four variants (plain or relaxed
// SIMD, private or shared memory); the relaxed variant differs only in the
// multiply-add of the micro-kernel, chosen at compile time.
//
// Every operand is a strided view of linear memory: element (i, j) of A lives
// at a + 4·(i·ars + j·acs). Strides are in floats and may be negative. The
// caller (kernels/wasm_runtime/gemm_wasm.ts) stages the operands in memory and hands
// each call its own scratch area `work` (WORK_FLOATS floats, 16-byte aligned),
// so several threads can run `gemm` on one shared memory at once.
//
// Structure (the classic Goto/BLIS loop nest):
//   for each NC-wide column block of B
//     for each KC-deep slice of k:  pack B[pc.., jc..] into NR-column panels
//       for each MC-tall row block of A:  pack A[ic.., pc..] into MR-row panels
//         for each NR panel, each MR panel: the MR×NR micro-kernel over kc
// The micro-kernel keeps a 4×8 tile of C in eight f32x4 accumulators.
// Two shortcuts skip the packing where it costs as much as the product: a
// row-major A with k ≤ KC is read in place (microKernelDirect), and fewer than
// MR rows go row by row straight through B (fewRows).

const MR: i32 = 4;
const NR: i32 = 8;
const KC: i32 = 256;
const MC: i32 = 192;
const NC: i32 = 2048;

/** Floats of scratch one `gemm` call needs: packed A block, packed B block, one C tile. */
export const WORK_FLOATS: i32 = MC * KC + KC * NC + MR * NR;

@inline function addr(base: usize, index: i32): usize {
  return base + (<usize>(<isize>index) << 2);
}

@inline function madd(a: v128, b: v128, acc: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) {
    return f32x4.relaxed_madd(a, b, acc);
  } else {
    return f32x4.add(acc, f32x4.mul(a, b));
  }
}

/** Rows [i0, i0+mc) × cols [p0, p0+kc) of A into MR-row panels (p-major within a panel), zero-padded. */
function packA(a: usize, ars: i32, acs: i32, i0: i32, mc: i32, p0: i32, kc: i32, out: usize): void {
  let o = out;
  for (let ir = 0; ir < mc; ir += MR) {
    const rows = min(MR, mc - ir);
    const base = (i0 + ir) * ars + p0 * acs;
    if (rows == MR && acs == 1) {
      // Row-major A: load 4×4 blocks and transpose them with shuffles.
      const r0 = addr(a, base);
      const r1 = addr(a, base + ars);
      const r2 = addr(a, base + 2 * ars);
      const r3 = addr(a, base + 3 * ars);
      let p = 0;
      for (; p + 4 <= kc; p += 4) {
        const off = <usize>p << 2;
        const x0 = v128.load(r0 + off);
        const x1 = v128.load(r1 + off);
        const x2 = v128.load(r2 + off);
        const x3 = v128.load(r3 + off);
        const t0 = i32x4.shuffle(x0, x1, 0, 4, 1, 5);
        const t1 = i32x4.shuffle(x2, x3, 0, 4, 1, 5);
        const t2 = i32x4.shuffle(x0, x1, 2, 6, 3, 7);
        const t3 = i32x4.shuffle(x2, x3, 2, 6, 3, 7);
        v128.store(o, i32x4.shuffle(t0, t1, 0, 1, 4, 5));
        v128.store(o, i32x4.shuffle(t0, t1, 2, 3, 6, 7), 16);
        v128.store(o, i32x4.shuffle(t2, t3, 0, 1, 4, 5), 32);
        v128.store(o, i32x4.shuffle(t2, t3, 2, 3, 6, 7), 48);
        o += 64;
      }
      for (; p < kc; p++) {
        const off = <usize>p << 2;
        const v = f32x4.replace_lane(f32x4.replace_lane(f32x4.replace_lane(
          f32x4.splat(load<f32>(r0 + off)), 1, load<f32>(r1 + off)), 2, load<f32>(r2 + off)), 3, load<f32>(r3 + off));
        v128.store(o, v);
        o += 16;
      }
    } else if (rows == MR && ars == 1) {
      // Column-major A (a transposed view): the panel's 4 rows are adjacent at every p.
      let src = addr(a, base);
      const step = <usize>(<isize>acs << 2);
      for (let p = 0; p < kc; p++) {
        v128.store(o, v128.load(src));
        o += 16;
        src += step;
      }
    } else if (rows == MR) {
      let r0 = addr(a, base);
      let r1 = addr(a, base + ars);
      let r2 = addr(a, base + 2 * ars);
      let r3 = addr(a, base + 3 * ars);
      const step = <usize>(<isize>acs << 2);
      for (let p = 0; p < kc; p++) {
        const v = f32x4.replace_lane(f32x4.replace_lane(f32x4.replace_lane(
          f32x4.splat(load<f32>(r0)), 1, load<f32>(r1)), 2, load<f32>(r2)), 3, load<f32>(r3));
        v128.store(o, v);
        o += 16;
        r0 += step; r1 += step; r2 += step; r3 += step;
      }
    } else {
      for (let p = 0; p < kc; p++) {
        for (let ii = 0; ii < MR; ii++) {
          store<f32>(o, ii < rows ? load<f32>(addr(a, base + ii * ars + p * acs)) : 0);
          o += 4;
        }
      }
    }
  }
}

/** Rows [p0, p0+kc) × cols [j0, j0+nc) of B into NR-column panels (p-major within a panel), zero-padded. */
function packB(b: usize, brs: i32, bcs: i32, p0: i32, kc: i32, j0: i32, nc: i32, out: usize): void {
  let o = out;
  for (let jr = 0; jr < nc; jr += NR) {
    const cols = min(NR, nc - jr);
    const base = p0 * brs + (j0 + jr) * bcs;
    if (cols == NR && bcs == 1) {
      let src = addr(b, base);
      const step = <usize>(<isize>brs << 2);
      for (let p = 0; p < kc; p++) {
        v128.store(o, v128.load(src));
        v128.store(o, v128.load(src, 16), 16);
        o += 32;
        src += step;
      }
    } else if (cols == NR && brs == 1) {
      // Column-major B (a transposed view): each column is contiguous in p, so load 4 p-values of
      // each of the 8 columns and transpose two 4×4 blocks with shuffles.
      const cs = <usize>(<isize>bcs << 2);
      const c0 = addr(b, base);
      let p = 0;
      for (; p + 4 <= kc; p += 4) {
        const at = c0 + (<usize>p << 2);
        const x0 = v128.load(at);
        const x1 = v128.load(at + cs);
        const x2 = v128.load(at + 2 * cs);
        const x3 = v128.load(at + 3 * cs);
        const y0 = v128.load(at + 4 * cs);
        const y1 = v128.load(at + 5 * cs);
        const y2 = v128.load(at + 6 * cs);
        const y3 = v128.load(at + 7 * cs);
        const s0 = i32x4.shuffle(x0, x1, 0, 4, 1, 5);
        const s1 = i32x4.shuffle(x2, x3, 0, 4, 1, 5);
        const s2 = i32x4.shuffle(x0, x1, 2, 6, 3, 7);
        const s3 = i32x4.shuffle(x2, x3, 2, 6, 3, 7);
        const u0 = i32x4.shuffle(y0, y1, 0, 4, 1, 5);
        const u1 = i32x4.shuffle(y2, y3, 0, 4, 1, 5);
        const u2 = i32x4.shuffle(y0, y1, 2, 6, 3, 7);
        const u3 = i32x4.shuffle(y2, y3, 2, 6, 3, 7);
        v128.store(o, i32x4.shuffle(s0, s1, 0, 1, 4, 5));
        v128.store(o, i32x4.shuffle(u0, u1, 0, 1, 4, 5), 16);
        v128.store(o, i32x4.shuffle(s0, s1, 2, 3, 6, 7), 32);
        v128.store(o, i32x4.shuffle(u0, u1, 2, 3, 6, 7), 48);
        v128.store(o, i32x4.shuffle(s2, s3, 0, 1, 4, 5), 64);
        v128.store(o, i32x4.shuffle(u2, u3, 0, 1, 4, 5), 80);
        v128.store(o, i32x4.shuffle(s2, s3, 2, 3, 6, 7), 96);
        v128.store(o, i32x4.shuffle(u2, u3, 2, 3, 6, 7), 112);
        o += 128;
      }
      for (; p < kc; p++) {
        let s = c0 + (<usize>p << 2);
        for (let jj = 0; jj < NR; jj++) {
          store<f32>(o, load<f32>(s));
          o += 4;
          s += cs;
        }
      }
    } else if (cols == NR) {
      let src = addr(b, base);
      const step = <usize>(<isize>brs << 2);
      const cs = <usize>(<isize>bcs << 2);
      for (let p = 0; p < kc; p++) {
        let s = src;
        for (let jj = 0; jj < NR; jj++) {
          store<f32>(o, load<f32>(s));
          o += 4;
          s += cs;
        }
        src += step;
      }
    } else {
      for (let p = 0; p < kc; p++) {
        for (let jj = 0; jj < NR; jj++) {
          store<f32>(o, jj < cols ? load<f32>(addr(b, base + p * brs + jj * bcs)) : 0);
          o += 4;
        }
      }
    }
  }
}

/**
 * The 4×8 micro-kernel: MR-row panel `ap` times NR-column panel `bp` over kc,
 * then the tile goes to C (see `storeTile`).
 */
function microKernel(
  kc: i32, ap: usize, bp: usize, c: usize, crs: i32, ccs: i32,
  rows: i32, cols: i32, add: bool, tile: usize,
): void {
  let c00 = f32x4.splat(0), c01 = f32x4.splat(0);
  let c10 = f32x4.splat(0), c11 = f32x4.splat(0);
  let c20 = f32x4.splat(0), c21 = f32x4.splat(0);
  let c30 = f32x4.splat(0), c31 = f32x4.splat(0);
  let pa = ap;
  let pb = bp;
  const end = ap + (<usize>kc << 4);
  while (pa < end) {
    const b0 = v128.load(pb);
    const b1 = v128.load(pb, 16);
    let a = v128.load32_splat(pa);
    c00 = madd(a, b0, c00); c01 = madd(a, b1, c01);
    a = v128.load32_splat(pa, 4);
    c10 = madd(a, b0, c10); c11 = madd(a, b1, c11);
    a = v128.load32_splat(pa, 8);
    c20 = madd(a, b0, c20); c21 = madd(a, b1, c21);
    a = v128.load32_splat(pa, 12);
    c30 = madd(a, b0, c30); c31 = madd(a, b1, c31);
    pa += 16;
    pb += 32;
    if (pa >= end) break;
    const d0 = v128.load(pb);
    const d1 = v128.load(pb, 16);
    let e = v128.load32_splat(pa);
    c00 = madd(e, d0, c00); c01 = madd(e, d1, c01);
    e = v128.load32_splat(pa, 4);
    c10 = madd(e, d0, c10); c11 = madd(e, d1, c11);
    e = v128.load32_splat(pa, 8);
    c20 = madd(e, d0, c20); c21 = madd(e, d1, c21);
    e = v128.load32_splat(pa, 12);
    c30 = madd(e, d0, c30); c31 = madd(e, d1, c31);
    pa += 16;
    pb += 32;
  }
  storeTile(c00, c01, c10, c11, c20, c21, c30, c31, c, crs, ccs, rows, cols, add, tile);
}

/**
 * The same 4×8 tile with A read in place instead of from a packed panel: the four
 * rows of A start at `a`, `rowBytes` apart, each contiguous over kc (a row-major A
 * with a single k slice, as in a 1×1 convolution, where packing would copy the
 * whole input once more than the product reads it). Same order of operations as
 * `microKernel`, so the results are the same floats.
 */
function microKernelDirect(
  kc: i32, a: usize, rowBytes: usize, bp: usize, c: usize, crs: i32, ccs: i32,
  cols: i32, add: bool, tile: usize,
): void {
  let c00 = f32x4.splat(0), c01 = f32x4.splat(0);
  let c10 = f32x4.splat(0), c11 = f32x4.splat(0);
  let c20 = f32x4.splat(0), c21 = f32x4.splat(0);
  let c30 = f32x4.splat(0), c31 = f32x4.splat(0);
  const r1 = rowBytes;
  const r2 = rowBytes << 1;
  const r3 = r1 + r2;
  let pa = a;
  let pb = bp;
  const end = a + (<usize>kc << 2);
  while (pa < end) {
    const b0 = v128.load(pb);
    const b1 = v128.load(pb, 16);
    let x = v128.load32_splat(pa);
    c00 = madd(x, b0, c00); c01 = madd(x, b1, c01);
    x = v128.load32_splat(pa + r1);
    c10 = madd(x, b0, c10); c11 = madd(x, b1, c11);
    x = v128.load32_splat(pa + r2);
    c20 = madd(x, b0, c20); c21 = madd(x, b1, c21);
    x = v128.load32_splat(pa + r3);
    c30 = madd(x, b0, c30); c31 = madd(x, b1, c31);
    pa += 4;
    pb += 32;
  }
  storeTile(c00, c01, c10, c11, c20, c21, c30, c31, c, crs, ccs, MR, cols, add, tile);
}

/**
 * A finished 4×8 tile into C at `c` (row stride crs, col stride ccs, in floats):
 * added when `add`, written otherwise; only rows×cols of it when the tile hangs
 * over the edge of C (through the scratch `tile`).
 */
@inline function storeTile(
  c00: v128, c01: v128, c10: v128, c11: v128, c20: v128, c21: v128, c30: v128, c31: v128,
  c: usize, crs: i32, ccs: i32, rows: i32, cols: i32, add: bool, tile: usize,
): void {
  if (rows == MR && cols == NR && ccs == 1) {
    const rs = <usize>(<isize>crs << 2);
    let r = c;
    if (add) {
      v128.store(r, f32x4.add(v128.load(r), c00)); v128.store(r, f32x4.add(v128.load(r, 16), c01), 16);
      r += rs;
      v128.store(r, f32x4.add(v128.load(r), c10)); v128.store(r, f32x4.add(v128.load(r, 16), c11), 16);
      r += rs;
      v128.store(r, f32x4.add(v128.load(r), c20)); v128.store(r, f32x4.add(v128.load(r, 16), c21), 16);
      r += rs;
      v128.store(r, f32x4.add(v128.load(r), c30)); v128.store(r, f32x4.add(v128.load(r, 16), c31), 16);
    } else {
      v128.store(r, c00); v128.store(r, c01, 16);
      r += rs;
      v128.store(r, c10); v128.store(r, c11, 16);
      r += rs;
      v128.store(r, c20); v128.store(r, c21, 16);
      r += rs;
      v128.store(r, c30); v128.store(r, c31, 16);
    }
    return;
  }
  v128.store(tile, c00); v128.store(tile, c01, 16);
  v128.store(tile, c10, 32); v128.store(tile, c11, 48);
  v128.store(tile, c20, 64); v128.store(tile, c21, 80);
  v128.store(tile, c30, 96); v128.store(tile, c31, 112);
  for (let ii = 0; ii < rows; ii++) {
    let jj = 0;
    const t = tile + (<usize>(ii * NR) << 2);
    if (ccs == 1 && cols >= 4) {
      // Contiguous C row: the first four columns in one vector.
      const at = addr(c, ii * crs);
      v128.store(at, add ? f32x4.add(v128.load(at), v128.load(t)) : v128.load(t));
      jj = 4;
    }
    for (; jj < cols; jj++) {
      const at = addr(c, ii * crs + jj * ccs);
      const v = load<f32>(t + (<usize>jj << 2));
      store<f32>(at, add ? load<f32>(at) + v : v);
    }
  }
}

/**
 * C[j..j+32) (`wide`) or C[j..j+16) of one row: Σ_p A[p]·B[p][j..] from zero in order of p, added to C
 * when `add`; `pb` and `at` point at B[0][j] and C[j].
 */
@inline function rowBlock(kc: i32, a0: usize, aStep: usize, pb: usize, bStep: usize, at: usize, add: bool, wide: bool): void {
  let s0 = f32x4.splat(0), s1 = f32x4.splat(0), s2 = f32x4.splat(0), s3 = f32x4.splat(0);
  let s4 = f32x4.splat(0), s5 = f32x4.splat(0), s6 = f32x4.splat(0), s7 = f32x4.splat(0);
  let pa = a0;
  for (let p = 0; p < kc; p++) {
    const x = v128.load32_splat(pa);
    s0 = madd(x, v128.load(pb), s0);
    s1 = madd(x, v128.load(pb, 16), s1);
    s2 = madd(x, v128.load(pb, 32), s2);
    s3 = madd(x, v128.load(pb, 48), s3);
    if (wide) {
      s4 = madd(x, v128.load(pb, 64), s4);
      s5 = madd(x, v128.load(pb, 80), s5);
      s6 = madd(x, v128.load(pb, 96), s6);
      s7 = madd(x, v128.load(pb, 112), s7);
    }
    pa += aStep;
    pb += bStep;
  }
  if (add) {
    s0 = f32x4.add(v128.load(at), s0); s1 = f32x4.add(v128.load(at, 16), s1);
    s2 = f32x4.add(v128.load(at, 32), s2); s3 = f32x4.add(v128.load(at, 48), s3);
  }
  v128.store(at, s0); v128.store(at, s1, 16); v128.store(at, s2, 32); v128.store(at, s3, 48);
  if (wide) {
    if (add) {
      s4 = f32x4.add(v128.load(at, 64), s4); s5 = f32x4.add(v128.load(at, 80), s5);
      s6 = f32x4.add(v128.load(at, 96), s6); s7 = f32x4.add(v128.load(at, 112), s7);
    }
    v128.store(at, s4, 64); v128.store(at, s5, 80); v128.store(at, s6, 96); v128.store(at, s7, 112);
  }
}

/** Σ_p A[p]·B[p][j..j+4) from zero in order of p; with `one`, B[p][j] alone, in every lane. */
@inline function columnSums(kc: i32, a0: usize, aStep: usize, b0: usize, bStep: usize, one: bool): v128 {
  let s = f32x4.splat(0);
  let pa = a0;
  let pb = b0;
  for (let p = 0; p < kc; p++) {
    s = madd(v128.load32_splat(pa), one ? v128.load32_splat(pb) : v128.load(pb), s);
    pa += aStep;
    pb += bStep;
  }
  return s;
}

/**
 * Fewer rows than a panel (m < MR: a batch-1 dense layer, LeNet's C5) with a
 * row-major B and C: each row of C is A's row times B, read in place — packing
 * would pad A to MR rows (MR× the work) and copy all of B for one use. k is
 * taken in KC slices, each summed from zero and then added to C, the order of
 * the packed path, so the floats are the same.
 */
function fewRows(
  m: i32, n: i32, k: i32, a: usize, ars: i32, acs: i32, b: usize, brs: i32,
  c: usize, crs: i32, accumulate: bool,
): void {
  const aStep = <usize>(<isize>acs << 2);
  const bStep = <usize>(<isize>brs << 2);
  for (let i = 0; i < m; i++) {
    for (let pc = 0; pc < k; pc += KC) {
      const kc = min(KC, k - pc);
      const add = accumulate || pc > 0;
      const a0 = addr(a, i * ars + pc * acs);
      const b0 = addr(b, pc * brs);
      const ci = addr(c, i * crs);
      let j = 0;
      // 32 columns at a time (eight independent sums hide the latency of each addition), then 16.
      for (; j + 32 <= n; j += 32) rowBlock(kc, a0, aStep, b0 + (<usize>j << 2), bStep, ci + (<usize>j << 2), add, true);
      for (; j + 16 <= n; j += 16) rowBlock(kc, a0, aStep, b0 + (<usize>j << 2), bStep, ci + (<usize>j << 2), add, false);
      for (; j + 4 <= n; j += 4) {
        const s = columnSums(kc, a0, aStep, b0 + (<usize>j << 2), bStep, false);
        const at = ci + (<usize>j << 2);
        v128.store(at, add ? f32x4.add(v128.load(at), s) : s);
      }
      for (; j < n; j++) {
        // The last columns one lane at a time, in the same order as a vector lane.
        const v = f32x4.extract_lane(columnSums(kc, a0, aStep, b0 + (<usize>j << 2), bStep, true), 0);
        const at = ci + (<usize>j << 2);
        store<f32>(at, add ? load<f32>(at) + v : v);
      }
    }
  }
}

/**
 * C = A·B (accumulate = 0) or C += A·B (accumulate = 1). Pointers are byte
 * addresses, strides are in floats; `work` is this call's scratch area of
 * WORK_FLOATS floats, 16-byte aligned. Requires m, n, k ≥ 1.
 */
export function gemm(
  m: i32, n: i32, k: i32,
  a: usize, ars: i32, acs: i32,
  b: usize, brs: i32, bcs: i32,
  c: usize, crs: i32, ccs: i32,
  accumulate: i32, work: usize,
): void {
  if (m < MR && bcs == 1 && ccs == 1) {
    fewRows(m, n, k, a, ars, acs, b, brs, c, crs, accumulate != 0);
    return;
  }
  const packedA = work;
  const packedB = work + (<usize>(MC * KC) << 2);
  const tile = packedB + (<usize>(KC * NC) << 2);
  // A row-major A and one k slice: full panels are read in place (microKernelDirect).
  const direct = acs == 1 && k <= KC;
  const rowBytes = <usize>(<isize>ars << 2);
  for (let jc = 0; jc < n; jc += NC) {
    const nc = min(NC, n - jc);
    for (let pc = 0; pc < k; pc += KC) {
      const kc = min(KC, k - pc);
      const add = accumulate != 0 || pc > 0;
      packB(b, brs, bcs, pc, kc, jc, nc, packedB);
      for (let ic = 0; ic < m; ic += MC) {
        const mc = min(MC, m - ic);
        const full = direct ? mc - mc % MR : 0;
        // Packed: the whole block, or in direct mode only the last, partial panel.
        if (full < mc) packA(a, ars, acs, ic + full, mc - full, pc, kc, packedA);
        for (let jr = 0; jr < nc; jr += NR) {
          const cols = min(NR, nc - jr);
          const bp = packedB + (<usize>(jr * kc) << 2);
          for (let ir = 0; ir < mc; ir += MR) {
            const rows = min(MR, mc - ir);
            const at = addr(c, (ic + ir) * crs + (jc + jr) * ccs);
            if (ir < full) {
              microKernelDirect(kc, addr(a, (ic + ir) * ars + pc), rowBytes, bp, at, crs, ccs, cols, add, tile);
            } else {
              const ap = packedA + (<usize>((ir - full) * kc) << 2);
              microKernel(kc, ap, bp, at, crs, ccs, rows, cols, add, tile);
            }
          }
        }
      }
    }
  }
}

/** dst[i] += src[i] for i < count (the reduction after a k-split across threads). */
export function addInto(dst: usize, src: usize, count: i32): void {
  let i = 0;
  for (; i + 4 <= count; i += 4) {
    const at = dst + (<usize>i << 2);
    v128.store(at, f32x4.add(v128.load(at), v128.load(src + (<usize>i << 2))));
  }
  for (; i < count; i++) {
    const at = dst + (<usize>i << 2);
    store<f32>(at, load<f32>(at) + load<f32>(src + (<usize>i << 2)));
  }
}
