/**
 * Add, Sub, Multiply and RealDiv on float32 operands, with NumPy broadcasting
 * done in blocks of contiguous runs (kernels/core/elementwise.ts), in
 * WebAssembly SIMD where available and in the JavaScript loops below
 * otherwise. Other dtypes go to tfjs's builtin. tfjs's ops upcast both
 * operands to one dtype before calling the kernel, and the result has that dtype.
 */
import type { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import {
  Add, backend_util, BinaryInputs, KernelConfig, Multiply, RealDiv, Sub, TensorInfo, util,
} from '@tensorflow/tfjs-core';
import { BinaryBlock, forEachBroadcastBlock } from '../core/elementwise';
import { im2colKernel } from '../core/fallback';
import { builtinOnly } from '../core/geometry';
import { BINARY_OPS, wasmBinary } from '../core/vector_wasm';
import { outputArray } from './resident';

function binaryKernel(kernelName: keyof typeof BINARY_OPS, block: BinaryBlock): KernelConfig {
  const kernelFunc = (args: { inputs: BinaryInputs; backend: MathBackendCPU }): TensorInfo => {
    const { inputs: { a, b }, backend } = args;
    if (a!.dtype !== 'float32' || b!.dtype !== 'float32') {
      builtinOnly(`dtypes ${a!.dtype} and ${b!.dtype}`);
    }
    const outShape = backend_util.assertAndGetBroadcastShape(a!.shape, b!.shape);
    const size = util.sizeFromShape(outShape);
    const aValues = backend.data.get(a!.dataId).values as Float32Array;
    const bValues = backend.data.get(b!.dataId).values as Float32Array;
    const out = outputArray(backend, size);
    const wasm = wasmBinary(kernelName, aValues, bValues, out);
    if (wasm !== null) {
      forEachBroadcastBlock(a!.shape, b!.shape, outShape, wasm.block);
      wasm.finish();
    } else {
      forEachBroadcastBlock(a!.shape, b!.shape, outShape,
        (o, ia, ra, sa, ib, rb, sb, rows, n) => block(out, o, aValues, ia, ra, sa, bValues, ib, rb, sb, rows, n));
    }
    return backend.makeTensorInfo(outShape, 'float32', out);
  };
  return im2colKernel(kernelName, 'cpu', kernelFunc);
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

export const addConfig = binaryKernel(Add, addBlock);
export const subConfig = binaryKernel(Sub, subBlock);
export const multiplyConfig = binaryKernel(Multiply, multiplyBlock);
export const realDivConfig = binaryKernel(RealDiv, realDivBlock);
