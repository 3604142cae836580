/**
 * Geometry shared by every kernel, always taken from tfjs's own
 * `backend_util.computeConv2DInfo` / `computePool2DInfo` so that padding,
 * rounding and the other quirks match the builtins exactly — plus the input
 * checks: bad attributes become clear errors naming the kernel
 * (KernelInputError); input that tfjs's ops let through but our im2col
 * geometry does not describe (other dtypes, zero-size tensors, a dy the
 * geometry does not produce) is left to the builtin (BuiltinOnly).
 */
import { backend_util, TensorInfo } from '@tensorflow/tfjs-core';

type Conv2DInfo = backend_util.Conv2DInfo;
type Pair = number | [number, number];
type Pad = 'same' | 'valid' | number | backend_util.ExplicitPadding;
type Rounding = 'floor' | 'round' | 'ceil' | undefined;

/** The numbers the im2col/col2im loops need, with the chapter's names. */
export interface ConvGeometry {
  batch: number;
  inH: number;
  inW: number;
  inC: number;
  outH: number;
  outW: number;
  outC: number;
  filterH: number;
  filterW: number;
  strideH: number;
  strideW: number;
  dilationH: number;
  dilationW: number;
  padTop: number;
  padLeft: number;
  /** NHWC (true) or NCHW (false). */
  channelsLast: boolean;
}

export function geometryOf(info: Conv2DInfo): ConvGeometry {
  return {
    batch: info.batchSize,
    inH: info.inHeight,
    inW: info.inWidth,
    inC: info.inChannels,
    outH: info.outHeight,
    outW: info.outWidth,
    outC: info.outChannels,
    filterH: info.filterHeight,
    filterW: info.filterWidth,
    strideH: info.strideHeight,
    strideW: info.strideWidth,
    dilationH: info.dilationHeight,
    dilationW: info.dilationWidth,
    padTop: info.padInfo.top,
    padLeft: info.padInfo.left,
    channelsLast: info.dataFormat === 'channelsLast',
  };
}

/** Columns of the im2col matrix: filterH · filterW · inC, ordered (fh, fw, c) like tfjs filters. */
export function colWidth(g: ConvGeometry): number {
  return g.filterH * g.filterW * g.inC;
}

/** Multiply-adds of the convolution (and of either gradient): one per output value and im2col column. */
export function convMacs(g: ConvGeometry): number {
  return g.batch * g.outH * g.outW * colWidth(g) * g.outC;
}

/** Rows of the im2col matrix: one per output pixel, ordered (n, oh, ow). */
export function colRows(g: ConvGeometry): number {
  return g.batch * g.outH * g.outW;
}

export class KernelInputError extends Error {
  constructor(kernel: string, message: string) {
    super(`tfjs-im2col ${kernel}: ${message}`);
    this.name = 'KernelInputError';
  }
}

function fail(kernel: string, message: string): never {
  throw new KernelInputError(kernel, message);
}

/**
 * A call our kernel leaves to the builtin it replaced, which answers it as tfjs
 * does; thrown by our checks and caught by the kernel's config
 * (kernels/core/fallback.ts). Not an Error: declining must not cost a stack trace.
 */
export class BuiltinOnly {
  constructor(readonly why: string) {}
}

export function builtinOnly(why: string): never {
  throw new BuiltinOnly(why);
}

/** Our convolution and pooling arithmetic is float32; tfjs's ops let int32 (maxPool, matMul) and bool through. */
export function checkFloat32(kernel: string, name: string, t: TensorInfo): void {
  if (t.dtype !== 'float32') builtinOnly(`${name} has dtype '${t.dtype}'`);
}

export function checkRank(kernel: string, name: string, shape: number[], rank: number): void {
  if (shape.length !== rank) {
    fail(kernel, `${name} must be rank ${rank}, got shape [${shape}]`);
  }
}

/** A zero-size input gives an empty (or zero) result, which the builtin computes without any windows. */
export function checkNotEmpty(kernel: string, name: string, shape: number[]): void {
  if (shape.some((d) => d === 0)) builtinOnly(`${name} has a zero-size dimension: shape [${shape}]`);
}

