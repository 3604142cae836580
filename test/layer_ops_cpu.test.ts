/**
 * Our cpu ClipByValue, Relu6, FusedBatchNorm, PadV2, Concat, Slice, SplitV, Mean
 * and Softmax (kernels/core/layer_ops.ts) against tfjs's builtin cpu kernels on
 * random shapes, axes, paddings and slices (fast-check, fixed seed) and values
 * that include NaN, ±Inf, ±0 and subnormals. All of them claim bit-identical
 * results, so the comparison is exact (Object.is per element, any NaN matches
 * any NaN), with inputs both in plain arrays and in WebAssembly memory
 * (kernels/cpu/resident.ts). Also: the calls handed to the builtin (other
 * dtypes, empty tensors, axes out of order), errors, gradients, leaks, and the
 * resident-memory copy in bufferSync that made builtin StridedSlice & co slow.
 */
import type { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import fc from 'fast-check';
import { inResidentMemory } from '../kernels/wasm_runtime/linear_memory';
import { useGemmEngine } from '../kernels/wasm_runtime/engines';
import type { ThreadedEngine } from '../kernels/wasm_runtime/gemm_threads';
import { PARALLEL_ELEMENTS, setWasmVectorKernels, wasmVectorKernelsActive } from '../kernels/wasm_runtime/vector';
import { MIN_RESIDENT_FLOATS, registerIm2colKernels, Registration, residentOutputStats } from '../src';
import { mulberry32 } from '../src/random';
import { tf } from './helpers/tf';

const SPECIALS = [NaN, Infinity, -Infinity, 0, -0, 1e-40, -1e-40, 3.4e38, -3.4e38, 1, -1, 6, 7];
const SEED = 20261130;
const cpu = () => tf.backend() as MathBackendCPU;
const stored = (t: tf.Tensor) => cpu().data.get(t.dataId).values as Float32Array;

/** Values in [-8, 8) with about one in eight replaced by a special value. */
function values(size: number, seed: number): Float32Array {
  const next = mulberry32(seed);
  const out = new Float32Array(size);
  for (let i = 0; i < size; i++) {
    out[i] = next() < 0.125 ? SPECIALS[Math.floor(next() * SPECIALS.length)] : next() * 16 - 8;
  }
  return out;
}

const sizeOf = (shape: number[]) => shape.reduce((p, s) => p * s, 1);
const tensor = (shape: number[], seed: number) => tf.tensor(values(sizeOf(shape), seed), shape, 'float32');

/** The same values in WebAssembly memory (our Multiply by 1 is exact; needs ≥ MIN_RESIDENT_FLOATS elements). */
function residentCopy(t: tf.Tensor): tf.Tensor {
  const reg = registerIm2colKernels({ backends: ['cpu'], kernels: 'Multiply' });
  try {
    const copy = tf.mul(t, tf.scalar(1));
    expect(inResidentMemory(stored(copy))).toBe(true);
    return copy;
  } finally {
    reg.restore();
  }
}

/** Exact equality of shape, dtype and values (Object.is; any NaN matches any NaN). */
function expectIdentical(ours: tf.Tensor, builtin: tf.Tensor, what = ''): void {
  expect([what, ours.shape]).toEqual([what, builtin.shape]);
  expect([what, ours.dtype]).toEqual([what, builtin.dtype]);
  const a = ours.dataSync();
  const b = builtin.dataSync();
  expect(a.length).toBe(b.length);
  for (let i = 0; i < b.length; i++) {
    const x = a[i] as number;
    const y = b[i] as number;
    if (!(Object.is(x, y) || (Number.isNaN(x) && Number.isNaN(y)))) {
      throw new Error(`${what} element ${i}: ours ${x}, builtin ${y}`);
    }
  }
}

/** fn(inputs) with the builtins and with ours (on the inputs as given, and on resident copies where large enough). */
function compare(inputs: tf.Tensor[], fn: (...xs: tf.Tensor[]) => tf.Tensor, what: string): void {
  const builtin = fn(...inputs);
  const resident = inputs.map((t) => (t.dtype === 'float32' && t.size >= MIN_RESIDENT_FLOATS ? residentCopy(t) : t));
  const reg = registerIm2colKernels({ backends: ['cpu'] });
  try {
    const ours = fn(...inputs);
    expectIdentical(ours, builtin, what);
    ours.dispose();
    if (resident.some((t, i) => t !== inputs[i])) {
      const oursResident = fn(...resident);
      expectIdentical(oursResident, builtin, `${what} (resident inputs)`);
      oursResident.dispose();
    }
  } finally {
    reg.restore();
    builtin.dispose();
    tf.dispose(resident.filter((t, i) => t !== inputs[i]));
  }
}

/** Calls of `kernel` while `fn` runs with ours registered: all of them (ours) and those handed to the builtin. */
function countCalls(kernel: string, fn: () => void): { ours: number; builtin: number } {
  const counts = { ours: 0, builtin: 0 };
  const builtinConfig = tf.getKernel(kernel, 'cpu')!;
  const registration = registerIm2colKernels({ backends: ['cpu'], kernels: kernel });
  const ourConfig = tf.getKernel(kernel, 'cpu')!;
  expect(ourConfig).not.toBe(builtinConfig);
  const [ourFunc, builtinFunc] = [ourConfig.kernelFunc, builtinConfig.kernelFunc];
  ourConfig.kernelFunc = (args) => { counts.ours++; return ourFunc(args); };
  builtinConfig.kernelFunc = (args) => { counts.builtin++; return builtinFunc(args); };
  try {
    fn();
  } finally {
    ourConfig.kernelFunc = ourFunc;
    builtinConfig.kernelFunc = builtinFunc;
    registration.restore();
  }
  return counts;
}

const shapeArb = (minRank: number, maxRank: number, maxDim = 7) =>
  fc.array(fc.integer({ min: 1, max: maxDim }), { minLength: minRank, maxLength: maxRank });
const RUNS = { seed: SEED, numRuns: 30 };

let reg: Registration | undefined;
beforeAll(async () => {
  await tf.setBackend('cpu');
  useGemmEngine('wasm-simd'); // shared memory: resident outputs on
});
afterEach(() => {
  reg?.restore();
  reg = undefined;
});

describe('bit-identical to the builtins', () => {
  test('ClipByValue, Relu6', () => {
    fc.assert(fc.property(shapeArb(0, 4), fc.integer(), fc.constantFrom(-6, -1, 0, 0.1, 1 / 3, 2.5),
      fc.constantFrom(0, 0.1, 1 / 3, 6, 7.25, 1e30), (shape, seed, lo, hi) => {
        const x = tensor(shape, seed);
        compare([x], (t) => tf.clipByValue(t, Math.min(lo, hi), Math.max(lo, hi)), `clip [${shape}] ${lo} ${hi}`);
        compare([x], (t) => tf.relu6(t), `relu6 [${shape}]`);
        x.dispose();
      }), RUNS);
    // Large enough for resident outputs and inputs; min = max; bounds that are not float32 values.
    const big = tensor([2, 17, 19, 8], 1);
    compare([big], (t) => tf.clipByValue(t, 0, 6), 'clip big');
    compare([big], (t) => tf.clipByValue(t, 0.1, 0.1), 'clip min = max');
    compare([big], (t) => tf.clipByValue(t, -1 / 3, 1 / 3), 'clip thirds');
    compare([big], (t) => tf.relu6(t), 'relu6 big');
    compare([big], (t) => tf.clipByValue(t, -0, 6), 'clip with a -0 lower bound');
    compare([big], (t) => tf.clipByValue(t, 0, 0), 'clip to [0, 0]');
    // ReLU6 and clip run in WebAssembly SIMD where available: the JavaScript fallback too.
    setWasmVectorKernels(false);
    try {
      expect(wasmVectorKernelsActive()).toBe(false);
      compare([big], (t) => tf.clipByValue(t, 0, 6), 'clip big, JavaScript');
      compare([big], (t) => tf.relu6(t), 'relu6 big, JavaScript');
      compare([big], (t) => tf.clipByValue(t, -1 / 3, 1 / 3), 'clip thirds, JavaScript');
    } finally {
      setWasmVectorKernels(true);
    }
    big.dispose();
  });

  test('FusedBatchNorm: per-channel parameters, scale and offset optional, any epsilon', () => {
    fc.assert(fc.property(shapeArb(1, 4), fc.integer(), fc.boolean(), fc.boolean(),
      fc.constantFrom(0.001, 1e-5, 0, 0.1), (shape, seed, withScale, withOffset, eps) => {
        const c = shape[shape.length - 1];
        const x = tensor(shape, seed);
        const m = tensor([c], seed + 1);
        const v = tf.tensor(values(c, seed + 2).map(Math.abs), [c]);
        const s = withScale ? tensor([c], seed + 3) : undefined;
        const o = withOffset ? tensor([c], seed + 4) : undefined;
        compare([x], (t) => tf.batchNorm(t, m, v, o, s, eps), `batchNorm [${shape}] ${withScale} ${withOffset} ${eps}`);
        tf.dispose([x, m, v, s, o].filter((t) => t !== undefined) as tf.Tensor[]);
      }), RUNS);
    // Big (resident), parameters of the full shape, and parameters of lengths that do not match the channels
    // (the builtin cycles each through the flat index): through runKernel, which skips the op's checks.
    const x = tensor([2, 16, 16, 12], 5);
    const full = tf.abs(tensor([2, 16, 16, 12], 6));
    compare([x], (t) => tf.batchNorm(t, full, full, full, full), 'batchNorm full-shape parameters');
    const run = (t: tf.Tensor, lengths: number[]) => {
      const [m, v, s, o] = lengths.map((n, i) => tf.abs(tensor([n], 10 + i)));
      return tf.engine().runKernel('FusedBatchNorm', { x: t, mean: m, variance: v, scale: s, offset: o },
        { varianceEpsilon: 0.01 }) as tf.Tensor;
    };
    for (const lengths of [[12, 12, 12, 12], [3, 4, 6, 12], [1, 12, 5, 7], [1, 1, 1, 1], [12, 12, 1, 1], [12, 12, 12, 1]]) {
      compare([x], (t) => tf.tidy(() => run(t, lengths)), `batchNorm lengths ${lengths}`);
    }
    // Per-channel parameters run in WebAssembly SIMD (float64 lanes) where available: the JavaScript loop too.
    setWasmVectorKernels(false);
    try {
      for (const lengths of [[12, 12, 12, 12], [12, 12, 1, 1]]) {
        compare([x], (t) => tf.tidy(() => run(t, lengths)), `batchNorm lengths ${lengths}, JavaScript`);
      }
    } finally {
      setWasmVectorKernels(true);
    }
    tf.dispose([x, full]);
  });

  test('PadV2', () => {
    fc.assert(fc.property(shapeArb(1, 4, 5), fc.integer(), fc.array(fc.tuple(fc.nat(3), fc.nat(3)), { minLength: 4, maxLength: 4 }),
      fc.constantFrom(0, -0, 1.5, NaN, -Infinity, 0.1), (shape, seed, pads, value) => {
        const x = tensor(shape, seed);
        const paddings = shape.map((_, i) => pads[i]);
        compare([x], (t) => tf.pad(t, paddings, value), `pad [${shape}] ${JSON.stringify(paddings)} ${value}`);
        x.dispose();
      }), RUNS);
    const big = tensor([1, 28, 28, 8], 7);
    compare([big], (t) => tf.pad(t, [[0, 0], [1, 1], [1, 1], [0, 0]]), 'pad big spatial');
    compare([big], (t) => tf.pad(t, [[0, 0], [0, 1], [2, 0], [0, 3]], -0), 'pad big channels, -0');
    big.dispose();
  });

  test('Concat: any axis (negative too), two to four inputs, empty inputs among them', () => {
    fc.assert(fc.property(shapeArb(1, 4, 5), fc.integer(), fc.array(fc.nat(4), { minLength: 2, maxLength: 4 }), fc.nat(7),
      (shape, seed, alongAxis, axisPick) => {
        const rank = shape.length;
        const axis = axisPick % rank;
        const xs = alongAxis.map((n, i) => tensor(shape.map((s, d) => (d === axis ? n : s)), seed + i));
        const signed = axisPick >= rank ? axis - rank : axis;
        if (xs.filter((t) => t.size > 0).length >= 2) {
          compare(xs, (...ts) => tf.concat(ts, signed), `concat [${xs.map((t) => `[${t.shape}]`)}] axis ${signed}`);
        }
        tf.dispose(xs);
      }), RUNS);
    const a = tensor([1, 28, 28, 8], 8);
    const b = tensor([1, 28, 28, 8], 9);
    compare([a, b], (p, q) => tf.concat([p, q], 3), 'concat big channels');
    compare([a, b], (p, q) => tf.concat([p, q], 0), 'concat big batch');
    compare([a, b], (p, q) => tf.concat([p, q, p], 2), 'concat big width');
    tf.dispose([a, b]);
  });

  test('Slice: contiguous and strided boxes, size -1', () => {
    fc.assert(fc.property(shapeArb(1, 4, 6), fc.integer(), fc.array(fc.tuple(fc.nat(100), fc.nat(100), fc.boolean()), { minLength: 4, maxLength: 4 }),
      (shape, seed, picks) => {
        const x = tensor(shape, seed);
        const begin = shape.map((s, i) => picks[i][0] % s);
        const size = shape.map((s, i) => (picks[i][2] ? -1 : 1 + (picks[i][1] % (s - begin[i]))));
        compare([x], (t) => tf.slice(t, begin, size), `slice [${shape}] ${begin} ${size}`);
        x.dispose();
      }), RUNS);
    const big = tensor([2, 20, 20, 16], 11);
    compare([big], (t) => tf.slice(t, [0, 0, 0, 0], [2, 20, 20, 8]), 'slice big channels');
    compare([big], (t) => tf.slice(t, [1, 0, 0, 0], [1, 20, 20, 16]), 'slice big batch item (contiguous)');
    compare([big], (t) => tf.slice(t, [0, 3, 2, 1], [2, 10, 11, 7]), 'slice big window');
    big.dispose();
  });

  test('SplitV (tf.split, the gradient of Concat): equal pieces, given sizes, -1, any axis', () => {
    fc.assert(fc.property(shapeArb(1, 4, 6), fc.integer(), fc.nat(7), fc.array(fc.integer({ min: 1, max: 3 }), { minLength: 1, maxLength: 3 }),
      (shape, seed, axisPick, parts) => {
        const rank = shape.length;
        const axis = axisPick % rank;
        const x = tensor(shape.map((s, d) => (d === axis ? parts.reduce((p, q) => p + q, 0) : s)), seed);
        const signed = axisPick >= rank ? axis - rank : axis;
        const sizes = parts.length > 1 ? parts.map((n, i) => (i === 1 ? -1 : n)) : parts;
        for (const [i, split] of [sizes, 1].entries()) {
          const builtin = tf.split(x, split, signed);
          reg = registerIm2colKernels({ backends: ['cpu'] });
          const ours = tf.split(x, split, signed);
          reg.restore();
          reg = undefined;
          expect(ours.length).toBe(builtin.length);
          ours.forEach((t, j) => expectIdentical(t, builtin[j], `split [${x.shape}] ${i === 0 ? sizes : 1} axis ${signed}, piece ${j}`));
          tf.dispose([...ours, ...builtin]);
        }
        x.dispose();
      }), RUNS);
    const big = tensor([1, 28, 28, 16], 29);
    compare([big], (t) => tf.concat(tf.split(t, [4, 12], 3).reverse(), 3), 'split big channels (resident pieces)');
    big.dispose();
  });

  test('Mean: ascending axes (negative ones too), keepDims', () => {
    fc.assert(fc.property(shapeArb(1, 4, 9), fc.integer(), fc.array(fc.boolean(), { minLength: 4, maxLength: 4 }), fc.boolean(), fc.boolean(),
      (shape, seed, reduced, keepDims, negative) => {
        const x = tensor(shape, seed);
        let axes = shape.map((_, i) => i).filter((i) => reduced[i]);
        if (negative) axes = axes.map((a) => a - shape.length);
        compare([x], (t) => tf.mean(t, axes.length === 0 ? undefined : axes, keepDims), `mean [${shape}] ${axes} ${keepDims}`);
        x.dispose();
      }), RUNS);
    const gap = tensor([8, 7, 7, 128], 12);
    compare([gap], (t) => tf.mean(t, [1, 2]), 'global average pooling');
    compare([gap], (t) => tf.mean(t, [1, 2], true), 'global average pooling, keepDims');
    compare([gap], (t) => tf.mean(t), 'mean of all');
    gap.dispose();
  });

  test('Softmax over the last axis', () => {
    fc.assert(fc.property(shapeArb(1, 3, 12), fc.integer(), (shape, seed) => {
      const x = tensor(shape, seed);
      compare([x], (t) => tf.softmax(t), `softmax [${shape}]`);
      x.dispose();
    }), RUNS);
    const logits = tf.tensor(values(8 * 1000, 13).map((v) => (Number.isFinite(v) ? v : 0)), [8, 1000]);
    compare([logits], (t) => tf.softmax(t), 'softmax 8×1000');
    compare([logits], (t) => tf.softmax(tf.reshape(t, [8, 10, 100])), 'softmax rank 3');
    const rows = tf.tensor2d([[-Infinity, -Infinity, -Infinity], [Infinity, 1, 2], [NaN, 1, 2], [1e30, -1e30, 0], [-0, 0, -0]]);
    compare([rows], (t) => tf.softmax(t), 'softmax special rows');
    tf.dispose([logits, rows]);
  });

  test('gradients of a layer stack (pad, slice, concat, batchNorm, relu6, clip, mean, softmax) match the builtins exactly', () => {
    const x = tensor([2, 6, 6, 4], 14);
    const m = tensor([8], 15);
    const v = tf.abs(tensor([8], 16));
    const [scale, offset] = [tensor([8], 27), tensor([8], 28)];
    const loss = (t: tf.Tensor) => {
      const p = tf.pad(t, [[0, 0], [1, 1], [1, 1], [0, 0]]);
      const a = tf.slice(p, [0, 0, 0, 0], [2, 6, 6, 4]);
      const b = tf.slice(p, [0, 2, 2, 0], [2, 6, 6, 4]);
      const c = tf.concat([a, b], 3);
      const n = tf.batchNorm(c, m, v, offset, scale); // tfjs's gradient needs a scale tensor
      const r = tf.clipByValue(tf.relu6(n), 0.5, 5);
      const g = tf.mean(r, [1, 2]);
      return tf.sum(tf.mul(tf.softmax(g), tf.reshape(tf.range(0, 8), [1, 8])));
    };
    compare([x], (t) => tf.grad(loss)(t), 'gradient');
    tf.dispose([x, m, v, scale, offset]);
  });
  test('Tile on float32, int32 and bool, any rank and repeats', () => {
    fc.assert(fc.property(shapeArb(0, 4, 5), fc.integer(), fc.array(fc.integer({ min: 1, max: 3 }), { minLength: 4, maxLength: 4 }),
      (shape, seed, reps4) => {
        const reps = reps4.slice(0, shape.length);
        const x = tensor(shape, seed);
        compare([x], (t) => tf.tile(t, reps), `tile [${shape}] by [${reps}]`);
        const i = tf.cast(x, 'int32');
        const b = tf.greater(x, 0);
        compare([i], (t) => tf.tile(t, reps), `tile int32 [${shape}] by [${reps}]`);
        compare([b], (t) => tf.tile(t, reps), `tile bool [${shape}] by [${reps}]`);
        tf.dispose([x, i, b]);
      }), RUNS);
    const big = tensor([2, 9, 11, 24], 40); // resident when copied
    compare([big], (t) => tf.tile(t, [2, 1, 3, 1]), 'tile big');
    big.dispose();
  });

  test('GreaterEqual and LessEqual (float32) and LogicalAnd (bool), broadcast', () => {
    fc.assert(fc.property(shapeArb(0, 4, 5), fc.integer(), fc.integer({ min: 0, max: 15 }), (shape, seed, mask) => {
      // b: the same shape with some dimensions set to 1 (broadcast), or a scalar as in ReLU6's gradient.
      const bShape = mask === 15 ? [] : shape.map((d, k) => ((mask >> k) & 1 ? 1 : d));
      const a = tensor(shape, seed);
      const b = tensor(bShape, seed + 1);
      compare([a, b], (x, y) => tf.greaterEqual(x, y), `greaterEqual [${shape}] [${bShape}]`);
      compare([b, a], (x, y) => tf.lessEqual(x, y), `lessEqual [${bShape}] [${shape}]`);
      const [pa, pb] = [tf.greater(a, 0), tf.less(b, 1)];
      compare([pa, pb], (x, y) => tf.logicalAnd(x, y), `logicalAnd [${shape}] [${bShape}]`);
      tf.dispose([a, b, pa, pb]);
    }), RUNS);
    const big = tensor([4, 32, 32, 8], 41);
    compare([big], (t) => tf.greaterEqual(t, tf.scalar(0)), 'greaterEqual big, scalar');
    compare([big], (t) => tf.lessEqual(t, tf.scalar(6)), 'lessEqual big, scalar');
    big.dispose();
  });
});

describe('large tensors split across the worker pool', () => {
  afterAll(() => {
    useGemmEngine('wasm-simd');
  });

  test('Relu, Relu6, ClipByValue and FusedBatchNorm stay bit-identical, odd lengths included', () => {
    const pool = useGemmEngine('wasm-threads', { threads: 2, relaxed: false }) as ThreadedEngine;
    expect(pool.liveWorkers()).toBe(0);
    // Above the thresholds (PARALLEL_ELEMENTS, a quarter of it for batch norm); one length not a multiple of 4.
    const shapes = [[1, 128, 128, 65], [3, 211, 197, 9]];
    for (const shape of shapes) expect(sizeOf(shape)).toBeGreaterThan(PARALLEL_ELEMENTS);
    for (const [i, shape] of shapes.entries()) {
      const x = tensor(shape, 40 + i);
      const c = shape[3];
      const [m, s, o] = [41, 42, 43].map((seed) => tensor([c], seed + i));
      const v = tf.abs(tensor([c], 44 + i));
      compare([x], (t) => tf.relu(t), `relu [${shape}]`);
      // The workers start at the first split call: this one.
      expect(pool.liveWorkers()).toBe(1);
      compare([x], (t) => tf.relu6(t), `relu6 [${shape}]`);
      compare([x], (t) => tf.clipByValue(t, -1 / 3, 2.5), `clip [${shape}]`);
      compare([x], (t) => tf.batchNorm(t, m, v, o, s, 1e-3), `batchNorm [${shape}]`);
      tf.dispose([x, m, s, o, v]);
    }
  });
});

describe('hand-over to the builtin', () => {
  test('other dtypes, empty tensors, axes out of order, non-last softmax', () => {
    const i32 = tf.tensor([[1, -2, 3], [40, 5, -6]], [2, 3], 'int32');
    const b = tf.tensor([[true, false, true], [false, false, true]], [2, 3], 'bool');
    const empty = tf.zeros([2, 0, 3]);
    const f = tensor([2, 3, 4], 17);
    const cases: [string, () => tf.Tensor][] = [
      ['ClipByValue', () => tf.clipByValue(i32, 0, 6)],
      ['Relu6', () => tf.relu6(i32)],
      ['Tile', () => tf.tile(f, [1, 0, 2])],
      ['GreaterEqual', () => tf.greaterEqual(i32, i32)],
      ['LessEqual', () => tf.lessEqual(i32, tf.scalar(2, 'int32'))],
      ['PadV2', () => tf.pad(i32, [[1, 0], [0, 2]], 7)],
      ['PadV2', () => tf.pad(b, [[1, 0], [0, 2]])],
      ['Concat', () => tf.concat([i32, i32], -1)],
      ['Concat', () => tf.concat([b, b], 0)],
      ['Concat', () => tf.concat([empty, empty], 1)],
      ['Concat', () => tf.concat([f, tf.zeros([2, 3, 0])], 2)],
      ['Slice', () => tf.slice(i32, [0, 1], [2, 2])],
      ['Slice', () => tf.slice(b, [1, 0], [1, -1])],
      ['Slice', () => tf.slice(f, [0, 1, 0], [2, 0, 4])],
      ['Mean', () => tf.mean(i32, 1)],
      ['Mean', () => tf.mean(f, [2, 0])],
      ['Mean', () => tf.mean(empty, 1)],
      ['Softmax', () => tf.softmax(tf.zeros([2, 0]))],
      ['SplitV', () => tf.concat(tf.split(i32, [1, 2], 1), 1)],
      ['SplitV', () => tf.concat(tf.split(f, [1, 0, 3], 2), 2)],
    ];
    for (const [kernel, fn] of cases) {
      const builtin = fn();
      let ours: tf.Tensor | undefined;
      const counts = countCalls(kernel, () => {
        ours = fn();
      });
      expect([kernel, counts]).toEqual([kernel, { ours: 1, builtin: 1 }]);
      expectIdentical(ours!, builtin, kernel);
      tf.dispose([ours!, builtin]);
    }
    // Softmax over another axis: the builtin's own error.
    reg = registerIm2colKernels({ backends: ['cpu'] });
    expect(() => tf.softmax(f, 1)).toThrow(/Softmax along a non-last dimension is not yet supported/);
    tf.dispose([i32, b, empty, f]);
  });

  test('float32 calls are computed by ours', () => {
    const f = tensor([2, 3, 4], 18);
    const m = tensor([4], 19);
    const cases: [string, () => tf.Tensor][] = [
      ['ClipByValue', () => tf.clipByValue(f, 0, 1)], ['Relu6', () => tf.relu6(f)],
      ['FusedBatchNorm', () => tf.batchNorm(f, m, tf.abs(m))], ['PadV2', () => tf.pad(f, [[0, 0], [1, 1], [0, 0]])],
      ['Concat', () => tf.concat([f, f], -2)], ['Slice', () => tf.slice(f, [0, 1, 1], [2, 2, 2])],
      ['Mean', () => tf.mean(f, -1)], ['Softmax', () => tf.softmax(f)],
      ['SplitV', () => tf.concat(tf.split(f, 2, -1), 0)],
      ['Tile', () => tf.tile(f, [2, 1, 1])], ['GreaterEqual', () => tf.greaterEqual(f, m)],
      ['LessEqual', () => tf.lessEqual(f, tf.scalar(0.5))], ['LogicalAnd', () => tf.logicalAnd(tf.greater(f, 0), tf.less(m, 1))],
    ];
    for (const [kernel, fn] of cases) {
      let out: tf.Tensor | undefined;
      expect([kernel, countCalls(kernel, () => { out = tf.tidy(fn); })]).toEqual([kernel, { ours: 1, builtin: 0 }]);
      out!.dispose();
    }
    tf.dispose([f, m]);
  });
});

describe('errors', () => {
  beforeEach(() => {
    reg = registerIm2colKernels({ backends: ['cpu'] });
  });

  test('bad paddings and empty batch-norm parameters name the kernel and the value', () => {
    const x = tensor([2, 3], 20);
    const pad = (paddings: unknown) => () => tf.engine().runKernel('PadV2', { x }, { paddings, constantValue: 0 } as never);
    expect(pad([[1, 1]])).toThrow(/tfjs-im2col PadV2: paddings must be 2 pairs .*got \[\[1,1\]\]/);
    expect(pad([[1, -1], [0, 0]])).toThrow(/tfjs-im2col PadV2: paddings .*non-negative integers/);
    expect(pad([[1, 0.5], [0, 0]])).toThrow(/tfjs-im2col PadV2/);
    const empty = tf.zeros([0]);
    expect(() => tf.engine().runKernel('FusedBatchNorm', { x, mean: empty, variance: tf.ones([3]) }, { varianceEpsilon: 0.001 }))
      .toThrow(/tfjs-im2col FusedBatchNorm: mean is empty/);
    tf.dispose([x, empty]);
  });

  test("bad slices, concats and axes get tfjs's own errors", () => {
    const x = tensor([2, 3], 21);
    expect(() => tf.slice(x, [0, 2], [2, 2])).toThrow(/begin\[1\] \+ size\[1\] \(4\) would overflow input\.shape\[1\] \(3\)/);
    expect(() => tf.concat([x, tensor([3, 3], 22)], 1)).toThrow(/Error in concat2D: Shape of tensors\[1\] \(3,3\) does not match/);
    expect(() => tf.mean(x, 2)).toThrow(/All values in axis param must be in range \[-2, 2\) but got axis 2/);
    expect(() => tf.engine().runKernel('Concat', [] as never, { axis: 0 })).toThrow();
    x.dispose();
  });
});

test('no leaks: tensors, data ids and resident blocks return to where they were', () => {
  const x = tensor([2, 16, 16, 8], 23);
  const m = tensor([8], 24);
  const v = tf.abs(m);
  reg = registerIm2colKernels({ backends: ['cpu'] });
  const step = () => {
    const outs = [
      tf.clipByValue(x, 0, 6), tf.relu6(x), tf.batchNorm(x, m, v), tf.pad(x, [[0, 0], [1, 1], [1, 1], [0, 0]]),
      tf.concat([x, x], 3), tf.slice(x, [0, 0, 0, 0], [2, 16, 16, 4]), tf.slice(x, [1, 0, 0, 0], [1, 16, 16, 8]),
      tf.mean(x, [1, 2]), tf.softmax(x),
    ];
    outs.forEach((t) => t.dataSync());
    tf.dispose(outs);
    tf.dispose(tf.grad((t: tf.Tensor) => tf.sum(tf.softmax(tf.mean(tf.relu6(tf.pad(t, [[0, 0], [1, 1], [1, 1], [0, 0]])), [1, 2]))))(x));
  };
  step();
  const before = { tensors: tf.memory().numTensors, ids: cpu().numDataIds(), resident: residentOutputStats('cpu') };
  for (let i = 0; i < 3; i++) step();
  expect({ tensors: tf.memory().numTensors, ids: cpu().numDataIds(), resident: residentOutputStats('cpu') }).toEqual(before);
  tf.dispose([x, m, v]);
});

describe('WebAssembly-resident inputs', () => {
  test("a builtin kernel's bufferSync reads a resident tensor in place, not through a copy of the whole tensor", () => {
    // tfjs's StridedSlice (and GatherV2, Tile, Reverse, ScatterNd, ...) read their input through
    // backend.bufferSync, which went through our copying readSync: picking two values out of a resident
    // 8×28×28×32 tensor copied all 200 K floats.
    const plain = tensor([8, 28, 28, 32], 25);
    const resident = residentCopy(plain);
    const slice = Float32Array.prototype.slice;
    let copied = 0;
    Float32Array.prototype.slice = function (this: Float32Array, ...args: [number?, number?]) {
      copied = Math.max(copied, this.length);
      return slice.apply(this, args);
    };
    let picked: tf.Tensor;
    try {
      picked = tf.stridedSlice(resident, [0, 0, 0, 0], [8, 1, 1, 1], [4, 1, 1, 1]);
    } finally {
      Float32Array.prototype.slice = slice;
    }
    expect(copied).toBeLessThan(resident.size);
    expect(Array.from(picked.dataSync())).toEqual([plain.dataSync()[0], plain.dataSync()[4 * 28 * 28 * 32]]);
    // Users still get copies: dataSync and tensor.bufferSync() outlive the tensor.
    const user = resident.bufferSync();
    expect(inResidentMemory(user.values as Float32Array)).toBe(false);
    expect(inResidentMemory(resident.dataSync() as Float32Array)).toBe(false);
    tf.dispose([plain, resident, picked]);
  });
});
