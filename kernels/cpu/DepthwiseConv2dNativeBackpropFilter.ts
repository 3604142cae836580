import type { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import {
  DepthwiseConv2dNativeBackpropFilter, DepthwiseConv2dNativeBackpropFilterAttrs, DepthwiseConv2dNativeBackpropFilterInputs,
  TensorInfo, util,
} from '@tensorflow/tfjs-core';
import { depthwiseBackpropFilter } from '../core/depthwise';
import { im2colKernel } from '../core/fallback';
import { depthwiseInfoFor, geometryOf } from '../core/geometry';
import { outputArray } from './resident';
import { float32Values } from './util';

/**
 * dW of a depthwise convolution, [filterH, filterW, inC, mult]. Dilations above
 * 1 (which tf.grad rejects, and tfjs's cpu builtin ignores) get the true
 * gradient of the dilated forward.
 */
export function depthwiseConv2dNativeBackpropFilter(
  args: {
    inputs: DepthwiseConv2dNativeBackpropFilterInputs; backend: MathBackendCPU; attrs: DepthwiseConv2dNativeBackpropFilterAttrs;
  },
): TensorInfo {
  const { inputs: { x, dy }, backend, attrs } = args;
  const { strides, dilations, pad, dimRoundingMode, filterShape } = attrs;
  const kernel = DepthwiseConv2dNativeBackpropFilter;
  const xValues = float32Values(kernel, 'x', backend, x!);
  const dyValues = float32Values(kernel, 'dy', backend, dy!);
  const info = depthwiseInfoFor(kernel, x!.shape, filterShape, strides, dilations, pad, dimRoundingMode, dy!.shape);
  const dW = outputArray(backend, util.sizeFromShape(filterShape));
  depthwiseBackpropFilter(xValues, dyValues, geometryOf(info), dW);
  return backend.makeTensorInfo(filterShape, 'float32', dW);
}

export const depthwiseConv2dNativeBackpropFilterConfig = im2colKernel(
  DepthwiseConv2dNativeBackpropFilter, 'cpu', depthwiseConv2dNativeBackpropFilter);
