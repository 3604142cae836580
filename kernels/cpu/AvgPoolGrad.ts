import type { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import { AvgPoolGrad, AvgPoolGradAttrs, AvgPoolGradInputs, TensorInfo, util } from '@tensorflow/tfjs-core';
import { im2colKernel } from '../core/fallback';
import { checkFloat32, geometryOf, poolInfoFor } from '../core/geometry';
import { avgPoolBackward } from '../core/pool';
import { outputArray } from './resident';
import { float32Values } from './util';

export function avgPoolGrad(args: { inputs: AvgPoolGradInputs; backend: MathBackendCPU; attrs: AvgPoolGradAttrs }): TensorInfo {
  const { inputs: { dy, input }, backend, attrs } = args;
  const { filterSize, strides, pad } = attrs;
  const dyValues = float32Values(AvgPoolGrad, 'dy', backend, dy!);
  checkFloat32(AvgPoolGrad, 'input', input!);
  const info = poolInfoFor(AvgPoolGrad, input!.shape, filterSize, strides, pad, undefined, dy!.shape);
  const dx = outputArray(backend, util.sizeFromShape(info.inShape)).fill(0);
  avgPoolBackward(dyValues, geometryOf(info), dx);
  return backend.makeTensorInfo(info.inShape, 'float32', dx);
}

export const avgPoolGradConfig = im2colKernel(AvgPoolGrad, 'cpu', avgPoolGrad);
