/**
 * The book's chapter-8 DeepConvNet (the network section 7.5 promises "above 99 %"):
 *
 *   conv 16@3×3 pad 1 - relu - conv 16@3×3 pad 1 - relu - pool 2×2/2
 *   conv 32@3×3 pad 1 - relu - conv 32@3×3 pad 2 - relu - pool 2×2/2
 *   conv 64@3×3 pad 1 - relu - conv 64@3×3 pad 1 - relu - pool 2×2/2
 *   affine 50 - relu - dropout 0.5 - affine 10 - dropout 0.5 - softmax
 *
 * He initialisation N(0, 2/fan_in) as the book's code, biases 0.
 * tfjs's dropout is inverted (scales by 1/(1-rate) while training, identity at
 * inference); the book's scales by (1-rate) at inference instead. That changes
 * nothing for training from scratch, but weights trained by the book's code
 * must be rescaled on loading (see `loadBookDeepConvNet`).
 */
import * as tfl from '@tensorflow/tfjs-layers';
import { checkPositiveInt, ModelConfigError, normalInit, SeedSequence, windowOutput } from './common';

export interface DeepConvNetConfig {
  /** (channels, height, width); default [1, 28, 28]. */
  inputDim?: [number, number, number];
  hiddenSize?: number;
  outputSize?: number;
  dropoutRate?: number;
  seed?: number;
}

/** The conv layers: [filters, pad]; all 3×3 stride 1. */
export const DEEP_CONVNET_CONVS: ReadonlyArray<[number, number]> = [[16, 1], [16, 1], [32, 1], [32, 2], [64, 1], [64, 1]];

export function buildDeepConvNet(config: DeepConvNetConfig = {}): tfl.Sequential {
  const [c, h, w] = config.inputDim ?? [1, 28, 28];
  [c, h, w].forEach((v, i) => checkPositiveInt(`DeepConvNet: inputDim[${i}]`, v));
  const hiddenSize = checkPositiveInt('DeepConvNet: hiddenSize', config.hiddenSize ?? 50);
  const outputSize = checkPositiveInt('DeepConvNet: outputSize', config.outputSize ?? 10);
  const rate = config.dropoutRate ?? 0.5;
  if (!(rate >= 0 && rate < 1)) throw new ModelConfigError(`DeepConvNet: dropoutRate must be in [0, 1), got ${rate}`);
  const seeds = new SeedSequence(config.seed);
  const model = tfl.sequential({ name: 'DeepConvNet' });
  let size: [number, number] = [h, w];
  let channels = c;
  DEEP_CONVNET_CONVS.forEach(([filters, pad], i) => {
    const first = i === 0;
    // 3×3 with pad 1 keeps the size ('same'); any other pad needs explicit zero padding.
    const same = pad === 1;
    if (!same) {
      model.add(tfl.layers.zeroPadding2d({ ...(first ? { inputShape: [h, w, c] } : {}), padding: pad, name: `pad${i + 1}` }));
    }
    model.add(tfl.layers.conv2d({
      ...(first && same ? { inputShape: [h, w, c] } : {}),
      name: `conv${i + 1}`, filters, kernelSize: 3, strides: 1, padding: same ? 'same' : 'valid', activation: 'relu',
      kernelInitializer: normalInit(Math.sqrt(2 / (channels * 9)), seeds.take()), biasInitializer: 'zeros',
    }));
    size = [windowOutput(size[0], 3, 1, pad), windowOutput(size[1], 3, 1, pad)];
    channels = filters;
    if (i % 2 === 1) {
      if (size[0] < 2 || size[1] < 2) {
        throw new ModelConfigError(`DeepConvNet: input ${h}×${w} is too small (conv${i + 1} output ${size[0]}×${size[1]} cannot be pooled)`);
      }
      model.add(tfl.layers.maxPooling2d({ name: `pool${(i + 1) / 2}`, poolSize: 2, strides: 2 }));
      size = [windowOutput(size[0], 2, 2, 0), windowOutput(size[1], 2, 2, 0)];
    }
  });
  const flat = size[0] * size[1] * channels;
  model.add(tfl.layers.flatten({ name: 'flatten' }));
  model.add(tfl.layers.dense({
    name: 'affine1', units: hiddenSize, activation: 'relu',
    kernelInitializer: normalInit(Math.sqrt(2 / flat), seeds.take()), biasInitializer: 'zeros',
  }));
  model.add(tfl.layers.dropout({ name: 'dropout1', rate, seed: seeds.take() }));
  model.add(tfl.layers.dense({
    name: 'affine2', units: outputSize,
    kernelInitializer: normalInit(Math.sqrt(2 / hiddenSize), seeds.take()), biasInitializer: 'zeros',
  }));
  model.add(tfl.layers.dropout({ name: 'dropout2', rate, seed: seeds.take() }));
  model.add(tfl.layers.activation({ name: 'softmax', activation: 'softmax' }));
  return model;
}
