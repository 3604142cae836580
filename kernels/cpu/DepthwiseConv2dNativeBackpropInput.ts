import type { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import {
  DepthwiseConv2dNativeBackpropInput, DepthwiseConv2dNativeBackpropInputAttrs, DepthwiseConv2dNativeBackpropInputInputs,
  TensorInfo, util,
} from '@tensorflow/tfjs-core';
import { depthwiseBackpropInput } from '../core/depthwise';
import { im2colKernel } from '../core/fallback';
import { depthwiseInfoFor, geometryOf } from '../core/geometry';
import { outputArray } from './resident';
import { float32Values } from './util';

/**
 * dx of a depthwise convolution. Dilations above 1 (which tf.grad rejects, and
 * tfjs's cpu builtin ignores) get the true gradient of the dilated forward.
 */
export function depthwiseConv2dNativeBackpropInput(
  args: {
    inputs: DepthwiseConv2dNativeBackpropInputInputs; backend: MathBackendCPU; attrs: DepthwiseConv2dNativeBackpropInputAttrs;
  },
): TensorInfo {
  const { inputs: { dy, filter }, backend, attrs } = args;
  const { strides, dilations, pad, dimRoundingMode, inputShape } = attrs;
  const kernel = DepthwiseConv2dNativeBackpropInput;
  const dyValues = float32Values(kernel, 'dy', backend, dy!);
  const filterValues = float32Values(kernel, 'filter', backend, filter!);
  const info = depthwiseInfoFor(kernel, inputShape, filter!.shape, strides, dilations, pad, dimRoundingMode, dy!.shape);
  const dx = outputArray(backend, util.sizeFromShape(inputShape));
  depthwiseBackpropInput(dyValues, filterValues, geometryOf(info), dx);
  return backend.makeTensorInfo(inputShape, 'float32', dx);
}

export const depthwiseConv2dNativeBackpropInputConfig = im2colKernel(
  DepthwiseConv2dNativeBackpropInput, 'cpu', depthwiseConv2dNativeBackpropInput);
