/**
 * Convolutions on webgl as im2col + packed GEMM (the chapter's Convolution
 * layer): forward with the bias/activation epilogue fused into the GEMM,
 * backprop-filter as a GEMM over the im2col matrix, backprop-input as a GEMM
 * followed by col2im.
 */
import {
  backend_util, Conv2D, Conv2DAttrs, Conv2DBackpropFilter, Conv2DBackpropFilterAttrs, Conv2DBackpropFilterInputs,
  Conv2DBackpropInput, Conv2DBackpropInputAttrs, Conv2DBackpropInputInputs, Conv2DInputs, FusedConv2D,
  FusedConv2DAttrs, FusedConv2DInputs, TensorInfo,
} from '@tensorflow/tfjs-core';
import { isPointwise } from '../core/conv';
import { alignsWithChannels, broadcastStrides, checkActivation } from '../core/epilogue';
import { im2colKernel } from '../core/fallback';
import { leaveMeasuredClassesToBuiltin } from './builtin_classes';
import { colWidth, ConvGeometry, convInfoFor, geometryOf } from '../core/geometry';
import {
  Col2imProgram, EpilogueSpec, GemmProgram, GemmReduceRowsProgram, geometryKey, Im2colProgram, isDilated, specialise,
  SumRelayoutProgram, TransposeProgram, windowUniformValues,
} from './programs';
import { checkInput, ensureOnGPU, release, run, view, WebGLBackend } from './util';

type Shape4 = [number, number, number, number];

/**
 * The im2col matrix of x as a packed [N·outH, outW, K] operand, and the
 * texture to dispose afterwards (null when x itself serves, 1×1 case).
 */
function im2colOperand(backend: WebGLBackend, x: TensorInfo, g: ConvGeometry): [TensorInfo, TensorInfo | null] {
  const K = colWidth(g);
  if (g.channelsLast && isPointwise(g)) return [view(x, [g.batch * g.inH, g.inW, g.inC]), null];
  const vg = specialise('Im2col', geometryKey(g)) ? g : null;
  const col = run(backend, new Im2colProgram([g.batch, g.outH, g.outW, K], g.channelsLast, vg), [x], vg ? [] : windowUniformValues(g));
  return [view(col, [g.batch * g.outH, g.outW, K]), col];
}

/** dy in NHWC (transposed from NCHW when needed) and the texture to dispose. */
function dyNHWC(backend: WebGLBackend, dy: TensorInfo, g: ConvGeometry): [TensorInfo, TensorInfo | null] {
  if (g.channelsLast) return [dy, null];
  const t = run(backend, new TransposeProgram([g.batch, g.outH, g.outW, g.outC], 'NHWC', null), [dy], [[0]]);
  return [t, t];
}

interface EpilogueInputs {
  spec: EpilogueSpec;
  inputs: TensorInfo[];
  leakyAlpha: number;
}

/** Validates FusedConv2D's bias / activation like the cpu kernel and describes the epilogue. */
function epilogueFor(
  backend: WebGLBackend, inputs: FusedConv2DInputs, attrs: FusedConv2DAttrs, outShape: number[], channelsLast: boolean,
): EpilogueInputs | null {
  const { bias, preluActivationWeights: alpha } = inputs;
  const activation = checkActivation(FusedConv2D, attrs.activation, !!alpha);
  const useAlpha = activation === 'prelu';
  if (!bias && activation === 'linear') return null;
  const operands: TensorInfo[] = [];
  for (const [name, t] of [['bias', bias], ['preluActivationWeights', useAlpha ? alpha : undefined]] as const) {
    if (!t) continue;
    // Channels-last, only the packed GEMM reads them; NCHW, the unpacked transpose.
    (channelsLast ? checkInput : ensureOnGPU)(backend, FusedConv2D, name, t);
    broadcastStrides(FusedConv2D, name, t.shape, outShape, channelsLast);
    operands.push(t);
  }
  return {
    spec: {
      activation, hasBias: !!bias, hasAlpha: useAlpha,
      biasPerChannel: bias ? alignsWithChannels(bias.shape, channelsLast) : false,
      alphaPerChannel: useAlpha ? alignsWithChannels(alpha!.shape, channelsLast) : false,
    },
    inputs: operands,
    leakyAlpha: attrs.leakyreluAlpha ?? 0.2,
  };
}

