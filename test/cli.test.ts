/** The CLI in-process on tiny subsets: what it writes, its exit codes, and its messages for bad input. */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { PNG } from 'pngjs';
import * as tf from '@tensorflow/tfjs-core';
import { runCli } from './helpers/cli';
import { loadModel } from '../src/models/io';
import { imagesTensor, loadMnist } from '../src/data/mnist';
import { CHART_HEIGHT, CHART_WIDTH } from '../src/visualize/chart';
import { writeIdxSet } from './helpers/mnistFiles';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'cli-test-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

const cli = runCli;

const tiny = ['--train-limit', '200', '--test-limit', '100', '--eval-samples', '100', '--no-progress', '--batch-size', '50'];

test('train on a tiny subset writes model, history and plot; the model reloads; visualize draws the figures', async () => {
  const out = path.join(tmp, 'run1');
  const r = await cli(['train', ...tiny, '--epochs', '2', '--seed', '5', '--out', out]);
  expect(r.err).toBe('');
  expect(r.code).toBe(0);
  expect(r.out).toMatch(/=== epoch:1, train acc:0\.\d{4}, test acc:0\.\d{4} ===/);
  expect(r.out).toMatch(/=== epoch:2, /);
  expect(r.out).toMatch(/test acc:0\.\d{4} \(\d+ \/ 100\)/);
  expect(fs.readdirSync(out).sort()).toEqual(['accuracy.png', 'history.json', 'model']);
  expect(fs.readdirSync(path.join(out, 'model')).sort()).toEqual(['model.json', 'weights.bin']);

  const history = JSON.parse(fs.readFileSync(path.join(out, 'history.json'), 'utf8'));
  expect(history.seed).toBe(5);
  expect(history.epochs).toHaveLength(2);
  expect(history.epochs[1].steps).toBe(4);
  expect(history.trainImages).toBe(200);
  const final = history.finalTestAcc as number;

  // every step's loss is recorded, and they average to each epoch's mean loss (4 equal batches of 50)
  expect(history.stepLosses).toHaveLength(8);
  for (const [e, epoch] of (history.epochs as { loss: number }[]).entries()) {
    const losses = (history.stepLosses as number[]).slice(4 * e, 4 * e + 4);
    expect(losses.reduce((a, b) => a + b, 0) / 4).toBeCloseTo(epoch.loss, 6);
  }
  const plot = PNG.sync.read(fs.readFileSync(path.join(out, 'accuracy.png')));
  expect([plot.width, plot.height]).toEqual([CHART_WIDTH, CHART_HEIGHT]);

  // the saved model scores what the run reported
  const model = await loadModel(path.join(out, 'model'));
  const test = loadMnist({ trainLimit: 0, testLimit: 100 }).test;
  const pred = tf.tidy(() => tf.argMax(model.predict(imagesTensor(test)) as tf.Tensor, 1).dataSync());
  const correct = Array.from(pred).filter((p, i) => p === test.labels[i]).length;
  expect(correct / 100).toBeCloseTo(final, 10);
  model.dispose();

  const v = await cli(['visualize', '--run', out, '--test-limit', '100', '--filters', '0,1']);
  expect(v.code).toBe(0);
  for (const f of ['filters_before.png', 'filters_after.png', 'filter_responses.png', 'misclassified.png']) {
    const png = PNG.sync.read(fs.readFileSync(path.join(out, f)));
    expect(png.width).toBeGreaterThan(20);
  }
  // 30 filters of 5×5 at 8 px with 4 px gaps, 10 per row
  const grid = PNG.sync.read(fs.readFileSync(path.join(out, 'filters_after.png')));
  expect([grid.width, grid.height]).toEqual([4 + 10 * 44, 4 + 3 * 44]);
  expect(v.out).toMatch(new RegExp(`${100 - correct} of 100 test images misclassified`));
});

test('the same seed gives the same weights', async () => {
  const a = path.join(tmp, 'seedA');
  const b = path.join(tmp, 'seedB');
  const args = [...tiny, '--epochs', '1', '--steps-per-epoch', '2', '--seed', '9'];
  expect((await cli(['train', ...args, '--out', a])).code).toBe(0);
  expect((await cli(['train', ...args, '--out', b])).code).toBe(0);
  const wa = fs.readFileSync(path.join(a, 'model', 'weights.bin'));
  const wb = fs.readFileSync(path.join(b, 'model', 'weights.bin'));
  expect(wa.equals(wb)).toBe(true);
  const c = path.join(tmp, 'seedC');
  expect((await cli(['train', ...args.slice(0, -1), '10', '--out', c])).code).toBe(0);
  expect(fs.readFileSync(path.join(c, 'model', 'weights.bin')).equals(wa)).toBe(false);
});

test('a folder of gzipped IDX files (e.g. Fashion-MNIST) is accepted with --data', async () => {
  const data = path.join(tmp, 'gzdata');
  writeIdxSet(data, { n: 60, m: 20, gzip: true });
  const r = await cli(['train', '--data', data, '--epochs', '1', '--batch-size', '20', '--no-progress', '--out', path.join(tmp, 'gzrun'), '--seed', '1']);
  expect(r.code).toBe(0);
  expect(r.out).toMatch(/60 training \/ 20 test images/);
});

