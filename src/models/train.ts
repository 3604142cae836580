/**
 * The book's trainer (common/trainer.py, as ch07/train_convnet.py uses it):
 * mini-batch training with Adam, an accuracy check on the first
 * `evalSamples` training and test images after every epoch, and the final
 * accuracy on the whole test set.
 *
 * One difference: the book draws each mini-batch at random with replacement
 * (`np.random.choice`); we shuffle once per epoch and walk the permutation, so
 * every image is seen once per epoch. Shuffling uses our own seeded PRNG, and
 * the weights are initialised from the same seed, so a run is reproducible.
 */
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { imagesTensor, MnistData, MnistSplit, oneHotTensor } from '../data/mnist';

export { mulberry32 } from '../random';
import { mulberry32 } from '../random';

/** Fisher–Yates permutation of 0..n-1 driven by `random`. */
export function permutation(n: number, random: () => number): Uint32Array {
  const p = new Uint32Array(n);
  for (let i = 0; i < n; i++) p[i] = i;
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    const t = p[i];
    p[i] = p[j];
    p[j] = t;
  }
  return p;
}

/** Fraction of `indices` (default: all) of `split` that `model` classifies correctly. */
export function accuracy(model: tfl.LayersModel, split: MnistSplit, count?: number, batchSize = 500): number {
  const n = Math.min(count ?? split.n, split.n);
  if (n === 0) return NaN;
  let correct = 0;
  for (let start = 0; start < n; start += batchSize) {
    const idx = Array.from({ length: Math.min(batchSize, n - start) }, (_, i) => start + i);
    const pred = tf.tidy(() => tf.argMax(model.predict(imagesTensor(split, idx)) as tf.Tensor, 1).dataSync());
    for (let i = 0; i < idx.length; i++) if (pred[i] === split.labels[idx[i]]) correct++;
  }
  return correct / n;
}

/** Indices of the test images `model` gets wrong, with label and prediction. */
export function misclassified(model: tfl.LayersModel, split: MnistSplit, batchSize = 500): { index: number; label: number; prediction: number }[] {
  const out: { index: number; label: number; prediction: number }[] = [];
  for (let start = 0; start < split.n; start += batchSize) {
    const idx = Array.from({ length: Math.min(batchSize, split.n - start) }, (_, i) => start + i);
    const pred = tf.tidy(() => tf.argMax(model.predict(imagesTensor(split, idx)) as tf.Tensor, 1).dataSync());
    for (let i = 0; i < idx.length; i++) {
      if (pred[i] !== split.labels[idx[i]]) out.push({ index: idx[i], label: split.labels[idx[i]], prediction: pred[i] });
    }
  }
  return out;
}

/**
 * `accuracy` a batch at a time with a turn of the event loop between batches, so that signal
 * handlers (Ctrl-C) run during a long evaluation instead of after it.
 */
