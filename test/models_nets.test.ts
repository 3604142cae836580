/** LeNet-5 and AlexNet: shapes and parameter counts as the papers, and their custom layers checked against dense equivalents. */
import '@tensorflow/tfjs-backend-cpu';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { buildLeNet, LENET_C3_TABLE } from '../src/models/lenet';
import { buildAlexNet } from '../src/models/alexnet';
import { GroupedConv2D, SparseConv2D } from '../src/models/layers';
import { loadModel, saveModel } from '../src/models/io';
import { FastNormal } from '../src/models/common';

beforeAll(async () => { await tf.setBackend('cpu'); });
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'nets-test-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

function maxAbsDiff(a: tf.Tensor, b: tf.Tensor): number {
  const x = a.dataSync();
  const y = b.dataSync();
  expect(x.length).toBe(y.length);
  let m = 0;
  for (let i = 0; i < x.length; i++) m = Math.max(m, Math.abs(x[i] - y[i]));
  return m;
}

describe('LeNet-5', () => {
  test('the C3 connection table is Table I of the paper (60 connections)', () => {
    // Table I, row by row: the C3 maps each S2 map feeds.
    const rows = [
      [0, 4, 5, 6, 9, 10, 11, 12, 14, 15],
      [0, 1, 5, 6, 7, 10, 11, 12, 13, 15],
      [0, 1, 2, 6, 7, 8, 11, 13, 14, 15],
      [1, 2, 3, 6, 7, 8, 9, 12, 14, 15],
      [2, 3, 4, 7, 8, 9, 10, 12, 13, 15],
      [3, 4, 5, 8, 9, 10, 11, 13, 14, 15],
    ];
    const columns = Array.from({ length: 16 }, (_, j) => rows.flatMap((r, i) => (r.includes(j) ? [i] : [])));
    expect(LENET_C3_TABLE).toEqual(columns);
    expect(LENET_C3_TABLE.flat()).toHaveLength(60);
  });

  test('layer shapes and the paper\'s per-layer parameter counts', () => {
    const model = buildLeNet({ seed: 1 });
    const params = (name: string) => model.getLayer(name).countParams();
    expect([params('C1'), params('S2'), params('C3'), params('S4'), params('C5'), params('F6')]).toEqual([156, 12, 1516, 32, 48120, 10164]);
    expect(model.getLayer('S2').outputShape).toEqual([null, 14, 14, 6]);
    expect(model.getLayer('C3').outputShape).toEqual([null, 10, 10, 16]);
    expect(model.getLayer('C5').outputShape).toEqual([null, 1, 1, 120]);
    expect(model.countParams()).toBe(60000 + 850); // + the dense softmax output
    const rbf = buildLeNet({ output: 'rbf', seed: 1 });
    expect(rbf.getLayer('output').countParams()).toBe(840);
    expect(rbf.trainableWeights.reduce((s, w) => s + (w.shape as number[]).reduce((a, b) => a * b, 1), 0)).toBe(60000); // centres are fixed
    const y = rbf.predict(tf.zeros([2, 28, 28, 1])) as tf.Tensor;
    expect(y.shape).toEqual([2, 10]);
    expect(Math.min(...y.dataSync())).toBeGreaterThanOrEqual(0); // squared distances
    [model, rbf].forEach((m) => m.dispose());
  });

  test('the sparse C3 convolution equals a dense conv whose unconnected filters are zero', () => {
    const layer = new SparseConv2D({ connections: LENET_C3_TABLE, kernelSize: 5, seed: 4 });
    const x = tf.randomNormal([2, 14, 14, 6], 0, 1, 'float32', 5) as tf.Tensor4D;
    const y = layer.apply(x) as tf.Tensor;
    const [compact, bias] = layer.getWeights();
    const c = compact.arraySync() as number[][];
    const dense = new Float32Array(5 * 5 * 6 * 16);
    let pair = 0;
    LENET_C3_TABLE.forEach((inputs, j) => inputs.forEach((i) => {
      for (let t = 0; t < 25; t++) dense[(t * 6 + i) * 16 + j] = c[t][pair];
      pair++;
    }));
    const expected = tf.add(tf.conv2d(x, tf.tensor4d(dense, [5, 5, 6, 16]), 1, 'valid'), bias);
    expect(maxAbsDiff(y, expected)).toBeLessThan(1e-5);
  });

  test('a LeNet with its custom layers trains a step, saves and reloads identically', async () => {
    const model = buildLeNet({ seed: 2 });
    model.compile({ optimizer: tf.train.adam(0.01), loss: 'categoricalCrossentropy' });
    const x = tf.randomUniform([4, 28, 28, 1], 0, 1, 'float32', 3);
    const before = model.getLayer('S2').getWeights()[0].dataSync().slice();
    await model.trainOnBatch(x, tf.oneHot(tf.tensor1d([1, 2, 3, 4], 'int32'), 10));
    expect(Array.from(model.getLayer('S2').getWeights()[0].dataSync())).not.toEqual(Array.from(before)); // gradients reach S2
    await saveModel(model, path.join(tmp, 'lenet'));
    const loaded = await loadModel(path.join(tmp, 'lenet'));
    expect(maxAbsDiff(model.predict(x) as tf.Tensor, loaded.predict(x) as tf.Tensor)).toBe(0);
    [model, loaded].forEach((m) => m.dispose());
  });
});