test('Ctrl-C stops after the current step and still saves a complete model', async () => {
  const out = path.join(tmp, 'interrupted');
  const r = await cli(['train', ...tiny, '--epochs', '3', '--seed', '2', '--out', out], (line) => {
    if (line.startsWith('output:')) setImmediate(() => process.emit('SIGINT'));
  });
  expect(r.code).toBe(130);
  expect(r.out).toMatch(/interrupted: finishing the current step/);
  const history = JSON.parse(fs.readFileSync(path.join(out, 'history.json'), 'utf8'));
  expect(history.interrupted).toBe(true);
  expect(history.epochs.length).toBeLessThan(3);
  expect(history.stepLosses).toHaveLength((history.epochs as { steps: number }[]).reduce((n, e) => n + e.steps, 0));
  expect(fs.readdirSync(path.join(out, 'model')).sort()).toEqual(['model.json', 'weights.bin']);
  (await loadModel(path.join(out, 'model'))).dispose();
  expect(process.listenerCount('SIGINT')).toBe(0);
});

describe('bad input: a clear message and a non-zero exit', () => {
  test.each([
    [['train', '--epochs', '0'], /--epochs <n>' argument '0' is invalid/],
    [['train', '--epochs', 'ten'], /argument 'ten' is invalid/],
    [['train', '--lr', '-1'], /--lr <x>' argument '-1' is invalid. expected a positive number/],
    [['train', '--kernels', 'fast'], /expected one of: ours, builtin/],
    [['train', '--bogus'], /unknown option '--bogus'/],
    [['frobnicate'], /unknown command 'frobnicate'/],
  ])('%j', async (args, message) => {
    const r = await cli(args as string[]);
    expect(r.code).not.toBe(0);
    expect(r.err).toMatch(message);
  });

  test('missing data folder', async () => {
    const r = await cli(['train', '--data', path.join(tmp, 'no-such-dir'), '--out', path.join(tmp, 'x1')]);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/cannot load the training data: data folder not found/);
    expect(fs.existsSync(path.join(tmp, 'x1'))).toBe(false); // nothing created for a run that never started
  });

  test('corrupt data file', async () => {
    const data = path.join(tmp, 'corrupt');
    writeIdxSet(data, { n: 10, m: 10 });
    fs.writeFileSync(path.join(data, 'train-images-idx3-ubyte'), Buffer.from([0, 0, 8, 3, 0, 0]));
    const r = await cli(['train', '--data', data, '--out', path.join(tmp, 'x2')]);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/train-images-idx3-ubyte: truncated IDX header/);
  });

  test('unwritable output folder', async () => {
    const file = path.join(tmp, 'a-file');
    fs.writeFileSync(file, '');
    const r = await cli(['train', ...tiny, '--out', path.join(file, 'sub')]);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/cannot write to output folder .*a-file\/sub/);
  });

  test('visualize without a run, or with a missing image', async () => {
    const r = await cli(['visualize', '--run', path.join(tmp, 'nothing')]);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/no saved model in/);
    const r2 = await cli(['visualize', '--run', path.join(tmp, 'run1'), '--image', path.join(tmp, 'none.png')]);
    expect(r2.code).toBe(2);
    expect(r2.err).toMatch(/image not found/);
  });
});

describe('figures', () => {
  // imported lazily so the CLI tests above don't depend on them
  const { filterGrid, misclassifiedGrid } = require('../src/visualize/figures') as typeof import('../src/visualize/figures');

  test('filter grids scale each filter on its own: smallest weight black, largest white (figure 7-24)', () => {
    const fh = 5;
    const fw = 5;
    const data = new Float32Array(fh * fw * 1 * 2);
    for (let i = 0; i < 25; i++) {
      data[i * 2] = i; // filter 0: a ramp 0..24
      data[i * 2 + 1] = -1000 * i; // filter 1: the reversed ramp, 1000× larger
    }
    const kernel = tf.tensor4d(data, [fh, fw, 1, 2]);
    const c = filterGrid(kernel, 10, 8);
    const px = (x: number, y: number) => c.data[4 * (y * c.width + x)];
    // cell 0 starts at (4, 4), cell 1 at (4 + 5·8 + 4, 4); 8 px per weight
    expect(px(4, 4)).toBe(0);
    expect(px(4 + 4 * 8, 4 + 4 * 8)).toBe(255);
    expect(px(48, 4)).toBe(255);
    expect(px(48 + 4 * 8, 4 + 4 * 8)).toBe(0);
    expect(px(4 + 2 * 8, 4 + 2 * 8)).toBe(Math.round((12 / 24) * 255));
    kernel.dispose();
  });

  test('misclassified digits are drawn dark on light with their label>prediction', () => {
    const pixels = new Uint8Array(2 * 28 * 28);
    pixels[0] = 255; // image 0, pixel (0, 0) is ink
    const c = misclassifiedGrid(pixels, 28, 28, [{ index: 0, label: 3, prediction: 8 }], 10);
    expect(c.data[4 * (8 * c.width + 8)]).toBe(0); // ink → black at the cell's corner (8, 8)
    expect(c.data[4 * (8 * c.width + 8 + 2)]).toBe(255); // background → white
  });
});
