/**
 * `train --backend wasm`: SimpleConvNet on tfjs-backend-wasm with our gradient kernels (its own
 * kernels cannot train a CNN). The losses are compared with tfjs's cpu builtins in
 * test/wasm_train.test.ts; here: the CLI path, what it writes, and its errors.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { runCli } from './helpers/cli';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'cli-wasm-test-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

const cli = runCli;

const tiny = ['--train-limit', '400', '--test-limit', '100', '--eval-samples', '100', '--no-progress', '--batch-size', '50'];

test('--backend wasm --kernels builtin is refused before anything is written, naming the missing kernel', async () => {
  const out = path.join(tmp, 'refused');
  const r = await cli(['train', ...tiny, '--backend', 'wasm', '--kernels', 'builtin', '--out', out]);
  expect(r.code).not.toBe(0);
  expect(r.err).toMatch(/--backend wasm trains only with --kernels ours: tfjs-backend-wasm 4\.22 has no Conv2DBackpropFilter/);
  expect(fs.existsSync(path.join(out, 'history.json'))).toBe(false);
});

test('an unknown backend is refused with the choices', async () => {
  const r = await cli(['train', ...tiny, '--backend', 'webgpu']);
  expect(r.code).not.toBe(0);
  expect(r.err).toMatch(/cpu, wasm|'cpu'.*'wasm'/);
});

test('train --backend wasm trains on tfjs-backend-wasm: the loss falls and the run says so', async () => {
  const out = path.join(tmp, 'wasm');
  const r = await cli(['train', ...tiny, '--backend', 'wasm', '--epochs', '2', '--lr', '0.003', '--seed', '3', '--out', out]);
  expect(r.err).toBe('');
  expect(r.code).toBe(0);
  expect(tf.getBackend()).toBe('wasm');
  expect(r.out).toMatch(/backend wasm, kernels: tfjs-backend-wasm with tfjs-im2col/);
  const history = JSON.parse(fs.readFileSync(path.join(out, 'history.json'), 'utf8'));
  expect(history.backend).toBe('wasm');
  const losses = history.stepLosses as number[];
  expect(losses).toHaveLength(16);
  expect(losses.every(Number.isFinite)).toBe(true);
  const mean = (a: number[]) => a.reduce((s, v) => s + v, 0) / a.length;
  expect(mean(losses.slice(-4))).toBeLessThan(0.8 * mean(losses.slice(0, 4)));
  expect(history.finalTestAcc).toBeGreaterThan(0.4);
});
