import type { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import { AvgPool, AvgPoolAttrs, AvgPoolInputs, TensorInfo, util } from '@tensorflow/tfjs-core';
import { im2colKernel } from '../core/fallback';
import { geometryOf, poolInfoFor } from '../core/geometry';
import { avgPoolForward, isIdentityPool } from '../core/pool';
import { outputArray } from './resident';
import { float32Values } from './util';

export function avgPool(args: { inputs: AvgPoolInputs; backend: MathBackendCPU; attrs: AvgPoolAttrs }): TensorInfo {
  const { inputs: { x }, backend, attrs } = args;
  const { filterSize, strides, pad, dimRoundingMode } = attrs;
  const xValues = float32Values(AvgPool, 'x', backend, x!);
  const info = poolInfoFor(AvgPool, x!.shape, filterSize, strides, pad, dimRoundingMode);
  const g = geometryOf(info);
  const y = outputArray(backend, util.sizeFromShape(info.outShape));
  // tfjs passes the input through unchanged for a 1×1 window that keeps the shape.
  if (isIdentityPool(g)) y.set(xValues);
  else avgPoolForward(xValues, g, y);
  return backend.makeTensorInfo(info.outShape, 'float32', y);
}

export const avgPoolConfig = im2colKernel(AvgPool, 'cpu', avgPool);
