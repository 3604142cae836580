/**
 * The book's own trained parameters, loaded into our NHWC models and run on our
 * cpu kernels, must classify the MNIST test set as the book's network does
 * (counts measured by an independent float64 numpy implementation; see
 * assets/book/README.md). The weights are the copies shipped in assets/book/,
 * which the loaders read when given no folder.
 */
import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { isIm2colKernelActive, registerIm2colKernels } from '../src';
import { imagesTensor, loadMnist } from '../src/data/mnist';
import { buildSimpleConvNet } from '../src/models/simpleConvNet';
import { buildDeepConvNet } from '../src/models/deepConvNet';
import { loadBookDeepConvNet, loadBookSimpleConvNet } from '../src/models/bookWeights';

const data = loadMnist({ trainLimit: 0 });

function countCorrect(model: tfl.LayersModel): number {
  let correct = 0;
  const batch = 1000;
  for (let start = 0; start < data.test.n; start += batch) {
    const idx = Array.from({ length: Math.min(batch, data.test.n - start) }, (_, i) => start + i);
    const pred = tf.tidy(() => tf.argMax(model.predict(imagesTensor(data.test, idx)) as tf.Tensor, 1).dataSync());
    idx.forEach((j, i) => { if (pred[i] === data.test.labels[j]) correct++; });
  }
  return correct;
}

beforeAll(async () => {
  await tf.setBackend('cpu');
  registerIm2colKernels({ backends: ['cpu'] });
});

test('our kernels are the ones running', () => {
  for (const k of ['FusedConv2D', 'MaxPool']) expect(isIm2colKernelActive(k, 'cpu')).toBe(true);
});

test('SimpleConvNet with the book weights: 9,890 of 10,000 (±3)', () => {
  expect(data.test.n).toBe(10000);
  const model = buildSimpleConvNet();
  loadBookSimpleConvNet(model);
  const before = tf.memory().numTensors;
  const correct = countCorrect(model);
  expect(tf.memory().numTensors).toBe(before);
  expect(Math.abs(correct - 9890)).toBeLessThanOrEqual(3);
  model.dispose();
});

test('DeepConvNet with the book weights: 9,935 of 10,000 (±3)', () => {
  const model = buildDeepConvNet();
  loadBookDeepConvNet(model);
  const correct = countCorrect(model);
  expect(Math.abs(correct - 9935)).toBeLessThanOrEqual(3);
  model.dispose();
});
