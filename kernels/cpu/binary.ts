/**
 * Add, Sub, Multiply and RealDiv on float32 operands, with NumPy broadcasting
 * done in blocks of contiguous runs (kernels/core/elementwise.ts). Other
 * dtypes go to tfjs's builtin. tfjs's ops upcast both operands to one dtype
 * before calling the kernel, and the result has that dtype.
 */
import type { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import { Add, backend_util, BinaryInputs, KernelConfig, Multiply, RealDiv, Sub, TensorInfo, util } from '@tensorflow/tfjs-core';
import { BinaryOp, binaryInto } from '../core/elementwise';
import { im2colKernel } from '../core/fallback';
import { builtinOnly } from '../core/geometry';
import { outputArray } from './resident';

function binaryKernel(kernelName: BinaryOp): KernelConfig {
  const kernelFunc = (args: { inputs: BinaryInputs; backend: MathBackendCPU }): TensorInfo => {
    const { inputs: { a, b }, backend } = args;
    if (a!.dtype !== 'float32' || b!.dtype !== 'float32') builtinOnly(`dtypes ${a!.dtype} and ${b!.dtype}`);
    const outShape = backend_util.assertAndGetBroadcastShape(a!.shape, b!.shape);
    const out = outputArray(backend, util.sizeFromShape(outShape));
    binaryInto(kernelName, backend.data.get(a!.dataId).values as Float32Array, a!.shape,
      backend.data.get(b!.dataId).values as Float32Array, b!.shape, outShape, out);
    return backend.makeTensorInfo(outShape, 'float32', out);
  };
  return im2colKernel(kernelName, 'cpu', kernelFunc);
}

export const addConfig = binaryKernel(Add);
export const subConfig = binaryKernel(Sub);
export const multiplyConfig = binaryKernel(Multiply);
export const realDivConfig = binaryKernel(RealDiv);
