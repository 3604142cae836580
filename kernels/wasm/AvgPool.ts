/** AvgPool on the wasm backend (kernels/core/pool.ts) on heap views. */
import { AvgPool, AvgPoolAttrs, AvgPoolInputs, TensorInfo } from '@tensorflow/tfjs-core';
import { geometryOf, poolInfoFor } from '../core/geometry';
import { avgPoolForward, isIdentityPool } from '../core/pool';
import { heapFloats, WasmBackend, wasmKernel } from './util';

export function avgPool(args: { inputs: AvgPoolInputs; backend: WasmBackend; attrs: AvgPoolAttrs }): TensorInfo {
  const { inputs: { x }, backend, attrs } = args;
  const { filterSize, strides, pad, dimRoundingMode } = attrs;
  heapFloats(AvgPool, 'x', backend, x!);
  const info = poolInfoFor(AvgPool, x!.shape, filterSize, strides, pad, dimRoundingMode);
  const g = geometryOf(info);
  const out = backend.makeOutput(info.outShape, 'float32');
  const y = backend.typedArrayFromHeap(out) as Float32Array;
  const xValues = heapFloats(AvgPool, 'x', backend, x!);
  if (isIdentityPool(g)) y.set(xValues);
  else avgPoolForward(xValues, g, y);
  return out;
}

export const avgPoolConfig = wasmKernel(AvgPool, avgPool);
