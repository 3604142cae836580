/**
 * AlexNet (section 7.7.2; Krizhevsky, Sutskever, Hinton 2012), on 227×227×3
 * inputs (the paper says 224, but only 227 gives its 55×55 first layer):
 *
 *   conv1 96@11×11/4 → 55×55, ReLU, LRN, max-pool 3×3/2 → 27×27
 *   conv2 256@5×5 pad 2 (2 groups), ReLU, LRN, max-pool 3×3/2 → 13×13
 *   conv3 384@3×3 pad 1, ReLU
 *   conv4 384@3×3 pad 1 (2 groups), ReLU
 *   conv5 256@3×3 pad 1 (2 groups), ReLU, max-pool 3×3/2 → 6×6
 *   fc6 4096 ReLU, dropout 0.5; fc7 4096 ReLU, dropout 0.5; fc8 1000 softmax
 *
 * "2 groups" is the paper's split across two GPUs (each half of conv2, conv4,
 * conv5 sees only the half of the maps on its GPU): 60,965,224 parameters.
 * `groups: 1` builds the single-tower variant (62,378,344).
 * LRN: k = 2, n = 5, α = 1e-4, β = 0.75. Initialisation as the paper: weights
 * N(0, 0.01²); biases 1 in conv2, conv4, conv5 and the hidden dense layers, 0 elsewhere.
 */
import * as tfl from '@tensorflow/tfjs-layers';
import { checkPositiveInt, fastNormalInit, ModelConfigError, SeedSequence } from './common';
import { GroupedConv2D, LocalResponseNormalization } from './layers';

export interface AlexNetConfig {
  /** (channels, height, width); default [3, 227, 227]. */
  inputDim?: [number, number, number];
  outputSize?: number;
  groups?: 1 | 2;
  dropoutRate?: number;
  seed?: number;
}

export function buildAlexNet(config: AlexNetConfig = {}): tfl.Sequential {
  const [c, h, w] = config.inputDim ?? [3, 227, 227];
  [c, h, w].forEach((v, i) => checkPositiveInt(`AlexNet: inputDim[${i}]`, v));
  if (h < 67 || w < 67) throw new ModelConfigError(`AlexNet: input ${h}×${w} is too small (the three 3×3/2 pools need at least 67×67)`);
  const groups = config.groups ?? 2;
  if (groups !== 1 && groups !== 2) throw new ModelConfigError(`AlexNet: groups must be 1 or 2, got ${String(groups)}`);
  const outputSize = checkPositiveInt('AlexNet: outputSize', config.outputSize ?? 1000);
  const rate = config.dropoutRate ?? 0.5;
  const seeds = new SeedSequence(config.seed);
  const weight = () => fastNormalInit(0.01, seeds.take());
  const ones = tfl.initializers.ones();
  const zeros = tfl.initializers.zeros();
  const model = tfl.sequential({ name: 'AlexNet' });
  model.add(tfl.layers.conv2d({ inputShape: [h, w, c], name: 'conv1', filters: 96, kernelSize: 11, strides: 4, padding: 'valid', activation: 'relu', kernelInitializer: weight(), biasInitializer: zeros }));
  model.add(new LocalResponseNormalization({ name: 'lrn1' }));
  model.add(tfl.layers.maxPooling2d({ name: 'pool1', poolSize: 3, strides: 2 }));
  model.add(new GroupedConv2D({ name: 'conv2', filters: 256, kernelSize: 5, padding: 'same', groups, activation: 'relu', kernelInitializer: weight(), biasInitializer: ones }));
  model.add(new LocalResponseNormalization({ name: 'lrn2' }));
  model.add(tfl.layers.maxPooling2d({ name: 'pool2', poolSize: 3, strides: 2 }));
  model.add(tfl.layers.conv2d({ name: 'conv3', filters: 384, kernelSize: 3, padding: 'same', activation: 'relu', kernelInitializer: weight(), biasInitializer: zeros }));
  model.add(new GroupedConv2D({ name: 'conv4', filters: 384, kernelSize: 3, padding: 'same', groups, activation: 'relu', kernelInitializer: weight(), biasInitializer: ones }));
  model.add(new GroupedConv2D({ name: 'conv5', filters: 256, kernelSize: 3, padding: 'same', groups, activation: 'relu', kernelInitializer: weight(), biasInitializer: ones }));
  model.add(tfl.layers.maxPooling2d({ name: 'pool5', poolSize: 3, strides: 2 }));
  model.add(tfl.layers.flatten({ name: 'flatten' }));
  model.add(tfl.layers.dense({ name: 'fc6', units: 4096, activation: 'relu', kernelInitializer: weight(), biasInitializer: ones }));
  model.add(tfl.layers.dropout({ name: 'drop6', rate, seed: seeds.take() }));
  model.add(tfl.layers.dense({ name: 'fc7', units: 4096, activation: 'relu', kernelInitializer: weight(), biasInitializer: ones }));
  model.add(tfl.layers.dropout({ name: 'drop7', rate, seed: seeds.take() }));
  model.add(tfl.layers.dense({ name: 'fc8', units: outputSize, activation: 'softmax', kernelInitializer: weight(), biasInitializer: zeros }));
  return model;
}
