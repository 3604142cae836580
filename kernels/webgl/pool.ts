/**
 * Pooling on webgl (the chapter's Pooling layer): MaxPool, AvgPool and their
 * gradients. MaxPoolGrad sends each window's gradient to its *first* maximum
 * (row-major window order), like our cpu kernels and TensorFlow; AvgPoolGrad
 * divides by each window's in-bounds pixel count, the true gradient of AvgPool.
 */
import {
  AvgPool, AvgPoolAttrs, AvgPoolGrad, AvgPoolGradAttrs, AvgPoolGradInputs, AvgPoolInputs, backend_util, MaxPool,
  MaxPoolAttrs, MaxPoolGrad, MaxPoolGradAttrs, MaxPoolGradInputs, MaxPoolInputs, TensorInfo,
} from '@tensorflow/tfjs-core';
import { im2colKernel } from '../core/fallback';
import { checkFloat32, ConvGeometry, geometryOf, poolInfoFor } from '../core/geometry';
import { isIdentityPool } from '../core/pool';
import { PoolGradProgram, PoolProgram, windowUniformValues } from './programs';
import { ensureOnGPU, release, run, WebGLBackend } from './util';

type Shape4 = [number, number, number, number];

/** Values for the pooling programs' uniforms: the window geometry, then -Infinity. */
function poolUniforms(g: ConvGeometry): number[][] {
  return [...windowUniformValues(g), [-Infinity]];
}

function pool(backend: WebGLBackend, x: TensorInfo, info: backend_util.Conv2DInfo, mode: 'max' | 'avg' | 'argmax'): TensorInfo {
  return run(backend, new PoolProgram(info.outShape as Shape4, mode), [x], poolUniforms(geometryOf(info)));
}

/** MaxPool and AvgPool. tfjs passes the input through unchanged for a 1×1 window that keeps the shape. */
function poolForward(backend: WebGLBackend, kernel: string, x: TensorInfo, info: backend_util.Conv2DInfo, mode: 'max' | 'avg'): TensorInfo {
  if (isIdentityPool(geometryOf(info))) {
    backend.incRef(x.dataId);
    return { dataId: x.dataId, shape: info.outShape, dtype: x.dtype };
  }
  ensureOnGPU(backend, kernel, 'x', x);
  return pool(backend, x, info, mode);
}

export function maxPool(args: { inputs: MaxPoolInputs; backend: WebGLBackend; attrs: MaxPoolAttrs }): TensorInfo {
  const { inputs: { x }, backend, attrs: { filterSize, strides, pad, dimRoundingMode } } = args;
  checkFloat32(MaxPool, 'x', x!);
  return poolForward(backend, MaxPool, x!, poolInfoFor(MaxPool, x!.shape, filterSize, strides, pad, dimRoundingMode), 'max');
}

export function avgPool(args: { inputs: AvgPoolInputs; backend: WebGLBackend; attrs: AvgPoolAttrs }): TensorInfo {
  const { inputs: { x }, backend, attrs: { filterSize, strides, pad, dimRoundingMode } } = args;
  checkFloat32(AvgPool, 'x', x!);
  return poolForward(backend, AvgPool, x!, poolInfoFor(AvgPool, x!.shape, filterSize, strides, pad, dimRoundingMode), 'avg');
}

export function maxPoolGrad(args: { inputs: MaxPoolGradInputs; backend: WebGLBackend; attrs: MaxPoolGradAttrs }): TensorInfo {
  const { inputs: { dy, input }, backend, attrs: { filterSize, strides, pad, dimRoundingMode } } = args;
  const info = poolInfoFor(MaxPoolGrad, input!.shape, filterSize, strides, pad, dimRoundingMode, dy!.shape);
  ensureOnGPU(backend, MaxPoolGrad, 'dy', dy!);
  ensureOnGPU(backend, MaxPoolGrad, 'input', input!);
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
  checkFloat32(AvgPoolGrad, 'input', input!);
  const info = poolInfoFor(AvgPoolGrad, input!.shape, filterSize, strides, pad, undefined, dy!.shape);
  ensureOnGPU(backend, AvgPoolGrad, 'dy', dy!);
  return run(backend, new PoolGradProgram(info.inShape as Shape4, 'avg'), [dy!], poolUniforms(geometryOf(info)));
}

export const maxPoolConfig = im2colKernel(MaxPool, 'webgl', maxPool);
export const avgPoolConfig = im2colKernel(AvgPool, 'webgl', avgPool);
export const maxPoolGradConfig = im2colKernel(MaxPoolGrad, 'webgl', maxPoolGrad);
export const avgPoolGradConfig = im2colKernel(AvgPoolGrad, 'webgl', avgPoolGrad);
