/**
 * Depthwise convolution on webgl with our own GPGPU programs: DepthwiseConv2dNative,
 * FusedDepthwiseConv2D (bias, activation, prelu / leakyrelu alpha fused into the output),
 * DepthwiseConv2dNativeBackpropInput and DepthwiseConv2dNativeBackpropFilter.
 *
 * Geometry only from tfjs's `backend_util.computeConv2DInfo(..., depthwise = true)` (through
 * kernels/core/geometry.ts's depthwiseInfoFor, shared with the cpu kernels). Every program is
 * generated for its geometry (sizes, strides, dilations, padding as constants, see ./programs/variants.ts);
 * a family that has used up its variants hands further geometries to the builtin, which compiles one shader
 * per shape too. Channel multiplier 1 (MobileNet's case) runs on packed textures: the forward pass, and the
 * input gradient at stride 1 (the same sum with the filter flipped); its filter gradient writes a packed texel
 * of two taps × two channels, reading each value once for both taps. Other multipliers and strides run the
 * unpacked programs. Like tfjs's packed builtin, the packed programs multiply padding columns as zeros
 * (so a non-finite filter value there gives NaN where tfjs's cpu builtin skips the tap); padding rows are skipped.
 *
 * Left to the builtin (it answers as tfjs does): dtypes other than float32, zero-size tensors or outputs,
 * NCHW (tfjs's depthwise kernels ignore dataFormat and read the tensor as NHWC), strides and dilations both
 * above 1 (the builtins reject them), dilations above 1 in the gradients (tfjs's gradient kernels ignore
 * them), a dy whose shape the geometry does not give, and the measured shape classes of ./builtin_classes.ts.
 */
import {
  backend_util, DepthwiseConv2dNative, DepthwiseConv2dNativeAttrs, DepthwiseConv2dNativeBackpropFilter,
  DepthwiseConv2dNativeBackpropFilterAttrs, DepthwiseConv2dNativeBackpropFilterInputs, DepthwiseConv2dNativeBackpropInput,
  DepthwiseConv2dNativeBackpropInputAttrs, DepthwiseConv2dNativeBackpropInputInputs, DepthwiseConv2dNativeInputs,
  FusedDepthwiseConv2D, FusedDepthwiseConv2DAttrs, FusedDepthwiseConv2DInputs, TensorInfo,
} from '@tensorflow/tfjs-core';
import { broadcastStrides, checkActivation } from '../core/epilogue';
import { im2colKernel } from '../core/fallback';
import {
  builtinOnly, checkRank, ConvGeometry, depthwiseInfoFor, geometryOf, KernelInputError,
} from '../core/geometry';
import { builtinIfMeasuredFaster } from './builtin_classes';
import {
  DepthwiseBackpropFilterPairsProgram, DepthwiseBackpropFilterProgram, DepthwiseBackpropInputProgram, DepthwisePackedProgram, DepthwisePackedSpec,
  DepthwiseProgram, EpilogueSpec, geometryKey, specialise,
} from './programs';
import { ensureOnGPU, run, view, WebGLBackend } from './util';

type Pair = number | [number, number];
type Pad = 'same' | 'valid' | number | backend_util.ExplicitPadding;
type Rounding = 'floor' | 'round' | 'ceil' | undefined;

/** The packed forward unrolls every tap; past this many (an 8×8 filter) the unpacked loop program runs. */
export const MAX_PACKED_TAPS = 64;

/**
 * Checks a depthwise convolution's call and returns tfjs's Conv2DInfo (depthwise) for it: the shared checks and
 * geometry of kernels/core/geometry.ts (`depthwiseInfoFor`), after the calls only the builtin answers as tfjs
 * does — NCHW (its depthwise kernels ignore dataFormat) — and before strides and dilations both above 1
 * (the builtins reject them). Backprop kernels pass dy's shape.
 */
function checkedInfo(
  kernel: string, xShape: number[], filterShape: number[], strides: Pair, dilations: Pair | null | undefined,
  pad: Pad, dimRoundingMode: Rounding, dataFormat: string | undefined, dyShape?: number[],
): backend_util.Conv2DInfo {
  if (dataFormat !== undefined && dataFormat !== 'NHWC' && dataFormat !== 'NCHW') {
    throw new KernelInputError(kernel, `dataFormat must be 'NHWC' or 'NCHW', got '${dataFormat}'`);
  }
  if (dataFormat === 'NCHW') {
    builtinOnly("dataFormat 'NCHW': tfjs's depthwise kernels ignore dataFormat and read the input as NHWC");
  }
  const info = depthwiseInfoFor(kernel, xShape, filterShape, strides, dilations, pad, dimRoundingMode, dyShape);
  if (!backend_util.eitherStridesOrDilationsAreOne(strides, dilations ?? 1)) {
    builtinOnly(`strides ${JSON.stringify(strides)} and dilations ${JSON.stringify(dilations)} both above 1 ` +
      '(the builtin rejects them)');
  }
  return info;
}

