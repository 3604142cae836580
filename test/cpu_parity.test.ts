/**
 * Parity with tfjs's builtin cpu kernels on a property-based random sweep:
 * batch, channels, spatial and filter sizes, strides, dilations, every pad
 * kind, both data formats, dimRoundingMode; forward and both gradients.
 * Errors are measured relative to the magnitude of the builtin's result.
 */
import fc from 'fast-check';
import { backend_util } from '@tensorflow/tfjs-core';
import { builtinAndOurs, randomValues, relativeError, tf } from './helpers/tf';
import { avgPoolGradReference } from './helpers/reference';
import { Pad, padArb } from './helpers/cases';
import { DEFAULT_WORKSPACE_BYTES, setIm2colWorkspaceBytes } from '../src';
import { setWasmVectorKernels, wasmVectorKernelsActive } from '../kernels/wasm_runtime/vector';

type Rounding = 'floor' | 'round' | 'ceil' | undefined;

/** Float32 accumulation over a few hundred terms: 1e-5 of the result's magnitude is ample, a bug is O(1). */
const TOLERANCE = 1e-5;
const worst: Record<string, number> = {};
const runs: Record<string, number> = {};

function record(name: string, err: number): void {
  worst[name] = Math.max(worst[name] ?? 0, err);
  runs[name] = (runs[name] ?? 0) + 1;
}

afterAll(() => {
  const lines = Object.keys(worst).map((k) => `  ${k}: ${runs[k]} cases, largest relative error ${worst[k].toExponential(2)}`);
  console.log(`cpu parity sweep vs tfjs builtins:\n${lines.join('\n')}`);
});


const convCaseArb = fc.record({
  batch: fc.integer({ min: 1, max: 3 }),
  inH: fc.integer({ min: 1, max: 11 }),
  inW: fc.integer({ min: 1, max: 11 }),
  inC: fc.integer({ min: 1, max: 5 }),
  outC: fc.integer({ min: 1, max: 7 }),
  filterH: fc.integer({ min: 1, max: 5 }),
  filterW: fc.integer({ min: 1, max: 5 }),
  strides: fc.tuple(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 3 })),
  dilations: fc.tuple(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 3 })),
  dataFormat: fc.constantFrom<'NHWC' | 'NCHW'>('NHWC', 'NCHW'),
  rounding: fc.constantFrom<Rounding>(undefined, 'floor', 'round', 'ceil'),
  seed: fc.integer(),
}).chain((c) => padArb(c.dataFormat, 3).map((pad) => ({ ...c, pad })));

type ConvCase = {
  batch: number; inH: number; inW: number; inC: number; outC: number; filterH: number; filterW: number;
  strides: [number, number]; dilations: [number, number]; dataFormat: 'NHWC' | 'NCHW'; rounding: Rounding;
  seed: number; pad: Pad;
};

function xShape(c: ConvCase): [number, number, number, number] {
  return c.dataFormat === 'NHWC' ? [c.batch, c.inH, c.inW, c.inC] : [c.batch, c.inC, c.inH, c.inW];
}

/** tfjs's op-level rules: rounding mode only with a numeric pad, and either strides or dilations are 1. */
function convInfoOrSkip(c: ConvCase, dilations: [number, number]): backend_util.Conv2DInfo | null {
  if (c.rounding !== undefined && typeof c.pad !== 'number') return null;
  if (!backend_util.eitherStridesOrDilationsAreOne(c.strides, dilations)) return null;
  const info = backend_util.computeConv2DInfo(xShape(c), [c.filterH, c.filterW, c.inC, c.outC], c.strides, dilations,
    c.pad, c.rounding, false, c.dataFormat === 'NHWC' ? 'channelsLast' : 'channelsFirst');
  return info.outHeight > 0 && info.outWidth > 0 ? info : null;
}

function tensor(shape: number[], seed: number): tf.Tensor {
  return tf.tensor(randomValues(shape.reduce((a, b) => a * b, 1), seed), shape);
}

function expectClose(name: string, r: { builtin: Float32Array[]; ours: Float32Array[] }): void {
  r.builtin.forEach((b, i) => {
    const err = relativeError(r.ours[i], b);
    record(name, err);
    expect(err).toBeLessThanOrEqual(TOLERANCE);
  });
}

const NUM_RUNS = 250;

