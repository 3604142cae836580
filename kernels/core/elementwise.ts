/**
 * Loops for the elementwise and reduction kernels that dominate a training
 * step once the convolutions are fast: every layer's bias add and ReLU, their
 * gradients (Step times dy, a Sum over the batch) and Adam's updates.
 *
 * tfjs's cpu builtins call a shared op closure per element and, when one side
 * broadcasts, convert every flat index to coordinates and back. Here a
 * broadcast is split into contiguous runs instead: adjacent dimensions that
 * broadcast the same way are merged, and the innermost merged dimension is a
 * run in which each operand either advances (stride 1) or stays (stride 0).
 * The op's own loop does the innermost two dimensions, so a bias add over NHWC
 * (57,600 runs of 30), a same-shape or a scalar operation is a single call.
 * The loops run in WebAssembly SIMD where available
 * (kernels/wasm_runtime/vector.ts), in JavaScript (below) otherwise; both
 * give the same values. This file makes that choice for the elementwise
 * kernels and Sum, as pool.ts and im2col.ts do for theirs.
 *
 * Results are bit-identical to the builtins: each element gets the same
 * float64 operation rounded once to float32, and sums add the same values in
 * the same order into a float64 accumulator.
 */
import { BINARY_OPS, BlockRunner, wasmBinary, wasmSumColumns, wasmUnary } from '../wasm_runtime/vector';

// Module constants, not global lookups per element (slow in Node's vm contexts, e.g. under jest).
const { max, min, sqrt } = Math;

export type BinaryOp = keyof typeof BINARY_OPS;
export type UnaryOp = 'relu' | 'step' | 'sqrt' | 'clip' | 'relu6';

/**
 * A binary op over a block of `rows` runs of `n`: for r < rows, i < n,
 * out[o + r·n + i] = op(a[ia + r·ra + i·sa], b[ib + r·rb + i·sb]), where sa, sb ∈ {0, 1}.
 * Doing two dimensions per call keeps short runs (a bias of 30 channels) cheap.
 */
export type BinaryBlock = (
  out: Float32Array, o: number, a: Float32Array, ia: number, ra: number, sa: number,
  b: Float32Array, ib: number, rb: number, sb: number, rows: number, n: number,
) => void;

/** A merged dimension: its size and the strides of out, a and b along it (0 where a or b broadcasts). */
interface BroadcastDim {
  size: number;
  outStride: number;
  aStride: number;
  bStride: number;
}

/**
 * `outShape`'s dimensions with size-1 ones dropped and neighbours that
 * broadcast alike merged, outermost first; padded with size-1 dimensions to
 * at least two.
 */
function broadcastDims(aShape: number[], bShape: number[], outShape: number[]): BroadcastDim[] {
  const rank = outShape.length;
  const merged: { size: number; aFull: boolean; bFull: boolean }[] = [];
  for (let d = 0; d < rank; d++) {
    const size = outShape[d];
    if (size === 1) continue;
    const aFull = (aShape[d - rank + aShape.length] ?? 1) === size;
    const bFull = (bShape[d - rank + bShape.length] ?? 1) === size;
    const last = merged[merged.length - 1];
    if (last !== undefined && last.aFull === aFull && last.bFull === bFull) last.size *= size;
    else merged.push({ size, aFull, bFull });
  }
  while (merged.length < 2) merged.unshift({ size: 1, aFull: true, bFull: true });
  const dims: BroadcastDim[] = [];
  let outStride = 1;
  let aStride = 1;
  let bStride = 1;
  for (let i = merged.length - 1; i >= 0; i--) {
    const { size, aFull, bFull } = merged[i];
    dims.unshift({ size, outStride, aStride: aFull ? aStride : 0, bStride: bFull ? bStride : 0 });
    outStride *= size;
    if (aFull) aStride *= size;
    if (bFull) bStride *= size;
  }
  return dims;
}

/**
 * Calls `run` for every block of the broadcast of aShape and bShape to
 * `outShape` (tfjs's broadcast shape, backend_util.assertAndGetBroadcastShape)
 * with offsets into out, a and b; together the blocks cover the output once, in order.
 */
