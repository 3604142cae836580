/**
 * GreaterEqual, LessEqual (float32 operands) and LogicalAnd (bool) with NumPy broadcasting done in
 * blocks of contiguous runs (kernels/core/elementwise.ts), bool results as the builtin's 0/1 bytes.
 * ReLU6's and clipByValue's gradients compare every activation with its bounds (a scalar), which the
 * builtin walks element by element through coordinate conversions. Other dtypes go to the builtin.
 */
import type { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import {
  backend_util, BinaryInputs, DataType, GreaterEqual, KernelConfig, LessEqual, LogicalAnd, TensorInfo, util,
} from '@tensorflow/tfjs-core';
import { forEachBroadcastBlock } from '../core/elementwise';
import { im2colKernel } from '../core/fallback';
import { builtinOnly } from '../core/geometry';

type Values = Float32Array | Uint8Array;
/** out[o + r·n + i] = test(a[ia + r·ra + i·sa], b[ib + r·rb + i·sb]) ? 1 : 0. */
type CompareBlock = (out: Uint8Array, o: number, a: Values, ia: number, ra: number, sa: number,
  b: Values, ib: number, rb: number, sb: number, rows: number, n: number) => void;

function compareKernel(kernelName: string, dtype: DataType, block: CompareBlock): KernelConfig {
  const kernelFunc = (args: { inputs: BinaryInputs; backend: MathBackendCPU }): TensorInfo => {
    const { inputs: { a, b }, backend } = args;
    if (a!.dtype !== dtype || b!.dtype !== dtype) builtinOnly(`dtypes ${a!.dtype} and ${b!.dtype}`);
    const outShape = backend_util.assertAndGetBroadcastShape(a!.shape, b!.shape);
    const out = new Uint8Array(util.sizeFromShape(outShape));
    const av = backend.data.get(a!.dataId).values as Values;
    const bv = backend.data.get(b!.dataId).values as Values;
    forEachBroadcastBlock(a!.shape, b!.shape, outShape,
      (o, ia, ra, sa, ib, rb, sb, rows, n) => block(out, o, av, ia, ra, sa, bv, ib, rb, sb, rows, n));
    return backend.makeTensorInfo(outShape, 'bool', out);
  };
  return im2colKernel(kernelName, 'cpu', kernelFunc);
}

export const greaterEqualConfig = compareKernel(GreaterEqual, 'float32', (out, o, a, ia, ra, sa, b, ib, rb, sb, rows, n) => {
  for (let r = 0; r < rows; r++, o += n, ia += ra, ib += rb) {
    for (let i = 0; i < n; i++) out[o + i] = a[ia + i * sa] >= b[ib + i * sb] ? 1 : 0;
  }
});
export const lessEqualConfig = compareKernel(LessEqual, 'float32', (out, o, a, ia, ra, sa, b, ib, rb, sb, rows, n) => {
  for (let r = 0; r < rows; r++, o += n, ia += ra, ib += rb) {
    for (let i = 0; i < n; i++) out[o + i] = a[ia + i * sa] <= b[ib + i * sb] ? 1 : 0;
  }
});
export const logicalAndConfig = compareKernel(LogicalAnd, 'bool', (out, o, a, ia, ra, sa, b, ib, rb, sb, rows, n) => {
  for (let r = 0; r < rows; r++, o += n, ia += ra, ib += rb) {
    for (let i = 0; i < n; i++) out[o + i] = a[ia + i * sa] && b[ib + i * sb] ? 1 : 0;
  }
});
