/**
 * ClipByValue on float32 tensors (tfjs-layers' ReLU(maxValue: 6), MobileNet's
 * activation), with the builtin's comparisons: bit-identical, NaN passes
 * through. Other dtypes go to tfjs's builtin.
 */
import type { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import { ClipByValue, ClipByValueAttrs, TensorInfo, UnaryInputs } from '@tensorflow/tfjs-core';
import { im2colKernel } from '../core/fallback';
import { builtinOnly } from '../core/geometry';
import { clipInto } from '../core/layer_ops';
import { outputArray } from './resident';

export function clipByValue(args: { inputs: UnaryInputs; backend: MathBackendCPU; attrs: ClipByValueAttrs }): TensorInfo {
  const { inputs: { x }, backend, attrs: { clipValueMin, clipValueMax } } = args;
  if (x!.dtype !== 'float32') builtinOnly(`dtype ${x!.dtype}`);
  const xValues = backend.data.get(x!.dataId).values as Float32Array;
  const y = outputArray(backend, xValues.length);
  // The builtin returns the bounds as given, rounded by its Float32Array output: the same as rounding first.
  clipInto(xValues, y, Math.fround(clipValueMin), Math.fround(clipValueMax));
  return backend.makeTensorInfo(x!.shape, 'float32', y);
}

export const clipByValueConfig = im2colKernel(ClipByValue, 'cpu', clipByValue);
