import type { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import { MaxPoolGrad, MaxPoolGradAttrs, MaxPoolGradInputs, TensorInfo, util } from '@tensorflow/tfjs-core';
import { im2colKernel } from '../core/fallback';
import { geometryOf, poolInfoFor } from '../core/geometry';
import { maxPoolBackward } from '../core/pool';
import { outputArray } from './resident';
import { float32Values } from './util';

export function maxPoolGrad(args: { inputs: MaxPoolGradInputs; backend: MathBackendCPU; attrs: MaxPoolGradAttrs }): TensorInfo {
  const { inputs: { dy, input }, backend, attrs } = args;
  const { filterSize, strides, pad, dimRoundingMode } = attrs;
  const dyValues = float32Values(MaxPoolGrad, 'dy', backend, dy!);
  const xValues = float32Values(MaxPoolGrad, 'input', backend, input!);
  const info = poolInfoFor(MaxPoolGrad, input!.shape, filterSize, strides, pad, dimRoundingMode, dy!.shape);
  const dx = outputArray(backend, util.sizeFromShape(info.inShape));
  maxPoolBackward(xValues, dyValues, geometryOf(info), dx);
  return backend.makeTensorInfo(info.inShape, 'float32', dx);
}

export const maxPoolGradConfig = im2colKernel(MaxPoolGrad, 'cpu', maxPoolGrad);
