import type { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import { MaxPool, MaxPoolAttrs, MaxPoolInputs, TensorInfo, util } from '@tensorflow/tfjs-core';
import { im2colKernel } from '../core/fallback';
import { geometryOf, poolInfoFor } from '../core/geometry';
import { maxPoolForward, isIdentityPool } from '../core/pool';
import { outputArray } from './resident';
import { float32Values } from './util';

export function maxPool(args: { inputs: MaxPoolInputs; backend: MathBackendCPU; attrs: MaxPoolAttrs }): TensorInfo {
  const { inputs: { x }, backend, attrs } = args;
  const { filterSize, strides, pad, dimRoundingMode } = attrs;
  const xValues = float32Values(MaxPool, 'x', backend, x!);
  const info = poolInfoFor(MaxPool, x!.shape, filterSize, strides, pad, dimRoundingMode);
  const g = geometryOf(info);
  const y = outputArray(backend, util.sizeFromShape(info.outShape));
  // tfjs passes the input through unchanged for a 1×1 window that keeps the shape.
  if (isIdentityPool(g)) y.set(xValues);
  else maxPoolForward(xValues, g, y);
  return backend.makeTensorInfo(info.outShape, 'float32', y);
}

export const maxPoolConfig = im2colKernel(MaxPool, 'cpu', maxPool);
