/**
 * BatchMatMul on the cpu backend through our `gemm` (the same engine as the
 * convolutions): one GEMM per output batch on strided views, so transposes
 * cost nothing and nothing is copied in JavaScript.
 *
 * Batch dimensions broadcast with NumPy rules (tfjs's shape rule). Where tfjs's
 * builtin broadcasts correctly (one side's batch is 1, or both are equal) we
 * give the same result; where both sides broadcast against each other (e.g.
 * [2,1,m,k]·[1,3,k,n]) the builtin's flat `batch % size` indexing is wrong and
 * we compute the broadcast product. int32 operands are multiplied exactly in
 * float64, as the builtin does; other dtypes go to the builtin.
 */
import type { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import {
  BatchMatMul, BatchMatMulAttrs, BatchMatMulInputs, TensorInfo, util,
} from '@tensorflow/tfjs-core';
import { im2colKernel } from '../core/fallback';
import { Matrix, rowMajor, transposed } from '../core/gemm';
import { gemm } from '../wasm_runtime/engines';
import { builtinOnly, KernelInputError } from '../core/geometry';
import { outputArray } from './resident';

/** The geometry of a (batched) matrix product, after checking the operands. */
export interface MatMulPlan {
  /** Output rows, columns, and the shared dimension. */
  m: number;
  n: number;
  k: number;
  outShape: number[];
  /** Output batch count and, per output batch, the batch index into a and b. */
  batches: number;
  aBatch: Int32Array;
  bBatch: Int32Array;
  /** True when every output batch uses b's batch 0 (b has no batch, or only 1s). */
  bShared: boolean;
}

/** NumPy broadcast of two batch shapes, or a KernelInputError naming both. */
function broadcastBatch(kernel: string, aOuter: number[], bOuter: number[], aShape: number[], bShape: number[]): number[] {
  const rank = Math.max(aOuter.length, bOuter.length);
  const out: number[] = [];
  for (let i = 0; i < rank; i++) {
    const da = aOuter[aOuter.length - rank + i] ?? 1;
    const db = bOuter[bOuter.length - rank + i] ?? 1;
    if (da !== db && da !== 1 && db !== 1) {
      throw new KernelInputError(kernel,
        `batch dimensions of a [${aShape}] and b [${bShape}] do not broadcast (${da} vs ${db})`);
    }
    out.push(da === 1 ? db : da);
  }
  return out;
}

/** For every output batch (row-major over outOuter), the flat batch index into an operand with `outer` dims. */
function batchIndices(outOuter: number[], outer: number[]): Int32Array {
  const count = util.sizeFromShape(outOuter);
  const idx = new Int32Array(count);
  const rank = outOuter.length;
  // Operand strides aligned to the output's batch axes (0 where the operand broadcasts).
  const strides = new Array<number>(rank).fill(0);
  let stride = 1;
  for (let i = rank - 1; i >= 0; i--) {
    const d = outer[outer.length - rank + i] ?? 1;
    strides[i] = d === 1 ? 0 : stride;
    stride *= d;
  }
  const pos = new Array<number>(rank).fill(0);
  for (let b = 0; b < count; b++) {
    let flat = 0;
    for (let i = 0; i < rank; i++) flat += pos[i] * strides[i];
    idx[b] = flat;
    for (let i = rank - 1; i >= 0; i--) {
      if (++pos[i] < outOuter[i]) break;
      pos[i] = 0;
    }
  }
  return idx;
}

export function planMatMul(
  kernel: string, aShape: number[], bShape: number[], transposeA: boolean, transposeB: boolean,
): MatMulPlan {
  if (aShape.length < 2) throw new KernelInputError(kernel, `a must have rank ≥ 2, got shape [${aShape}]`);
  if (bShape.length < 2) throw new KernelInputError(kernel, `b must have rank ≥ 2, got shape [${bShape}]`);
  const [ar, ac] = aShape.slice(-2);
  const [br, bc] = bShape.slice(-2);
  const m = transposeA ? ac : ar;
  const kA = transposeA ? ar : ac;
  const kB = transposeB ? bc : br;
  const n = transposeB ? br : bc;
  if (kA !== kB) {
    throw new KernelInputError(kernel, `inner dimensions differ: a [${aShape}] (transposeA=${transposeA}) gives ${kA}, ` +
      `b [${bShape}] (transposeB=${transposeB}) gives ${kB}`);
  }
  const aOuter = aShape.slice(0, -2);
  const bOuter = bShape.slice(0, -2);
  const outOuter = broadcastBatch(kernel, aOuter, bOuter, aShape, bShape);
  const bShared = bOuter.every((d) => d === 1);
  return {
    m, n, k: kA,
    outShape: [...outOuter, m, n],
    batches: util.sizeFromShape(outOuter),
    aBatch: batchIndices(outOuter, aOuter),
    bBatch: batchIndices(outOuter, bOuter),
    bShared,
  };
}

/** Float32 product for the plan, into `out` (length batches·m·n). */
export function matMulFloat32(
  plan: MatMulPlan, a: Float32Array, b: Float32Array, transposeA: boolean, transposeB: boolean, out: Float32Array,
): void {
  const { m, n, k, batches } = plan;
  if (batches === 0 || m === 0 || n === 0) return;
  const aSize = m * k;
  const bSize = k * n;
  const aView = (batch: number): Matrix => transposeA ? transposed(a, batch * aSize, m) : rowMajor(a, batch * aSize, k);
  const bView = (batch: number): Matrix => transposeB ? transposed(b, batch * bSize, k) : rowMajor(b, batch * bSize, n);
  // A shared B and batches laid out back to back in A and C: one tall GEMM instead of many small ones.
  let contiguous = plan.bShared && !transposeA;
  for (let i = 0; contiguous && i < batches; i++) contiguous = plan.aBatch[i] === i;
  if (contiguous) {
    gemm(batches * m, n, k, rowMajor(a, 0, k), bView(0), rowMajor(out, 0, n), false);
    return;
  }
  for (let i = 0; i < batches; i++) {
    gemm(m, n, k, aView(plan.aBatch[i]), bView(plan.bBatch[i]), rowMajor(out, i * m * n, n), false);
  }
}

/** Exact integer product (sums in float64, stored through Int32Array), as tfjs's builtin computes int32. */
function matMulInt32(
  plan: MatMulPlan, a: ArrayLike<number>, b: ArrayLike<number>, transposeA: boolean, transposeB: boolean, out: Int32Array,
): void {
  const { m, n, k, batches } = plan;
  for (let bi = 0; bi < batches; bi++) {
    const ao = plan.aBatch[bi] * m * k;
    const bo = plan.bBatch[bi] * k * n;
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < n; j++) {
        let sum = 0;
        for (let p = 0; p < k; p++) {
          const av = transposeA ? a[ao + p * m + i] : a[ao + i * k + p];
          const bv = transposeB ? b[bo + j * k + p] : b[bo + p * n + j];
          sum += av * bv;
        }
        out[(bi * m + i) * n + j] = sum;
      }
    }
  }
}

