import type { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import { FusedConv2D, FusedConv2DAttrs, FusedConv2DInputs, TensorInfo, util } from '@tensorflow/tfjs-core';
import { convForward } from '../core/conv';
import { applyEpilogue, checkActivation } from '../core/epilogue';
import { hasNonFinite, im2colKernel, windowsLeaveInput } from '../core/fallback';
import { builtinOnly, convInfoFor, geometryOf } from '../core/geometry';
import { outputArray } from './resident';
import { epilogueOperands, float32Values } from './util';
import { cachedWeights } from './weights';

export function fusedConv2D(args: { inputs: FusedConv2DInputs; backend: MathBackendCPU; attrs: FusedConv2DAttrs }): TensorInfo {
  const { inputs: { x, filter, bias, preluActivationWeights }, backend, attrs } = args;
  const { strides, pad, dataFormat, dilations, dimRoundingMode, leakyreluAlpha } = attrs;
  const activation = checkActivation(FusedConv2D, attrs.activation, !!preluActivationWeights);
  const xValues = float32Values(FusedConv2D, 'x', backend, x!);
  const filterValues = float32Values(FusedConv2D, 'filter', backend, filter!);
  const info = convInfoFor(FusedConv2D, x!.shape, filter!.shape, strides, dilations, pad, dimRoundingMode, dataFormat);
  const channelsLast = info.dataFormat === 'channelsLast';
  const g = geometryOf(info);
  if (windowsLeaveInput(g) && hasNonFinite(filterValues)) builtinOnly('non-finite values in filter meet the zero padding');
  const { biasB, alphaB } = epilogueOperands(FusedConv2D, backend, bias, preluActivationWeights, activation, info.outShape, channelsLast);
  // Allocated after every check, so that a rejected call holds no output.
  const y = outputArray(backend, util.sizeFromShape(info.outShape));
  convForward(xValues, cachedWeights(backend, filter!, filterValues), g, y);
  if (biasB || activation !== 'linear') {
    applyEpilogue(y, info.outShape, biasB, activation, alphaB, leakyreluAlpha ?? 0.2);
  }
  return backend.makeTensorInfo(info.outShape, 'float32', y);
}

export const fusedConv2DConfig = im2colKernel(FusedConv2D, 'cpu', fusedConv2D);
