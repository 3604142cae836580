/** MaxPool on the wasm backend (kernels/core/pool.ts) on heap views. */
import { MaxPool, MaxPoolAttrs, MaxPoolInputs, TensorInfo } from '@tensorflow/tfjs-core';
import { geometryOf, poolInfoFor } from '../core/geometry';
import { isIdentityPool, maxPoolForward } from '../core/pool';
import { heapFloats, WasmBackend, wasmKernel } from './util';

export function maxPool(args: { inputs: MaxPoolInputs; backend: WasmBackend; attrs: MaxPoolAttrs }): TensorInfo {
  const { inputs: { x }, backend, attrs } = args;
  const { filterSize, strides, pad, dimRoundingMode } = attrs;
  heapFloats(MaxPool, 'x', backend, x!);
  const info = poolInfoFor(MaxPool, x!.shape, filterSize, strides, pad, dimRoundingMode);
  const g = geometryOf(info);
  const out = backend.makeOutput(info.outShape, 'float32');
  const y = backend.typedArrayFromHeap(out) as Float32Array;
  const xValues = heapFloats(MaxPool, 'x', backend, x!);
  // tfjs passes the input through unchanged for a 1×1 window that keeps the shape.
  if (isIdentityPool(g)) y.set(xValues);
  else maxPoolForward(xValues, g, y);
  return out;
}

export const maxPoolConfig = wasmKernel(MaxPool, maxPool);
