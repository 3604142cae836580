/**
 * Sum on webgl over leading axes: the bias gradient of a layer (N, H and W of an NHWC tensor, the batch of a
 * dense layer). tfjs's builtin reduces the innermost axes only, so it transposes x, re-lays it out and unpacks
 * it first (four passes over x: 140 ms or more of a ~1 s SimpleConvNet step on SwiftShader). Here x, viewed as
 * packed [1, rows, columns], is summed by column in chunks of rows, and the chunks' sums in a second pass.
 * Other axes, other dtypes and empty tensors go to the builtin.
 */
import { backend_util, Sum, SumAttrs, SumInputs, TensorInfo, util } from '@tensorflow/tfjs-core';
import { im2colKernel } from '../core/fallback';
import { builtinOnly } from '../core/geometry';
import { SumRowsProgram } from './programs';
import { checkInput, release, run, view, WebGLBackend } from './util';

/** Rows summed by one fragment in the first pass (even): about √rows, so both passes have work in parallel. */
function rowsPerChunk(rows: number): number {
  return 2 * Math.ceil(Math.sqrt(rows) / 2);
}

/** Column sums of the packed [1, rows, columns] matrix m, as a packed [1, columns] tensor. */
function columnSums(backend: WebGLBackend, m: TensorInfo, rows: number, columns: number): TensorInfo {
  const per = rowsPerChunk(rows);
  const chunks = Math.ceil(rows / per);
  const partial = run(backend, new SumRowsProgram(chunks, columns), [m], [[rows], [columns], [per]]);
  if (chunks === 1) return partial;
  try {
    const m2 = view(partial, [1, chunks, columns]);
    return run(backend, new SumRowsProgram(1, columns), [m2], [[chunks], [columns], [2 * Math.ceil(chunks / 2)]]);
  } finally {
    release(backend, partial);
  }
}

export function sum(args: { inputs: SumInputs; backend: WebGLBackend; attrs: SumAttrs }): TensorInfo {
  const { inputs: { x }, backend, attrs: { axis, keepDims } } = args;
  const axes = util.parseAxisParam(axis, x!.shape);
  if (x!.dtype !== 'float32') builtinOnly(`dtype ${x!.dtype}`);
  if (axes.length === 0 || axes.some((d, i) => d !== i)) builtinOnly(`axes [${axes}] (ours sums leading axes, in order)`);
  if (util.sizeFromShape(x!.shape) === 0) builtinOnly('an empty input');
  checkInput(backend, Sum, 'x', x!);
  const [outShape] = backend_util.computeOutAndReduceShapes(x!.shape, axes);
  const columns = util.sizeFromShape(outShape);
  const rows = util.sizeFromShape(x!.shape) / columns;
  const sums = columnSums(backend, view(x!, [1, rows, columns]), rows, columns);
  return view(sums, keepDims ? backend_util.expandShapeToKeepDim(outShape, axes) : outShape);
}

export const sumConfig = im2colKernel(Sum, 'webgl', sum);