function checkPositiveInts(kernel: string, name: string, value: Pair | undefined): void {
  if (value === undefined) return;
  const values = typeof value === 'number' ? [value] : value;
  if (!Array.isArray(values) || values.length === 0 ||
      values.some((v) => typeof v !== 'number' || !Number.isInteger(v) || v <= 0)) {
    fail(kernel, `${name} must be positive integers, got ${JSON.stringify(value)}`);
  }
}

function checkPad(kernel: string, pad: Pad): void {
  if (pad === 'same' || pad === 'valid') return;
  if (typeof pad === 'number' || typeof pad === 'string') {
    if (typeof pad === 'string' || !Number.isInteger(pad) || pad < 0) {
      fail(kernel, `pad must be 'same', 'valid', a non-negative integer or explicit padding, got ${JSON.stringify(pad)}`);
    }
    return;
  }
  if (!Array.isArray(pad) || pad.length !== 4 ||
      pad.some((p) => !Array.isArray(p) || p.length !== 2 ||
        p.some((v) => !Number.isInteger(v) || v < 0))) {
    fail(kernel, `explicit pad must be 4 pairs of non-negative integers, got ${JSON.stringify(pad)}`);
  }
}

function checkOutput(kernel: string, info: Conv2DInfo): void {
  if (!(info.outHeight > 0 && info.outWidth > 0)) {
    builtinOnly(`the output is empty (outH ${info.outHeight}, outW ${info.outWidth}) for input ` +
      `[${info.inShape}], filter ${info.filterHeight}x${info.filterWidth}`);
  }
}

export function checkShapeEquals(kernel: string, name: string, actual: number[], expected: number[]): void {
  if (!sameShape(actual, expected)) {
    fail(kernel, `${name} must have shape [${expected}], got [${actual}]`);
  }
}

/**
 * The geometry for `rounding`, checked against dy's shape when one is given
 * (backprop kernels). tfjs's conv2d and avgPool gradients drop dimRoundingMode,
 * so with a numeric pad and no rounding mode, the geometry can disagree with
 * dy; the rounding mode that reproduces dy's shape is then the forward's own.
 * A dy that no rounding reproduces (tf.conv2dTranspose accepts such shapes)
 * is the builtin's: it walks dy's own shape.
 */
function withRoundingFor(
  kernel: string, dyShape: number[] | undefined, pad: Pad, rounding: Rounding,
  compute: (rounding: Rounding) => Conv2DInfo,
): Conv2DInfo {
  const info = compute(rounding);
  if (dyShape === undefined || sameShape(info.outShape, dyShape)) return info;
  if (typeof pad === 'number' && rounding === undefined) {
    for (const mode of ['floor', 'round', 'ceil'] as const) {
      const candidate = compute(mode);
      if (sameShape(candidate.outShape, dyShape)) return candidate;
    }
  }
  return builtinOnly(`dy has shape [${dyShape}], but the geometry gives [${info.outShape}]`);
}

