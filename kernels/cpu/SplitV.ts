/**
 * SplitV (tf.split; also the gradient of Concat) on float32 tensors: each
 * piece is our Slice (kernels/cpu/Slice.ts), where the builtin's Slice walks
 * coordinates element by element for every piece not contiguous in memory
 * (a split along channels). Exact (copies). Other dtypes and empty pieces go
 * to tfjs's builtin.
 */
import type { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import { backend_util, SplitV, SplitVAttrs, SplitVInputs, TensorInfo, util } from '@tensorflow/tfjs-core';
import { im2colKernel } from '../core/fallback';
import { builtinOnly } from '../core/geometry';
import { slice } from './Slice';

export function splitV(args: { inputs: SplitVInputs; backend: MathBackendCPU; attrs: SplitVAttrs }): TensorInfo[] {
  const { inputs: { x }, backend, attrs: { numOrSizeSplits, axis } } = args;
  if (x!.dtype !== 'float32') builtinOnly(`dtype ${x!.dtype}`);
  const $axis = util.parseAxisParam(axis, x!.shape)[0];
  const sizes = backend_util.prepareSplitSize(x!, numOrSizeSplits, $axis);
  if (util.sizeFromShape(x!.shape) === 0 || sizes.some((s) => s === 0)) builtinOnly('an empty piece');
  const begin = new Array<number>(x!.shape.length).fill(0);
  return sizes.map((s) => {
    const size = x!.shape.slice();
    size[$axis] = s;
    const piece = slice({ inputs: { x }, backend, attrs: { begin: begin.slice(), size } });
    begin[$axis] += s;
    return piece;
  });
}

export const splitVConfig = im2colKernel(SplitV, 'cpu', splitV);
