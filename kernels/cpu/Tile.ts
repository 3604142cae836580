/**
 * Tile (tf.tile; batch-norm's gradient tiles every per-channel sum back over the batch) on float32,
 * int32 and bool tensors: copies of runs (kernels/core/layer_ops.ts), the same values as the builtin.
 * Other dtypes (string, complex) and empty tensors go to tfjs's builtin.
 */
import type { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import { Tile, TileAttrs, TileInputs, TensorInfo, util } from '@tensorflow/tfjs-core';
import { im2colKernel } from '../core/fallback';
import { builtinOnly, KernelInputError } from '../core/geometry';
import { tileInto } from '../core/layer_ops';
import { show } from '../core/show';
import { outputArray } from './resident';

export function tile(args: { inputs: TileInputs; backend: MathBackendCPU; attrs: TileAttrs }): TensorInfo {
  const { inputs: { x }, backend, attrs: { reps } } = args;
  const { dtype, shape } = x!;
  if (dtype !== 'float32' && dtype !== 'int32' && dtype !== 'bool') builtinOnly(`dtype ${dtype}`);
  if (reps.length !== shape.length || reps.some((r) => !Number.isInteger(r) || r < 0)) {
    throw new KernelInputError(Tile, `reps ${show(reps)} must be ${shape.length} non-negative integers (x ${show(shape)})`);
  }
  const outShape = shape.map((d, i) => d * reps[i]);
  const size = util.sizeFromShape(outShape);
  if (size === 0) builtinOnly('an empty output');
  const values = backend.data.get(x!.dataId).values as Float32Array | Int32Array | Uint8Array;
  const out = dtype === 'float32' ? outputArray(backend, size) : dtype === 'int32' ? new Int32Array(size) : new Uint8Array(size);
  tileInto(values, shape, reps, out);
  return backend.makeTensorInfo(outShape, dtype, out);
}

export const tileConfig = im2colKernel(Tile, 'cpu', tile);
