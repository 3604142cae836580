/**
 * The weight cache (kernels/cpu/weights.ts): filters and dense kernels copied into WebAssembly memory
 * once per tensor. It must never hand back old values: checked against tfjs's builtin kernels after
 * the tensor is disposed and its memory reused, after the backend's array behind a data id is
 * replaced, and across engines; and it must give its blocks back when the tensors go.
 */
import type { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import { gemmLinearMemory, useGemmEngine } from '../kernels/wasm_runtime/engines';
import { MIN_USES, setWeightCache, weightCacheStats } from '../kernels/cpu/weights';
import { registerIm2colKernels, Registration } from '../src';
import { randomValues, relativeError, tf } from './helpers/tf';

let reg: Registration | null = null;
const cpu = () => tf.backend() as MathBackendCPU;

beforeAll(async () => {
  await tf.setBackend('cpu');
  useGemmEngine('wasm-simd');
});
afterAll(() => {
  reg?.restore();
  setWeightCache(true);
});

/** Runs fn with tfjs's builtin kernels (ours unregistered), returns the values. */
function builtin(fn: () => tf.Tensor): Float32Array {
  reg?.restore();
  reg = null;
  try {
    const y = fn();
    const v = y.dataSync() as Float32Array;
    y.dispose();
    return v;
  } finally {
    reg = registerIm2colKernels({ backends: ['cpu'] });
  }
}

function ours(fn: () => tf.Tensor): Float32Array {
  reg ??= registerIm2colKernels({ backends: ['cpu'] });
  const y = fn();
  const v = y.dataSync() as Float32Array;
  y.dispose();
  return v;
}

const X_SHAPE: [number, number, number, number] = [2, 9, 9, 8];
const F_SHAPE: [number, number, number, number] = [3, 3, 8, 16];
const size = (s: number[]) => s.reduce((a, b) => a * b, 1);

test('a cached filter gives the builtin result on every call, and its block goes back on dispose', () => {
  reg ??= registerIm2colKernels({ backends: ['cpu'] });
  const mem = gemmLinearMemory()!;
  const x = tf.tensor4d(randomValues(size(X_SHAPE), 1), X_SHAPE);
  // one convolution first, so that the im2col workspace (a resident block that stays) exists
  const warm = tf.tensor4d(randomValues(size(F_SHAPE), 99), F_SHAPE);
  ours(() => tf.conv2d(x, warm, 1, 'same'));
  warm.dispose();
  const before = { ...weightCacheStats(cpu()), resident: mem.residentFloats() };
  const f = tf.tensor4d(randomValues(size(F_SHAPE), 2), F_SHAPE);
  const conv = () => tf.conv2d(x, f, 1, 'same');
  const expected = builtin(conv);
  for (let i = 1; i < MIN_USES; i++) {
    expect(relativeError(ours(conv), expected)).toBeLessThan(1e-5);
    expect(weightCacheStats(cpu()).tensors).toBe(before.tensors); // staged until the MIN_USES-th read
  }
  for (let i = 0; i < 3; i++) expect(relativeError(ours(conv), expected)).toBeLessThan(1e-5);
  expect(weightCacheStats(cpu()).tensors).toBe(before.tensors + 1);
  expect(weightCacheStats(cpu()).floats).toBe(before.floats + size(F_SHAPE));
  // the fused conv (tfjs-layers' path) and the input gradient use the same entry
  const fused = () => tf.fused.conv2d({ x, filter: f, strides: 1, pad: 'same', activation: 'relu' });
  expect(relativeError(ours(fused), builtin(fused))).toBeLessThan(1e-5);
  expect(weightCacheStats(cpu()).tensors).toBe(before.tensors + 1);
  f.dispose();
  expect(weightCacheStats(cpu())).toEqual({ tensors: before.tensors, floats: before.floats });
  expect(mem.residentFloats()).toBe(before.resident);
  x.dispose();
});

test('a disposed filter whose memory is reused by a filter with other values never returns the old weights', () => {
  reg ??= registerIm2colKernels({ backends: ['cpu'] });
  const x = tf.tensor4d(randomValues(size(X_SHAPE), 3), X_SHAPE);
  for (let round = 0; round < 5; round++) {
    // same shape every round: the freed block is the best fit for the next filter
    const f = tf.tensor4d(randomValues(size(F_SHAPE), 100 + round), F_SHAPE);
    const conv = () => tf.conv2d(x, f, 1, 'same');
    const got = ours(conv);
    for (let i = 0; i < MIN_USES; i++) expect(relativeError(ours(conv), got)).toBe(0);
    expect(relativeError(got, builtin(conv))).toBeLessThan(1e-5);
    f.dispose();
  }
  x.dispose();
});

test('new values behind the same data id (the backend array replaced) are never served from the old block', () => {
  reg ??= registerIm2colKernels({ backends: ['cpu'] });
  const x = tf.tensor4d(randomValues(size(X_SHAPE), 4), X_SHAPE);
  const f = tf.tensor4d(randomValues(size(F_SHAPE), 5), F_SHAPE);
  const conv = () => tf.conv2d(x, f, 1, 'same');
  const first = ours(conv);
  for (let i = 1; i < MIN_USES + 1; i++) expect(relativeError(ours(conv), first)).toBe(0); // now cached
  expect(weightCacheStats(cpu()).tensors).toBeGreaterThan(0);
  expect(relativeError(first, builtin(conv))).toBeLessThan(1e-5);
  // What a reuse of the data id with other values would look like to the kernel (the cache holds the old ones).
  cpu().data.get(f.dataId).values = randomValues(size(F_SHAPE), 6);
  const second = ours(conv);
  expect(relativeError(second, builtin(conv))).toBeLessThan(1e-5);
  expect(relativeError(second, first)).toBeGreaterThan(0.1);
  tf.dispose([x, f]);
});

test('dense kernels (_FusedMatMul b) are cached too and stay correct after replacement', () => {
  reg ??= registerIm2colKernels({ backends: ['cpu'] });
  const a = tf.tensor2d(randomValues(6 * 40, 7), [6, 40]);
  const before = weightCacheStats(cpu()).tensors;
  for (let round = 0; round < 3; round++) {
    const w = tf.tensor2d(randomValues(40 * 30, 8 + round), [40, 30]);
    const bias = tf.tensor1d(randomValues(30, 20 + round));
    const dense = () => tf.fused.matMul({ a, b: w, bias, activation: 'relu' });
    const expected = builtin(dense);
    for (let i = 0; i < MIN_USES; i++) expect(relativeError(ours(dense), expected)).toBeLessThan(1e-5);
    expect(weightCacheStats(cpu()).tensors).toBe(before + 1);
    tf.dispose([w, bias]);
    expect(weightCacheStats(cpu()).tensors).toBe(before);
  }
  a.dispose();
});

test('a new GEMM engine (another WebAssembly memory) re-copies instead of reading the old memory', () => {
  reg ??= registerIm2colKernels({ backends: ['cpu'] });
  const x = tf.tensor4d(randomValues(size(X_SHAPE), 9), X_SHAPE);
  const f = tf.tensor4d(randomValues(size(F_SHAPE), 10), F_SHAPE);
  const conv = () => tf.conv2d(x, f, 1, 'same');
  const expected = builtin(conv);
  for (let i = 0; i < MIN_USES; i++) expect(relativeError(ours(conv), expected)).toBeLessThan(1e-5);
  try {
    useGemmEngine('wasm-threads', { threads: 2 });
    expect(relativeError(ours(conv), expected)).toBeLessThan(1e-5);
  } finally {
    useGemmEngine('wasm-simd');
  }
  expect(relativeError(ours(conv), expected)).toBeLessThan(1e-5);
  tf.dispose([x, f]);
});

test('off: filters are staged per call, with the same results', () => {
  reg ??= registerIm2colKernels({ backends: ['cpu'] });
  const x = tf.tensor4d(randomValues(size(X_SHAPE), 11), X_SHAPE);
  const f = tf.tensor4d(randomValues(size(F_SHAPE), 12), F_SHAPE);
  const before = weightCacheStats(cpu()).tensors;
  setWeightCache(false);
  try {
    const conv = () => tf.conv2d(x, f, 1, 'same');
    const expected = builtin(conv);
    for (let i = 0; i < MIN_USES + 1; i++) expect(relativeError(ours(conv), expected)).toBeLessThan(1e-5);
    expect(weightCacheStats(cpu()).tensors).toBe(before);
  } finally {
    setWeightCache(true);
  }
  tf.dispose([x, f]);
});
