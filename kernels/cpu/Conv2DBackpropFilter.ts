import type { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import {
  Conv2DBackpropFilter, Conv2DBackpropFilterAttrs, Conv2DBackpropFilterInputs, TensorInfo, util,
} from '@tensorflow/tfjs-core';
import { convBackpropFilter } from '../core/conv';
import { hasNonFinite, im2colKernel, windowsLeaveInput } from '../core/fallback';
import { builtinOnly, convInfoFor, geometryOf } from '../core/geometry';
import { outputArray } from './resident';
import { float32Values } from './util';

export function conv2DBackpropFilter(
  args: { inputs: Conv2DBackpropFilterInputs; backend: MathBackendCPU; attrs: Conv2DBackpropFilterAttrs },
): TensorInfo {
  const { inputs: { x, dy }, backend, attrs } = args;
  const { strides, pad, dataFormat, dimRoundingMode, filterShape } = attrs;
  const xValues = float32Values(Conv2DBackpropFilter, 'x', backend, x!);
  const dyValues = float32Values(Conv2DBackpropFilter, 'dy', backend, dy!);
  const info = convInfoFor(Conv2DBackpropFilter, x!.shape, filterShape, strides, 1, pad, dimRoundingMode, dataFormat, dy!.shape);
  const g = geometryOf(info);
  if (windowsLeaveInput(g) && hasNonFinite(dyValues)) builtinOnly('non-finite values in dy meet the zero padding');
  const dW = outputArray(backend, util.sizeFromShape(filterShape));
  convBackpropFilter(xValues, dyValues, g, dW);
  return backend.makeTensorInfo(filterShape, 'float32', dW);
}

export const conv2DBackpropFilterConfig = im2colKernel(Conv2DBackpropFilter, 'cpu', conv2DBackpropFilter);
