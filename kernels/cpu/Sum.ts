/**
 * Sum on float32 tensors without tfjs's transpose: the input is read once in
 * order and added into float64 accumulators (the bias gradient of an NHWC
 * layer is a Sum over N, H and W). Axes given out of ascending order change
 * tfjs's order of addition, so those calls, and other dtypes, go to the builtin.
 */
import type { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import { backend_util, Sum, SumAttrs, SumInputs, TensorInfo, util } from '@tensorflow/tfjs-core';
import { sumOverAxes } from '../core/elementwise';
import { im2colKernel } from '../core/fallback';
import { builtinOnly } from '../core/geometry';

export function sum(args: { inputs: SumInputs; backend: MathBackendCPU; attrs: SumAttrs }): TensorInfo {
  const { inputs: { x }, backend, attrs: { axis, keepDims } } = args;
  const axes = util.parseAxisParam(axis, x!.shape);
  const ascending = axes.every((d, i) => i === 0 || d > axes[i - 1]);
  if (x!.dtype !== 'float32' || !ascending) {
    const why = x!.dtype !== 'float32' ? `dtype ${x!.dtype}` : `axes [${axes}] out of order`;
    builtinOnly(why);
  }
  const xValues = backend.data.get(x!.dataId).values as Float32Array;
  const out = sumOverAxes(xValues, x!.shape, axes);
  const [outShape] = backend_util.computeOutAndReduceShapes(x!.shape, axes);
  const shape = keepDims ? backend_util.expandShapeToKeepDim(outShape, axes) : outShape;
  return backend.makeTensorInfo(shape, 'float32', out);
}

export const sumConfig = im2colKernel(Sum, 'cpu', sum);
