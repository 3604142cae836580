/**
 * The benchmark's whole networks (benchmarks/suite/net_arch.ts) as tfjs-layers models with seeded
 * random weights, so every backend and implementation starts from the same model and sees the same
 * batch. Node only (imports tfjs-layers); the WebGL page never builds these.
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { ArchOp, archOps } from './net_arch';
import { randomValues, rng } from './ops';
import type { NetParams } from './types';

type SymbolicTensor = tfl.SymbolicTensor;

function apply(layer: tfl.layers.Layer, x: SymbolicTensor | SymbolicTensor[]): SymbolicTensor {
  return layer.apply(x) as SymbolicTensor;
}

function activation(x: SymbolicTensor, act: 'relu6' | 'relu' | null, name: string): SymbolicTensor {
  if (act === 'relu6') return apply(tfl.layers.reLU({ maxValue: 6, name: `${name}_relu6` }), x);
  if (act === 'relu') return apply(tfl.layers.reLU({ name: `${name}_relu` }), x);
  return x;
}

function layersFrom(ops: ArchOp[], input: SymbolicTensor): SymbolicTensor {
  let x = input;
  let shortcut: SymbolicTensor | undefined;
  for (const o of ops) {
    switch (o.op) {
      case 'conv':
        x = apply(tfl.layers.conv2d({ filters: o.filters, kernelSize: o.kernel, strides: o.stride, padding: 'same', useBias: false, name: o.name }), x);
        x = activation(apply(tfl.layers.batchNormalization({ name: `${o.name}_bn`, epsilon: 1e-3 }), x), o.act, o.name);
        break;
      case 'dw':
        x = apply(tfl.layers.depthwiseConv2d({ kernelSize: 3, strides: o.stride, padding: 'same', useBias: false, name: o.name }), x);
        x = activation(apply(tfl.layers.batchNormalization({ name: `${o.name}_bn`, epsilon: 1e-3 }), x), o.act, o.name);
        break;
      case 'mark':
        shortcut = x;
        break;
      case 'add':
        if (!shortcut) throw new Error(`network: '${o.name}' has no marked shortcut`);
        x = activation(apply(tfl.layers.add({ name: o.name }), [shortcut, x]), o.act, o.name);
        shortcut = undefined;
        break;
      case 'head':
        x = apply(tfl.layers.globalAveragePooling2d({ name: 'gap' }), x);
        x = apply(tfl.layers.dense({ units: o.classes, name: 'logits' }), x);
        x = apply(tfl.layers.softmax({ name: 'probs' }), x);
        break;
    }
  }
  return x;
}

export function buildNetwork(p: NetParams): tfl.LayersModel {
  const input = tfl.input({ shape: [p.size, p.size, p.channels], name: 'image' });
  return tfl.model({ inputs: input, outputs: layersFrom(archOps(p.arch, p.alpha, p.channels, p.classes), input) });
}

/**
 * Seeded weights: convolution and dense kernels uniform with He's variance (2 / fan-in), batch
 * normalisation γ and moving variance in [0.9, 1.1], β and moving mean in ±0.05, biases in ±0.05.
 */
export function setSeededWeights(model: tfl.LayersModel, seed: number): void {
  const next = rng(seed);
  const values: tf.Tensor[] = [];
  for (const w of model.weights) {
    const shape = w.shape as number[];
    const n = shape.reduce((a, b) => a * b, 1);
    const name = w.originalName ?? w.name;
    let v: Float32Array;
    if (/gamma|moving_variance/.test(name)) v = randomValues(n, next, 0.1).map((x) => 1 + x);
    else if (/beta|moving_mean|bias/.test(name)) v = randomValues(n, next, 0.05);
    else {
      // conv kernel [kh, kw, in, out], depthwise [kh, kw, in, 1] (fan-in kh·kw), dense [in, out]
      const fanIn = /depthwise/.test(name) ? shape[0] * shape[1] : shape.slice(0, -1).reduce((a, b) => a * b, 1);
      v = randomValues(n, next, Math.sqrt(6 / fanIn));
    }
    values.push(tf.tensor(v, shape));
  }
  model.setWeights(values);
  tf.dispose(values);
}

/** Seeded input images in [0, 1) and one-hot labels. */
export function seededBatch(p: NetParams, seed: number): { x: tf.Tensor4D; labels: tf.Tensor2D } {
  const next = rng((seed * 7919) >>> 0);
  const n = p.batch * p.size * p.size * p.channels;
  const x = tf.tensor4d(randomValues(n, next).map((v) => (v + 1) / 2), [p.batch, p.size, p.size, p.channels]);
  const oneHot = new Float32Array(p.batch * p.classes);
  for (let i = 0; i < p.batch; i++) oneHot[i * p.classes + Math.floor(next() * p.classes)] = 1;
  return { x, labels: tf.tensor2d(oneHot, [p.batch, p.classes]) };
}

export interface NetRunner {
  run(): tf.Tensor;
  dispose(): void;
  model: tfl.LayersModel;
}

/**
 * forward: `model.predict(x)` (inference: batch normalisation with the moving statistics).
 * train: one SGD step, `optimizer.minimize` of the mean categorical cross-entropy of
 * `model.apply(x, {training: true})` (batch statistics; moving averages updated), the same
 * computation as tfjs-layers' own fit loop; returns the step's loss.
 */
export function makeNetRunner(p: NetParams, seed: number): NetRunner {
  const model = buildNetwork(p);
  setSeededWeights(model, seed);
  const { x, labels } = seededBatch(p, seed);
  if (p.mode === 'forward') {
    return { model, run: () => model.predict(x) as tf.Tensor, dispose: () => { tf.dispose([x, labels]); model.dispose(); } };
  }
  const optimizer = tf.train.sgd(p.learningRate ?? 0.01);
  const loss = () => tf.tidy(() => {
    const probs = model.apply(x, { training: true }) as tf.Tensor;
    return tf.mean(tfl.metrics.categoricalCrossentropy(labels, probs)) as tf.Scalar;
  });
  return {
    model,
    run: () => optimizer.minimize(loss, true) as tf.Scalar,
    dispose: () => { tf.dispose([x, labels]); optimizer.dispose(); model.dispose(); },
  };
}
