/**
 * SimpleConvNet (section 7.5): Conv → ReLU → Pool 2×2/2 → Affine → ReLU → Affine → Softmax,
 * as a tfjs-layers model.
 *
 * The book works in NCHW and describes the input as (channels, height, width);
 * the config takes that order too, but the model itself is NHWC
 * (input `[H, W, C]`), which is what tfjs wants.
 */
import * as tfl from '@tensorflow/tfjs-layers';
import { checkPositiveInt, ModelConfigError, normalInit, SeedSequence, windowOutput } from './common';

export interface ConvParam {
  filterNum: number;
  filterSize: number;
  pad: number;
  stride: number;
}

export interface SimpleConvNetConfig {
  /** (channels, height, width), the book's `input_dim`; default [1, 28, 28]. */
  inputDim?: [number, number, number];
  /** Default `{filterNum: 30, filterSize: 5, pad: 0, stride: 1}`. */
  convParam?: Partial<ConvParam>;
  /** Default 100. */
  hiddenSize?: number;
  /** Default 10. */
  outputSize?: number;
  /** Standard deviation of the N(0, σ²) weight initialisation; default 0.01. Biases start at 0. */
  weightInitStd?: number;
  /** Seed for the weight initialisation (same seed, same weights). */
  seed?: number;
}

export interface SimpleConvNetShapes {
  convOutput: [number, number];
  poolOutput: [number, number];
  /** Inputs of the first Affine layer (the book's `pool_output_size`). */
  flatSize: number;
}

export const SIMPLE_CONVNET_DEFAULTS = {
  inputDim: [1, 28, 28] as [number, number, number],
  convParam: { filterNum: 30, filterSize: 5, pad: 0, stride: 1 } as ConvParam,
  hiddenSize: 100,
  outputSize: 10,
  weightInitStd: 0.01,
};

/** Layer names, used to find weights (e.g. when loading the book's parameters). */
export const SIMPLE_CONVNET_LAYERS = { conv: 'conv1', pool: 'pool1', affine1: 'affine1', affine2: 'affine2' } as const;

function resolve(config: SimpleConvNetConfig) {
  const inputDim = config.inputDim ?? SIMPLE_CONVNET_DEFAULTS.inputDim;
  if (!Array.isArray(inputDim) || inputDim.length !== 3) {
    throw new ModelConfigError(`SimpleConvNet: inputDim must be (channels, height, width), got ${JSON.stringify(inputDim)}`);
  }
  inputDim.forEach((v, i) => checkPositiveInt(`SimpleConvNet: inputDim[${i}]`, v));
  const conv = { ...SIMPLE_CONVNET_DEFAULTS.convParam, ...(config.convParam ?? {}) };
  checkPositiveInt('SimpleConvNet: convParam.filterNum', conv.filterNum);
  checkPositiveInt('SimpleConvNet: convParam.filterSize', conv.filterSize);
  checkPositiveInt('SimpleConvNet: convParam.stride', conv.stride);
  checkPositiveInt('SimpleConvNet: convParam.pad', conv.pad, true);
  const hiddenSize = checkPositiveInt('SimpleConvNet: hiddenSize', config.hiddenSize ?? SIMPLE_CONVNET_DEFAULTS.hiddenSize);
  const outputSize = checkPositiveInt('SimpleConvNet: outputSize', config.outputSize ?? SIMPLE_CONVNET_DEFAULTS.outputSize);
  const weightInitStd = config.weightInitStd ?? SIMPLE_CONVNET_DEFAULTS.weightInitStd;
  if (!(typeof weightInitStd === 'number' && Number.isFinite(weightInitStd) && weightInitStd > 0)) {
    throw new ModelConfigError(`SimpleConvNet: weightInitStd must be a positive number, got ${String(weightInitStd)}`);
  }
  return { inputDim, conv, hiddenSize, outputSize, weightInitStd };
}

