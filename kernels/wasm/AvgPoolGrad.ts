/**
 * AvgPoolGrad on the wasm backend: dy spread over each window's in-bounds pixels, the exact
 * gradient of AvgPool (kernels/core/pool.ts; README: where we differ from tfjs's builtins).
 */
import { AvgPoolGrad, AvgPoolGradAttrs, AvgPoolGradInputs, TensorInfo } from '@tensorflow/tfjs-core';
import { checkFloat32, geometryOf, poolInfoFor } from '../core/geometry';
import { avgPoolBackward } from '../core/pool';
import { heapFloats, WasmBackend, wasmKernel } from './util';

export function avgPoolGrad(args: { inputs: AvgPoolGradInputs; backend: WasmBackend; attrs: AvgPoolGradAttrs }): TensorInfo {
  const { inputs: { dy, input }, backend, attrs } = args;
  const { filterSize, strides, pad } = attrs;
  heapFloats(AvgPoolGrad, 'dy', backend, dy!);
  checkFloat32(AvgPoolGrad, 'input', input!);
  const info = poolInfoFor(AvgPoolGrad, input!.shape, filterSize, strides, pad, undefined, dy!.shape);
  const out = backend.makeOutput(info.inShape, 'float32');
  const dx = (backend.typedArrayFromHeap(out) as Float32Array).fill(0);
  avgPoolBackward(heapFloats(AvgPoolGrad, 'dy', backend, dy!), geometryOf(info), dx);
  return out;
}

export const avgPoolGradConfig = wasmKernel(AvgPoolGrad, avgPoolGrad);
