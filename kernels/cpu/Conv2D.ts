import type { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import { Conv2D, Conv2DAttrs, Conv2DInputs, TensorInfo, util } from '@tensorflow/tfjs-core';
import { convForward } from '../core/conv';
import { hasNonFinite, im2colKernel, windowsLeaveInput } from '../core/fallback';
import { builtinOnly, convInfoFor, geometryOf } from '../core/geometry';
import { outputArray } from './resident';
import { float32Values } from './util';
import { cachedWeights } from './weights';

export function conv2D(args: { inputs: Conv2DInputs; backend: MathBackendCPU; attrs: Conv2DAttrs }): TensorInfo {
  const { inputs: { x, filter }, backend, attrs } = args;
  const { strides, pad, dataFormat, dilations, dimRoundingMode } = attrs;
  const xValues = float32Values(Conv2D, 'x', backend, x!);
  const filterValues = float32Values(Conv2D, 'filter', backend, filter!);
  const info = convInfoFor(Conv2D, x!.shape, filter!.shape, strides, dilations, pad, dimRoundingMode, dataFormat);
  const g = geometryOf(info);
  if (windowsLeaveInput(g) && hasNonFinite(filterValues)) builtinOnly('non-finite values in filter meet the zero padding');
  const y = outputArray(backend, util.sizeFromShape(info.outShape));
  convForward(xValues, cachedWeights(backend, filter!, filterValues), g, y);
  return backend.makeTensorInfo(info.outShape, 'float32', y);
}

export const conv2DConfig = im2colKernel(Conv2D, 'cpu', conv2D);
