/**
 * Softmax over the last axis on float32 tensors, in one pass per row: the
 * builtin's Max, Sub, Exp, Sum and RealDiv kernels' arithmetic, each
 * intermediate rounded to float32 as the builtin's tensors are, so
 * bit-identical, without its five intermediate tensors. Other dtypes, empty
 * inputs and any other axis (the builtin's error) go to tfjs's builtin.
 */
import type { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import { Softmax, SoftmaxAttrs, SoftmaxInputs, TensorInfo } from '@tensorflow/tfjs-core';
import { im2colKernel } from '../core/fallback';
import { builtinOnly } from '../core/geometry';
import { softmaxRows } from '../core/layer_ops';
import { outputArray } from './resident';

export function softmax(args: { inputs: SoftmaxInputs; backend: MathBackendCPU; attrs: SoftmaxAttrs }): TensorInfo {
  const { inputs: { logits }, backend, attrs: { dim } } = args;
  if (logits!.dtype !== 'float32') builtinOnly(`dtype ${logits!.dtype}`);
  const rank = logits!.shape.length;
  if (rank === 0 || (dim !== -1 && dim !== rank - 1)) builtinOnly(`dim ${dim} of a rank-${rank} tensor`);
  const x = backend.data.get(logits!.dataId).values as Float32Array;
  const n = logits!.shape[rank - 1];
  if (x.length === 0) builtinOnly('an empty input');
  const out = outputArray(backend, x.length);
  softmaxRows(x, out, x.length / n, n);
  return backend.makeTensorInfo(logits!.shape, 'float32', out);
}

export const softmaxConfig = im2colKernel(Softmax, 'cpu', softmax);
