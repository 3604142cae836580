/**
 * Slice on float32 tensors. tfjs's builtin returns a view for a contiguous
 * slice, but any other (a channel range of an NHWC tensor, a window of rows)
 * it builds element by element through TensorBuffer coordinates, about 1 µs
 * per element: 150 ms for half the channels of a 1×56×56×128 tensor. Here it
 * is copied as contiguous runs. A contiguous slice of a plain input is a view,
 * as the builtin's; of a WebAssembly-resident input (kernels/cpu/resident.ts)
 * it is copied into a new output, since a view would outlive the input's block.
 * Exact (a copy). Other dtypes and empty slices go to tfjs's builtin.
 */
import type { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import { Slice, slice_util, SliceAttrs, SliceInputs, TensorInfo, util } from '@tensorflow/tfjs-core';
import { inResidentMemory } from '../wasm_runtime/linear_memory';
import { im2colKernel } from '../core/fallback';
import { builtinOnly } from '../core/geometry';
import { copyBox } from '../core/layer_ops';
import { outputArray } from './resident';

export function slice(args: { inputs: SliceInputs; backend: MathBackendCPU; attrs: SliceAttrs }): TensorInfo {
  const { inputs: { x }, backend, attrs: { begin, size } } = args;
  if (x!.dtype !== 'float32') builtinOnly(`dtype ${x!.dtype}`);
  // tfjs's own parsing and checks (-1 sizes, scalars for rank 1; errors name the bad begin/size).
  const [$begin, $size] = slice_util.parseSliceParams(x!, begin, size);
  slice_util.assertParamsValid(x!, $begin, $size);
  const length = util.sizeFromShape($size);
  if (length === 0) builtinOnly('an empty slice');
  const xValues = backend.data.get(x!.dataId).values as Float32Array;
  if (slice_util.isSliceContinous(x!.shape, $begin, $size) && !inResidentMemory(xValues)) {
    const at = slice_util.computeFlatOffset($begin, util.computeStrides(x!.shape));
    return backend.makeTensorInfo($size, 'float32', xValues.subarray(at, at + length));
  }
  const out = outputArray(backend, length);
  copyBox(xValues, x!.shape, $begin, out, $size, $size.map(() => 0), $size);
  return backend.makeTensorInfo($size, 'float32', out);
}

export const sliceConfig = im2colKernel(Slice, 'cpu', slice);
