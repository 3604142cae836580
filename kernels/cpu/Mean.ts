/**
 * Mean on float32 tensors (global average pooling: a Mean over H and W), as
 * tfjs's builtin computes it: every element divided by the number reduced
 * (rounded to float32), then summed in the builtin's order into float64
 * (kernels/core/elementwise.ts's sumOverAxes, as our Sum) — bit-identical,
 * without the builtin's cast, division tensor and transpose. Axes out of
 * ascending order (tfjs then adds in another order), other dtypes and empty
 * inputs go to tfjs's builtin.
 */
import type { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import { backend_util, Mean, MeanAttrs, MeanInputs, TensorInfo, util } from '@tensorflow/tfjs-core';
import { sumOverAxes } from '../core/elementwise';
import { im2colKernel } from '../core/fallback';
import { builtinOnly } from '../core/geometry';

export function mean(args: { inputs: MeanInputs; backend: MathBackendCPU; attrs: MeanAttrs }): TensorInfo {
  const { inputs: { x }, backend, attrs: { axis, keepDims } } = args;
  if (x!.dtype !== 'float32') builtinOnly(`dtype ${x!.dtype}`);
  const axes = util.parseAxisParam(axis, x!.shape);
  if (!axes.every((d, i) => i === 0 || d > axes[i - 1])) builtinOnly(`axes [${axes}] out of order`);
  const xValues = backend.data.get(x!.dataId).values as Float32Array;
  if (xValues.length === 0) builtinOnly('an empty input');
  const [outShape, reduceShape] = backend_util.computeOutAndReduceShapes(x!.shape, axes);
  const n = util.sizeFromShape(reduceShape);
  // The builtin divides by a float32 scalar tensor holding n.
  const divisor = Math.fround(n);
  const quotients = new Float32Array(xValues.length);
  for (let i = 0; i < xValues.length; i++) quotients[i] = xValues[i] / divisor;
  const out = sumOverAxes(quotients, x!.shape, axes);
  const shape = keepDims ? backend_util.expandShapeToKeepDim(outShape, axes) : outShape;
  return backend.makeTensorInfo(shape, 'float32', out);
}

export const meanConfig = im2colKernel(Mean, 'cpu', mean);