// The whole conv sweep runs four times: with the default workspace (one tile for these
// sizes; im2col in WebAssembly), the same with the JavaScript im2col, and with small
// workspaces, so that tiles end mid-row and mid-image and NCHW segments split: 2048 floats
// (still WebAssembly: every input here fits in a tile's worth) and 64 floats (JavaScript, as
// staging a whole input for a 64-float tile would cost more than the tile).
describe.each([
  ['default workspace, WebAssembly im2col', DEFAULT_WORKSPACE_BYTES, true],
  ['default workspace, JavaScript im2col', DEFAULT_WORKSPACE_BYTES, false],
  ['2048-float workspace, WebAssembly im2col', 8192, true],
  ['64-float workspace, JavaScript im2col', 256, true],
])('cpu kernels match tfjs builtins on random cases (%s)', (_label, workspaceBytes, wasm) => {
  beforeAll(async () => {
    await tf.setBackend('cpu');
    setIm2colWorkspaceBytes(workspaceBytes);
    setWasmVectorKernels(wasm);
  });
  afterAll(() => {
    setIm2colWorkspaceBytes(DEFAULT_WORKSPACE_BYTES);
    setWasmVectorKernels(true);
  });

  it('Conv2D', () => {
    fc.assert(fc.property(convCaseArb, (c) => {
      const info = convInfoOrSkip(c, c.dilations);
      fc.pre(info !== null);
      const r = builtinAndOurs(() => tf.conv2d(
        tensor(xShape(c), c.seed) as tf.Tensor4D, tensor([c.filterH, c.filterW, c.inC, c.outC], c.seed + 1) as tf.Tensor4D,
        c.strides, c.pad as 'same', c.dataFormat, c.dilations, c.rounding));
      expectClose('Conv2D', r);
    }), { numRuns: NUM_RUNS });
  });

  it('FusedConv2D with bias and every activation', () => {
    const activations = ['linear', 'relu', 'relu6', 'elu', 'leakyrelu', 'prelu', 'sigmoid'] as const;
    fc.assert(fc.property(convCaseArb, fc.constantFrom(...activations), fc.boolean(), fc.boolean(),
      (c, activation, withBias, scalarOperands) => {
        const info = convInfoOrSkip(c, c.dilations);
        fc.pre(info !== null);
        const operandShape = scalarOperands ? [1] : [c.outC];
        const r = builtinAndOurs(() => tf.fused.conv2d({
          x: tensor(xShape(c), c.seed) as tf.Tensor4D,
          filter: tensor([c.filterH, c.filterW, c.inC, c.outC], c.seed + 1) as tf.Tensor4D,
          strides: c.strides, pad: c.pad as 'same', dataFormat: c.dataFormat, dilations: c.dilations,
          dimRoundingMode: c.rounding,
          bias: withBias ? tensor(operandShape, c.seed + 2) : undefined,
          activation,
          preluActivationWeights: activation === 'prelu' ? tensor(operandShape, c.seed + 3) : undefined,
          leakyreluAlpha: 0.15,
        }));
        expectClose('FusedConv2D', r);
      }), { numRuns: NUM_RUNS });
  });

  it('Conv2DBackpropInput', () => {
    fc.assert(fc.property(convCaseArb, (c) => {
      const info = convInfoOrSkip(c, [1, 1]);
      fc.pre(info !== null);
      const r = builtinAndOurs(() => tf.engine().runKernel('Conv2DBackpropInput', {
        dy: tensor(info!.outShape, c.seed), filter: tensor([c.filterH, c.filterW, c.inC, c.outC], c.seed + 1),
      }, {
        inputShape: xShape(c), strides: c.strides, pad: c.pad, dataFormat: c.dataFormat, dimRoundingMode: c.rounding,
      } as unknown as tf.NamedAttrMap) as tf.Tensor);
      expectClose('Conv2DBackpropInput', r);
    }), { numRuns: NUM_RUNS });
  });

  it('Conv2DBackpropFilter', () => {
    fc.assert(fc.property(convCaseArb, (c) => {
      const info = convInfoOrSkip(c, [1, 1]);
      fc.pre(info !== null);
      const r = builtinAndOurs(() => tf.engine().runKernel('Conv2DBackpropFilter', {
        x: tensor(xShape(c), c.seed), dy: tensor(info!.outShape, c.seed + 1),
      }, {
        strides: c.strides, pad: c.pad, dataFormat: c.dataFormat, dimRoundingMode: c.rounding,
        filterShape: [c.filterH, c.filterW, c.inC, c.outC],
      } as unknown as tf.NamedAttrMap) as tf.Tensor);
      expectClose('Conv2DBackpropFilter', r);
    }), { numRuns: NUM_RUNS });
  });

  it('tf.grad of tf.conv2d (dx and dW through the backprop kernels)', () => {
    // tfjs's conv2d gradient drops dimRoundingMode (see the next test), so none here.
    fc.assert(fc.property(convCaseArb.map((c) => ({ ...c, rounding: undefined })), (c) => {
      fc.pre(convInfoOrSkip(c, [1, 1]) !== null);
      const x = tensor(xShape(c), c.seed) as tf.Tensor4D;
      const w = tensor([c.filterH, c.filterW, c.inC, c.outC], c.seed + 1) as tf.Tensor4D;
      const r = builtinAndOurs(() => {
        const loss = (a: tf.Tensor, b: tf.Tensor) =>
          tf.sum(tf.square(tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, c.strides, c.pad as 'same', c.dataFormat, 1, c.rounding)));
        return tf.grads(loss)([x, w]);
      });
      tf.dispose([x, w]);
      expectClose('tf.grad(conv2d)', r);
    }), { numRuns: 80 });
  });

  it('tf.grad of tf.conv2d with dimRoundingMode: the geometry is recovered from dy', () => {
    // tfjs's Conv2D gradient calls the backprop kernels without dimRoundingMode; the
    // builtins then use the wrong geometry. Ours take the rounding that reproduces dy's
    // shape, so they equal the builtins called directly with the forward's rounding.
    const rounded = convCaseArb.map((c) => ({ ...c, dilations: [1, 1] as [number, number] }))
      .filter((c) => typeof c.pad === 'number' && c.rounding !== undefined);
    fc.assert(fc.property(rounded, (c) => {
      const info = convInfoOrSkip(c, [1, 1]);
      fc.pre(info !== null);
      const x = tensor(xShape(c), c.seed) as tf.Tensor4D;
      const w = tensor([c.filterH, c.filterW, c.inC, c.outC], c.seed + 1) as tf.Tensor4D;
      const dy = tensor(info!.outShape, c.seed + 2);
      const attrs = { strides: c.strides, pad: c.pad, dataFormat: c.dataFormat, dimRoundingMode: c.rounding };
      const expected = builtinAndOurs(() => [
        tf.engine().runKernel('Conv2DBackpropInput', { dy, filter: w }, { ...attrs, inputShape: xShape(c) } as unknown as tf.NamedAttrMap) as tf.Tensor,
        tf.engine().runKernel('Conv2DBackpropFilter', { x, dy }, { ...attrs, filterShape: w.shape } as unknown as tf.NamedAttrMap) as tf.Tensor,
      ]).builtin;
      const ours = builtinAndOurs(() => tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(
        tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, c.strides, c.pad as number, c.dataFormat, 1, c.rounding), dy)))([x, w])).ours;
      tf.dispose([x, w, dy]);
      expectClose('tf.grad(conv2d, dimRoundingMode)', { builtin: expected, ours });
    }), { numRuns: 30 });
  });
});

