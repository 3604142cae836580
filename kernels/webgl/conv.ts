/**
 * Convolutions on webgl as im2col + packed GEMM (the chapter's Convolution
 * layer): forward with the bias/activation epilogue fused into the GEMM,
 * backprop-filter as a GEMM over the im2col matrix, backprop-input as a GEMM
 * followed by col2im.
 */
import {
  backend_util, Conv2D, Conv2DAttrs, Conv2DBackpropFilter, Conv2DBackpropFilterAttrs, Conv2DBackpropFilterInputs,
  Conv2DBackpropInput, Conv2DBackpropInputAttrs, Conv2DBackpropInputInputs, Conv2DInputs, FusedConv2D,
  FusedConv2DAttrs, FusedConv2DInputs, KernelConfig, KernelFunc, TensorInfo,
} from '@tensorflow/tfjs-core';
import { ACTIVATIONS, broadcastTo } from '../core/epilogue';
import { ConvGeometry, convInfoFor, geometryOf, KernelInputError } from '../core/geometry';
import {
  Activation, Col2imProgram, EpilogueSpec, GemmProgram, GemmReduceRowsProgram, Im2colProgram, SumRelayoutProgram,
  TransposeProgram,
} from './programs';
import { ensureOnGPU, release, run, view, WebGLBackend } from './util';

type Shape4 = [number, number, number, number];

function kSize(g: ConvGeometry): number {
  return g.filterH * g.filterW * g.inC;
}

/** A 1×1 stride-1 unpadded NHWC convolution: the image itself is the im2col matrix. */
function isPointwise(g: ConvGeometry): boolean {
  return g.channelsLast && g.filterH === 1 && g.filterW === 1 && g.strideH === 1 && g.strideW === 1 &&
    g.padTop === 0 && g.padLeft === 0 && g.outH === g.inH && g.outW === g.inW;
}

function geometryUniforms(g: ConvGeometry): number[][] {
  return [[g.filterH, g.filterW], [g.strideH, g.strideW, g.dilationH, g.dilationW], [g.padTop, g.padLeft]];
}

/**
 * The im2col matrix of x as a packed [N·outH, outW, K] operand, and the
 * texture to dispose afterwards (null when x itself serves, 1×1 case).
 */
