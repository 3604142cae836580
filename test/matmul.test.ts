/**
 * Our cpu BatchMatMul and _FusedMatMul against tfjs's builtin cpu kernels:
 * transposes, batch broadcasting, bias broadcasting and every activation,
 * under each GEMM engine (scalar, WebAssembly SIMD, 2-thread pool). Also the
 * cases tfjs's builtin gets wrong (mutual batch broadcasting) against a
 * float64 reference, int32, bad inputs, and that no tensor leaks.
 */
import { randomValues } from './helpers/random';
import fc from 'fast-check';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-layers';
import { KernelConfig } from '@tensorflow/tfjs-core';
import { batchMatMulConfig } from '../kernels/cpu/BatchMatMul';
import { fusedMatMulConfig, mergeAxes } from '../kernels/cpu/_FusedMatMul';
import { GemmEngine, scalarEngine } from '../kernels/core/gemm';
import { getGemmEngine, setGemmEngine } from '../kernels/wasm_runtime/engines';
import { createWasmEngine } from '../kernels/wasm_runtime/gemm_wasm';
import { createThreadedEngine, ThreadedEngine } from '../kernels/wasm_runtime/gemm_threads';
import { KernelInputError } from '../kernels/core/geometry';

tf.setBackend('cpu');

const random = randomValues;

const OURS: KernelConfig[] = [batchMatMulConfig, fusedMatMulConfig];

/** Runs fn with our kernels registered in place of the builtins, then puts the builtins back. */
function withOurs<T>(fn: () => T): T {
  const saved = OURS.map((c) => tf.getKernel(c.kernelName, 'cpu'));
  for (const c of OURS) {
    tf.unregisterKernel(c.kernelName, 'cpu');
    tf.registerKernel(c);
  }
  try {
    return fn();
  } finally {
    OURS.forEach((c, i) => {
      tf.unregisterKernel(c.kernelName, 'cpu');
      if (saved[i]) tf.registerKernel(saved[i]!);
    });
  }
}

function values(fn: () => tf.Tensor): { data: Float32Array; shape: number[] } {
  const t = fn();
  const result = { data: t.dataSync() as Float32Array, shape: t.shape };
  t.dispose();
  return result;
}

/** max |a − b| / max(|b|, 1), NaN-aware. */
function relErr(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) return Infinity;
  let diff = 0;
  let scale = 1;
  for (let i = 0; i < a.length; i++) {
    if (Number.isNaN(a[i]) !== Number.isNaN(b[i])) return Infinity;
    if (Number.isNaN(a[i])) continue;
    diff = Math.max(diff, Math.abs(a[i] - b[i]));
    scale = Math.max(scale, Math.abs(b[i]));
  }
  return diff / scale;
}

const TOLERANCE = 1e-5;

function expectSame(fn: () => tf.Tensor): void {
  const builtin = values(fn);
  const ours = withOurs(() => values(fn));
  expect(ours.shape).toEqual(builtin.shape);
  expect(relErr(ours.data, builtin.data)).toBeLessThan(TOLERANCE);
}

const pools: ThreadedEngine[] = [];
const engines: Array<[string, () => GemmEngine]> = [
  ['scalar', () => scalarEngine],
  ['wasm-simd', () => createWasmEngine('simd')],
  ['wasm-threads (2)', () => {
    const p = createThreadedEngine(2, 'simd', 0);
    pools.push(p);
    return p;
  }],
];

const original = getGemmEngine();
afterAll(async () => {
  setGemmEngine(original);
  await Promise.all(pools.map((p) => p.close()));
});

/** Batch shapes that tfjs's builtin broadcasts correctly: equal, or one side all 1s / absent. */
const batchPairArb = fc.oneof(
  fc.constant<[number[], number[]]>([[], []]),
  fc.array(fc.integer({ min: 1, max: 3 }), { minLength: 1, maxLength: 2 }).map((s): [number[], number[]] => [s, s]),
  fc.array(fc.integer({ min: 1, max: 3 }), { minLength: 1, maxLength: 2 }).map((s): [number[], number[]] => [s, []]),
  fc.array(fc.integer({ min: 1, max: 3 }), { minLength: 1, maxLength: 2 }).map((s): [number[], number[]] => [[], s]),
  fc.array(fc.integer({ min: 1, max: 3 }), { minLength: 1, maxLength: 2 }).map((s): [number[], number[]] => [s, s.map(() => 1)]),
  fc.array(fc.integer({ min: 1, max: 3 }), { minLength: 1, maxLength: 2 }).map((s): [number[], number[]] => [s.map(() => 1), s]),
);

const matCaseArb = fc.record({
  m: fc.integer({ min: 1, max: 20 }),
  n: fc.integer({ min: 1, max: 20 }),
  k: fc.integer({ min: 1, max: 40 }),
  transposeA: fc.boolean(),
  transposeB: fc.boolean(),
  batches: batchPairArb,
  seed: fc.integer(),
});

