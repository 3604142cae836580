/** Conv2D on the wasm backend: im2col + GEMM (kernels/core/conv.ts) on heap views. */
import { Conv2D, Conv2DAttrs, Conv2DInputs, TensorInfo } from '@tensorflow/tfjs-core';
import { convForward } from '../core/conv';
import { hasNonFinite, windowsLeaveInput } from '../core/fallback';
import { builtinOnly, convInfoFor, geometryOf } from '../core/geometry';
import { heapFloats, WasmBackend, wasmKernel } from './util';

export function conv2D(args: { inputs: Conv2DInputs; backend: WasmBackend; attrs: Conv2DAttrs }): TensorInfo {
  const { inputs: { x, filter }, backend, attrs } = args;
  const { strides, pad, dataFormat, dilations, dimRoundingMode } = attrs;
  heapFloats(Conv2D, 'x', backend, x!);
  const filterValues = heapFloats(Conv2D, 'filter', backend, filter!);
  const info = convInfoFor(Conv2D, x!.shape, filter!.shape, strides, dilations, pad, dimRoundingMode, dataFormat);
  const g = geometryOf(info);
  if (windowsLeaveInput(g) && hasNonFinite(filterValues)) builtinOnly('non-finite values in filter meet the zero padding');
  const out = backend.makeOutput(info.outShape, 'float32');
  convForward(heapFloats(Conv2D, 'x', backend, x!), heapFloats(Conv2D, 'filter', backend, filter!), g,
    backend.typedArrayFromHeap(out) as Float32Array);
  return out;
}

export const conv2DConfig = wasmKernel(Conv2D, conv2D);