export function batchMatMul(args: { inputs: BatchMatMulInputs; backend: MathBackendCPU; attrs: BatchMatMulAttrs }): TensorInfo {
  const { inputs, backend, attrs } = args;
  const a = inputs.a!;
  const b = inputs.b!;
  const transposeA = !!attrs.transposeA;
  const transposeB = !!attrs.transposeB;
  if (a.dtype !== b.dtype || (a.dtype !== 'float32' && a.dtype !== 'int32')) {
    builtinOnly(`dtypes '${a.dtype}' and '${b.dtype}'`);
  }
  const plan = planMatMul(BatchMatMul, a.shape, b.shape, transposeA, transposeB);
  const aValues = backend.data.get(a.dataId).values as Float32Array | Int32Array;
  const bValues = backend.data.get(b.dataId).values as Float32Array | Int32Array;
  const size = util.sizeFromShape(plan.outShape);
  if (a.dtype === 'int32') {
    const out = new Int32Array(size);
    matMulInt32(plan, aValues, bValues, transposeA, transposeB, out);
    return backend.makeTensorInfo(plan.outShape, 'int32', out);
  }
  const out = outputArray(backend, size);
  matMulFloat32(plan, aValues as Float32Array, bValues as Float32Array, transposeA, transposeB, out);
  return backend.makeTensorInfo(plan.outShape, 'float32', out);
}

export const batchMatMulConfig = im2colKernel(BatchMatMul, 'cpu', batchMatMul);
