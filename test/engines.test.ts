/**
 * Engine selection (kernels/wasm_runtime/engines.ts), the conv kernels under every
 * engine against tfjs's builtins, and the worker pool's lifecycle: a process
 * whose pool is never closed still exits, from the esbuild CommonJS bundle too.
 */
import { randomValues } from './helpers/random';
import { execFileSync } from 'node:child_process';
import { setFlagsFromString } from 'node:v8';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildSync } from 'esbuild';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-layers';
import {
  availableGemmEngines, bestGemmEngineName, currentGemmEngine, gemmLinearMemory, getGemmEngine, selectBestGemmEngine,
  shutdownGemmThreads, useGemmEngine, GemmEngineName,
} from '../kernels/wasm_runtime/engines';
import { scalarEngine } from '../kernels/core/gemm';
import { registerIm2colKernels } from '../src';

tf.setBackend('cpu');
// Node 20 validates relaxed SIMD only behind this flag; with it the relaxed engines join the sweep.
setFlagsFromString('--experimental-wasm-relaxed-simd');

const random = randomValues;

afterAll(async () => {
  await shutdownGemmThreads();
});

test('Node here offers scalar, wasm-simd, wasm-relaxed-simd (flag on) and wasm-threads; the best is wasm-threads', () => {
  const names = availableGemmEngines();
  expect(names).toEqual(['scalar', 'wasm-simd', 'wasm-relaxed-simd', 'wasm-threads']);
  expect(bestGemmEngineName()).toBe('wasm-threads');
  const engine = selectBestGemmEngine({ threads: 2 });
  expect(engine.name).toBe('wasm-threads');
  expect(getGemmEngine()).toBe(engine);
  expect(currentGemmEngine()).toEqual({ name: 'wasm-threads', threads: 2 });
});

test('useGemmEngine switches engines and rejects bad requests without changing the engine', () => {
  useGemmEngine('wasm-simd');
  expect(getGemmEngine().name).toBe('wasm-simd');
  expect(() => useGemmEngine('gpu' as GemmEngineName)).toThrow(/unknown engine 'gpu'/);
  expect(() => useGemmEngine('wasm-threads', { threads: 0 })).toThrow(/threads must be a positive integer/);
  expect(() => useGemmEngine('wasm-threads', { threads: 1.5 })).toThrow(/threads must be a positive integer/);
  expect(getGemmEngine().name).toBe('wasm-simd');
  useGemmEngine('scalar');
  expect(getGemmEngine()).toBe(scalarEngine);
});

test('gemmLinearMemory: each wasm engine has its own shared memory, the scalar engine none', () => {
  useGemmEngine('wasm-threads', { threads: 2 });
  const threaded = gemmLinearMemory()!;
  const buf = threaded.resident(1000)!;
  expect(buf.length).toBe(1000);
  expect(threaded.isResident(buf)).toBe(true);
  useGemmEngine('wasm-simd');
  const single = gemmLinearMemory()!;
  expect(single).not.toBe(threaded);
  expect(single.isResident(buf)).toBe(false);
  threaded.release(buf);
  expect(threaded.isResident(buf)).toBe(false);
  useGemmEngine('scalar');
  expect(gemmLinearMemory()).toBeNull();
});

test('shutdownGemmThreads stops the pool and falls back to single-threaded SIMD', async () => {
  useGemmEngine('wasm-threads', { threads: 2 });
  await shutdownGemmThreads();
  expect(getGemmEngine().name).toBe('wasm-simd');
  await shutdownGemmThreads();
});

/** A small sweep of conv shapes: forward, and both gradients, NHWC and NCHW, with padding and stride. */
const CONVS: Array<{ x: number[]; f: number[]; strides: number; pad: 'same' | 'valid'; format: 'NHWC' | 'NCHW' }> = [
  { x: [4, 12, 12, 1], f: [5, 5, 1, 6], strides: 1, pad: 'valid', format: 'NHWC' },
  { x: [2, 9, 11, 3], f: [3, 3, 3, 8], strides: 2, pad: 'same', format: 'NHWC' },
  { x: [2, 3, 10, 10], f: [3, 3, 3, 5], strides: 1, pad: 'same', format: 'NCHW' },
  { x: [3, 8, 8, 16], f: [1, 1, 16, 32], strides: 1, pad: 'valid', format: 'NHWC' },
  { x: [4, 28, 28, 1], f: [5, 5, 1, 30], strides: 1, pad: 'valid', format: 'NHWC' },
];

function convOutputs(c: (typeof CONVS)[number]): Float32Array[] {
  return tf.tidy(() => {
    const x = tf.tensor4d(random(c.x.reduce((a, b) => a * b), 1), c.x as [number, number, number, number]);
    const f = tf.tensor4d(random(c.f.reduce((a, b) => a * b), 2), c.f as [number, number, number, number]);
    const loss = (xx: tf.Tensor, ff: tf.Tensor) =>
      tf.sum(tf.square(tf.conv2d(xx as tf.Tensor4D, ff as tf.Tensor4D, c.strides, c.pad, c.format)));
    const y = tf.conv2d(x, f, c.strides, c.pad, c.format);
    const [dx, df] = tf.grads(loss)([x, f]);
    return [y, dx, df].map((t) => t.dataSync() as Float32Array);
  });
}

