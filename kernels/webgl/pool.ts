/**
 * Pooling on webgl (the chapter's Pooling layer): MaxPool, AvgPool and their
 * gradients. MaxPoolGrad sends each window's gradient to its *first* maximum
 * (row-major window order), like our cpu kernels and TensorFlow; AvgPoolGrad
 * divides by each window's in-bounds pixel count, the true gradient of AvgPool.
 */
import {
  AvgPool, AvgPoolAttrs, AvgPoolGrad, AvgPoolGradAttrs, AvgPoolGradInputs, AvgPoolInputs, backend_util, KernelConfig,
  KernelFunc, MaxPool, MaxPoolAttrs, MaxPoolGrad, MaxPoolGradAttrs, MaxPoolGradInputs, MaxPoolInputs, TensorInfo,
} from '@tensorflow/tfjs-core';
import { checkFloat32, ConvGeometry, geometryOf, poolInfoFor } from '../core/geometry';
import { PoolGradProgram, PoolProgram } from './programs';
import { ensureOnGPU, release, run, WebGLBackend } from './util';

type Shape4 = [number, number, number, number];

function poolUniforms(g: ConvGeometry): number[][] {
  return [
    [g.inH, g.inW], [g.outH, g.outW], [g.filterH, g.filterW],
    [g.strideH, g.strideW, g.dilationH, g.dilationW], [g.padTop, g.padLeft], [-Infinity],
  ];
}

function pool(backend: WebGLBackend, x: TensorInfo, info: backend_util.Conv2DInfo, mode: 'max' | 'avg' | 'argmax'): TensorInfo {
  return run(backend, new PoolProgram(info.outShape as Shape4, mode), [x], poolUniforms(geometryOf(info)));
}

export function maxPool(args: { inputs: MaxPoolInputs; backend: WebGLBackend; attrs: MaxPoolAttrs }): TensorInfo {
  const { inputs: { x }, backend, attrs: { filterSize, strides, pad, dimRoundingMode } } = args;
  ensureOnGPU(backend, MaxPool, 'x', x!);
  const info = poolInfoFor(MaxPool, x!.shape, filterSize, strides, pad, dimRoundingMode);
  return pool(backend, x!, info, 'max');
}

export function avgPool(args: { inputs: AvgPoolInputs; backend: WebGLBackend; attrs: AvgPoolAttrs }): TensorInfo {
  const { inputs: { x }, backend, attrs: { filterSize, strides, pad, dimRoundingMode } } = args;
  ensureOnGPU(backend, AvgPool, 'x', x!);
  const info = poolInfoFor(AvgPool, x!.shape, filterSize, strides, pad, dimRoundingMode);
  return pool(backend, x!, info, 'avg');
}

export function maxPoolGrad(args: { inputs: MaxPoolGradInputs; backend: WebGLBackend; attrs: MaxPoolGradAttrs }): TensorInfo {
  const { inputs: { dy, input }, backend, attrs: { filterSize, strides, pad, dimRoundingMode } } = args;
  ensureOnGPU(backend, MaxPoolGrad, 'dy', dy!);
  ensureOnGPU(backend, MaxPoolGrad, 'input', input!);
  const info = poolInfoFor(MaxPoolGrad, input!.shape, filterSize, strides, pad, dimRoundingMode, dy!.shape);
  const positions = pool(backend, input!, info, 'argmax');
  try {
    return run(backend, new PoolGradProgram(info.inShape as Shape4, 'max'), [dy!, positions],
      poolUniforms(geometryOf(info)));
  } finally {
    release(backend, positions);
  }
}

export function avgPoolGrad(args: { inputs: AvgPoolGradInputs; backend: WebGLBackend; attrs: AvgPoolGradAttrs }): TensorInfo {
  const { inputs: { dy, input }, backend, attrs: { filterSize, strides, pad } } = args;
  ensureOnGPU(backend, AvgPoolGrad, 'dy', dy!);
  checkFloat32(AvgPoolGrad, 'input', input!);
  const info = poolInfoFor(AvgPoolGrad, input!.shape, filterSize, strides, pad, undefined, dy!.shape);
  return run(backend, new PoolGradProgram(info.inShape as Shape4, 'avg'), [dy!], poolUniforms(geometryOf(info)));
}

export const maxPoolConfig: KernelConfig = {
  kernelName: MaxPool, backendName: 'webgl', kernelFunc: maxPool as unknown as KernelFunc,
};
export const avgPoolConfig: KernelConfig = {
  kernelName: AvgPool, backendName: 'webgl', kernelFunc: avgPool as unknown as KernelFunc,
};
export const maxPoolGradConfig: KernelConfig = {
  kernelName: MaxPoolGrad, backendName: 'webgl', kernelFunc: maxPoolGrad as unknown as KernelFunc,
};
export const avgPoolGradConfig: KernelConfig = {
  kernelName: AvgPoolGrad, backendName: 'webgl', kernelFunc: avgPoolGrad as unknown as KernelFunc,
};
