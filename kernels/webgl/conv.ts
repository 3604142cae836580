/**
 * Convolutions on webgl as im2col + packed GEMM (the chapter's Convolution
 * layer): forward with the bias/activation epilogue fused into the GEMM,
 * backprop-filter as a GEMM over the im2col matrix, backprop-input as a GEMM
 * followed by col2im. Each GEMM is either one output texel per fragment
 * (GemmProgram, GemmReduceRowsProgram) or, on WebGL2 where it measured
 * faster, a tile of texels per fragment over several render targets
 * (gemmTilesProgram, gemmReduceTilesProgram) gathered back in place.
 */
import {
  backend_util, env, Conv2D, Conv2DAttrs, Conv2DBackpropFilter, Conv2DBackpropFilterAttrs, Conv2DBackpropFilterInputs,
  Conv2DBackpropInput, Conv2DBackpropInputAttrs, Conv2DBackpropInputInputs, Conv2DInputs, FusedConv2D,
  FusedConv2DAttrs, FusedConv2DInputs, TensorInfo,
} from '@tensorflow/tfjs-core';
import { isPointwise, windowIsInput } from '../core/conv';
import { alignsWithChannels, broadcastStrides, checkActivation } from '../core/epilogue';
import { im2colKernel } from '../core/fallback';
import { builtinIfMeasuredFaster } from './builtin_classes';
import { colWidth, ConvGeometry, convInfoFor, convMacs, geometryOf } from '../core/geometry';
import { drawToTargets, maxTargets } from './multi_target';
import {
  Col2imProgram, EpilogueSpec, GatherTilesProgram, GemmProgram, gemmReduceTilesProgram, GemmReduceRowsProgram,
  gemmTilesProgram, geometryKey, Im2colProgram, isDilated, specialise, SumRelayoutProgram, TransposeProgram,
  windowUniformValues,
} from './programs';
import { checkInput, ensureOnGPU, release, run, view, WebGLBackend } from './util';

type Shape4 = [number, number, number, number];

/**
 * The tfjs flag choosing between the GEMMs that write one texel per fragment and the tiled ones (WebGL2,
 * several render targets): 'measured' (default) tiles the calls of the classes where tiling measured faster
 * (tilingPays), 'always' and 'never' every call (the tests use them to exercise both on any shape).
 */
export const TILED_GEMM_FLAG = 'IM2COL_WEBGL_TILED_GEMM';
env().registerFlag(TILED_GEMM_FLAG, () => 'measured');

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

/**
 * Where the tiled GEMM measured faster than the one-texel one: paired A/B runs on SwiftShader alternating
 * the two in one page (benchmarks/README.md, "Tiled GEMMs"). Below these sizes the extra pass that gathers
 * the tiles costs more than the texture reads saved.
 *  - forward, inner size K = filterH·filterW·inC ≥ 64 and at least 1,000,000 multiply-adds: 1.03–1.39× from
 *    1.8 M (DeepConvNet, LeNet C3 at batch 8), 1.46–2.28× on AlexNet's conv3/conv5, 1.19× for DeepConvNet conv4
 *    at batch 1 (2,048 output texels); 0.82–0.91× at K 9 and 25; 0.88× for LeNet C3 at batch 1 (K 150,
 *    240,000), 0.97 / 1.08× at 903,000. An output of fewer than 2,048 texels (256 fragments of 4 × 2) pays for
 *    the gather pass only with a long inner loop: DeepConvNet conv5 at batch 1 (1,024 texels, K 288)
 *    0.91 / 0.97 / 0.96×, conv6 (1,024 texels, K 576) 1.04 / 1.11 / 1.02×;
 *  - input gradient, inner size outC ≥ 64: 1.02–1.20× (AlexNet 1.44–1.68×); 0.69–1.01× at outC 6–32;
 *  - filter gradient from 800,000 multiply-adds, with K ≥ 16 and outC ≥ 8 (narrower tiles compute a third of
 *    their texels or more past the edge): 1.06–1.66×; 0.90–0.98× on the smaller or narrower cases.
 */
function tilingPays(kernel: string, g: ConvGeometry): boolean {
  const K = colWidth(g);
  const macs = convMacs(g);
  if (kernel === Conv2DBackpropInput) return g.outC >= 64;
  if (kernel === Conv2DBackpropFilter) return K >= 16 && g.outC >= 8 && macs >= 800_000;
  return K >= 64 && macs >= 1_000_000 && (outputTexels(g) >= 2048 || K >= 512);
}

/** Packed texels (2 × 2 values) of the forward output [N, outH, outW, outC]. */
function outputTexels(g: ConvGeometry): number {
  return g.batch * g.outH * Math.ceil(g.outW / 2) * Math.ceil(g.outC / 2);
}