/**
 * The layer shapes a configuration gives, or a `ModelConfigError` if it has none.
 *
 * The book computes `pool_output_size = filter_num * (conv_output_size/2)**2`
 * in floating point, which is wrong whenever the conv output is odd (e.g. a
 * 29×29 input: 25 → 12.5² · 30 = 4687, while its Pooling layer really gives
 * 12×12·30 = 4320) or not an integer. Here both sizes are floored exactly as
 * the book's Convolution and Pooling layers do in their forward passes
 * (`1 + (H + 2·pad - FH) // stride`, and the 2×2/2 pool drops an odd last
 * row/column), so every configuration whose conv output is at least 2×2 works.
 */
export function simpleConvNetShapes(config: SimpleConvNetConfig = {}): SimpleConvNetShapes {
  const { inputDim, conv } = resolve(config);
  const [, h, w] = inputDim;
  const paddedH = h + 2 * conv.pad;
  const paddedW = w + 2 * conv.pad;
  if (conv.filterSize > paddedH || conv.filterSize > paddedW) {
    throw new ModelConfigError(
      `SimpleConvNet: filterSize ${conv.filterSize} is larger than the padded input ${paddedH}×${paddedW} (input ${h}×${w}, pad ${conv.pad})`);
  }
  const convOutput: [number, number] = [windowOutput(h, conv.filterSize, conv.stride, conv.pad), windowOutput(w, conv.filterSize, conv.stride, conv.pad)];
  if (convOutput[0] < 2 || convOutput[1] < 2) {
    throw new ModelConfigError(
      `SimpleConvNet: the conv output is ${convOutput[0]}×${convOutput[1]}, too small for the 2×2 pool (input ${h}×${w}, ` +
      `filterSize ${conv.filterSize}, pad ${conv.pad}, stride ${conv.stride})`);
  }
  const poolOutput: [number, number] = [windowOutput(convOutput[0], 2, 2, 0), windowOutput(convOutput[1], 2, 2, 0)];
  return { convOutput, poolOutput, flatSize: conv.filterNum * poolOutput[0] * poolOutput[1] };
}

/**
 * Builds SimpleConvNet as an (uncompiled) `tf.Sequential`: input `[H, W, C]`
 * (NHWC; default `[28, 28, 1]`), output softmax probabilities `[outputSize]`.
 *
 * The Flatten layer flattens the pooled map in H, W, C order; weights trained
 * in the book's NCHW layout need their first Affine rows permuted
 * (see `loadBookSimpleConvNet`).
 */
export function buildSimpleConvNet(config: SimpleConvNetConfig = {}): tfl.Sequential {
  const { inputDim, conv, hiddenSize, outputSize, weightInitStd } = resolve(config);
  simpleConvNetShapes(config); // throws for shapes that don't work
  const seeds = new SeedSequence(config.seed);
  const [c, h, w] = inputDim;
  const model = tfl.sequential({ name: 'SimpleConvNet' });
  if (conv.pad > 0) {
    model.add(tfl.layers.zeroPadding2d({ inputShape: [h, w, c], padding: conv.pad, name: 'pad1' }));
  }
  model.add(tfl.layers.conv2d({
    ...(conv.pad > 0 ? {} : { inputShape: [h, w, c] }),
    name: SIMPLE_CONVNET_LAYERS.conv,
    filters: conv.filterNum,
    kernelSize: conv.filterSize,
    strides: conv.stride,
    padding: 'valid',
    activation: 'relu',
    kernelInitializer: normalInit(weightInitStd, seeds.take()),
    biasInitializer: 'zeros',
  }));
  model.add(tfl.layers.maxPooling2d({ name: SIMPLE_CONVNET_LAYERS.pool, poolSize: 2, strides: 2, padding: 'valid' }));
  model.add(tfl.layers.flatten({ name: 'flatten' }));
  model.add(tfl.layers.dense({
    name: SIMPLE_CONVNET_LAYERS.affine1, units: hiddenSize, activation: 'relu',
    kernelInitializer: normalInit(weightInitStd, seeds.take()), biasInitializer: 'zeros',
  }));
  model.add(tfl.layers.dense({
    name: SIMPLE_CONVNET_LAYERS.affine2, units: outputSize, activation: 'softmax',
    kernelInitializer: normalInit(weightInitStd, seeds.take()), biasInitializer: 'zeros',
  }));
  return model;
}
