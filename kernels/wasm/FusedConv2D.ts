/** FusedConv2D on the wasm backend: im2col + GEMM, then bias and activation as tfjs defines them (kernels/core/epilogue.ts). */
import { FusedConv2D, FusedConv2DAttrs, FusedConv2DInputs, TensorInfo } from '@tensorflow/tfjs-core';
import { convForward } from '../core/conv';
import { applyEpilogue, broadcastTo, checkActivation } from '../core/epilogue';
import { hasNonFinite, windowsLeaveInput } from '../core/fallback';
import { builtinOnly, convInfoFor, geometryOf } from '../core/geometry';
import { wasmBinary, wasmUnary } from '../wasm_runtime/vector';
import { heapFloats, WasmBackend, wasmKernel } from './util';

/**
 * The common epilogue of a conv layer — a bias per channel (NHWC), then no activation or ReLU — as
 * the SIMD Add and Relu passes of our cpu kernels (the same values as tfjs's separate Add and Relu:
 * the sum rounded to float32, NaN kept); false where those passes are unavailable or the epilogue is
 * another one (applyEpilogue then).
 */
function biasReluSimd(y: Float32Array, bias: Float32Array | null, biasStrides: number[] | null, activation: string, outC: number): boolean {
  if (activation !== 'linear' && activation !== 'relu') return false;
  if (bias !== null) {
    const perChannel = biasStrides![0] === 0 && biasStrides![1] === 0 && biasStrides![2] === 0 && biasStrides![3] === 1 && bias.length === outC;
    if (!perChannel) return false;
    const add = wasmBinary('Add', y, bias, y);
    if (add === null) return false;
    add.block(0, 0, outC, 1, 0, 0, 1, y.length / outC, outC);
    add.finish();
  }
  // The bias is in: from here on only the activation is left, in SIMD or else in applyEpilogue.
  if (activation === 'relu' && !wasmUnary('relu', y, y)) applyEpilogue(y, [1, 1, 1, y.length], null, 'relu', null, 0);
  return true;
}

export function fusedConv2D(args: { inputs: FusedConv2DInputs; backend: WasmBackend; attrs: FusedConv2DAttrs }): TensorInfo {
  const { inputs: { x, filter, bias, preluActivationWeights }, backend, attrs } = args;
  const { strides, pad, dataFormat, dilations, dimRoundingMode, leakyreluAlpha } = attrs;
  const activation = checkActivation(FusedConv2D, attrs.activation, !!preluActivationWeights);
  heapFloats(FusedConv2D, 'x', backend, x!);
  const filterValues = heapFloats(FusedConv2D, 'filter', backend, filter!);
  const info = convInfoFor(FusedConv2D, x!.shape, filter!.shape, strides, dilations, pad, dimRoundingMode, dataFormat);
  const channelsLast = info.dataFormat === 'channelsLast';
  const g = geometryOf(info);
  if (windowsLeaveInput(g) && hasNonFinite(filterValues)) builtinOnly('non-finite values in filter meet the zero padding');
  // Checks the shapes (broadcastTo throws on a bias or alpha that does not fit) before allocating.
  const broadcast = (name: 'bias' | 'preluActivationWeights', t: TensorInfo) =>
    broadcastTo(FusedConv2D, name, heapFloats(FusedConv2D, name, backend, t), t.shape, info.outShape, channelsLast);
  if (bias) broadcast('bias', bias);
  if (activation === 'prelu') broadcast('preluActivationWeights', preluActivationWeights!);
  const out = backend.makeOutput(info.outShape, 'float32');
  // Views after the allocation, which may have grown (detached) the heap.
  const y = backend.typedArrayFromHeap(out) as Float32Array;
  convForward(heapFloats(FusedConv2D, 'x', backend, x!), heapFloats(FusedConv2D, 'filter', backend, filter!), g, y);
  const biasB = bias ? broadcast('bias', bias) : null;
  const alphaB = activation === 'prelu' ? broadcast('preluActivationWeights', preluActivationWeights!) : null;
  if (!biasB && activation === 'linear') return out;
  if (channelsLast && biasReluSimd(y, biasB?.values ?? null, biasB?.strides ?? null, activation, info.outChannels)) return out;
  applyEpilogue(y, info.outShape, biasB, activation, alphaB, leakyreluAlpha ?? 0.2);
  return out;
}

export const fusedConv2DConfig = wasmKernel(FusedConv2D, fusedConv2D);