const poolCaseArb = fc.record({
  batch: fc.integer({ min: 1, max: 3 }),
  inH: fc.integer({ min: 1, max: 12 }),
  inW: fc.integer({ min: 1, max: 12 }),
  channels: fc.integer({ min: 1, max: 9 }),
  filterSize: fc.tuple(fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 4 })),
  strides: fc.tuple(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 3 })),
  pad: padArb('NHWC', 3),
  rounding: fc.constantFrom<Rounding>(undefined, 'floor', 'round', 'ceil'),
  seed: fc.integer(),
  /** Small integers make many ties, which is where first-vs-last maximum shows. */
  integers: fc.boolean(),
});

type PoolCase = {
  batch: number; inH: number; inW: number; channels: number; filterSize: [number, number];
  strides: [number, number]; pad: Pad; rounding: Rounding; seed: number; integers: boolean;
};

function poolInfoOrSkip(c: PoolCase): backend_util.Conv2DInfo | null {
  if (c.rounding !== undefined && typeof c.pad !== 'number') return null;
  const info = backend_util.computePool2DInfo([c.batch, c.inH, c.inW, c.channels], c.filterSize, c.strides, 1,
    c.pad, c.rounding);
  return info.outHeight > 0 && info.outWidth > 0 ? info : null;
}

function poolInput(c: PoolCase): tf.Tensor4D {
  const values = randomValues(c.batch * c.inH * c.inW * c.channels, c.seed);
  if (c.integers) values.forEach((v, i) => { values[i] = Math.round(v * 2); });
  return tf.tensor4d(values, [c.batch, c.inH, c.inW, c.channels]);
}

