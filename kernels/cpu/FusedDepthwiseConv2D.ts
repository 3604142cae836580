import type { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import {
  FusedDepthwiseConv2D, FusedDepthwiseConv2DAttrs, FusedDepthwiseConv2DInputs, TensorInfo, util,
} from '@tensorflow/tfjs-core';
import { DepthwiseActivation, depthwiseForward } from '../core/depthwise';
import { applyEpilogue, Broadcast, checkActivation } from '../core/epilogue';
import { im2colKernel } from '../core/fallback';
import { depthwiseInfoFor, geometryOf } from '../core/geometry';
import { depthwiseForwardOnlyBuiltin } from './DepthwiseConv2dNative';
import { outputArray } from './resident';
import { epilogueOperands, float32Values } from './util';

/** The bias as outC floats when it is one value per channel (or one value), else null. */
function perChannel(b: Broadcast, outC: number): Float32Array | null {
  const [s0, s1, s2, s3] = b.strides;
  if (s0 !== 0 || s1 !== 0 || s2 !== 0) return null;
  return s3 === 1 ? b.values : new Float32Array(outC).fill(b.values[0]);
}

export function fusedDepthwiseConv2D(
  args: { inputs: FusedDepthwiseConv2DInputs; backend: MathBackendCPU; attrs: FusedDepthwiseConv2DAttrs },
): TensorInfo {
  const { inputs: { x, filter, bias, preluActivationWeights }, backend, attrs } = args;
  const { strides, pad, dataFormat, dilations, dimRoundingMode, leakyreluAlpha } = attrs;
  const kernel = FusedDepthwiseConv2D;
  const activation = checkActivation(kernel, attrs.activation, !!preluActivationWeights);
  const xValues = float32Values(kernel, 'x', backend, x!);
  const filterValues = float32Values(kernel, 'filter', backend, filter!);
  const info = depthwiseInfoFor(kernel, x!.shape, filter!.shape, strides, dilations, pad, dimRoundingMode);
  depthwiseForwardOnlyBuiltin(dataFormat, strides, dilations);
  const { biasB, alphaB } = epilogueOperands(kernel, backend, bias, preluActivationWeights, activation, info.outShape, true);
  // Allocated after every check, so that a rejected call holds no output.
  const y = outputArray(backend, util.sizeFromShape(info.outShape));
  const g = geometryOf(info);
  // A per-channel bias with linear, relu or relu6 is applied inside the convolution's loops.
  const channelBias = biasB ? perChannel(biasB, g.outC) : null;
  if ((activation === 'linear' || activation === 'relu' || activation === 'relu6') && (!biasB || channelBias)) {
    depthwiseForward(xValues, filterValues, g, y, channelBias, activation as DepthwiseActivation);
  } else {
    depthwiseForward(xValues, filterValues, g, y);
    applyEpilogue(y, info.outShape, biasB, activation, alphaB, leakyreluAlpha ?? 0.2);
  }
  return backend.makeTensorInfo(info.outShape, 'float32', y);
}

export const fusedDepthwiseConv2DConfig = im2colKernel(FusedDepthwiseConv2D, 'cpu', fusedDepthwiseConv2D);