function relErr(a: Float32Array, b: Float32Array): number {
  let diff = 0;
  let scale = 1e-30;
  for (let i = 0; i < a.length; i++) {
    diff = Math.max(diff, Math.abs(a[i] - b[i]));
    scale = Math.max(scale, Math.abs(b[i]));
  }
  return a.length === b.length ? diff / scale : Infinity;
}

const ENGINES: Array<[GemmEngineName, { threads?: number; relaxed?: boolean }]> = [
  ['scalar', {}], ['wasm-simd', {}], ['wasm-relaxed-simd', {}],
  ['wasm-threads', { threads: 1, relaxed: false }], ['wasm-threads', { threads: 2, relaxed: false }],
  ['wasm-threads', { threads: 2, relaxed: true }],
];

test.each(ENGINES)('conv kernels under %s %j match tfjs builtins (forward, dx, dW)', (name, options) => {
  const expected = CONVS.map(convOutputs);
  useGemmEngine(name, options);
  const reg = registerIm2colKernels({ backends: ['cpu'] });
  try {
    CONVS.forEach((c, i) => {
      const ours = convOutputs(c);
      ours.forEach((o, j) => expect(relErr(o, expected[i][j])).toBeLessThan(1e-5));
    });
  } finally {
    reg.restore();
  }
});

test('a process that never closes its pool still exits (esbuild CommonJS bundle, unref\'d workers)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'gemm-pool-'));
  try {
    const entry = join(dir, 'entry.ts');
    writeFileSync(entry, `
      import { useGemmEngine } from ${JSON.stringify(join(__dirname, '../kernels/wasm_runtime/engines'))};
      import { rowMajor } from ${JSON.stringify(join(__dirname, '../kernels/core/gemm'))};
      const engine = useGemmEngine('wasm-threads', { threads: 2 });
      const n = 256;
      const a = new Float32Array(n * n).fill(1);
      const c = new Float32Array(n * n);
      engine.gemm(n, n, n, rowMajor(a, 0, n), rowMajor(a, 0, n), rowMajor(c, 0, n), false);
      console.log(JSON.stringify({ name: engine.name, live: (engine as any).liveWorkers(), c0: c[0], cLast: c[n * n - 1] }));
    `);
    const out = join(dir, 'bundle.cjs');
    buildSync({ entryPoints: [entry], bundle: true, platform: 'node', format: 'cjs', outfile: out, logLevel: 'error' });
    const started = Date.now();
    const stdout = execFileSync(process.execPath, [out], { timeout: 30_000, encoding: 'utf8' });
    expect(JSON.parse(stdout.trim())).toEqual({ name: 'wasm-threads', live: 1, c0: 256, cLast: 256 });
    expect(Date.now() - started).toBeLessThan(30_000);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('importing the package starts nothing: the engine is chosen on the first convolution', () => {
  const dir = mkdtempSync(join(tmpdir(), 'gemm-lazy-'));
  try {
    // Counts WebAssembly modules compiled, before and after the package is loaded and used.
    const entry = join(dir, 'entry.ts');
    writeFileSync(entry, `
      const Module = WebAssembly.Module;
      let compiled = 0;
      (WebAssembly as any).Module = function (bytes: BufferSource) { compiled++; return new Module(bytes); };
      const tf = require('@tensorflow/tfjs-core');
      require('@tensorflow/tfjs-backend-cpu');
      const tfjsOwn = compiled; // tfjs-core compiles a tiny module of its own
      const pkg = require(${JSON.stringify(join(__dirname, '../src'))});
      const afterImport = compiled - tfjsOwn;
      const reg = pkg.registerIm2colKernels({ backends: ['cpu'] });
      const afterRegister = compiled - tfjsOwn;
      tf.conv2d(tf.ones([1, 8, 8, 2]), tf.ones([3, 3, 2, 4]), 1, 'same').dataSync();
      const afterConv = compiled - tfjsOwn > 0;
      console.log(JSON.stringify({ afterImport, afterRegister, afterConv, engine: pkg.currentGemmEngine().name }));
      reg.restore();
      pkg.shutdownGemmThreads();
    `);
    const out = join(dir, 'bundle.cjs');
    buildSync({ entryPoints: [entry], bundle: true, platform: 'node', format: 'cjs', outfile: out, logLevel: 'error',
      external: ['@tensorflow/*'] });
    const stdout = execFileSync(process.execPath, [out], {
      timeout: 60_000, encoding: 'utf8', env: { ...process.env, NODE_PATH: join(__dirname, '../node_modules') },
    });
    const last = stdout.trim().split('\n').pop()!;
    expect(JSON.parse(last)).toEqual({ afterImport: 0, afterRegister: 0, afterConv: true, engine: bestGemmEngineName() });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