export function forEachBroadcastBlock(aShape: number[], bShape: number[], outShape: number[], run: BlockRunner): void {
  if (outShape.some((s) => s === 0)) return;
  const dims = broadcastDims(aShape, bShape, outShape);
  const last = dims.length - 1;
  const rows = dims[last - 1];
  const inner = dims[last];
  const walk = (level: number, o: number, ia: number, ib: number): void => {
    if (level === last - 1) {
      run(o, ia, rows.aStride, inner.aStride, ib, rows.bStride, inner.bStride, rows.size, inner.size);
      return;
    }
    const d = dims[level];
    for (let i = 0; i < d.size; i++) walk(level + 1, o + i * d.outStride, ia + i * d.aStride, ib + i * d.bStride);
  };
  walk(0, 0, 0, 0);
}

const addBlock: BinaryBlock = (out, o, a, ia, ra, sa, b, ib, rb, sb, rows, n) => {
  for (let r = 0; r < rows; r++, o += n, ia += ra, ib += rb) {
    for (let i = 0; i < n; i++) out[o + i] = a[ia + i * sa] + b[ib + i * sb];
  }
};
const subBlock: BinaryBlock = (out, o, a, ia, ra, sa, b, ib, rb, sb, rows, n) => {
  for (let r = 0; r < rows; r++, o += n, ia += ra, ib += rb) {
    for (let i = 0; i < n; i++) out[o + i] = a[ia + i * sa] - b[ib + i * sb];
  }
};
const multiplyBlock: BinaryBlock = (out, o, a, ia, ra, sa, b, ib, rb, sb, rows, n) => {
  for (let r = 0; r < rows; r++, o += n, ia += ra, ib += rb) {
    for (let i = 0; i < n; i++) out[o + i] = a[ia + i * sa] * b[ib + i * sb];
  }
};
const realDivBlock: BinaryBlock = (out, o, a, ia, ra, sa, b, ib, rb, sb, rows, n) => {
  for (let r = 0; r < rows; r++, o += n, ia += ra, ib += rb) {
    for (let i = 0; i < n; i++) out[o + i] = a[ia + i * sa] / b[ib + i * sb];
  }
};
const BINARY_BLOCKS: Record<BinaryOp, BinaryBlock> = { Add: addBlock, Sub: subBlock, Multiply: multiplyBlock, RealDiv: realDivBlock };

/** out = a op b with NumPy broadcasting of aShape and bShape to `outShape` (tfjs's broadcast shape). */
export function binaryInto(
  op: BinaryOp, a: Float32Array, aShape: number[], b: Float32Array, bShape: number[], outShape: number[], out: Float32Array,
): void {
  const wasm = wasmBinary(op, a, b, out);
  if (wasm !== null) {
    forEachBroadcastBlock(aShape, bShape, outShape, wasm.block);
    wasm.finish();
    return;
  }
  const block = BINARY_BLOCKS[op];
  forEachBroadcastBlock(aShape, bShape, outShape,
    (o, ia, ra, sa, ib, rb, sb, rows, n) => block(out, o, a, ia, ra, sa, b, ib, rb, sb, rows, n));
}

type UnaryLoop = (x: Float32Array, y: Float32Array, alpha: number, beta: number) => void;

const UNARY_LOOPS: Record<UnaryOp, UnaryLoop> = {
  /** max(0, x); NaN stays NaN, -0 becomes 0 (Math.max, as the builtin). */
  relu: (x, y) => {
    for (let i = 0; i < x.length; i++) y[i] = max(0, x[i]);
  },
  /** 1 where x > 0, alpha elsewhere, NaN for NaN. */
  step: (x, y, alpha) => {
    for (let i = 0; i < x.length; i++) {
      const v = x[i];
      y[i] = v !== v ? v : v > 0 ? 1 : alpha;
    }
  },
  sqrt: (x, y) => {
    for (let i = 0; i < x.length; i++) y[i] = sqrt(x[i]);
  },
  /** tfjs's ClipByValue to [lo, hi] = [alpha, beta]: NaN passes through, -0 stays -0. */
  clip: (x, y, lo, hi) => {
    for (let i = 0; i < x.length; i++) {
      const v = x[i];
      y[i] = v > hi ? hi : v < lo ? lo : v;
    }
  },
  /** min(max(0, x), 6): NaN stays NaN, -0 becomes 0. */
  relu6: (x, y) => {
    for (let i = 0; i < x.length; i++) y[i] = min(max(0, x[i]), 6);
  },
};

