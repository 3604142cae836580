import '@tensorflow/tfjs-backend-cpu';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { buildSimpleConvNet, simpleConvNetShapes } from '../src/models/simpleConvNet';
import { buildDeepConvNet } from '../src/models/deepConvNet';
import { ModelConfigError } from '../src/models/common';
import { folderLoadHandler, loadModel, saveModel } from '../src/models/io';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'models-test-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));
beforeAll(async () => { await tf.setBackend('cpu'); });

function shapes(model: tfl.LayersModel): number[][] {
  return model.layers.map((l) => (l.outputShape as number[]).slice(1));
}

describe('SimpleConvNet', () => {
  test('the book defaults: layer shapes and 30·25 + 30 + 4320·100 + 100 + 100·10 + 10 parameters', () => {
    const model = buildSimpleConvNet();
    expect(model.inputs[0].shape).toEqual([null, 28, 28, 1]);
    expect(shapes(model)).toEqual([[24, 24, 30], [12, 12, 30], [4320], [100], [10]]);
    expect(model.countParams()).toBe(30 * 25 + 30 + 4320 * 100 + 100 + 100 * 10 + 10);
    const conv = model.getLayer('conv1').getWeights();
    expect(conv[0].shape).toEqual([5, 5, 1, 30]);
    expect(Array.from(conv[1].dataSync()).every((v) => v === 0)).toBe(true);
    model.dispose();
  });

  test('weights start as N(0, 0.01²): the sample std of the 432,000 affine weights is 0.01 ± 2 %', () => {
    const model = buildSimpleConvNet({ seed: 3 });
    const w = model.getLayer('affine1').getWeights()[0];
    const { mean, variance } = tf.moments(w);
    expect(Math.abs(mean.dataSync()[0])).toBeLessThan(1e-4);
    expect(Math.sqrt(variance.dataSync()[0])).toBeCloseTo(0.01, 3);
    tf.dispose([mean, variance]);
    model.dispose();
  });

  test('the same seed gives the same weights, another seed different ones', () => {
    const a = buildSimpleConvNet({ seed: 42 });
    const b = buildSimpleConvNet({ seed: 42 });
    const c = buildSimpleConvNet({ seed: 43 });
    a.getWeights().forEach((w, i) => expect(Array.from(w.dataSync())).toEqual(Array.from(b.getWeights()[i].dataSync())));
    expect(Array.from(a.getWeights()[0].dataSync())).not.toEqual(Array.from(c.getWeights()[0].dataSync()));
    // layers get different draws from one seed
    expect(a.getWeights()[0].dataSync()[0]).not.toBe(a.getWeights()[2].dataSync()[0]);
    [a, b, c].forEach((m) => m.dispose());
  });

  test('an odd conv output (29×29 input → 25×25) pools to 12×12 like the book\'s Pooling layer, not 12.5²', () => {
    const cfg = { inputDim: [1, 29, 29] as [number, number, number] };
    expect(simpleConvNetShapes(cfg)).toEqual({ convOutput: [25, 25], poolOutput: [12, 12], flatSize: 4320 });
    const model = buildSimpleConvNet(cfg);
    const y = model.predict(tf.zeros([2, 29, 29, 1])) as tf.Tensor;
    expect(y.shape).toEqual([2, 10]);
    y.dispose();
    model.dispose();
  });

  test('pad, stride, channels and non-square inputs', () => {
    const model = buildSimpleConvNet({ inputDim: [3, 32, 20], convParam: { filterNum: 8, filterSize: 3, pad: 1, stride: 2 }, hiddenSize: 16, outputSize: 4 });
    // conv: floor((32 + 2 - 3) / 2) + 1 = 16, floor((20 + 2 - 3) / 2) + 1 = 10; pool: 8×5
    expect(shapes(model)).toEqual([[34, 22, 3], [16, 10, 8], [8, 5, 8], [320], [16], [4]]);
    expect(model.countParams()).toBe(8 * 27 + 8 + 320 * 16 + 16 + 16 * 4 + 4);
    model.dispose();
  });

  test('configurations without valid shapes get a clear error', () => {
    expect(simpleConvNetShapes({ convParam: { filterSize: 27 } }).flatSize).toBe(30); // 2×2 conv output still pools
    expect(() => buildSimpleConvNet({ convParam: { filterSize: 28 } })).toThrow(/1×1, too small for the 2×2 pool/);
    expect(() => buildSimpleConvNet({ convParam: { filterSize: 30 } })).toThrow(/larger than the padded input/);
    expect(() => buildSimpleConvNet({ convParam: { stride: 0 } })).toThrow(ModelConfigError);
    expect(() => buildSimpleConvNet({ convParam: { filterNum: 2.5 } })).toThrow(/filterNum must be a positive integer/);
    expect(() => buildSimpleConvNet({ weightInitStd: -1 })).toThrow(/weightInitStd/);
    expect(() => buildSimpleConvNet({ inputDim: [1, 28] as unknown as [number, number, number] })).toThrow(/inputDim/);
  });
});