function convForward(
  backend: WebGLBackend, x: TensorInfo, filter: TensorInfo, info: backend_util.Conv2DInfo,
  epilogue: EpilogueInputs | null,
): TensorInfo {
  const g = geometryOf(info);
  const K = colWidth(g);
  const [col, colTex] = im2colOperand(backend, x, g);
  const nhwc: Shape4 = [g.batch, g.outH, g.outW, g.outC];
  const filterMatrix = view(filter, [1, K, g.outC]);
  try {
    if (g.channelsLast) {
      // Bias and activation are applied to the GEMM's output texels.
      const program = new GemmProgram(nhwc, false, epilogue?.spec ?? null);
      return run(backend, program, [col, filterMatrix, ...(epilogue?.inputs ?? [])],
        [[K], [epilogue?.leakyAlpha ?? 0]]);
    }
    // NCHW: GEMM in NHWC order, then one pass that transposes and applies the epilogue.
    const y = run(backend, new GemmProgram(nhwc, false, null), [col, filterMatrix], [[K], [0]]);
    try {
      const program = new TransposeProgram(info.outShape as Shape4, 'NCHW', epilogue?.spec ?? null);
      return run(backend, program, [y, ...(epilogue?.inputs ?? [])], [[epilogue?.leakyAlpha ?? 0]]);
    } finally {
      release(backend, y);
    }
  } finally {
    release(backend, colTex);
  }
}

export function conv2D(args: { inputs: Conv2DInputs; backend: WebGLBackend; attrs: Conv2DAttrs }): TensorInfo {
  const { inputs: { x, filter }, backend, attrs } = args;
  const { strides, pad, dataFormat, dilations, dimRoundingMode } = attrs;
  const info = convInfoFor(Conv2D, x!.shape, filter!.shape, strides, dilations, pad, dimRoundingMode, dataFormat);
  leaveMeasuredClassesToBuiltin(Conv2D, geometryOf(info));
  ensureOnGPU(backend, Conv2D, 'x', x!);
  checkInput(backend, Conv2D, 'filter', filter!);
  return convForward(backend, x!, filter!, info, null);
}

export function fusedConv2D(args: { inputs: FusedConv2DInputs; backend: WebGLBackend; attrs: FusedConv2DAttrs }): TensorInfo {
  const { inputs, backend, attrs } = args;
  const { x, filter } = inputs;
  const { strides, pad, dataFormat, dilations, dimRoundingMode } = attrs;
  const info = convInfoFor(FusedConv2D, x!.shape, filter!.shape, strides, dilations, pad, dimRoundingMode, dataFormat);
  leaveMeasuredClassesToBuiltin(FusedConv2D, geometryOf(info));
  ensureOnGPU(backend, FusedConv2D, 'x', x!);
  checkInput(backend, FusedConv2D, 'filter', filter!);
  const epilogue = epilogueFor(backend, inputs, attrs, info.outShape, info.dataFormat === 'channelsLast');
  return convForward(backend, x!, filter!, info, epilogue);
}

/** Split count for the backprop-filter reduction: enough parallel texels, ≥ 64 steps each. */
function splitsFor(batches: number, rows: number, K: number, outC: number): [number, number] {
  const texels = Math.ceil(K / 2) * Math.ceil(outC / 2);
  const steps = batches * Math.ceil(rows / 2);
  let splits = Math.ceil(4096 / texels);
  splits = Math.max(1, Math.min(splits, Math.floor(steps / 64), batches));
  const perSplit = Math.ceil(batches / splits);
  return [Math.ceil(batches / perSplit), perSplit];
}

