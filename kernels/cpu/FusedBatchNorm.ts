/**
 * FusedBatchNorm (tf.batchNorm, tfjs-layers' BatchNormalization at inference)
 * on float32 tensors: offset + (x − mean) · scale / sqrt(variance + ε) in
 * float64 as the builtin, bit-identical, with sqrt(variance + ε) computed once
 * per channel instead of once per element. Other dtypes go to tfjs's builtin.
 */
import type { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import { FusedBatchNorm, FusedBatchNormAttrs, FusedBatchNormInputs, TensorInfo } from '@tensorflow/tfjs-core';
import { im2colKernel } from '../core/fallback';
import { builtinOnly, KernelInputError } from '../core/geometry';
import { batchNormInto } from '../core/layer_ops';
import { show } from '../core/show';
import { outputArray } from './resident';

const ONE = new Float32Array([1]);
const ZERO = new Float32Array([0]);

export function fusedBatchNorm(args: { inputs: FusedBatchNormInputs; backend: MathBackendCPU; attrs: FusedBatchNormAttrs }): TensorInfo {
  const { inputs: { x, mean, variance, scale, offset }, backend, attrs } = args;
  const operands = { x, mean, variance, scale, offset };
  for (const [name, t] of Object.entries(operands)) {
    if (t != null && t.dtype !== 'float32') builtinOnly(`${name} of dtype ${t.dtype}`);
  }
  if (x == null || mean == null || variance == null) {
    throw new KernelInputError(FusedBatchNorm, `needs x, mean and variance, got ${
      ['x', 'mean', 'variance'].filter((n) => operands[n as 'x'] == null).join(', ')} missing`);
  }
  // The builtin's own checks (it asserts these before computing).
  if (mean.shape.length !== variance.shape.length ||
    (offset != null && offset.shape.length !== mean.shape.length) ||
    (scale != null && scale.shape.length !== mean.shape.length)) {
    builtinOnly('mean, variance, scale and offset of different ranks');
  }
  const values = (t: TensorInfo) => backend.data.get(t.dataId).values as Float32Array;
  const xValues = values(x);
  const params = { mean: values(mean), variance: values(variance), scale: scale ? values(scale) : ONE, offset: offset ? values(offset) : ZERO };
  if (xValues.length === 0) builtinOnly('an empty x');
  for (const [name, v] of Object.entries(params)) {
    if (v.length === 0) throw new KernelInputError(FusedBatchNorm, `${name} is empty (shape ${show((operands as Record<string, TensorInfo>)[name].shape)})`);
  }
  const epsilon = attrs.varianceEpsilon ?? 0.001;
  const out = outputArray(backend, xValues.length);
  batchNormInto(xValues, params.mean, params.variance, params.scale, params.offset, epsilon, out);
  return backend.makeTensorInfo(x.shape, 'float32', out);
}

export const fusedBatchNormConfig = im2colKernel(FusedBatchNorm, 'cpu', fusedBatchNorm);