type MatCase = { m: number; n: number; k: number; transposeA: boolean; transposeB: boolean; batches: [number[], number[]]; seed: number };

function operands(c: MatCase): { a: tf.Tensor; b: tf.Tensor; outShape: number[] } {
  const aShape = [...c.batches[0], ...(c.transposeA ? [c.k, c.m] : [c.m, c.k])];
  const bShape = [...c.batches[1], ...(c.transposeB ? [c.n, c.k] : [c.k, c.n])];
  const outBatch = c.batches[0].length >= c.batches[1].length ? c.batches[0] : c.batches[1];
  const wide = c.batches[0].length === c.batches[1].length ? c.batches[0].map((d, i) => Math.max(d, c.batches[1][i])) : outBatch;
  return {
    a: tf.tensor(random(aShape.reduce((x, y) => x * y, 1), c.seed), aShape),
    b: tf.tensor(random(bShape.reduce((x, y) => x * y, 1), c.seed + 1), bShape),
    outShape: [...wide, c.m, c.n],
  };
}

const ACTIVATIONS = ['linear', 'relu', 'relu6', 'elu', 'leakyrelu', 'prelu', 'sigmoid'] as const;

describe.each(engines)('engine %s', (_name, make) => {
  beforeAll(() => { setGemmEngine(make()); });

  test('BatchMatMul matches the builtin (transposes, batch broadcasting)', () => {
    fc.assert(fc.property(matCaseArb, (c) => {
      const { a, b } = operands(c);
      expectSame(() => tf.matMul(a, b, c.transposeA, c.transposeB));
      tf.dispose([a, b]);
    }), { numRuns: 60 });
  });

  test('_FusedMatMul matches the builtin (bias broadcasting, every activation)', () => {
    const fusedArb = fc.record({
      c: matCaseArb,
      activation: fc.constantFrom(...ACTIVATIONS),
      biasKind: fc.constantFrom('none', 'row', 'scalar', 'column', 'full'),
      alphaKind: fc.constantFrom('row', 'scalar', 'full'),
      leakyreluAlpha: fc.double({ min: 0.01, max: 0.5, noNaN: true }),
    });
    fc.assert(fc.property(fusedArb, ({ c, activation, biasKind, alphaKind, leakyreluAlpha }) => {
      const { a, b, outShape } = operands(c);
      const shapeOf = (kind: string): number[] => {
        switch (kind) {
          case 'row': return [c.n];
          case 'scalar': return [1];
          case 'column': return [c.m, 1];
          // tfjs's builtin only adds a full-rank bias when the op's flattened batch lines up with it.
          default: return outShape.length <= 3 ? outShape : outShape.slice(-2);
        }
      };
      const make = (kind: string, seed: number) => {
        const s = shapeOf(kind);
        return tf.tensor(random(s.reduce((x, y) => x * y, 1), seed), s);
      };
      const bias = biasKind === 'none' ? undefined : make(biasKind, c.seed + 2);
      const alpha = activation === 'prelu' ? make(alphaKind, c.seed + 3) : undefined;
      expectSame(() => tf.fused.matMul({
        a, b, transposeA: c.transposeA, transposeB: c.transposeB, bias, activation,
        preluActivationWeights: alpha, leakyreluAlpha,
      }));
      tf.dispose([a, b, ...(bias ? [bias] : []), ...(alpha ? [alpha] : [])]);
    }), { numRuns: 80 });
  });

  test('a Dense layer forward and its gradients match the builtins', () => {
    const x = tf.tensor(random(64 * 300, 5), [64, 300]);
    const w = tf.tensor(random(300 * 100, 6), [300, 100]);
    const bias = tf.tensor(random(100, 7), [100]);
    const loss = () => tf.grads((xx: tf.Tensor, ww: tf.Tensor, bb: tf.Tensor) =>
      tf.sum(tf.square(tf.fused.matMul({ a: xx as tf.Tensor2D, b: ww as tf.Tensor2D, bias: bb, activation: 'relu' }))))([x, w, bias]);
    const builtin = tf.tidy(() => loss().map((t) => t.dataSync().slice()));
    const ours = withOurs(() => tf.tidy(() => loss().map((t) => t.dataSync().slice())));
    builtin.forEach((g, i) => expect(relErr(ours[i], g)).toBeLessThan(TOLERANCE));
    tf.dispose([x, w, bias]);
  });
});

test('mutual batch broadcasting ([2,1,m,k]·[1,3,k,n]) gives the NumPy product', () => {
  setGemmEngine(createWasmEngine('simd'));
  const [m, k, n] = [3, 5, 4];
  const av = random(2 * m * k, 1);
  const bv = random(3 * k * n, 2);
  const out = withOurs(() => values(() => tf.matMul(tf.tensor(av, [2, 1, m, k]), tf.tensor(bv, [1, 3, k, n]))));
  expect(out.shape).toEqual([2, 3, m, n]);
  for (let i = 0; i < 2; i++) {
    for (let j = 0; j < 3; j++) {
      for (let r = 0; r < m; r++) {
        for (let c = 0; c < n; c++) {
          let s = 0;
          for (let p = 0; p < k; p++) s += av[i * m * k + r * k + p] * bv[j * k * n + p * n + c];
          expect(out.data[((i * 3 + j) * m + r) * n + c]).toBeCloseTo(s, 5);
        }
      }
    }
  }
});

