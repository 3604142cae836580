/**
 * Relu, Step (ReLU's gradient mask) and Sqrt on float32 tensors, with the
 * builtin's own formulas (kernels/core/elementwise.ts). Other dtypes go to
 * tfjs's builtin.
 */
import type { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import { KernelConfig, Relu, Sqrt, Step, StepAttrs, TensorInfo, UnaryInputs } from '@tensorflow/tfjs-core';
import { UnaryOp, unaryInto } from '../core/elementwise';
import { im2colKernel } from '../core/fallback';
import { builtinOnly } from '../core/geometry';
import { outputArray } from './resident';

function unaryKernel(kernelName: string, op: UnaryOp): KernelConfig {
  const kernelFunc = (args: { inputs: UnaryInputs; backend: MathBackendCPU; attrs: object }): TensorInfo => {
    const { inputs: { x }, backend, attrs } = args;
    if (x!.dtype !== 'float32') builtinOnly(`dtype ${x!.dtype}`);
    const xValues = backend.data.get(x!.dataId).values as Float32Array;
    const y = outputArray(backend, xValues.length);
    unaryInto(op, xValues, y, (attrs as StepAttrs | undefined)?.alpha);
    return backend.makeTensorInfo(x!.shape, 'float32', y);
  };
  return im2colKernel(kernelName, 'cpu', kernelFunc);
}

export const reluConfig = unaryKernel(Relu, 'relu');
export const stepConfig = unaryKernel(Step, 'step');
export const sqrtConfig = unaryKernel(Sqrt, 'sqrt');
