/**
 * Our cpu Add, Sub, Multiply, RealDiv, Relu, Step, Sqrt and Sum against
 * tfjs's builtin cpu kernels on random shapes (every broadcasting pattern,
 * size-1 and empty dimensions, scalars) and values that include NaN, ±Inf,
 * ±0 and subnormals. These kernels claim bit-identical results, so the
 * comparison is exact: same shape, same dtype, and every element Object.is-equal
 * (any NaN matches any NaN). Both the WebAssembly SIMD loops and the JavaScript
 * fallback are checked. Also: other dtypes go to the builtin, bad shapes
 * get tfjs's own error, and nothing leaks.
 */
import fc from 'fast-check';
import { registerIm2colKernels } from '../src';
import { setWasmVectorKernels, wasmVectorKernelsActive } from '../kernels/wasm_runtime/vector';
import { mulberry32 } from '../src/random';
import { tf } from './helpers/tf';

const SPECIALS = [NaN, Infinity, -Infinity, 0, -0, 1e-40, -1e-40, 3.4e38, -3.4e38, 1, -1];

/** Values in [-2, 2) with about one in eight replaced by a special value. */
function values(size: number, seed: number): Float32Array {
  const next = mulberry32(seed);
  const out = new Float32Array(size);
  for (let i = 0; i < size; i++) {
    out[i] = next() < 0.125 ? SPECIALS[Math.floor(next() * SPECIALS.length)] : next() * 4 - 2;
  }
  return out;
}

function tensor(shape: number[], seed: number): tf.Tensor {
  return tf.tensor(values(shape.reduce((p, s) => p * s, 1), seed), shape, 'float32');
}

/** Result of fn with the builtins and with ours (shape, dtype, values). */
function bothWays(fn: () => tf.Tensor): { builtin: tf.Tensor; ours: tf.Tensor } {
  const builtin = fn();
  const reg = registerIm2colKernels({ backends: ['cpu'] });
  try {
    return { builtin, ours: fn() };
  } finally {
    reg.restore();
  }
}

function expectIdentical(fn: () => tf.Tensor): void {
  const { builtin, ours } = bothWays(fn);
  expect(ours.shape).toEqual(builtin.shape);
  expect(ours.dtype).toBe(builtin.dtype);
  const a = ours.dataSync();
  const b = builtin.dataSync();
  let mismatch = -1;
  for (let i = 0; i < b.length && mismatch < 0; i++) {
    if (!(Object.is(a[i], b[i]) || (Number.isNaN(a[i]) && Number.isNaN(b[i])))) mismatch = i;
  }
  if (mismatch >= 0) throw new Error(`element ${mismatch}: ours ${a[mismatch]}, builtin ${b[mismatch]}`);
  tf.dispose([builtin, ours]);
}

beforeAll(async () => {
  await tf.setBackend('cpu');
});

/** An output shape and two operand shapes that broadcast to it: leading dims dropped, some dims set to 1. */
const broadcastShapes = fc.array(fc.integer({ min: 0, max: 5 }), { minLength: 0, maxLength: 5 })
  .chain((out) => fc.tuple(
    fc.constant(out),
    fc.integer({ min: 0, max: out.length }), fc.array(fc.boolean(), { minLength: out.length, maxLength: out.length }),
    fc.integer({ min: 0, max: out.length }), fc.array(fc.boolean(), { minLength: out.length, maxLength: out.length }),
    fc.boolean(),
  ))
  .map(([out, aDrop, aOnes, bDrop, bOnes, swap]) => {
    const operand = (drop: number, ones: boolean[]) => out.slice(drop).map((s, i) => (ones[drop + i] ? 1 : s));
    const a = operand(aDrop, aOnes);
    const b = operand(bDrop, bOnes);
    return swap ? [b, a] : [a, b];
  });