export function conv2DBackpropFilter(
  args: { inputs: Conv2DBackpropFilterInputs; backend: WebGLBackend; attrs: Conv2DBackpropFilterAttrs },
): TensorInfo {
  const { inputs: { x, dy }, backend, attrs } = args;
  const { strides, pad, dataFormat, dimRoundingMode, filterShape } = attrs;
  const info = convInfoFor(Conv2DBackpropFilter, x!.shape, filterShape, strides, 1, pad, dimRoundingMode, dataFormat, dy!.shape);
  leaveMeasuredClassesToBuiltin(Conv2DBackpropFilter, geometryOf(info));
  ensureOnGPU(backend, Conv2DBackpropFilter, 'x', x!);
  const g = geometryOf(info);
  // Channels-last, only the packed reduction reads dy; NCHW, the unpacked transpose.
  (g.channelsLast ? checkInput : ensureOnGPU)(backend, Conv2DBackpropFilter, 'dy', dy!);
  const K = colWidth(g);
  const batches = g.batch * g.outH;
  const [splits, perSplit] = splitsFor(batches, g.outW, K, g.outC);
  const [col, colTex] = im2colOperand(backend, x!, g);
  const [dyN, dyTex] = dyNHWC(backend, dy!, g);
  let partial: TensorInfo | null = null;
  try {
    partial = run(backend, new GemmReduceRowsProgram([splits, 1, K, g.outC]),
      [col, view(dyN, [batches, g.outW, g.outC])], [[batches], [perSplit], [g.outW]]);
    if (splits === 1 && g.inC % 2 === 0) {
      // Nothing to sum, and with inC even the packed [K, outC] texels are already the filter's.
      const dW = view(partial, filterShape);
      partial = null;
      return dW;
    }
    return run(backend, new SumRelayoutProgram(filterShape as Shape4),
      [view(partial, [splits, K, g.outC])], [[splits], [g.outC]]);
  } finally {
    release(backend, colTex, dyTex, partial);
  }
}

export function conv2DBackpropInput(
  args: { inputs: Conv2DBackpropInputInputs; backend: WebGLBackend; attrs: Conv2DBackpropInputAttrs },
): TensorInfo {
  const { inputs: { dy, filter }, backend, attrs } = args;
  const { inputShape, strides, pad, dataFormat, dimRoundingMode } = attrs;
  const info = convInfoFor(Conv2DBackpropInput, inputShape, filter!.shape, strides, 1, pad, dimRoundingMode, dataFormat, dy!.shape);
  leaveMeasuredClassesToBuiltin(Conv2DBackpropInput, geometryOf(info));
  const g = geometryOf(info);
  (g.channelsLast ? checkInput : ensureOnGPU)(backend, Conv2DBackpropInput, 'dy', dy!);
  checkInput(backend, Conv2DBackpropInput, 'filter', filter!);
  const K = colWidth(g);
  const [dyN, dyTex] = dyNHWC(backend, dy!, g);
  let dcol: TensorInfo | null = null;
  try {
    // dcol = dy · Wᵀ: [N·outH·outW, outC] × [outC, K].
    dcol = run(backend, new GemmProgram([g.batch, g.outH, g.outW, K], true, null),
      [view(dyN, [g.batch * g.outH, g.outW, g.outC]), view(filter!, [1, K, g.outC])], [[g.outC], [0]]);
    const vg = specialise('Col2im', geometryKey(g)) ? g : null;
    return run(backend, new Col2imProgram(info.inShape as Shape4, g.channelsLast, vg, isDilated(g)),
      [view(dcol, [g.batch * g.outH, g.outW, K])], vg ? [] : windowUniformValues(g));
  } finally {
    release(backend, dyTex, dcol);
  }
}

export const conv2DConfig = im2colKernel(Conv2D, 'webgl', conv2D);
export const fusedConv2DConfig = im2colKernel(FusedConv2D, 'webgl', fusedConv2D);
export const conv2DBackpropFilterConfig = im2colKernel(Conv2DBackpropFilter, 'webgl', conv2DBackpropFilter);
export const conv2DBackpropInputConfig = im2colKernel(Conv2DBackpropInput, 'webgl', conv2DBackpropInput);