/** tfjs's depthwise gradient kernels ignore dilations (its gradients reject them): such calls are the builtin's. */
function undilatedOnly(g: ConvGeometry): void {
  if (g.dilationH > 1 || g.dilationW > 1) {
    builtinOnly(`dilations ${g.dilationH}x${g.dilationW} in a gradient kernel: tfjs's builtins ignore them`);
  }
}

/** A specialised variant of `family` for `key`, or the builtin when the family has used up its variants. */
function variant(family: string, key: string): void {
  if (!specialise(family, key)) builtinOnly(`the ${family} programs have used up their specialised variants`);
}

interface Epilogue { spec: EpilogueSpec; inputs: TensorInfo[]; leakyAlpha: number }

function epilogueOf(backend: WebGLBackend, inputs: FusedDepthwiseConv2DInputs, attrs: FusedDepthwiseConv2DAttrs,
  outShape: number[]): Epilogue | null {
  const { bias, preluActivationWeights: alpha } = inputs;
  const activation = checkActivation(FusedDepthwiseConv2D, attrs.activation, !!alpha);
  const useAlpha = activation === 'prelu';
  if (!bias && activation === 'linear') return null;
  const operands: TensorInfo[] = [];
  for (const [name, t] of [['bias', bias], ['preluActivationWeights', useAlpha ? alpha : undefined]] as const) {
    if (!t) continue;
    ensureOnGPU(backend, FusedDepthwiseConv2D, name, t);
    broadcastStrides(FusedDepthwiseConv2D, name, t.shape, outShape, true);
    operands.push(t);
  }
  return {
    spec: { activation, hasBias: !!bias, hasAlpha: useAlpha },
    inputs: operands,
    leakyAlpha: attrs.leakyreluAlpha ?? 0.2,
  };
}

const epilogueKey = (e: Epilogue | null) => (e ? `${e.spec.activation},${e.spec.hasBias},${e.spec.hasAlpha}` : 'none');

/** Forward taps for DepthwisePackedProgram. */
function forwardSpec(g: ConvGeometry): DepthwisePackedSpec {
  const rows = [];
  for (let fh = 0; fh < g.filterH; fh++) {
    const taps = [];
    for (let fw = 0; fw < g.filterW; fw++) taps.push({ colOff: fw * g.dilationW - g.padLeft, k: fh * g.filterW + fw });
    rows.push({ rowOff: fh * g.dilationH - g.padTop, taps });
  }
  return {
    outShape: [g.batch, g.outH, g.outW, g.outC], readH: g.inH, readW: g.inW,
    rowStride: g.strideH, colStride: g.strideW, rows, taps: g.filterH * g.filterW,
  };
}

/** Input-gradient taps at stride 1 (dilation 1): dx[h, w] = Σ dy[h + padTop − fh, w + padLeft − fw] · W[fh, fw]. */
function backpropInputSpec(g: ConvGeometry): DepthwisePackedSpec {
  const rows = [];
  for (let fh = 0; fh < g.filterH; fh++) {
    const taps = [];
    for (let fw = 0; fw < g.filterW; fw++) taps.push({ colOff: g.padLeft - fw, k: fh * g.filterW + fw });
    rows.push({ rowOff: g.padTop - fh, taps });
  }
  return {
    outShape: [g.batch, g.inH, g.inW, g.inC], readH: g.outH, readW: g.outW,
    rowStride: 1, colStride: 1, rows, taps: g.filterH * g.filterW,
  };
}

function forward(backend: WebGLBackend, kernel: string, x: TensorInfo, filter: TensorInfo,
  info: backend_util.Conv2DInfo, epilogue: Epilogue | null): TensorInfo {
  const g = geometryOf(info);
  const multiplier = filter.shape[3];
  const extra = epilogue?.inputs ?? [];
  const uniforms = epilogue ? [[epilogue.leakyAlpha]] : [];
  if (multiplier === 1 && g.filterH * g.filterW <= MAX_PACKED_TAPS) {
    variant('DepthwisePacked', `${geometryKey(g)};${epilogueKey(epilogue)}`);
    const program = new DepthwisePackedProgram(forwardSpec(g), epilogue?.spec ?? null);
    return run(backend, program, [x, view(filter, [g.filterH * g.filterW, g.inC]), ...extra], uniforms);
  }
  variant('Depthwise', `${geometryKey(g)};${multiplier};${epilogueKey(epilogue)}`);
  return run(backend, new DepthwiseProgram(g, multiplier, epilogue?.spec ?? null), [x, filter, ...extra], uniforms);
}

export function depthwiseConv2dNative(
  args: { inputs: DepthwiseConv2dNativeInputs; backend: WebGLBackend; attrs: DepthwiseConv2dNativeAttrs },
): TensorInfo {
  const { inputs: { x, filter }, backend, attrs } = args;
  const { strides, pad, dataFormat, dilations, dimRoundingMode } = attrs;
  const kernel = DepthwiseConv2dNative;
  const info = checkedInfo(kernel, x!.shape, filter!.shape, strides, dilations, pad, dimRoundingMode, dataFormat);
  const handed = builtinIfMeasuredFaster(kernel, geometryOf(info), args);
  if (handed) return handed;
  ensureOnGPU(backend, kernel, 'x', x!);
  ensureOnGPU(backend, kernel, 'filter', filter!);
  return forward(backend, kernel, x!, filter!, info, null);
}