/**
 * The tile of output texels one fragment of the tiled GEMMs computes (rows × columns of texels), or null when
 * the one-texel programs serve: without WebGL2's multiple render targets, or where tiling does not pay.
 */
function gemmTile(backend: WebGLBackend, kernel: string, g: ConvGeometry): [number, number] | null {
  const mode = env().get(TILED_GEMM_FLAG);
  if (mode !== 'measured' && mode !== 'always' && mode !== 'never') {
    throw new Error(`${kernel}: the tfjs flag ${TILED_GEMM_FLAG} is ${JSON.stringify(mode)}; expected 'measured', 'always' or 'never'`);
  }
  if (mode === 'never' || (mode !== 'always' && !tilingPays(kernel, g))) return null;
  const targets = maxTargets(backend);
  return targets >= 8 ? [4, 2] : targets >= 4 ? [2, 2] : null;
}

/** The tiled programs' targets put back in place as a packed `out`, with the epilogue; disposes the targets. */
function gatherTiles(
  backend: WebGLBackend, tile: [number, number], tiles: TensorInfo[], out: Shape4, groupPairs: number,
  epilogue: EpilogueInputs | null,
): TensorInfo {
  try {
    return run(backend, new GatherTilesProgram(out, tile[0], tile[1], epilogue?.spec ?? null),
      [...tiles, ...(epilogue?.inputs ?? [])], [[epilogue?.leakyAlpha ?? 0], [groupPairs]]);
  } finally {
    release(backend, ...tiles);
  }
}

/**
 * out = A · B ('nn', B [1, inner, C]) or A · Bᵀ (transposeB, B [1, C, inner]) as the tiled GEMM and its
 * gather: A [P·Q, R, inner], out [P, Q, R, C].
 */
function tiledGemm(
  backend: WebGLBackend, tile: [number, number], a: TensorInfo, b: TensorInfo, transposeB: boolean, out: Shape4,
  epilogue: EpilogueInputs | null,
): TensorInfo {
  const rowPairs = out[0] * out[1] * Math.ceil(out[2] / 2);
  const colPairs = Math.ceil(out[3] / 2);
  const tileCols = Math.ceil(colPairs / tile[1]);
  const tiles = drawToTargets(backend, gemmTilesProgram(tile[0], tile[1], transposeB), [a, b],
    [2 * Math.ceil(rowPairs / tile[0]), 2 * tileCols], [[rowPairs], [colPairs], [a.shape[2]], [tileCols]]);
  return gatherTiles(backend, tile, tiles, out, rowPairs, epilogue);
}