// The loops run in WebAssembly SIMD where the runtime allows (always in Node 20), with JavaScript
// loops as the fallback: every test runs on both.
describe.each([['WebAssembly SIMD', true], ['JavaScript', false]])('%s loops', (_engine, wasm) => {
  beforeAll(() => {
    setWasmVectorKernels(wasm);
    expect(wasmVectorKernelsActive()).toBe(wasm);
  });
  afterAll(() => setWasmVectorKernels(true));

  const BINARY: Array<[string, (a: tf.Tensor, b: tf.Tensor) => tf.Tensor]> = [
    ['Add', tf.add], ['Sub', tf.sub], ['Multiply', tf.mul], ['RealDiv', tf.div],
  ];

  describe.each(BINARY)('%s', (_name, op) => {
    it('is bit-identical to the builtin on random broadcasts', () => {
      fc.assert(fc.property(broadcastShapes, fc.integer(), ([aShape, bShape], seed) => {
        const a = tensor(aShape, seed);
        const b = tensor(bShape, seed + 1);
        expectIdentical(() => op(a, b));
        tf.dispose([a, b]);
      }), { numRuns: 150, seed: 7 });
    });

    it('is bit-identical on the training step\'s shapes (bias over NHWC, scalar times a weight)', () => {
      const x = tensor([100, 24, 24, 30], 1);
      const bias = tensor([30], 2);
      const w = tensor([4320, 100], 3);
      const s = tf.scalar(0.9);
      expectIdentical(() => op(x, bias));
      expectIdentical(() => op(w, s));
      expectIdentical(() => op(s, w));
      expectIdentical(() => op(w, w));
      tf.dispose([x, bias, w, s]);
    });

    it('leaves int32 to the builtin', () => {
      const a = tf.tensor([7, -8, 9], [3], 'int32');
      const b = tf.tensor([2, 3, -4], [3], 'int32');
      expectIdentical(() => op(a, b));
      tf.dispose([a, b]);
    });

    it('rejects shapes that do not broadcast with tfjs\'s error', () => {
      const a = tf.zeros([2, 3]);
      const b = tf.zeros([4, 3]);
      const reg = registerIm2colKernels({ backends: ['cpu'] });
      try {
        expect(() => tf.engine().runKernel(_name, { a, b })).toThrow(/Operands could not be broadcast together/);
      } finally {
        reg.restore();
      }
      tf.dispose([a, b]);
    });
  });

  const shapes = fc.array(fc.integer({ min: 0, max: 5 }), { minLength: 0, maxLength: 5 });

  it.each([
    ['Relu', (x: tf.Tensor) => tf.relu(x)],
    ['Step (alpha 0)', (x: tf.Tensor) => tf.step(x)],
    ['Step (alpha -0.5)', (x: tf.Tensor) => tf.step(x, -0.5)],
    ['Sqrt', (x: tf.Tensor) => tf.sqrt(x)],
  ])('%s is bit-identical to the builtin', (_name, op) => {
    fc.assert(fc.property(shapes, fc.integer(), (shape, seed) => {
      const x = tensor(shape, seed);
      expectIdentical(() => op(x));
      x.dispose();
    }), { numRuns: 60, seed: 11 });
    const x = tensor([100, 24, 24, 30], 5);
    expectIdentical(() => op(x));
    x.dispose();
  });

  it('Relu leaves int32 to the builtin', () => {
    const x = tf.tensor([-3, 0, 5], [3], 'int32');
    expectIdentical(() => tf.relu(x));
    x.dispose();
  });

  describe('Sum', () => {
    it('is bit-identical to the builtin over random axes, negative or out of order, with and without keepDims', () => {
      const cases = shapes.chain((shape) => fc.tuple(
        fc.constant(shape),
        fc.oneof(
          fc.constant(undefined),
          fc.subarray(shape.map((_, i) => i)),
          fc.shuffledSubarray(shape.map((_, i) => i)).map((axes) => axes.map((a) => (a % 2 === 0 ? a - shape.length : a))),
        ),
        fc.boolean(), fc.integer(),
      ));
      fc.assert(fc.property(cases, ([shape, axes, keepDims, seed]) => {
        const x = tensor(shape, seed);
        expectIdentical(() => tf.sum(x, axes, keepDims));
        x.dispose();
      }), { numRuns: 200, seed: 13 });
    });

    it('is bit-identical on large sums: the bias gradient of an NHWC layer and of a dense layer', () => {
      // Plain values (no specials): a long float64 sum where any change of order would show.
      const next = mulberry32(3);
      const x = tf.tensor(Float32Array.from({ length: 100 * 24 * 24 * 30 }, () => next() * 2 - 1), [100, 24, 24, 30]);
      const d = tf.tensor(Float32Array.from({ length: 100 * 100 }, () => next() * 2 - 1), [100, 100]);
      expectIdentical(() => tf.sum(x, [0, 1, 2]));
      expectIdentical(() => tf.sum(x));
      expectIdentical(() => tf.sum(x, [1, 3], true));
      expectIdentical(() => tf.sum(d, 0));
      tf.dispose([x, d]);
    });

    it('leaves int32 and bool to the builtin', () => {
      const i = tf.tensor([[1, 2], [3, 4]], [2, 2], 'int32');
      const b = tf.tensor([[1, 0], [1, 1]], [2, 2], 'bool');
      expectIdentical(() => tf.sum(i, 0));
      expectIdentical(() => tf.sum(b));
      tf.dispose([i, b]);
    });
  });

  it('nothing leaks, with tfjs\'s IS_TEST check of kernel intermediates on', () => {
    tf.env().set('IS_TEST', true);
    const reg = registerIm2colKernels({ backends: ['cpu'] });
    try {
      const x = tensor([4, 3, 5], 1);
      const b = tensor([5], 2);
      const run = () => tf.tidy(() => {
        const y = tf.relu(tf.div(tf.sub(tf.mul(tf.add(x, b), 2), 1), tf.sqrt(tf.add(b, 3))));
        return tf.sum(tf.mul(y, tf.step(y)), [0, 2], true);
      });
      run().dispose();
      const before = tf.memory();
      for (let i = 0; i < 3; i++) run().dispose();
      expect(tf.memory().numTensors).toBe(before.numTensors);
      expect(tf.memory().numBytes).toBe(before.numBytes);
      tf.dispose([x, b]);
    } finally {
      reg.restore();
      tf.env().set('IS_TEST', false);
    }
  });
});