function sameShape(a: number[], b: number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

/**
 * Checks a convolution's inputs and returns tfjs's Conv2DInfo for them.
 * `xShape` is the input image shape, `filterShape` [filterH, filterW, inC, outC];
 * backprop kernels pass dy's shape, which the geometry must reproduce.
 */
export function convInfoFor(
  kernel: string, xShape: number[], filterShape: number[],
  strides: Pair, dilations: Pair, pad: Pad, dimRoundingMode: Rounding, dataFormat: 'NHWC' | 'NCHW',
  dyShape?: number[],
): Conv2DInfo {
  checkRank(kernel, 'input', xShape, 4);
  checkRank(kernel, 'filter', filterShape, 4);
  checkNotEmpty(kernel, 'input', xShape);
  checkNotEmpty(kernel, 'filter', filterShape);
  if (dataFormat !== 'NHWC' && dataFormat !== 'NCHW') {
    fail(kernel, `dataFormat must be 'NHWC' or 'NCHW', got '${dataFormat}'`);
  }
  checkPositiveInts(kernel, 'strides', strides);
  checkPositiveInts(kernel, 'dilations', dilations);
  checkPad(kernel, pad);
  const inC = dataFormat === 'NHWC' ? xShape[3] : xShape[1];
  if (inC !== filterShape[2]) {
    fail(kernel, `input has ${inC} channels but the filter expects ${filterShape[2]} ` +
      `(input [${xShape}], filter [${filterShape}], ${dataFormat})`);
  }
  const info = withRoundingFor(kernel, dyShape, pad, dimRoundingMode, (rounding) => backend_util.computeConv2DInfo(
    xShape as [number, number, number, number], filterShape as [number, number, number, number],
    strides, dilations, pad, rounding, false, backend_util.convertConv2DDataFormat(dataFormat)));
  checkOutput(kernel, info);
  return info;
}

/**
 * Checks a depthwise convolution's inputs (NHWC: tfjs's depthwise kernels read
 * every input as NHWC) and returns tfjs's Conv2DInfo for them, computed with
 * `depthwise = true`: `filterShape` is [filterH, filterW, inC, mult] and
 * outC = inC · mult. Backprop kernels pass dy's shape, as for convInfoFor.
 */
export function depthwiseInfoFor(
  kernel: string, xShape: number[], filterShape: number[],
  strides: Pair, dilationsGiven: Pair | null | undefined, pad: Pad, dimRoundingMode: Rounding,
  dyShape?: number[],
): Conv2DInfo {
  // tfjs's depthwise builtins take null or no dilations as 1.
  const dilations = dilationsGiven ?? 1;
  checkRank(kernel, 'input', xShape, 4);
  checkRank(kernel, 'filter', filterShape, 4);
  checkNotEmpty(kernel, 'input', xShape);
  checkNotEmpty(kernel, 'filter', filterShape);
  checkPositiveInts(kernel, 'strides', strides);
  checkPositiveInts(kernel, 'dilations', dilations);
  checkPad(kernel, pad);
  if (xShape[3] !== filterShape[2]) {
    fail(kernel, `input has ${xShape[3]} channels but the filter expects ${filterShape[2]} ` +
      `(input [${xShape}], filter [${filterShape}])`);
  }
  const info = withRoundingFor(kernel, dyShape, pad, dimRoundingMode, (rounding) => backend_util.computeConv2DInfo(
    xShape as [number, number, number, number], filterShape as [number, number, number, number],
    strides, dilations, pad, rounding, true));
  checkOutput(kernel, info);
  return info;
}

/** Checks a pooling's inputs (NHWC, as tfjs pools are) and returns tfjs's Conv2DInfo. */
export function poolInfoFor(
  kernel: string, xShape: number[], filterSize: Pair, strides: Pair, pad: Pad, dimRoundingMode: Rounding,
  dyShape?: number[],
): Conv2DInfo {
  checkRank(kernel, 'input', xShape, 4);
  checkNotEmpty(kernel, 'input', xShape);
  checkPositiveInts(kernel, 'filterSize', filterSize);
  checkPositiveInts(kernel, 'strides', strides);
  checkPad(kernel, pad);
  const info = withRoundingFor(kernel, dyShape, pad, dimRoundingMode, (rounding) => backend_util.computePool2DInfo(
    xShape as [number, number, number, number], filterSize, strides, 1, pad, rounding));
  checkOutput(kernel, info);
  return info;
}

/** Where x[n, ih, iw, c] lives: n·imageStride + ih·rowStride + iw·colStride + c·channelStride. */
export interface PixelLayout { imageStride: number; rowStride: number; colStride: number; channelStride: number }

export function pixelLayout(g: ConvGeometry): PixelLayout {
  const imageStride = g.inH * g.inW * g.inC;
  return g.channelsLast
    ? { imageStride, rowStride: g.inW * g.inC, colStride: g.inC, channelStride: 1 }
    : { imageStride, rowStride: g.inW, colStride: 1, channelStride: g.inH * g.inW };
}