function convForward(
  kernel: typeof Conv2D | typeof FusedConv2D, backend: WebGLBackend, x: TensorInfo, filter: TensorInfo,
  info: backend_util.Conv2DInfo, epilogue: EpilogueInputs | null,
): TensorInfo {
  const g = geometryOf(info);
  const K = colWidth(g);
  const [col, colTex] = im2colOperand(backend, x, g);
  const nhwc: Shape4 = [g.batch, g.outH, g.outW, g.outC];
  const filterMatrix = view(filter, [1, K, g.outC]);
  try {
    const tile = gemmTile(backend, kernel, g);
    if (tile && g.channelsLast) return tiledGemm(backend, tile, col, filterMatrix, false, nhwc, epilogue);
    if (g.channelsLast) {
      // Bias and activation are applied to the GEMM's output texels.
      const program = new GemmProgram(nhwc, false, epilogue?.spec ?? null);
      return run(backend, program, [col, filterMatrix, ...(epilogue?.inputs ?? [])],
        [[K], [epilogue?.leakyAlpha ?? 0]]);
    }
    // NCHW: GEMM in NHWC order, then one pass that transposes and applies the epilogue.
    const y = tile ? tiledGemm(backend, tile, col, filterMatrix, false, nhwc, null)
      : run(backend, new GemmProgram(nhwc, false, null), [col, filterMatrix], [[K], [0]]);
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
  const handed = builtinIfMeasuredFaster(Conv2D, geometryOf(info), args);
  if (handed) return handed;
  ensureOnGPU(backend, Conv2D, 'x', x!);
  checkInput(backend, Conv2D, 'filter', filter!);
  return convForward(Conv2D, backend, x!, filter!, info, null);
}

export function fusedConv2D(args: { inputs: FusedConv2DInputs; backend: WebGLBackend; attrs: FusedConv2DAttrs }): TensorInfo {
  const { inputs, backend, attrs } = args;
  const { x, filter } = inputs;
  const { strides, pad, dataFormat, dilations, dimRoundingMode } = attrs;
  const info = convInfoFor(FusedConv2D, x!.shape, filter!.shape, strides, dilations, pad, dimRoundingMode, dataFormat);
  const handed = builtinIfMeasuredFaster(FusedConv2D, geometryOf(info), args);
  if (handed) return handed;
  ensureOnGPU(backend, FusedConv2D, 'x', x!);
  checkInput(backend, FusedConv2D, 'filter', filter!);
  const epilogue = epilogueFor(backend, inputs, attrs, info.outShape, info.dataFormat === 'channelsLast');
  return convForward(FusedConv2D, backend, x!, filter!, info, epilogue);
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

/** GemmReduceRowsProgram's result (same operands, same `out`) from the tiled reduction and its gather. */
function tiledReduce(
  backend: WebGLBackend, tile: [number, number], a: TensorInfo, b: TensorInfo, out: Shape4, batches: number,
  perSplit: number, rowsPerBatch: number,
): TensorInfo {
  const [splits, , K, outC] = out;
  const halfK = Math.ceil(K / 2);
  const halfO = Math.ceil(outC / 2);
  const tileCols = Math.ceil(halfO / tile[1]);
  const tiles = drawToTargets(backend, gemmReduceTilesProgram(tile[0], tile[1]), [a, b],
    [2 * splits * Math.ceil(halfK / tile[0]), 2 * tileCols],
    [[batches], [perSplit], [rowsPerBatch], [halfK], [halfO], [tileCols]]);
  return gatherTiles(backend, tile, tiles, out, halfK, null);
}

export function conv2DBackpropFilter(
  args: { inputs: Conv2DBackpropFilterInputs; backend: WebGLBackend; attrs: Conv2DBackpropFilterAttrs },
): TensorInfo {
  const { inputs: { x, dy }, backend, attrs } = args;
  const { strides, pad, dataFormat, dimRoundingMode, filterShape } = attrs;
  const info = convInfoFor(Conv2DBackpropFilter, x!.shape, filterShape, strides, 1, pad, dimRoundingMode, dataFormat, dy!.shape);
  const g = geometryOf(info);
  const handed = builtinIfMeasuredFaster(Conv2DBackpropFilter, g, args);
  if (handed) return handed;
  ensureOnGPU(backend, Conv2DBackpropFilter, 'x', x!);
  // Channels-last, only the packed reduction reads dy; NCHW, the unpacked transpose.
  (g.channelsLast ? checkInput : ensureOnGPU)(backend, Conv2DBackpropFilter, 'dy', dy!);
  const K = colWidth(g);
  // The reduction runs over `batches` blocks of `rows` im2col rows, paired in packed texels: the output rows of
  // an image row; or, when each image is its own im2col row (LeNet's C5), the images, which skips the im2col
  // pass and halves the steps (2 images per texel instead of 1 beside an empty row).
  const imagesAsRows = g.channelsLast && windowIsInput(g);
  const batches = imagesAsRows ? 1 : g.batch * g.outH;
  const rows = imagesAsRows ? g.batch : g.outW;
  const [splits, perSplit] = splitsFor(batches, rows, K, g.outC);
  const [col, colTex] = imagesAsRows ? [view(x!, [1, g.batch, K]), null] : im2colOperand(backend, x!, g);
  const [dyN, dyTex] = dyNHWC(backend, dy!, g);
  let partial: TensorInfo | null = null;
  try {
    const dyRows = view(dyN, [batches, rows, g.outC]);
    const out: Shape4 = [splits, 1, K, g.outC];
    const tile = gemmTile(backend, Conv2DBackpropFilter, g);
    partial = tile ? tiledReduce(backend, tile, col, dyRows, out, batches, perSplit, rows)
      : run(backend, new GemmReduceRowsProgram(out), [col, dyRows], [[batches], [perSplit], [rows]]);
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
  const g = geometryOf(info);
  const handed = builtinIfMeasuredFaster(Conv2DBackpropInput, g, args);
  if (handed) return handed;
  (g.channelsLast ? checkInput : ensureOnGPU)(backend, Conv2DBackpropInput, 'dy', dy!);
  checkInput(backend, Conv2DBackpropInput, 'filter', filter!);
  const K = colWidth(g);
  const [dyN, dyTex] = dyNHWC(backend, dy!, g);
  let dcol: TensorInfo | null = null;
  try {
    // dcol = dy · Wᵀ: [N·outH·outW, outC] × [outC, K].
    const a = view(dyN, [g.batch * g.outH, g.outW, g.outC]);
    const b = view(filter!, [1, K, g.outC]);
    const out: Shape4 = [g.batch, g.outH, g.outW, K];
    const tile = gemmTile(backend, Conv2DBackpropInput, g);
    dcol = tile ? tiledGemm(backend, tile, a, b, true, out, null)
      : run(backend, new GemmProgram(out, true, null), [a, b], [[g.outC], [0]]);
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
