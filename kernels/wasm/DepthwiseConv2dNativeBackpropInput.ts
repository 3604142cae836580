/**
 * DepthwiseConv2dNativeBackpropInput on the wasm backend, which has none (tfjs-backend-wasm 4.22 has the
 * forward depthwise convolution only, so no MobileNet can train there): the cpu kernel's core
 * (kernels/core/depthwise.ts) on heap views. Calls the core declines (another dtype, zero-size
 * tensors, NCHW) have no builtin to go to and get a clear error naming the kernel.
 */
import {
  DepthwiseConv2dNativeBackpropInput, DepthwiseConv2dNativeBackpropInputAttrs, DepthwiseConv2dNativeBackpropInputInputs,
  TensorInfo,
} from '@tensorflow/tfjs-core';
import { depthwiseBackpropInput } from '../core/depthwise';
import { depthwiseInfoFor, geometryOf } from '../core/geometry';
import { heapFloats, WasmBackend, wasmKernel } from './util';

type Args = {
  inputs: DepthwiseConv2dNativeBackpropInputInputs; backend: WasmBackend; attrs: DepthwiseConv2dNativeBackpropInputAttrs;
};

export function depthwiseConv2dNativeBackpropInput(args: Args): TensorInfo {
  const { inputs: { dy, filter }, backend, attrs } = args;
  const { strides, dilations, pad, dimRoundingMode, inputShape } = attrs;
  const kernel = DepthwiseConv2dNativeBackpropInput;
  heapFloats(kernel, 'dy', backend, dy!);
  heapFloats(kernel, 'filter', backend, filter!);
  const info = depthwiseInfoFor(kernel, inputShape, filter!.shape, strides, dilations, pad, dimRoundingMode, dy!.shape);
  const out = backend.makeOutput(inputShape, 'float32');
  // Views after the allocation: it may have grown (and so detached) the heap.
  depthwiseBackpropInput(heapFloats(kernel, 'dy', backend, dy!), heapFloats(kernel, 'filter', backend, filter!),
    geometryOf(info), backend.typedArrayFromHeap(out) as Float32Array);
  return out;
}

export const depthwiseConv2dNativeBackpropInputConfig = wasmKernel(DepthwiseConv2dNativeBackpropInput, depthwiseConv2dNativeBackpropInput);
