/**
 * PadV2 (tf.pad, ZeroPadding2D) on float32 tensors: the output is filled with
 * the constant and the input copied into it as contiguous runs, where the
 * builtin converts every input index to coordinates and back. Exact (a copy).
 * Other dtypes go to tfjs's builtin.
 */
import type { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import { PadV2, PadV2Attrs, PadV2Inputs, TensorInfo, util } from '@tensorflow/tfjs-core';
import { im2colKernel } from '../core/fallback';
import { builtinOnly, KernelInputError } from '../core/geometry';
import { copyBox } from '../core/layer_ops';
import { show } from '../core/show';
import { outputArray } from './resident';

export function padV2(args: { inputs: PadV2Inputs; backend: MathBackendCPU; attrs: PadV2Attrs }): TensorInfo {
  const { inputs: { x }, backend, attrs: { paddings, constantValue } } = args;
  if (x!.dtype !== 'float32') builtinOnly(`dtype ${x!.dtype}`);
  const rank = x!.shape.length;
  const valid = Array.isArray(paddings) && paddings.length === rank && paddings.every((p) =>
    Array.isArray(p) && p.length === 2 && p.every((n) => Number.isInteger(n) && n >= 0));
  if (!valid) {
    throw new KernelInputError(PadV2, `paddings must be ${rank} pairs [before, after] of non-negative integers ` +
      `(one per dimension of x, shape [${x!.shape}]), got ${show(paddings)}`);
  }
  const outShape = paddings.map((p, i) => p[0] + x!.shape[i] + p[1]);
  const out = outputArray(backend, util.sizeFromShape(outShape));
  // The builtin fills only a non-zero constant into its zeroed array (so -0 pads with +0); ours may not be zeroed.
  out.fill(constantValue === 0 ? 0 : constantValue);
  copyBox(backend.data.get(x!.dataId).values as Float32Array, x!.shape, x!.shape.map(() => 0),
    out, outShape, paddings.map((p) => p[0]), x!.shape);
  return backend.makeTensorInfo(outShape, 'float32', out);
}

export const padV2Config = im2colKernel(PadV2, 'cpu', padV2);
