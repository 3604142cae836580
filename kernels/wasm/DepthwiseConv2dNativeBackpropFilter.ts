/**
 * DepthwiseConv2dNativeBackpropFilter on the wasm backend, which has none: the cpu kernel's core
 * (kernels/core/depthwise.ts) on heap views, as DepthwiseConv2dNativeBackpropInput.ts.
 */
import {
  DepthwiseConv2dNativeBackpropFilter, DepthwiseConv2dNativeBackpropFilterAttrs, DepthwiseConv2dNativeBackpropFilterInputs,
  TensorInfo,
} from '@tensorflow/tfjs-core';
import { depthwiseBackpropFilter } from '../core/depthwise';
import { depthwiseInfoFor, geometryOf } from '../core/geometry';
import { heapFloats, WasmBackend, wasmKernel } from './util';

type Args = {
  inputs: DepthwiseConv2dNativeBackpropFilterInputs; backend: WasmBackend; attrs: DepthwiseConv2dNativeBackpropFilterAttrs;
};

export function depthwiseConv2dNativeBackpropFilter(args: Args): TensorInfo {
  const { inputs: { x, dy }, backend, attrs } = args;
  const { strides, dilations, pad, dimRoundingMode, filterShape } = attrs;
  const kernel = DepthwiseConv2dNativeBackpropFilter;
  heapFloats(kernel, 'x', backend, x!);
  heapFloats(kernel, 'dy', backend, dy!);
  const info = depthwiseInfoFor(kernel, x!.shape, filterShape, strides, dilations, pad, dimRoundingMode, dy!.shape);
  const out = backend.makeOutput(filterShape, 'float32');
  depthwiseBackpropFilter(heapFloats(kernel, 'x', backend, x!), heapFloats(kernel, 'dy', backend, dy!),
    geometryOf(info), backend.typedArrayFromHeap(out) as Float32Array);
  return out;
}

export const depthwiseConv2dNativeBackpropFilterConfig = wasmKernel(DepthwiseConv2dNativeBackpropFilter, depthwiseConv2dNativeBackpropFilter);
