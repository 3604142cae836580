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
import { builtinIfMeasuredFaster } from './builtin_classes';
import { checkFloat32, ConvGeometry, geometryOf, poolInfoFor } from '../core/geometry';
import { isIdentityPool } from '../core/pool';
import {
  geometryKey, isDilated, PoolGradDirectPackedProgram, PoolGradDirectProgram, PoolGradProgram, PoolPackedProgram, PoolProgram,
  specialise, windowsDisjoint, windowUniformValues,
} from './programs';
import { ensureOnGPU, release, run, WebGLBackend } from './util';

type Shape4 = [number, number, number, number];

/** The geometry to compile into a specialised variant of `family`, or null for the generic (uniform) one. */
function variantGeometry(family: string, g: ConvGeometry): ConvGeometry | null {
  return specialise(family, geometryKey(g)) ? g : null;
}

/** The tensor is in a packed texture (as a convolution's output is): our pools read it as it is. */
function isPacked(backend: WebGLBackend, t: TensorInfo): boolean {
  return backend.texData.get(t.dataId)?.isPacked === true;
}

/** Values for a pooling program's uniforms: the window geometry (generic variant only), then -Infinity. */
function poolUniformValues(g: ConvGeometry, specialised: boolean): number[][] {
  return specialised ? [[-Infinity]] : [...windowUniformValues(g), [-Infinity]];
}

function pool(backend: WebGLBackend, x: TensorInfo, info: backend_util.Conv2DInfo, mode: 'max' | 'avg' | 'argmax'): TensorInfo {
  const g = geometryOf(info);
  const vg = variantGeometry(`Pool-${mode}`, g);
  // A packed x (a convolution's output) is read as it is, which spares tfjs's unpacking it. (One variant family
  // for both layouts, so the compiles stay bounded by MAX_VARIANTS geometries.)
  if (mode !== 'argmax' && vg && isPacked(backend, x)) {
    return run(backend, new PoolPackedProgram(info.outShape as Shape4, mode, g), [x], [[-Infinity]]);
  }
  return run(backend, new PoolProgram(info.outShape as Shape4, mode, vg), [x], poolUniformValues(g, vg !== null));
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
  const info = poolInfoFor(MaxPool, x!.shape, filterSize, strides, pad, dimRoundingMode);
  const handed = builtinIfMeasuredFaster(MaxPool, geometryOf(info), args, isPacked(backend, x!));
  if (handed) return handed;
  return poolForward(backend, MaxPool, x!, info, 'max');
}

export function avgPool(args: { inputs: AvgPoolInputs; backend: WebGLBackend; attrs: AvgPoolAttrs }): TensorInfo {
  const { inputs: { x }, backend, attrs: { filterSize, strides, pad, dimRoundingMode } } = args;
  checkFloat32(AvgPool, 'x', x!);
  const info = poolInfoFor(AvgPool, x!.shape, filterSize, strides, pad, dimRoundingMode);
  const handed = builtinIfMeasuredFaster(AvgPool, geometryOf(info), args, isPacked(backend, x!));
  if (handed) return handed;
  return poolForward(backend, AvgPool, x!, info, 'avg');
}

/**
 * The operand a pool gradient reads most: x for 'max' (the window walk), dy for 'avg'. When it is packed (as a
 * convolution's output and a matrix product's gradient leave them), ours reads packed textures.
 */
function mostRead(mode: 'max' | 'avg', dy: TensorInfo, x: TensorInfo): TensorInfo {
  return mode === 'max' ? x : dy;
}

/**
 * Disjoint windows: the gradient in one pass that finds each pixel's window itself (PoolGradDirectProgram), or
 * null. On packed textures when the operand read most is packed (mostRead), which spares tfjs's unpacking the
 * inputs and packing dx for the next op.
 */
function poolGradDirect(backend: WebGLBackend, mode: 'max' | 'avg', info: backend_util.Conv2DInfo, g: ConvGeometry,
  dy: TensorInfo, x: TensorInfo): TensorInfo | null {
  if (!windowsDisjoint(g) || !specialise(mode === 'max' ? 'MaxPoolGradDirect' : 'AvgPoolGradDirect', geometryKey(g))) return null;
  const inputs = mode === 'max' ? [dy, x] : [dy];
  const program = isPacked(backend, mostRead(mode, dy, x))
    ? new PoolGradDirectPackedProgram(info.inShape as Shape4, mode, g) : new PoolGradDirectProgram(info.inShape as Shape4, mode, g);
  return run(backend, program, inputs, [[-Infinity]]);
}

export function maxPoolGrad(args: { inputs: MaxPoolGradInputs; backend: WebGLBackend; attrs: MaxPoolGradAttrs }): TensorInfo {
  const { inputs: { dy, input }, backend, attrs: { filterSize, strides, pad, dimRoundingMode } } = args;
  const info = poolInfoFor(MaxPoolGrad, input!.shape, filterSize, strides, pad, dimRoundingMode, dy!.shape);
  const g = geometryOf(info);
  const handed = builtinIfMeasuredFaster(MaxPoolGrad, g, args, isPacked(backend, mostRead('max', dy!, input!)));
  if (handed) return handed;
  ensureOnGPU(backend, MaxPoolGrad, 'dy', dy!);
  ensureOnGPU(backend, MaxPoolGrad, 'input', input!);
  const direct = poolGradDirect(backend, 'max', info, g, dy!, input!);
  if (direct) return direct;
  const positions = pool(backend, input!, info, 'argmax');
  try {
    const vg = variantGeometry('PoolGrad-max', g);
    return run(backend, new PoolGradProgram(info.inShape as Shape4, 'max', vg, isDilated(g)), [dy!, positions],
      poolUniformValues(g, vg !== null));
  } finally {
    release(backend, positions);
  }
}

export function avgPoolGrad(args: { inputs: AvgPoolGradInputs; backend: WebGLBackend; attrs: AvgPoolGradAttrs }): TensorInfo {
  const { inputs: { dy, input }, backend, attrs: { filterSize, strides, pad } } = args;
  checkFloat32(AvgPoolGrad, 'input', input!);
  const info = poolInfoFor(AvgPoolGrad, input!.shape, filterSize, strides, pad, undefined, dy!.shape);
  const g = geometryOf(info);
  const handed = builtinIfMeasuredFaster(AvgPoolGrad, g, args, isPacked(backend, mostRead('avg', dy!, input!)));
  if (handed) return handed;
  ensureOnGPU(backend, AvgPoolGrad, 'dy', dy!);
  const direct = poolGradDirect(backend, 'avg', info, g, dy!, input!);
  if (direct) return direct;
  const vg = variantGeometry('PoolGrad-avg', g);
  return run(backend, new PoolGradProgram(info.inShape as Shape4, 'avg', vg, isDilated(g)), [dy!], poolUniformValues(g, vg !== null));
}

export const maxPoolConfig = im2colKernel(MaxPool, 'webgl', maxPool);
export const avgPoolConfig = im2colKernel(AvgPool, 'webgl', avgPool);
export const maxPoolGradConfig = im2colKernel(MaxPoolGrad, 'webgl', maxPoolGrad);
export const avgPoolGradConfig = im2colKernel(AvgPoolGrad, 'webgl', avgPoolGrad);
