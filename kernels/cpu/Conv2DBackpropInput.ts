import type { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import {
  Conv2DBackpropInput, Conv2DBackpropInputAttrs, Conv2DBackpropInputInputs, TensorInfo, util,
} from '@tensorflow/tfjs-core';
import { convBackpropInput } from '../core/conv';
import { im2colKernel } from '../core/fallback';
import { convInfoFor, geometryOf } from '../core/geometry';
import { outputArray } from './resident';
import { float32Values } from './util';
import { cachedWeights } from './weights';

export function conv2DBackpropInput(
  args: { inputs: Conv2DBackpropInputInputs; backend: MathBackendCPU; attrs: Conv2DBackpropInputAttrs },
): TensorInfo {
  const { inputs: { dy, filter }, backend, attrs } = args;
  const { inputShape, strides, pad, dataFormat, dimRoundingMode } = attrs;
  const dyValues = float32Values(Conv2DBackpropInput, 'dy', backend, dy!);
  const filterValues = float32Values(Conv2DBackpropInput, 'filter', backend, filter!);
  const info = convInfoFor(Conv2DBackpropInput, inputShape, filter!.shape, strides, 1, pad, dimRoundingMode, dataFormat, dy!.shape);
  const dx = outputArray(backend, util.sizeFromShape(info.inShape)).fill(0);
  convBackpropInput(dyValues, cachedWeights(backend, filter!, filterValues), geometryOf(info), dx);
  return backend.makeTensorInfo(info.inShape, 'float32', dx);
}

export const conv2DBackpropInputConfig = im2colKernel(Conv2DBackpropInput, 'cpu', conv2DBackpropInput);
