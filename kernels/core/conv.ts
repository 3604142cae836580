/**
 * The chapter's Convolution layer (7.4.3) on raw Float32Arrays:
 * forward is im2col then GEMM with the filter; backward is GEMM then col2im
 * (for dx) and GEMM over the im2col matrix (for dW).
 *
 * The im2col matrix is built one tile of output rows at a time in a bounded
 * workspace. The output-side matrix (rows × outC) is read and written in place
 * through strided views: NHWC is row-major, NCHW is per-image transposed.
 */
import { gemm, gemmLinearMemory } from '../wasm_runtime/engines';
import type { LinearMemory } from '../wasm_runtime/linear_memory';
import { Matrix, rowMajor, transposed } from './gemm';
import { colRows, colWidth, ConvGeometry } from './geometry';
import { col2imRows, im2colRows } from './im2col';
import { show } from './show';

/** Default size of the im2col workspace: 16 MiB, whatever the batch size. */
export const DEFAULT_WORKSPACE_BYTES = 16 * 1024 * 1024;

let workspaceFloats = DEFAULT_WORKSPACE_BYTES / 4;
let workspace: Float32Array = new Float32Array(0);
/** The memory the workspace lives in (the GEMM engine's, so GEMM reads it in place), or null for a plain array. */
let workspaceMemory: LinearMemory | null = null;

/**
 * Sets the im2col workspace budget: an integer from 4 bytes to 64 MiB (rounded down to whole
 * floats). A tile always holds at least one im2col row, so a single row wider than the budget still runs.
 */
export function setIm2colWorkspaceBytes(bytes: number): void {
  const max = 64 * 1024 * 1024;
  if (!Number.isInteger(bytes) || bytes < 4 || bytes > max) {
    throw new RangeError(`setIm2colWorkspaceBytes: bytes must be an integer from 4 to ${max} (64 MiB), got ${show(bytes)}`);
  }
  workspaceFloats = Math.floor(bytes / 4);
  replaceWorkspace(0);
}

function replaceWorkspace(floats: number): void {
  workspaceMemory?.release(workspace);
  workspaceMemory = gemmLinearMemory();
  workspace = (floats > 0 ? workspaceMemory?.tryResident(floats) : null) ?? new Float32Array(floats);
  if (!workspaceMemory?.isResident(workspace)) workspaceMemory = null;
}

/**
 * The im2col workspace budget in bytes (16 MiB unless `setIm2colWorkspaceBytes` changed it). The
 * buffer is allocated on the first convolution: as many whole im2col rows as fit (at least one).
 */
export function im2colWorkspaceBytes(): number {
  return workspaceFloats * 4;
}

/** Bytes the im2col workspace holds now (0 before the first convolution). */
export function im2colWorkspaceHeldBytes(): number {
  return workspace.byteLength;
}

/**
 * The shared im2col workspace; kernels run one at a time, so one buffer serves all. It lives in the
 * GEMM engine's memory where that is shared, and moves when the engine changes.
 */
function getWorkspace(floats: number): Float32Array {
  if (workspace.length < floats || workspaceMemory !== gemmLinearMemory()) replaceWorkspace(floats);
  return workspace;
}

/**
 * Rows [start, end) of the (rows × outC) output-side matrix, as a view into
 * an NHWC or NCHW tensor. For NCHW the rows must lie within one image.
 */
function outputRows(g: ConvGeometry, data: Float32Array, start: number): Matrix {
  if (g.channelsLast) return rowMajor(data, start * g.outC, g.outC);
  const pixels = g.outH * g.outW;
  const n = Math.floor(start / pixels);
  return transposed(data, n * g.outC * pixels + (start - n * pixels), pixels);
}

/** Splits rows [r0, r1) where an NCHW view would cross an image boundary. */
function forEachSegment(g: ConvGeometry, r0: number, r1: number, visit: (start: number, end: number) => void): void {
  if (g.channelsLast) {
    visit(r0, r1);
    return;
  }
  const pixels = g.outH * g.outW;
  for (let start = r0; start < r1;) {
    const end = Math.min(r1, (Math.floor(start / pixels) + 1) * pixels);
    visit(start, end);
    start = end;
  }
}

