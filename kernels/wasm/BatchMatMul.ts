/**
 * BatchMatMul on the wasm backend through our GEMM, on heap views. XNNPACK's builtin is fast for
 * a·b but not when an operand is transposed, which is how every dense layer's gradient multiplies
 * (dy·Wᵀ and xᵀ·dy): SimpleConvNet's 100×4320 by 4320×100 products take ~51 ms each with a
 * transpose against ~4 ms without (benchmarks/wasm_training.ts times ours against it). Our GEMM
 * reads a transposed operand through a strided view, so every case costs the same.
 * float32 only (the same rules as the cpu kernel: kernels/cpu/BatchMatMul.ts); others go to the builtin.
 * Batch dimensions that broadcast against each other ([2,1,m,k]·[1,3,k,n]) get the broadcast product;
 * the builtin answers wrongly there (NaN through tf.matMul; test/wasm_kernels.test.ts).
 */
import { BatchMatMul, BatchMatMulAttrs, BatchMatMulInputs, TensorInfo } from '@tensorflow/tfjs-core';
import { builtinOnly } from '../core/geometry';
import { matMulFloat32, planMatMul } from '../cpu/BatchMatMul';
import { heapFloats, WasmBackend, wasmKernel } from './util';

export function batchMatMul(args: { inputs: BatchMatMulInputs; backend: WasmBackend; attrs: BatchMatMulAttrs }): TensorInfo {
  const { inputs: { a, b }, backend, attrs } = args;
  const transposeA = !!attrs.transposeA;
  const transposeB = !!attrs.transposeB;
  heapFloats(BatchMatMul, 'a', backend, a!);
  heapFloats(BatchMatMul, 'b', backend, b!);
  const plan = planMatMul(BatchMatMul, a!.shape, b!.shape, transposeA, transposeB);
  if (plan.batches * plan.m * plan.n * plan.k === 0) builtinOnly('a zero-size operand or product');
  const out = backend.makeOutput(plan.outShape, 'float32');
  // Views after the allocation: it may have grown (and so detached) the heap.
  matMulFloat32(plan, heapFloats(BatchMatMul, 'a', backend, a!), heapFloats(BatchMatMul, 'b', backend, b!),
    transposeA, transposeB, backend.typedArrayFromHeap(out) as Float32Array);
  return out;
}

export const batchMatMulConfig = wasmKernel(BatchMatMul, batchMatMul);