describe('DeepConvNet (chapter 8)', () => {
  test('layer shapes and the 123,552 parameters of the book\'s deep_convnet_params.pkl', () => {
    const model = buildDeepConvNet();
    const conv = (cin: number, cout: number) => cin * cout * 9 + cout;
    expect(model.countParams()).toBe(conv(1, 16) + conv(16, 16) + conv(16, 32) + conv(32, 32) + conv(32, 64) + conv(64, 64)
      + 1024 * 50 + 50 + 50 * 10 + 10);
    expect(model.countParams()).toBe(123552);
    expect(model.getLayer('pool3').outputShape).toEqual([null, 4, 4, 64]);
    expect(model.getLayer('pool2').outputShape).toEqual([null, 8, 8, 32]);
    model.dispose();
  });
});

describe('saving and loading', () => {
  test('a saved model reloads with tf.loadLayersModel and predicts identically', async () => {
    const model = buildSimpleConvNet({ seed: 5 });
    // move the weights away from their initial values so the test isn't trivially true
    model.compile({ optimizer: tf.train.adam(0.01), loss: 'categoricalCrossentropy' });
    const x = tf.randomUniform([8, 28, 28, 1], 0, 1, 'float32', 1);
    const y = tf.oneHot(tf.tensor1d([0, 1, 2, 3, 4, 5, 6, 7], 'int32'), 10);
    await model.trainOnBatch(x, y);
    const dir = path.join(tmp, 'saved');
    await saveModel(model, dir);
    expect(fs.readdirSync(dir).sort()).toEqual(['model.json', 'weights.bin']);
    expect(fs.statSync(path.join(dir, 'weights.bin')).size).toBe(4 * model.countParams());
    const json = JSON.parse(fs.readFileSync(path.join(dir, 'model.json'), 'utf8'));
    expect(json.weightsManifest[0].paths).toEqual(['weights.bin']);

    const loaded = await tfl.loadLayersModel(folderLoadHandler(dir));
    const a = (model.predict(x) as tf.Tensor).dataSync();
    const b = (loaded.predict(x) as tf.Tensor).dataSync();
    expect(Array.from(b)).toEqual(Array.from(a));
    expect(loaded.countParams()).toBe(model.countParams());

    // overwriting leaves no temporary files behind
    await saveModel(loaded, dir);
    expect(fs.readdirSync(tmp).concat(fs.readdirSync(dir)).filter((f) => f.includes('.tmp'))).toEqual([]);
    const again = await loadModel(dir);
    expect(Array.from((again.predict(x) as tf.Tensor).dataSync())).toEqual(Array.from(a));
    [model, loaded, again].forEach((m) => m.dispose());
    tf.dispose([x, y]);
  });

  test('loading a folder without a model is a clear error', async () => {
    await expect(loadModel(path.join(tmp, 'empty'))).rejects.toThrow(/no model found/);
  });
});