/**
 * y = relu(x), step(x) (alpha where x ≤ 0), sqrt(x), clip(x) to [alpha, beta] (float32 values, alpha ≤ beta)
 * or relu6(x), elementwise.
 */
export function unaryInto(op: UnaryOp, x: Float32Array, y: Float32Array, alpha = 0, beta = 0): void {
  if (!wasmUnary(op, x, y, alpha, beta)) UNARY_LOOPS[op](x, y, alpha, beta);
}

/**
 * Sum of `x` (shape `shape`) over `axes` (ascending, no repeats) into
 * float32 values in the kept dimensions' row-major order. Every output adds
 * its inputs in increasing flat index order into a float64, as tfjs's cpu Sum
 * does after moving the reduced axes innermost (the WebAssembly column sums
 * too: each column in row order, in float64).
 */
export function sumOverAxes(x: Float32Array, shape: number[], axes: number[]): Float32Array {
  // Dimensions with size-1 ones dropped and neighbours of the same kind merged: reduced and kept alternate.
  const merged: { size: number; reduced: boolean }[] = [];
  let outSize = 1;
  for (let d = 0; d < shape.length; d++) {
    const reduced = axes.includes(d);
    if (!reduced) outSize *= shape[d];
    if (shape[d] === 1) continue;
    const last = merged[merged.length - 1];
    if (last !== undefined && last.reduced === reduced) last.size *= shape[d];
    else merged.push({ size: shape[d], reduced });
  }
  if (x.length === 0 || outSize === 0) return new Float32Array(outSize);
  // Column sums (a kept dimension innermost) run in WebAssembly SIMD where available.
  const wasm = wasmSumColumns(x, outSize);
  const acc = wasm?.acc ?? new Float64Array(outSize);
  const sumColumns = wasm?.columns ?? ((ix: number, o: number, rows: number, n: number) => {
    for (let r = 0; r < rows; r++, ix += n) {
      for (let i = 0; i < n; i++) acc[o + i] += x[ix + i];
    }
  });
  while (merged.length < 2) merged.unshift({ size: 1, reduced: !(merged[0]?.reduced ?? false) });
  // Input strides are the products of all inner sizes; output strides of the kept inner sizes only.
  const inStrides: number[] = [];
  const outStrides: number[] = [];
  let inStride = 1;
  let outStride = 1;
  for (let i = merged.length - 1; i >= 0; i--) {
    inStrides[i] = inStride;
    outStrides[i] = merged[i].reduced ? 0 : outStride;
    inStride *= merged[i].size;
    if (!merged[i].reduced) outStride *= merged[i].size;
  }
  // The innermost two dimensions are one kept and one reduced: rows of a run each.
  const last = merged.length - 1;
  const rows = merged[last - 1].size;
  const n = merged[last].size;
  const innerReduced = merged[last].reduced;
  const walk = (level: number, ix: number, o: number): void => {
    if (level < last - 1) {
      for (let i = 0; i < merged[level].size; i++) walk(level + 1, ix + i * inStrides[level], o + i * outStrides[level]);
    } else if (innerReduced) {
      // Each row sums into its own output.
      for (let r = 0; r < rows; r++, ix += n) {
        let s = acc[o + r];
        for (let i = 0; i < n; i++) s += x[ix + i];
        acc[o + r] = s;
      }
    } else {
      // Each row adds into the same n outputs.
      sumColumns(ix, o, rows, n);
    }
  };
  walk(0, 0, 0);
  return new Float32Array(acc);
}
