/**
 * Concat (tf.concat, Concatenate layers, the channel joins of Inception- and
 * DenseNet-style blocks) on float32 tensors: each input is copied as runs of
 * its inner block into the output, with TypedArray.set for long runs. Exact
 * (a copy). Other dtypes, a single non-empty input (the builtin shares its
 * values) and empty outputs go to tfjs's builtin.
 */
import type { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import { backend_util, Concat, ConcatAttrs, ConcatInputs, TensorInfo, util } from '@tensorflow/tfjs-core';
import { im2colKernel } from '../core/fallback';
import { builtinOnly, KernelInputError } from '../core/geometry';
import { copyBox } from '../core/layer_ops';
import { outputArray } from './resident';

export function concat(args: { inputs: ConcatInputs; backend: MathBackendCPU; attrs: ConcatAttrs }): TensorInfo {
  const { inputs, backend, attrs: { axis } } = args;
  if (!Array.isArray(inputs) || inputs.length === 0) {
    throw new KernelInputError(Concat, `needs at least one input tensor, got ${inputs?.length ?? inputs}`);
  }
  const odd = inputs.find((t) => t.dtype !== 'float32');
  if (odd !== undefined) builtinOnly(`dtype ${odd.dtype}`);
  const $axis = util.parseAxisParam(axis, inputs[0].shape)[0];
  backend_util.assertParamsConsistent(inputs.map((t) => t.shape), $axis);
  const outShape = backend_util.computeOutShape(inputs.map((t) => t.shape), $axis);
  const nonEmpty = inputs.filter((t) => util.sizeFromShape(t.shape) > 0);
  if (nonEmpty.length < 2) builtinOnly(nonEmpty.length === 0 ? 'an empty output' : 'a single non-empty input');
  const out = outputArray(backend, util.sizeFromShape(outShape));
  const begin = outShape.map(() => 0);
  for (const t of nonEmpty) {
    copyBox(backend.data.get(t.dataId).values as Float32Array, t.shape, t.shape.map(() => 0), out, outShape, begin, t.shape);
    begin[$axis] += t.shape[$axis];
  }
  return backend.makeTensorInfo(outShape, 'float32', out);
}

export const concatConfig = im2colKernel(Concat, 'cpu', concat);
