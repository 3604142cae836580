/** Conv2DBackpropInput on the wasm backend: dx = col2im(dy · filterᵀ) (kernels/core/conv.ts) on heap views. */
import { Conv2DBackpropInput, Conv2DBackpropInputAttrs, Conv2DBackpropInputInputs, TensorInfo } from '@tensorflow/tfjs-core';
import { convBackpropInput } from '../core/conv';
import { convInfoFor, geometryOf } from '../core/geometry';
import { heapFloats, WasmBackend, wasmKernel } from './util';

export function conv2DBackpropInput(
  args: { inputs: Conv2DBackpropInputInputs; backend: WasmBackend; attrs: Conv2DBackpropInputAttrs },
): TensorInfo {
  const { inputs: { dy, filter }, backend, attrs } = args;
  const { inputShape, strides, pad, dataFormat, dimRoundingMode } = attrs;
  heapFloats(Conv2DBackpropInput, 'dy', backend, dy!);
  heapFloats(Conv2DBackpropInput, 'filter', backend, filter!);
  const info = convInfoFor(Conv2DBackpropInput, inputShape, filter!.shape, strides, 1, pad, dimRoundingMode, dataFormat, dy!.shape);
  const out = backend.makeOutput(info.inShape, 'float32');
  const dx = (backend.typedArrayFromHeap(out) as Float32Array).fill(0);
  convBackpropInput(
    heapFloats(Conv2DBackpropInput, 'dy', backend, dy!), heapFloats(Conv2DBackpropInput, 'filter', backend, filter!),
    geometryOf(info), dx);
  return out;
}

export const conv2DBackpropInputConfig = wasmKernel(Conv2DBackpropInput, conv2DBackpropInput);
