/**
 * The book's trained weights ship inside the repository (assets/book/) and load without a folder
 * argument. (book_weights.test.ts runs them over the whole test set; this is the quick check.)
 */
import '@tensorflow/tfjs-backend-cpu';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { registerIm2colKernels } from '../src';
import { imagesTensor, loadMnist } from '../src/data/mnist';
import { buildDeepConvNet } from '../src/models/deepConvNet';
import { buildSimpleConvNet } from '../src/models/simpleConvNet';
import { loadBookDeepConvNet, loadBookSimpleConvNet } from '../src/models/bookWeights';
import { bookFixtures, repoRoot } from './helpers/mnistPaths';

beforeAll(async () => {
  await tf.setBackend('cpu');
  registerIm2colKernels({ backends: ['cpu'] });
});

const test200 = loadMnist({ trainLimit: 0, testLimit: 200 }).test;

function correct(model: tfl.LayersModel): number {
  const pred = tf.tidy(() => tf.argMax(model.predict(imagesTensor(test200)) as tf.Tensor, 1).dataSync());
  return Array.from(pred).filter((p, i) => p === test200.labels[i]).length;
}

test('the weights, the photo and their licence note are in the repository', () => {
  expect(bookFixtures).toBe(path.join(repoRoot, 'assets', 'book'));
  for (const f of ['simple_convnet/manifest.json', 'simple_convnet/weights.bin', 'deep_convnet/manifest.json',
    'deep_convnet/weights.bin', 'cactus_gray.png', 'README.md']) {
    expect(fs.existsSync(path.join(bookFixtures, f))).toBe(true);
  }
  expect(fs.readFileSync(path.join(bookFixtures, 'README.md'), 'utf8')).toMatch(/MIT[\s\S]*Copyright \(c\) 2016 Koki Saitoh/);
  const pkg = JSON.parse(fs.readFileSync(path.join(repoRoot, 'package.json'), 'utf8'));
  expect(pkg.files).toContain('assets');
});

test.each([
  ['SimpleConvNet', buildSimpleConvNet, loadBookSimpleConvNet],
  ['DeepConvNet', buildDeepConvNet, loadBookDeepConvNet],
] as const)('%s: no folder given loads the shipped weights (≥ 196 of the first 200 test digits right)', (_, build, load) => {
  const model = build();
  const untrained = correct(model);
  load(model);
  expect(untrained).toBeLessThan(60);
  expect(correct(model)).toBeGreaterThanOrEqual(196);
  model.dispose();
});
