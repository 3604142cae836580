/**
 * Relu6 on float32 tensors: min(max(0, x), 6) as the builtin, bit-identical
 * (NaN stays NaN, -0 becomes 0). Other dtypes go to tfjs's builtin.
 */
import type { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import { Relu6, TensorInfo, UnaryInputs } from '@tensorflow/tfjs-core';
import { im2colKernel } from '../core/fallback';
import { builtinOnly } from '../core/geometry';
import { relu6Into } from '../core/layer_ops';
import { outputArray } from './resident';

export function relu6(args: { inputs: UnaryInputs; backend: MathBackendCPU }): TensorInfo {
  const { inputs: { x }, backend } = args;
  if (x!.dtype !== 'float32') builtinOnly(`dtype ${x!.dtype}`);
  const xValues = backend.data.get(x!.dataId).values as Float32Array;
  const y = outputArray(backend, xValues.length);
  relu6Into(xValues, y);
  return backend.makeTensorInfo(x!.shape, 'float32', y);
}

export const relu6Config = im2colKernel(Relu6, 'cpu', relu6);