describe('AlexNet', () => {
  test('its fast seeded N(0, σ²) initializer: moments, determinism, serialization', () => {
    const a = new FastNormal({ stddev: 0.01, seed: 3 }).apply([1000, 100]);
    const { mean, variance } = tf.moments(a);
    expect(Math.abs(mean.dataSync()[0])).toBeLessThan(1e-4);
    expect(Math.sqrt(variance.dataSync()[0])).toBeCloseTo(0.01, 4);
    // fraction beyond 2σ ≈ 4.55 % for a normal distribution
    const beyond = tf.mean(tf.cast(tf.greater(tf.abs(a), 0.02), 'float32')).dataSync()[0];
    expect(Math.abs(beyond - 0.0455)).toBeLessThan(0.003);
    expect(Array.from(new FastNormal({ stddev: 0.01, seed: 3 }).apply([5]).dataSync())).toEqual(Array.from(a.dataSync().slice(0, 5)));
    const dense = tfl.sequential({ layers: [tfl.layers.dense({ inputShape: [3], units: 2, kernelInitializer: new FastNormal({ stddev: 1, seed: 1 }) as never })] });
    const json = JSON.stringify(dense.toJSON(null, false));
    expect(json).toMatch(/"class_name":"FastNormal","config":\{"mean":0,"stddev":1,"seed":1\}/);
    dense.dispose();
  });

  test('two-tower AlexNet: layer shapes and 60,965,224 parameters; one tower: 62,378,344', () => {
    const model = buildAlexNet({ seed: 1 });
    const out = (n: string) => (model.getLayer(n).outputShape as number[]).slice(1);
    expect(out('conv1')).toEqual([55, 55, 96]);
    expect(out('pool1')).toEqual([27, 27, 96]);
    expect(out('conv2')).toEqual([27, 27, 256]);
    expect(out('pool2')).toEqual([13, 13, 256]);
    expect(out('conv5')).toEqual([13, 13, 256]);
    expect(out('pool5')).toEqual([6, 6, 256]);
    expect(out('fc8')).toEqual([1000]);
    expect(model.countParams()).toBe(60965224);
    model.dispose();
    const single = buildAlexNet({ groups: 1 });
    expect(single.countParams()).toBe(62378344);
    single.dispose();
  });

  test('a grouped convolution equals a dense conv with a block-diagonal kernel', () => {
    const layer = new GroupedConv2D({ filters: 6, kernelSize: 3, padding: 'same', groups: 2, kernelInitializer: tfl.initializers.randomNormal({ seed: 7 }) });
    const x = tf.randomNormal([1, 7, 7, 4], 0, 1, 'float32', 8) as tf.Tensor4D;
    const y = layer.apply(x) as tf.Tensor;
    const [k, b] = layer.getWeights();
    const kd = k.arraySync() as number[][][][];
    const dense = tf.buffer([3, 3, 4, 6]);
    for (let i = 0; i < 3; i++) for (let j = 0; j < 3; j++) for (let ci = 0; ci < 2; ci++) for (let f = 0; f < 6; f++) {
      const g = Math.floor(f / 3);
      dense.set(kd[i][j][ci][f], i, j, g * 2 + ci, f);
    }
    const expected = tf.add(tf.conv2d(x, dense.toTensor() as tf.Tensor4D, 1, 'same'), b);
    expect(maxAbsDiff(y, expected)).toBeLessThan(1e-5);
  });
});
