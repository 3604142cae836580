/**
 * LeNet-5 (section 7.7.1; LeCun, Bottou, Bengio, Haffner 1998, "Gradient-based
 * learning applied to document recognition"):
 *
 *   input 32×32 (MNIST's 28×28 digits zero-padded by 2, as the paper does)
 *   C1 conv 6@5×5 → 28×28×6                       156 parameters
 *   S2 subsampling 2×2 (sum · coef + bias)  → 14×14×6   12
 *   C3 conv 16@5×5, sparse connection table → 10×10×16 1,516
 *   S4 subsampling 2×2                      → 5×5×16     32
 *   C5 conv 120@5×5                          → 1×1×120 48,120
 *   F6 dense 84                                      10,164
 *   output: 10 units
 *
 * Every layer up to F6 is followed by the squashing function: the chapter
 * calls it a sigmoid; the paper uses the scaled tanh 1.7159·tanh(2a/3), for
 * which `activation: 'tanh'` is the unscaled stand-in.
 *
 * Output: `'rbf'` is the paper's Euclidean RBF layer (10 × 84 centres fixed,
 * not trained — the paper draws them as stylised 7×12 bitmaps, here random ±1
 * codes; the smallest output is the prediction); `'softmax'` (default) is a
 * trainable dense softmax layer (850 parameters), which is how LeNet-5 is
 * usually trained today and what works with categorical cross-entropy.
 */
import * as tfl from '@tensorflow/tfjs-layers';
import { checkPositiveInt, ModelConfigError, SeedSequence } from './common';
import { EuclideanRBF, SparseConv2D, Subsampling2D } from './layers';

/**
 * Table I of the paper: the S2 maps each C3 map is connected to. Maps 0–5 see
 * three neighbouring maps, 6–11 four neighbouring, 12–14 four non-neighbouring
 * pairs, and 15 all six (60 connections).
 */
export const LENET_C3_TABLE: number[][] = [
  ...Array.from({ length: 6 }, (_, j) => [j, j + 1, j + 2].map((i) => i % 6).sort((a, b) => a - b)),
  ...Array.from({ length: 6 }, (_, j) => [j, j + 1, j + 2, j + 3].map((i) => i % 6).sort((a, b) => a - b)),
  [0, 1, 3, 4], [1, 2, 4, 5], [0, 2, 3, 5],
  [0, 1, 2, 3, 4, 5],
];

export interface LeNetConfig {
  /** (channels, height, width); default [1, 28, 28] (padded to 32×32 inside the model). */
  inputDim?: [number, number, number];
  activation?: 'sigmoid' | 'tanh';
  output?: 'softmax' | 'rbf';
  outputSize?: number;
  seed?: number;
}

export function buildLeNet(config: LeNetConfig = {}): tfl.Sequential {
  const [c, h, w] = config.inputDim ?? [1, 28, 28];
  [c, h, w].forEach((v, i) => checkPositiveInt(`LeNet: inputDim[${i}]`, v));
  if (h > 32 || w > 32 || (32 - h) % 2 !== 0 || (32 - w) % 2 !== 0) {
    throw new ModelConfigError(`LeNet: the network is built for 32×32 inputs; ${h}×${w} cannot be centred in 32×32 by even zero padding`);
  }
  const act = config.activation ?? 'sigmoid';
  const output = config.output ?? 'softmax';
  const outputSize = checkPositiveInt('LeNet: outputSize', config.outputSize ?? 10);
  const seeds = new SeedSequence(config.seed);
  // The paper initialises weights uniformly in ±2.4 / fan_in.
  const init = (fanIn: number) => tfl.initializers.randomUniform({ minval: -2.4 / fanIn, maxval: 2.4 / fanIn, seed: seeds.take() });
  const model = tfl.sequential({ name: 'LeNet5' });
  model.add(tfl.layers.zeroPadding2d({ inputShape: [h, w, c], padding: [[(32 - h) / 2, (32 - h) / 2], [(32 - w) / 2, (32 - w) / 2]], name: 'pad' }));
  model.add(tfl.layers.conv2d({ name: 'C1', filters: 6, kernelSize: 5, activation: act, kernelInitializer: init(c * 25), biasInitializer: 'zeros' }));
  model.add(new Subsampling2D({ name: 'S2' }));
  model.add(tfl.layers.activation({ name: 'S2_act', activation: act }));
  model.add(new SparseConv2D({ name: 'C3', connections: LENET_C3_TABLE, kernelSize: 5, seed: seeds.take() }));
  model.add(tfl.layers.activation({ name: 'C3_act', activation: act }));
  model.add(new Subsampling2D({ name: 'S4' }));
  model.add(tfl.layers.activation({ name: 'S4_act', activation: act }));
  model.add(tfl.layers.conv2d({ name: 'C5', filters: 120, kernelSize: 5, activation: act, kernelInitializer: init(16 * 25), biasInitializer: 'zeros' }));
  model.add(tfl.layers.flatten({ name: 'flatten' }));
  model.add(tfl.layers.dense({ name: 'F6', units: 84, activation: act, kernelInitializer: init(120), biasInitializer: 'zeros' }));
  if (output === 'rbf') {
    model.add(new EuclideanRBF({ name: 'output', units: outputSize, seed: seeds.take() }));
  } else {
    model.add(tfl.layers.dense({ name: 'output', units: outputSize, activation: 'softmax', kernelInitializer: init(84), biasInitializer: 'zeros' }));
  }
  return model;
}