test('a bias with the unflattened batch shape ([2,3,m,n]) is added where the builtin fails', () => {
  setGemmEngine(createWasmEngine('simd'));
  const a = tf.tensor(random(2 * 3 * 4 * 5, 1), [2, 3, 4, 5]);
  const b = tf.tensor(random(5 * 6, 2), [5, 6]);
  const bias = tf.tensor(random(2 * 3 * 4 * 6, 3), [2, 3, 4, 6]);
  // Reference: the unfused builtin ops, which broadcast the full shapes.
  const expected = values(() => tf.relu(tf.add(tf.matMul(a, b), bias)));
  const ours = withOurs(() => values(() => tf.fused.matMul({ a: a as never, b: b as never, bias, activation: 'relu' })));
  expect(ours.shape).toEqual([2, 3, 4, 6]);
  expect(relErr(ours.data, expected.data)).toBeLessThan(TOLERANCE);
  tf.dispose([a, b, bias]);
});

test('int32 matMul is exact, like the builtin', () => {
  const a = tf.tensor([1, 2, 3, 4, 5, 6], [2, 3], 'int32');
  const b = tf.tensor([7, 8, 9, 10, 11, 12], [3, 2], 'int32');
  const builtin = tf.matMul(a, b);
  const ours = withOurs(() => tf.matMul(a, b));
  expect(ours.dtype).toBe('int32');
  expect(Array.from(ours.dataSync())).toEqual(Array.from(builtin.dataSync()));
  tf.dispose([a, b, builtin, ours]);
});

test('bad inputs give KernelInputErrors naming the kernel', () => {
  const backend = tf.backend() as never;
  const t = (shape: number[], dtype: tf.DataType = 'float32') => tf.zeros(shape, dtype);
  const a = t([2, 3]);
  const b = t([4, 5]);
  const run = (kernel: KernelConfig, inputs: object, attrs: object) =>
    () => kernel.kernelFunc({ inputs: inputs as never, backend, attrs: attrs as never });
  expect(run(batchMatMulConfig, { a, b }, {})).toThrow(KernelInputError);
  expect(run(batchMatMulConfig, { a, b }, {})).toThrow(/BatchMatMul: inner dimensions differ/);
  const v = t([3]);
  expect(run(batchMatMulConfig, { a: v, b }, {})).toThrow(/rank ≥ 2/);
  const c23 = t([2, 2, 3]);
  const c33 = t([3, 3, 2]);
  expect(run(batchMatMulConfig, { a: c23, b: c33 }, {})).toThrow(/do not broadcast/);
  const w = t([3, 4]);
  expect(run(fusedMatMulConfig, { a, b: w }, { activation: 'swish' })).toThrow(/_FusedMatMul: unknown activation 'swish'/);
  expect(run(fusedMatMulConfig, { a, b: w }, { activation: 'prelu' })).toThrow(/needs preluActivationWeights/);
  const badBias = t([3]);
  expect(run(fusedMatMulConfig, { a, b: w, bias: badBias }, {})).toThrow(/bias of shape \[3\] does not broadcast/);
  const bigBias = t([2, 2, 4]);
  expect(run(fusedMatMulConfig, { a, b: w, bias: bigBias }, {})).toThrow(/bias of shape \[2,2,4\] does not broadcast/);
  tf.dispose([a, b, v, c23, c33, w, badBias, bigBias]);
});

test('no tensor leaks', () => {
  const a = tf.tensor(random(6 * 5, 1), [2, 3, 5]);
  const b = tf.tensor(random(5 * 4, 2), [5, 4]);
  const bias = tf.tensor(random(4, 3), [4]);
  withOurs(() => {
    const before = tf.memory().numTensors;
    tf.tidy(() => {
      tf.matMul(a, b);
      tf.fused.matMul({ a: tf.reshape(a, [6, 5]) as tf.Tensor2D, b: b as tf.Tensor2D, bias, activation: 'elu' });
    });
    expect(tf.memory().numTensors).toBe(before);
  });
  tf.dispose([a, b, bias]);
});

test('mergeAxes reduces any rank to independent broadcast axes', () => {
  expect(mergeAxes([2, 3, 4, 5, 6], [[6]])).toEqual({ shape: [120, 6], operandShapes: [[1, 6]] });
  expect(mergeAxes([2, 3, 4, 5, 6], [[5, 6]])).toEqual({ shape: [24, 30], operandShapes: [[1, 30]] });
  expect(mergeAxes([2, 1, 4, 5], [[4, 1]])).toEqual({ shape: [2, 4, 5], operandShapes: [[1, 4, 1]] });
});