/** Runs `visit(r0, r1, col)` over tiles of output rows with col = im2col of those rows (if `fill`). */
function forEachTile(
  g: ConvGeometry, x: Float32Array | null,
  visit: (r0: number, r1: number, col: Float32Array) => void,
): void {
  const K = colWidth(g);
  const rows = colRows(g);
  const rowsPerTile = Math.max(1, Math.floor(workspaceFloats / K));
  const col = getWorkspace(Math.min(rows, rowsPerTile) * K);
  for (let r0 = 0; r0 < rows; r0 += rowsPerTile) {
    const r1 = Math.min(rows, r0 + rowsPerTile);
    if (x !== null) im2colRows(x, g, r0, r1, col);
    visit(r0, r1, col);
  }
}

/** A 1×1 convolution with stride 1 and no padding: the input already is the im2col matrix. */
export function isPointwise(g: ConvGeometry): boolean {
  return g.filterH === 1 && g.filterW === 1 && g.strideH === 1 && g.strideW === 1 &&
    g.padTop === 0 && g.padLeft === 0 && g.outH === g.inH && g.outW === g.inW;
}

/** One window covering the whole unpadded input (one output pixel per image): each image already is its im2col row. */
export function windowIsInput(g: ConvGeometry): boolean {
  return g.outH === 1 && g.outW === 1 && g.filterH === g.inH && g.filterW === g.inW && g.padTop === 0 &&
    g.padLeft === 0 && g.dilationH === 1 && g.dilationW === 1;
}

/** The input as the (rows × inC) matrix of a pointwise convolution, rows [start, ...) of one segment. */
function inputRows(g: ConvGeometry, x: Float32Array, start: number): Matrix {
  if (g.channelsLast) return rowMajor(x, start * g.inC, g.inC);
  const pixels = g.inH * g.inW;
  const n = Math.floor(start / pixels);
  return transposed(x, n * g.inC * pixels + (start - n * pixels), pixels);
}

/** y = conv2d(x, filter): im2col(x) · filter, written straight into y (need not start zeroed). */
export function convForward(x: Float32Array, filter: Float32Array, g: ConvGeometry, y: Float32Array): void {
  const K = colWidth(g);
  const W = rowMajor(filter, 0, g.outC);
  if (isPointwise(g)) {
    forEachSegment(g, 0, colRows(g), (s, e) =>
      gemm(e - s, g.outC, K, inputRows(g, x, s), W, outputRows(g, y, s), false));
    return;
  }
  forEachTile(g, x, (r0, r1, col) => {
    forEachSegment(g, r0, r1, (s, e) =>
      gemm(e - s, g.outC, K, rowMajor(col, (s - r0) * K, K), W, outputRows(g, y, s), false));
  });
}

/** dW = im2col(x)ᵀ · dy, summed over all tiles; dW is [filterH, filterW, inC, outC] (need not start zeroed). */
export function convBackpropFilter(x: Float32Array, dy: Float32Array, g: ConvGeometry, dW: Float32Array): void {
  const K = colWidth(g);
  const out = rowMajor(dW, 0, g.outC);
  let first = true;
  const accumulate = (rowsT: Matrix, s: number, e: number) => {
    gemm(K, g.outC, e - s, rowsT, outputRows(g, dy, s), out, !first);
    first = false;
  };
  if (isPointwise(g)) {
    forEachSegment(g, 0, colRows(g), (s, e) => {
      const rows = inputRows(g, x, s);
      accumulate({ ...rows, rowStride: rows.colStride, colStride: rows.rowStride }, s, e);
    });
  } else {
    forEachTile(g, x, (r0, r1, col) => {
      forEachSegment(g, r0, r1, (s, e) => accumulate(transposed(col, (s - r0) * K, K), s, e));
    });
  }
  if (first) dW.fill(0); // no output pixels: nothing was summed
}

/** dx = col2im(dy · filterᵀ); dx must start zeroed. */
export function convBackpropInput(dy: Float32Array, filter: Float32Array, g: ConvGeometry, dx: Float32Array): void {
  const K = colWidth(g);
  const Wt = transposed(filter, 0, g.outC);
  if (isPointwise(g)) {
    forEachSegment(g, 0, colRows(g), (s, e) =>
      gemm(e - s, K, g.outC, outputRows(g, dy, s), Wt, inputRows(g, dx, s), false));
    return;
  }
  forEachTile(g, null, (r0, r1, col) => {
    forEachSegment(g, r0, r1, (s, e) =>
      gemm(e - s, K, g.outC, outputRows(g, dy, s), Wt, rowMajor(col, (s - r0) * K, K), false));
    col2imRows(col, g, r0, r1, dx);
  });
}
