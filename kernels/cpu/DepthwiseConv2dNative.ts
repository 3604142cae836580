import type { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import {
  backend_util, DepthwiseConv2dNative, DepthwiseConv2dNativeAttrs, DepthwiseConv2dNativeInputs, TensorInfo, util,
} from '@tensorflow/tfjs-core';
import { depthwiseForward } from '../core/depthwise';
import { im2colKernel } from '../core/fallback';
import { builtinOnly, depthwiseInfoFor, geometryOf } from '../core/geometry';
import { outputArray } from './resident';
import { float32Values } from './util';

/**
 * The checks shared with FusedDepthwiseConv2D that hand a call to the builtin: tfjs's cpu
 * depthwise kernels read every input as NHWC whatever `dataFormat` says, and reject strides and
 * dilations both above 1.
 */
export function depthwiseForwardOnlyBuiltin(
  dataFormat: string | undefined, strides: number | [number, number], dilations: number | [number, number] | undefined,
): void {
  if (dataFormat === 'NCHW') builtinOnly(`dataFormat 'NCHW' (tfjs's cpu builtin reads the input as NHWC)`);
  if (!backend_util.eitherStridesOrDilationsAreOne(strides, dilations ?? 1)) {
    builtinOnly(`strides ${JSON.stringify(strides)} and dilations ${JSON.stringify(dilations)} are both above 1`);
  }
}

export function depthwiseConv2dNative(
  args: { inputs: DepthwiseConv2dNativeInputs; backend: MathBackendCPU; attrs: DepthwiseConv2dNativeAttrs },
): TensorInfo {
  const { inputs: { x, filter }, backend, attrs } = args;
  const { strides, pad, dataFormat, dilations, dimRoundingMode } = attrs;
  const xValues = float32Values(DepthwiseConv2dNative, 'x', backend, x!);
  const filterValues = float32Values(DepthwiseConv2dNative, 'filter', backend, filter!);
  const info = depthwiseInfoFor(DepthwiseConv2dNative, x!.shape, filter!.shape, strides, dilations, pad, dimRoundingMode);
  depthwiseForwardOnlyBuiltin(dataFormat, strides, dilations);
  const y = outputArray(backend, util.sizeFromShape(info.outShape));
  depthwiseForward(xValues, filterValues, geometryOf(info), y);
  return backend.makeTensorInfo(info.outShape, 'float32', y);
}

export const depthwiseConv2dNativeConfig = im2colKernel(DepthwiseConv2dNative, 'cpu', depthwiseConv2dNative);