export function fusedDepthwiseConv2D(
  args: { inputs: FusedDepthwiseConv2DInputs; backend: WebGLBackend; attrs: FusedDepthwiseConv2DAttrs },
): TensorInfo {
  const { inputs, backend, attrs } = args;
  const { x, filter } = inputs;
  const { strides, pad, dataFormat, dilations, dimRoundingMode } = attrs;
  const kernel = FusedDepthwiseConv2D;
  const info = checkedInfo(kernel, x!.shape, filter!.shape, strides, dilations, pad, dimRoundingMode, dataFormat);
  const handed = builtinIfMeasuredFaster(kernel, geometryOf(info), args);
  if (handed) return handed;
  ensureOnGPU(backend, kernel, 'x', x!);
  ensureOnGPU(backend, kernel, 'filter', filter!);
  const epilogue = epilogueOf(backend, inputs, attrs, info.outShape);
  return forward(backend, kernel, x!, filter!, info, epilogue);
}

export function depthwiseConv2dNativeBackpropInput(
  args: { inputs: DepthwiseConv2dNativeBackpropInputInputs; backend: WebGLBackend; attrs: DepthwiseConv2dNativeBackpropInputAttrs },
): TensorInfo {
  const { inputs: { dy, filter }, backend, attrs } = args;
  const { strides, dilations, pad, dimRoundingMode, inputShape } = attrs;
  const kernel = DepthwiseConv2dNativeBackpropInput;
  checkRank(kernel, 'dy', dy!.shape, 4);
  const info = checkedInfo(kernel, inputShape, filter!.shape, strides, dilations, pad, dimRoundingMode, 'NHWC', dy!.shape);
  const g = geometryOf(info);
  undilatedOnly(g);
  const handed = builtinIfMeasuredFaster(kernel, g, args);
  if (handed) return handed;
  ensureOnGPU(backend, kernel, 'dy', dy!);
  ensureOnGPU(backend, kernel, 'filter', filter!);
  const multiplier = filter!.shape[3];
  if (multiplier === 1 && g.strideH === 1 && g.strideW === 1 && g.filterH * g.filterW <= MAX_PACKED_TAPS) {
    variant('DepthwiseBackpropInputPacked', geometryKey(g));
    return run(backend, new DepthwisePackedProgram(backpropInputSpec(g), null),
      [dy!, view(filter!, [g.filterH * g.filterW, g.inC])], []);
  }
  variant('DepthwiseBackpropInput', `${geometryKey(g)};${multiplier}`);
  return run(backend, new DepthwiseBackpropInputProgram(g, multiplier), [dy!, filter!], []);
}

export function depthwiseConv2dNativeBackpropFilter(
  args: { inputs: DepthwiseConv2dNativeBackpropFilterInputs; backend: WebGLBackend; attrs: DepthwiseConv2dNativeBackpropFilterAttrs },
): TensorInfo {
  const { inputs: { x, dy }, backend, attrs } = args;
  const { strides, dilations, pad, dimRoundingMode, filterShape } = attrs;
  const kernel = DepthwiseConv2dNativeBackpropFilter;
  checkRank(kernel, 'dy', dy!.shape, 4);
  const info = checkedInfo(kernel, x!.shape, filterShape, strides, dilations, pad, dimRoundingMode, 'NHWC', dy!.shape);
  const g = geometryOf(info);
  undilatedOnly(g);
  const handed = builtinIfMeasuredFaster(kernel, g, args);
  if (handed) return handed;
  ensureOnGPU(backend, kernel, 'x', x!);
  ensureOnGPU(backend, kernel, 'dy', dy!);
  const multiplier = filterShape[3];
  if (multiplier === 1) {
    variant('DepthwiseBackpropFilterPairs', geometryKey(g));
    return view(run(backend, new DepthwiseBackpropFilterPairsProgram(g), [x!, dy!], []), filterShape);
  }
  variant('DepthwiseBackpropFilter', `${geometryKey(g)};${multiplier}`);
  return run(backend, new DepthwiseBackpropFilterProgram(g, multiplier), [x!, dy!], []);
}

export const depthwiseConv2dNativeConfig = im2colKernel(DepthwiseConv2dNative, 'webgl', depthwiseConv2dNative);
export const fusedDepthwiseConv2DConfig = im2colKernel(FusedDepthwiseConv2D, 'webgl', fusedDepthwiseConv2D);
export const depthwiseConv2dNativeBackpropInputConfig =
  im2colKernel(DepthwiseConv2dNativeBackpropInput, 'webgl', depthwiseConv2dNativeBackpropInput);
export const depthwiseConv2dNativeBackpropFilterConfig =
  im2colKernel(DepthwiseConv2dNativeBackpropFilter, 'webgl', depthwiseConv2dNativeBackpropFilter);
