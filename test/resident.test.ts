/**
 * Kernel outputs kept in WebAssembly memory (kernels/cpu/resident.ts) and the
 * allocator under them (kernels/wasm_runtime/linear_memory.ts): tfjs must not be able
 * to tell. Values are checked against plain JavaScript arithmetic on the
 * inputs; reused blocks are poisoned with NaN (test/setup.ts), so a tensor
 * that still pointed into a freed block would read NaN or another tensor's data.
 */
import type { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import { MathBackendCPU as CpuBackend } from '@tensorflow/tfjs-backend-cpu';
import * as tfl from '@tensorflow/tfjs-layers';
import fc from 'fast-check';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { gemmLinearMemory, useGemmEngine } from '../kernels/wasm_runtime/engines';
import { inResidentMemory, LinearMemory } from '../kernels/wasm_runtime/linear_memory';
import { outputArray } from '../kernels/cpu/resident';
import {
  MIN_RESIDENT_FLOATS, registerIm2colKernels, Registration, residentOutputsActive, residentOutputStats, setResidentOutputs,
} from '../src';
import { randomValues, tf } from './helpers/tf';

let reg: Registration;
const cpu = () => tf.backend() as MathBackendCPU;
const stored = (t: tf.Tensor) => cpu().data.get(t.dataId).values as Float32Array;
const relu = (v: Float32Array) => v.map((e) => Math.max(0, e));

beforeAll(async () => {
  await tf.setBackend('cpu');
  useGemmEngine('wasm-simd');
  reg = registerIm2colKernels({ backends: ['cpu'] });
});
afterAll(() => reg.restore());

test('large outputs of our kernels live in WebAssembly memory, small ones and switched-off ones do not', () => {
  expect(residentOutputsActive()).toBe(true);
  const big = tf.tensor(randomValues(MIN_RESIDENT_FLOATS, 1), [MIN_RESIDENT_FLOATS]);
  const small = tf.tensor(randomValues(MIN_RESIDENT_FLOATS - 1, 2), [MIN_RESIDENT_FLOATS - 1]);
  const [y, z] = [tf.relu(big), tf.relu(small)];
  expect(inResidentMemory(stored(y))).toBe(true);
  expect(inResidentMemory(stored(z))).toBe(false);
  expect(inResidentMemory(stored(big))).toBe(false); // tensors made by tfjs stay where they were
  expect(y.dataSync()).toEqual(relu(big.dataSync() as Float32Array));
  setResidentOutputs(false);
  try {
    const w = tf.relu(big);
    expect(inResidentMemory(stored(w))).toBe(false);
    expect(w.dataSync()).toEqual(y.dataSync());
    w.dispose();
  } finally {
    setResidentOutputs(true);
  }
  tf.dispose([big, small, y, z]);
});

test('dataSync and data return copies that outlive the tensor and the reuse of its block', async () => {
  const x = tf.tensor(randomValues(8192, 3), [8192]);
  const expected = relu(x.dataSync() as Float32Array);
  const y = tf.relu(x);
  const sync = y.dataSync() as Float32Array;
  const asyncCopy = (await y.data()) as Float32Array;
  expect(inResidentMemory(sync)).toBe(false);
  sync[0] = 123; // writing the copy leaves the tensor alone
  expect(y.dataSync()[0]).toBe(expected[0]);
  sync[0] = expected[0];
  y.dispose();
  const others = [0, 1, 2].map(() => tf.tidy(() => tf.relu(tf.neg(tf.relu(x))))); // reuse the freed block
  expect(sync).toEqual(expected);
  expect(asyncCopy).toEqual(expected);
  tf.dispose([x, ...others]);
});

test("a builtin kernel's view into our output (Slice) is copied, so it survives the output's disposal", () => {
  const x = tf.tensor(randomValues(64 * 128, 4), [64, 128]);
  const y = tf.relu(x);
  expect(inResidentMemory(stored(y))).toBe(true);
  const s = tf.slice(y, [10, 0], [5, 128]); // tfjs cpu slices a contiguous range as a subarray
  expect(inResidentMemory(stored(s))).toBe(false);
  y.dispose();
  const others = [0, 1, 2].map(() => tf.tidy(() => tf.relu(tf.neg(x))));
  const all = relu(x.dataSync() as Float32Array);
  expect(s.dataSync()).toEqual(all.subarray(10 * 128, 15 * 128));
  tf.dispose([x, s, ...others]);
});

test('moving a tensor to another backend copies it out before its block is freed', () => {
  tf.registerBackend('cpu-plain', () => new CpuBackend());
  try {
    const x = tf.tensor(randomValues(8192, 5), [8192]);
    const y = tf.relu(x);
    const plain = tf.findBackend('cpu-plain') as MathBackendCPU;
    tf.engine().moveData(plain, y.dataId);
    expect(inResidentMemory(plain.data.get(y.dataId).values as Float32Array)).toBe(false);
    expect(residentOutputStats(cpu()).tensors).toBe(0); // y's block went back when it left
    const others = [0, 1, 2].map(() => tf.tidy(() => tf.relu(tf.neg(x))));
    expect(y.dataSync()).toEqual(relu(x.dataSync() as Float32Array));
    tf.dispose([x, y, ...others]);
  } finally {
    tf.removeBackend('cpu-plain');
  }
});

test('training a model keeps the WebAssembly memory flat: blocks are reused, none leak', async () => {
  const model = tfl.sequential({
    layers: [
      tfl.layers.conv2d({ inputShape: [16, 16, 1], filters: 8, kernelSize: 3, activation: 'relu' }),
      tfl.layers.maxPooling2d({ poolSize: 2 }),
      tfl.layers.flatten(),
      tfl.layers.dense({ units: 32, activation: 'relu' }), // 392 x 32 weights: resident
      tfl.layers.dense({ units: 10, activation: 'softmax' }),
    ],
  });
  const optimizer = tf.train.adam(0.01);
  model.compile({ optimizer, loss: 'categoricalCrossentropy' });
  const x = tf.tensor4d(randomValues(32 * 16 * 16, 6), [32, 16, 16, 1]);
  const y = tf.cast(tf.oneHot(tf.tensor1d(Array.from({ length: 32 }, (_, i) => i % 10), 'int32'), 10), 'float32');
  const mem = gemmLinearMemory()!;
  const snapshot = () => ({ tfjsTensors: tf.memory().numTensors, resident: residentOutputStats(cpu()),
    floats: mem.residentFloats(), memoryBytes: mem.memory.buffer.byteLength });
  for (let i = 0; i < 2; i++) await model.trainOnBatch(x, y);
  const before = snapshot();
  expect(before.resident.tensors).toBeGreaterThan(0); // the weights and Adam's moments
  for (let i = 0; i < 4; i++) await model.trainOnBatch(x, y);
  expect(snapshot()).toEqual(before);
  const losses = [];
  for (let i = 0; i < 20; i++) losses.push(await model.trainOnBatch(x, y) as number);
  expect(losses[19]).toBeLessThan(losses[0]); // it still learns
  model.dispose();
  optimizer.dispose(); // Adam's moments: the model does not own an optimizer it was given
  tf.dispose([x, y]);
  expect(residentOutputStats(cpu()).tensors).toBe(0);
});

test('an output allocated but never handed to tfjs (a kernel that threw) is reclaimed once garbage-collected', async () => {
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  const mem = gemmLinearMemory()!;
  const before = mem.residentFloats();
  (() => {
    const lost = outputArray(cpu(), 100_000);
    expect(mem.residentFloats()).toBeGreaterThanOrEqual(before + 100_000);
    lost.fill(1);
  })();
  for (let i = 0; i < 20 && mem.residentFloats() > before; i++) {
    gc();
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  expect(mem.residentFloats()).toBe(before);
});

test('LinearMemory: live blocks never overlap and keep their contents; freeing everything returns the space', () => {
  const mem = new LinearMemory(true);
  mem.reserve(100);
  const base = mem.view().length;
  fc.assert(fc.property(fc.array(fc.tuple(fc.boolean(), fc.integer({ min: 1, max: 20_000 })), { maxLength: 60 }), (ops) => {
    const live: Array<{ view: Float32Array; tag: number }> = [];
    let tag = 0;
    for (const [alloc, size] of ops) {
      if (alloc || live.length === 0) {
        const view = mem.resident(size)!;
        expect(view.length).toBe(size);
        expect(mem.isResident(view)).toBe(true);
        view.fill(++tag);
        live.push({ view, tag });
      } else {
        const { view } = live.splice(size % live.length, 1)[0];
        mem.release(view);
        expect(mem.isResident(view)).toBe(false);
      }
      // Staging after the blocks never touches them.
      mem.beginStaging();
      mem.view().fill(-1, mem.alloc(1000), mem.view().length);
    }
    for (const { view, tag: t } of live) expect(view.every((v) => v === t)).toBe(true);
    const spans = live.map(({ view }) => [view.byteOffset, view.byteOffset + view.byteLength]).sort((a, b) => a[0] - b[0]);
    for (let i = 1; i < spans.length; i++) expect(spans[i][0]).toBeGreaterThanOrEqual(spans[i - 1][1]);
    for (const { view } of live) mem.release(view);
    expect(mem.residentFloats()).toBe(0);
  }), { numRuns: 100 });
  // The same pattern again needs no more memory than the first time.
  const grown = mem.view().length;
  expect(grown).toBeGreaterThanOrEqual(base);
  const sizes = [5000, 17000, 300, 9000, 9000, 12000];
  for (let round = 0; round < 3; round++) {
    const views = sizes.map((s) => mem.resident(s)!);
    views.forEach((v) => mem.release(v));
  }
  const after = mem.view().length;
  const views = sizes.map((s) => mem.resident(s)!);
  views.forEach((v) => mem.release(v));
  expect(mem.view().length).toBe(after);
  // At its size limit a memory says no (tryResident) or throws (resident), and stays usable.
  const small = new LinearMemory(true, 1 << 20);
  const kept = small.tryResident(100_000)!;
  expect(kept).not.toBeNull();
  expect(small.tryResident(200_000)).toBeNull();
  expect(() => small.resident(200_000)).toThrow(/more than its 1048576-byte limit/);
  small.release(kept);
  expect(small.tryResident(200_000)).not.toBeNull();
  // A private memory hands out no resident blocks (its buffer detaches when it grows).
  expect(new LinearMemory(false).resident(10)).toBeNull();
});