async function accuracyYielding(model: tfl.LayersModel, split: MnistSplit, count?: number, batchSize = 500): Promise<number> {
  const n = Math.min(count ?? split.n, split.n);
  if (n === 0) return NaN;
  const size = split.rows * split.cols;
  let correct = 0;
  for (let start = 0; start < n; start += batchSize) {
    const m = Math.min(batchSize, n - start);
    const part: MnistSplit = {
      ...split, n: m, pixels: split.pixels.subarray(start * size, (start + m) * size), labels: split.labels.subarray(start, start + m),
    };
    correct += Math.round(accuracy(model, part, m, m) * m);
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
  return correct / n;
}

export interface TrainOptions {
  epochs: number;
  batchSize: number;
  learningRate: number;
  /** Seeds the shuffling (the model's initialisers are seeded when it is built). Default 0. */
  seed?: number;
  /** Per-epoch accuracy on the first `evalSamples` train and test images (the book: 1000); 0 = all. */
  evalSamples?: number;
  /** Stop each epoch after this many steps (default: all, ceil(train / batch)). */
  stepsPerEpoch?: number;
  /** Called after every step. */
  onStep?: (info: StepInfo) => void;
  /** Called at the start of each epoch. */
  onEpochStart?: (epoch: number, steps: number) => void;
  /** Called after every epoch's evaluation. */
  onEpochEnd?: (record: EpochRecord) => void;
  /** Checked after every step; returning true stops training (e.g. on Ctrl-C). */
  shouldStop?: () => boolean;
}

export interface StepInfo {
  epoch: number;
  step: number;
  steps: number;
  loss: number;
  acc: number;
  /** Mean loss and accuracy over the epoch so far. */
  meanLoss: number;
  meanAcc: number;
  imagesPerSec: number;
}

export interface EpochRecord {
  epoch: number;
  steps: number;
  loss: number;
  /** Mean mini-batch accuracy during the epoch. */
  batchAcc: number;
  trainAcc: number;
  testAcc: number;
  /** Seconds spent training (without the evaluation). */
  trainSeconds: number;
  evalSeconds: number;
  imagesPerSec: number;
}

export interface TrainResult {
  history: EpochRecord[];
  /** The mini-batch loss of every step, in order, epoch after epoch (`history[e].steps` of them in epoch e). */
  stepLosses: number[];
  /** True when `shouldStop` ended training early. */
  interrupted: boolean;
  finalTestAcc: number;
}

/** Compiles `model` with the book's recipe: Adam(lr), softmax cross-entropy, accuracy. */
export function compileForTraining(model: tfl.LayersModel, learningRate: number): void {
  model.compile({ optimizer: tf.train.adam(learningRate), loss: 'categoricalCrossentropy', metrics: ['accuracy'] });
}

/** Trains a compiled (see `compileForTraining`) model on `data.train`. */
export async function trainModel(model: tfl.LayersModel, data: MnistData, options: TrainOptions): Promise<TrainResult> {
  const { epochs, batchSize } = options;
  const random = mulberry32(options.seed ?? 0);
  const evalSamples = options.evalSamples ?? 1000;
  const train = data.train;
  if (train.n === 0) throw new Error('trainModel: no training images');
  const fullSteps = Math.ceil(train.n / batchSize);
  const steps = Math.min(fullSteps, options.stepsPerEpoch ?? fullSteps);
  const history: EpochRecord[] = [];
  const stepLosses: number[] = [];
  let interrupted = false;
  for (let epoch = 1; epoch <= epochs && !interrupted; epoch++) {
    options.onEpochStart?.(epoch, steps);
    const order = permutation(train.n, random);
    let lossSum = 0;
    let accSum = 0;
    let images = 0;
    let done = 0;
    const t0 = performance.now();
    for (let step = 0; step < steps; step++) {
      const idx = order.subarray(step * batchSize, Math.min((step + 1) * batchSize, train.n));
      const x = imagesTensor(train, idx);
      const y = oneHotTensor(train, idx);
      let result: number | number[];
      try {
        result = await model.trainOnBatch(x, y);
      } finally {
        x.dispose();
        y.dispose();
      }
      const [loss, acc] = result as number[];
      stepLosses.push(loss);
      lossSum += loss * idx.length;
      accSum += acc * idx.length;
      images += idx.length;
      done++;
      const elapsed = (performance.now() - t0) / 1000;
      options.onStep?.({ epoch, step: step + 1, steps, loss, acc, meanLoss: lossSum / images, meanAcc: accSum / images, imagesPerSec: images / elapsed });
      // trainOnBatch settles through microtasks only; give the event loop a turn so
      // signal handlers (Ctrl-C) and timers (progress bar redraws) run during training.
      await new Promise<void>((resolve) => setImmediate(resolve));
      if (options.shouldStop?.()) {
        interrupted = true;
        break;
      }
    }
    const trainSeconds = (performance.now() - t0) / 1000;
    if (interrupted && done === 0) break;
    const e0 = performance.now();
    const sample = evalSamples > 0 ? evalSamples : undefined;
    const trainAcc = await accuracyYielding(model, train, sample);
    const testAcc = await accuracyYielding(model, data.test, sample);
    const record: EpochRecord = {
      epoch, steps: done, loss: lossSum / images, batchAcc: accSum / images, trainAcc, testAcc,
      trainSeconds, evalSeconds: (performance.now() - e0) / 1000, imagesPerSec: images / trainSeconds,
    };
    history.push(record);
    options.onEpochEnd?.(record);
  }
  const finalTestAcc = interrupted ? NaN : await accuracyYielding(model, data.test);
  return { history, stepLosses, interrupted, finalTestAcc };
}
