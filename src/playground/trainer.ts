/**
 * Mini-batch training in the page, the book's recipe (ch07/train_convnet.py): Adam, learning rate 0.001,
 * batch 100, softmax cross-entropy; the permutation of the training set is reshuffled every epoch (seeded).
 */
/* eslint-disable @typescript-eslint/no-explicit-any */
import { buildDeepConvNet } from '../models/deepConvNet';
import { buildLeNet } from '../models/lenet';
import { buildSimpleConvNet } from '../models/simpleConvNet';
import { imagesTensor, Mnist, oneHot, permutation } from './data';
import { tf } from './tf';

export type NetName = 'simple' | 'lenet' | 'deep';

export const NET_TITLES: Record<NetName, string> = { simple: 'SimpleConvNet', lenet: 'LeNet-5', deep: 'DeepConvNet' };

export interface EpochResult { epoch: number; testAccuracy: number; seconds: number }

export class Trainer {
  model: any;
  step = 0;
  readonly losses: number[] = [];
  readonly batchAccuracies: number[] = [];
  readonly stepMs: number[] = [];
  readonly epochs: EpochResult[] = [];
  private perm: Uint32Array | undefined;
  private epochStart = 0;

  constructor(readonly data: Mnist, readonly net: NetName, readonly seed: number, readonly batchSize = 100, readonly learningRate = 0.001) {
    this.model = net === 'simple' ? buildSimpleConvNet({ seed }) : net === 'lenet' ? buildLeNet({ seed }) : buildDeepConvNet({ seed });
    this.model.compile({ optimizer: tf.train.adam(learningRate, 0.9, 0.999, 1e-7), loss: 'categoricalCrossentropy', metrics: ['accuracy'] });
  }

  get stepsPerEpoch(): number {
    return Math.floor(this.data.train.n / this.batchSize);
  }

  get epoch(): number {
    return Math.floor(this.step / this.stepsPerEpoch);
  }

  /** One optimiser step on the next mini-batch; the loss is read back, so the time covers the whole step. */
  async trainStep(): Promise<{ loss: number; accuracy: number; ms: number; epochDone: boolean }> {
    const spe = this.stepsPerEpoch;
    const i = this.step % spe;
    if (i === 0 || this.perm === undefined) {
      this.perm = permutation(this.data.train.n, this.seed + this.epoch);
      this.epochStart = performance.now();
    }
    const idx = this.perm.subarray(i * this.batchSize, (i + 1) * this.batchSize);
    const x = imagesTensor(this.data, this.data.train, idx);
    const y = oneHot(this.data.train, idx);
    const t0 = performance.now();
    let out: number[];
    try {
      out = await this.model.trainOnBatch(x, y);
    } finally {
      tf.dispose([x, y]);
    }
    const ms = performance.now() - t0;
    const [loss, accuracy] = out;
    this.step++;
    this.losses.push(loss);
    this.batchAccuracies.push(accuracy);
    this.stepMs.push(ms);
    return { loss, accuracy, ms, epochDone: this.step % spe === 0 };
  }

  /** Ends an epoch: the accuracy on the first 1,000 test images, as the book checks. */
  async finishEpoch(): Promise<EpochResult> {
    const seconds = (performance.now() - this.epochStart) / 1000;
    const r = { epoch: this.epoch, testAccuracy: await this.testAccuracy(1000), seconds };
    this.epochs.push(r);
    return r;
  }

  /** Fraction of the first `count` test images classified right. */
  async testAccuracy(count = 1000): Promise<number> {
    return accuracyOf(this.model, this.data, Math.min(count, this.data.test.n));
  }

  /** The median time of the steps after the first (which compiles shaders and warms caches). */
  msPerStep(): number {
    const xs = (this.stepMs.length > 1 ? this.stepMs.slice(1) : this.stepMs).slice().sort((a, b) => a - b);
    if (xs.length === 0) return NaN;
    const m = xs.length >> 1;
    return xs.length % 2 ? xs[m] : (xs[m - 1] + xs[m]) / 2;
  }

  dispose(): void {
    this.model.dispose();
    this.model.optimizer?.dispose?.();
  }
}

/** Accuracy of `model` on the first `count` test images, 250 at a time. */
export async function accuracyOf(model: any, data: Mnist, count: number): Promise<number> {
  let correct = 0;
  for (let start = 0; start < count; start += 250) {
    const idx = Array.from({ length: Math.min(250, count - start) }, (_, i) => start + i);
    const x = imagesTensor(data, data.test, idx);
    const pred = tf.tidy(() => tf.argMax(model.predict(x), 1));
    const p = (await pred.data()) as Int32Array;
    tf.dispose([x, pred]);
    for (let i = 0; i < idx.length; i++) if (p[i] === data.test.labels[idx[i]]) correct++;
  }
  return correct / count;
}

/** The model's first convolution layer (conv1 in SimpleConvNet and DeepConvNet, C1 in LeNet). */
export function firstConv(model: any): any {
  const layer = model.layers.find((l: any) => l.getClassName() === 'Conv2D');
  if (!layer) throw new Error(`${model.name} has no Conv2D layer`);
  return layer;
}