// Max pooling runs in WebAssembly SIMD where the runtime allows (always in Node 20), with the
// JavaScript loops as the fallback: both are swept.
describe.each([['WebAssembly SIMD', true], ['JavaScript', false]])('cpu max pooling (%s) matches tfjs builtins on random cases', (engine, wasm) => {
  beforeAll(() => {
    setWasmVectorKernels(wasm);
    expect(wasmVectorKernelsActive()).toBe(wasm);
  });
  afterAll(() => setWasmVectorKernels(true));

  it('MaxPool and AvgPool', () => {
    fc.assert(fc.property(poolCaseArb, fc.constantFrom('max', 'avg'), (c, kind) => {
      fc.pre(poolInfoOrSkip(c) !== null);
      const op = kind === 'max' ? tf.maxPool : tf.avgPool;
      const r = builtinAndOurs(() => op(poolInput(c), c.filterSize, c.strides, c.pad as 'same', c.rounding));
      expectClose(kind === 'max' ? `MaxPool (${engine})` : 'AvgPool', r);
    }), { numRuns: NUM_RUNS });
  });

  it('MaxPoolGrad, ties included (both route to the first maximum on cpu)', () => {
    fc.assert(fc.property(poolCaseArb, (c) => {
      const info = poolInfoOrSkip(c);
      fc.pre(info !== null);
      const r = builtinAndOurs(() => {
        const x = poolInput(c);
        const y = tf.maxPool(x, c.filterSize, c.strides, c.pad as 'same', c.rounding);
        return tf.engine().runKernel('MaxPoolGrad', { dy: tensor(info!.outShape, c.seed + 1), input: x, output: y }, {
          filterSize: c.filterSize, strides: c.strides, pad: c.pad, dimRoundingMode: c.rounding,
        } as unknown as tf.NamedAttrMap) as tf.Tensor;
      });
      expectClose(`MaxPoolGrad (${engine})`, r);
    }), { numRuns: NUM_RUNS });
  });

  it('NaN, ±Infinity, ±0 and ties: the builtin\'s values, forward and gradient', () => {
    const specials = [NaN, Infinity, -Infinity, 0, -0, 1, 1, -1];
    const values = randomValues(2 * 7 * 7 * 9, 5).map((v, i) => (i % 3 === 0 ? specials[Math.floor((v + 1) * 4)] : v));
    for (let i = 0; i < 9 * 4; i++) values[i] = -Infinity;  // windows with nothing above -Infinity pass no gradient
    const x = tf.tensor4d(values, [2, 7, 7, 9]);
    const identical = (a: Float32Array, b: Float32Array) =>
      Array.from(a).every((v, j) => Object.is(v, b[j]) || (Number.isNaN(v) && Number.isNaN(b[j])));
    for (const pad of ['same', 'valid', 1] as const) {
      for (const [filter, stride] of [[2, 2], [3, 2]]) {
        const r = builtinAndOurs(() => {
          const y = tf.maxPool(x, filter, stride, pad);
          const dy = tf.tensor4d(randomValues(y.size, 6), y.shape);
          const dx = tf.engine().runKernel('MaxPoolGrad', { dy, input: x, output: y },
            { filterSize: filter, strides: stride, pad } as unknown as tf.NamedAttrMap) as tf.Tensor;
          return [y, dx];
        });
        expect([pad, filter, 'forward', identical(r.ours[0], r.builtin[0])]).toEqual([pad, filter, 'forward', true]);
        // Overlapping windows add into one dx element in a different order than the builtin does.
        const gradientOk = filter === stride ? identical(r.ours[1], r.builtin[1]) : relativeError(r.ours[1], r.builtin[1]) <= 1e-6;
        expect([pad, filter, 'gradient', gradientOk]).toEqual([pad, filter, 'gradient', true]);
      }
    }
    x.dispose();
  });
});

describe('cpu average pooling gradient', () => {
  it('AvgPoolGrad: equal to the builtin where no window overlaps padding, to a float64 reference everywhere', () => {
    fc.assert(fc.property(poolCaseArb, (c) => {
      // tfjs's AvgPoolGrad takes no rounding mode.
      const info = poolInfoOrSkip({ ...c, rounding: undefined });
      fc.pre(info !== null);
      const dyValues = randomValues(info!.outShape.reduce((a, b) => a * b, 1), c.seed + 1);
      const r = builtinAndOurs(() => tf.engine().runKernel('AvgPoolGrad', {
        dy: tf.tensor(dyValues, info!.outShape), input: poolInput(c),
      }, { filterSize: c.filterSize, strides: c.strides, pad: c.pad } as unknown as tf.NamedAttrMap) as tf.Tensor);
      const reference = avgPoolGradReference(dyValues, info!);
      const err = relativeError(r.ours[0], reference);
      record('AvgPoolGrad vs float64', err);
      expect(err).toBeLessThanOrEqual(TOLERANCE);
      const { top, bottom, left, right } = info!.padInfo;
      const inBounds = top + bottom + left + right === 0 &&
        (info!.outHeight - 1) * info!.strideHeight + info!.filterHeight <= info!.inHeight &&
        (info!.outWidth - 1) * info!.strideWidth + info!.filterWidth <= info!.inWidth;
      if (inBounds) expectClose('AvgPoolGrad', r);
    }), { numRuns: NUM_RUNS });
  });
});
