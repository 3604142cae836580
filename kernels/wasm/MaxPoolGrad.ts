/**
 * MaxPoolGrad on the wasm backend: each dy goes to the first maximum of its window
 * (kernels/core/pool.ts). tfjs-backend-wasm 4.22's builtin loses gradient mass on inputs without
 * ties (test/wasm_kernels.test.ts measures it against tfjs's cpu builtin and a float64 reference).
 */
import { MaxPoolGrad, MaxPoolGradAttrs, MaxPoolGradInputs, TensorInfo } from '@tensorflow/tfjs-core';
import { geometryOf, poolInfoFor } from '../core/geometry';
import { maxPoolBackward } from '../core/pool';
import { heapFloats, WasmBackend, wasmKernel } from './util';

export function maxPoolGrad(args: { inputs: MaxPoolGradInputs; backend: WasmBackend; attrs: MaxPoolGradAttrs }): TensorInfo {
  const { inputs: { dy, input }, backend, attrs } = args;
  const { filterSize, strides, pad, dimRoundingMode } = attrs;
  heapFloats(MaxPoolGrad, 'dy', backend, dy!);
  heapFloats(MaxPoolGrad, 'input', backend, input!);
  const info = poolInfoFor(MaxPoolGrad, input!.shape, filterSize, strides, pad, dimRoundingMode, dy!.shape);
  const out = backend.makeOutput(info.inShape, 'float32');
  maxPoolBackward(
    heapFloats(MaxPoolGrad, 'input', backend, input!), heapFloats(MaxPoolGrad, 'dy', backend, dy!), geometryOf(info),
    backend.typedArrayFromHeap(out) as Float32Array);
  return out;
}

export const maxPoolGradConfig = wasmKernel(MaxPoolGrad, maxPoolGrad);