function im2colOperand(backend: WebGLBackend, x: TensorInfo, g: ConvGeometry): [TensorInfo, TensorInfo | null] {
  const K = kSize(g);
  if (isPointwise(g)) return [view(x, [g.batch * g.inH, g.inW, g.inC]), null];
  const program = new Im2colProgram([g.batch, g.outH, g.outW, K], g.channelsLast);
  const col = run(backend, program, [x], [[g.inH, g.inW, g.inC], ...geometryUniforms(g)]);
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
  const activation = (attrs.activation ?? 'linear') as Activation;
  if (!ACTIVATIONS.includes(activation)) {
    throw new KernelInputError(FusedConv2D, `unknown activation '${activation}' (valid: ${ACTIVATIONS.join(', ')})`);
  }
  const { bias, preluActivationWeights: alpha } = inputs;
  if (activation === 'prelu' && !alpha) {
    throw new KernelInputError(FusedConv2D, `activation 'prelu' needs preluActivationWeights`);
  }
  const useAlpha = activation === 'prelu';
  if (!bias && activation === 'linear') return null;
  const operands: TensorInfo[] = [];
  const perChannel = (t: TensorInfo) => !channelsLast && t.shape.length === 1 && t.shape[0] !== 1;
  if (bias) {
    ensureOnGPU(backend, FusedConv2D, 'bias', bias);
    broadcastTo(FusedConv2D, 'bias', new Float32Array(0), bias.shape, outShape, channelsLast);
    operands.push(bias);
  }
  if (useAlpha) {
    ensureOnGPU(backend, FusedConv2D, 'preluActivationWeights', alpha!);
    broadcastTo(FusedConv2D, 'preluActivationWeights', new Float32Array(0), alpha!.shape, outShape, channelsLast);
    operands.push(alpha!);
  }
  return {
    spec: {
      activation, hasBias: !!bias, hasAlpha: useAlpha,
      biasPerChannel: bias ? perChannel(bias) : false,
      alphaPerChannel: useAlpha ? perChannel(alpha!) : false,
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
  const K = kSize(g);
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
  ensureOnGPU(backend, Conv2D, 'x', x!);
  ensureOnGPU(backend, Conv2D, 'filter', filter!);
  const info = convInfoFor(Conv2D, x!.shape, filter!.shape, strides, dilations, pad, dimRoundingMode, dataFormat);
  return convForward(backend, x!, filter!, info, null);
}

export function fusedConv2D(args: { inputs: FusedConv2DInputs; backend: WebGLBackend; attrs: FusedConv2DAttrs }): TensorInfo {
  const { inputs, backend, attrs } = args;
  const { x, filter } = inputs;
  const { strides, pad, dataFormat, dilations, dimRoundingMode } = attrs;
  ensureOnGPU(backend, FusedConv2D, 'x', x!);
  ensureOnGPU(backend, FusedConv2D, 'filter', filter!);
  const info = convInfoFor(FusedConv2D, x!.shape, filter!.shape, strides, dilations, pad, dimRoundingMode, dataFormat);
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
  ensureOnGPU(backend, Conv2DBackpropFilter, 'x', x!);
  ensureOnGPU(backend, Conv2DBackpropFilter, 'dy', dy!);
  const info = convInfoFor(Conv2DBackpropFilter, x!.shape, filterShape, strides, 1, pad, dimRoundingMode, dataFormat, dy!.shape);
  const g = geometryOf(info);
  const K = kSize(g);
  const batches = g.batch * g.outH;
  const [splits, perSplit] = splitsFor(batches, g.outW, K, g.outC);
  const [col, colTex] = im2colOperand(backend, x!, g);
  const [dyN, dyTex] = dyNHWC(backend, dy!, g);
  let partial: TensorInfo | null = null;
  try {
    partial = run(backend, new GemmReduceRowsProgram([splits, 1, K, g.outC]),
      [col, view(dyN, [batches, g.outW, g.outC])], [[batches], [perSplit], [g.outW]]);
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
  ensureOnGPU(backend, Conv2DBackpropInput, 'dy', dy!);
  ensureOnGPU(backend, Conv2DBackpropInput, 'filter', filter!);
  const info = convInfoFor(Conv2DBackpropInput, inputShape, filter!.shape, strides, 1, pad, dimRoundingMode, dataFormat, dy!.shape);
  const g = geometryOf(info);
  const K = kSize(g);
  const [dyN, dyTex] = dyNHWC(backend, dy!, g);
  let dcol: TensorInfo | null = null;
  try {
    // dcol = dy · Wᵀ: [N·outH·outW, outC] × [outC, K].
    dcol = run(backend, new GemmProgram([g.batch, g.outH, g.outW, K], true, null),
      [view(dyN, [g.batch * g.outH, g.outW, g.outC]), view(filter!, [1, K, g.outC])], [[g.outC], [0]]);
    return run(backend, new Col2imProgram(info.inShape as Shape4, g.channelsLast),
      [view(dcol, [g.batch * g.outH, g.outW, K])],
      [[g.outH, g.outW, g.inC], ...geometryUniforms(g)]);
  } finally {
    release(backend, dyTex, dcol);
  }
}

export const conv2DConfig: KernelConfig = {
  kernelName: Conv2D, backendName: 'webgl', kernelFunc: conv2D as unknown as KernelFunc,
};
export const fusedConv2DConfig: KernelConfig = {
  kernelName: FusedConv2D, backendName: 'webgl', kernelFunc: fusedConv2D as unknown as KernelFunc,
};
export const conv2DBackpropFilterConfig: KernelConfig = {
  kernelName: Conv2DBackpropFilter, backendName: 'webgl', kernelFunc: conv2DBackpropFilter as unknown as KernelFunc,
};
export const conv2DBackpropInputConfig: KernelConfig = {
  kernelName: Conv2DBackpropInput, backendName: 'webgl', kernelFunc: conv2DBackpropInput as unknown as KernelFunc,
};
