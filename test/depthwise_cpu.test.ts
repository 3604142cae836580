/**
 * The depthwise kernels on cpu (DepthwiseConv2dNative, FusedDepthwiseConv2D and
 * both gradients) against tfjs's builtin cpu kernels on a property-based random
 * sweep (WebAssembly SIMD and the JavaScript fallback), against a float64
 * reference written from the definition, the calls handed to the builtin, bad
 * input, and tfjs's tensor count.
 */
import fc from 'fast-check';
import { backend_util } from '@tensorflow/tfjs-core';
import { builtinAndOurs, randomValues, relativeError, tf } from './helpers/tf';
import { Pad, padArb } from './helpers/cases';
import { KernelInputError, registerIm2colKernels } from '../src';
import { setWasmVectorKernels, wasmVectorKernelsActive } from '../kernels/wasm_runtime/vector';
import { selectBestGemmEngine, useGemmEngine } from '../kernels/wasm_runtime/engines';
import type { ThreadedEngine } from '../kernels/wasm_runtime/gemm_threads';

type Rounding = 'floor' | 'round' | 'ceil' | undefined;
type Pair = [number, number];

/** Float32 sums of at most a few hundred terms: 1e-5 of the result's magnitude is ample, a bug is O(1). */
const TOLERANCE = 1e-5;
const NUM_RUNS = 80;
const SEED = 20261130;
const worst: Record<string, number> = {};
const runs: Record<string, number> = {};

afterAll(() => {
  const lines = Object.keys(worst).map((k) => `  ${k}: ${runs[k]} cases, largest relative error ${worst[k].toExponential(2)}`);
  console.log(`depthwise cpu parity:\n${lines.join('\n')}`);
});

function expectClose(name: string, ours: ArrayLike<number>, expected: ArrayLike<number>, tolerance = TOLERANCE): void {
  const err = relativeError(ours, expected);
  worst[name] = Math.max(worst[name] ?? 0, err);
  runs[name] = (runs[name] ?? 0) + 1;
  expect(err).toBeLessThanOrEqual(tolerance);
}

function expectAllClose(name: string, r: { builtin: Float32Array[]; ours: Float32Array[] }): void {
  r.builtin.forEach((b, i) => expectClose(name, r.ours[i], b));
}

const caseArb = fc.record({
  batch: fc.integer({ min: 1, max: 2 }),
  inH: fc.integer({ min: 1, max: 9 }),
  inW: fc.integer({ min: 1, max: 9 }),
  // 1–3 (scalar lanes), 4 and 8 (whole groups), 5–7 and 9 (a partial last group).
  inC: fc.integer({ min: 1, max: 9 }),
  mult: fc.integer({ min: 1, max: 3 }),
  filterH: fc.integer({ min: 1, max: 4 }),
  filterW: fc.integer({ min: 1, max: 4 }),
  strides: fc.tuple(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 3 })),
  dilations: fc.tuple(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 3 })),
  rounding: fc.constantFrom<Rounding>(undefined, 'floor', 'round', 'ceil'),
  seed: fc.integer(),
}).chain((c) => padArb('NHWC', 2).map((pad) => ({ ...c, pad })));

type Case = {
  batch: number; inH: number; inW: number; inC: number; mult: number; filterH: number; filterW: number;
  strides: Pair; dilations: Pair; rounding: Rounding; seed: number; pad: Pad;
};

const xShape = (c: Case): [number, number, number, number] => [c.batch, c.inH, c.inW, c.inC];
const filterShape = (c: Case): [number, number, number, number] => [c.filterH, c.filterW, c.inC, c.mult];

/** tfjs's op-level rules (rounding mode only with a numeric pad; strides or dilations 1), and a non-empty output. */
function infoOrSkip(c: Case, dilations: Pair = c.dilations): backend_util.Conv2DInfo | null {
  if (c.rounding !== undefined && typeof c.pad !== 'number') return null;
  if (!backend_util.eitherStridesOrDilationsAreOne(c.strides, dilations)) return null;
  const info = backend_util.computeConv2DInfo(xShape(c), filterShape(c), c.strides, dilations, c.pad, c.rounding, true);
  return info.outHeight > 0 && info.outWidth > 0 ? info : null;
}

function tensor(shape: number[], seed: number): tf.Tensor {
  return tf.tensor(randomValues(shape.reduce((a, b) => a * b, 1), seed), shape);
}

/** Runs `fn` with our kernels registered. */
function withOurs<T>(fn: () => T): T {
  const reg = registerIm2colKernels({ backends: 'cpu' });
  try {
    return fn();
  } finally {
    reg.restore();
  }
}

const attrsOf = (c: Case, dilations: Pair = c.dilations) =>
  ({ strides: c.strides, pad: c.pad, dilations, dimRoundingMode: c.rounding }) as unknown as tf.NamedAttrMap;

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe.each([
  ['WebAssembly SIMD', true],
  ['JavaScript fallback', false],
])('depthwise kernels match tfjs builtins on random cases (%s)', (_label, simd) => {
  beforeAll(() => setWasmVectorKernels(simd));
  afterAll(() => setWasmVectorKernels(true));

  it('runs on the intended path', () => {
    expect(wasmVectorKernelsActive()).toBe(simd);
  });

  it('DepthwiseConv2dNative (tf.depthwiseConv2d)', () => {
    fc.assert(fc.property(caseArb, (c) => {
      fc.pre(infoOrSkip(c) !== null);
      const r = builtinAndOurs(() => tf.depthwiseConv2d(
        tensor(xShape(c), c.seed) as tf.Tensor4D, tensor(filterShape(c), c.seed + 1) as tf.Tensor4D,
        c.strides, c.pad as 'same', 'NHWC', c.dilations, c.rounding));
      expectAllClose('DepthwiseConv2dNative', r);
    }), { numRuns: NUM_RUNS, seed: SEED });
  });

  it('FusedDepthwiseConv2D with bias and every activation', () => {
    const activations = ['linear', 'relu', 'relu6', 'elu', 'leakyrelu', 'prelu', 'sigmoid'] as const;
    const operandShapes = (c: Case, info: backend_util.Conv2DInfo) => [[c.inC * c.mult], [1], info.outShape.slice(1)];
    fc.assert(fc.property(caseArb, fc.constantFrom(...activations), fc.boolean(), fc.nat(2), fc.nat(2),
      (c, activation, withBias, biasKind, alphaKind) => {
        const info = infoOrSkip(c);
        fc.pre(info !== null);
        const r = builtinAndOurs(() => tf.fused.depthwiseConv2d({
          x: tensor(xShape(c), c.seed) as tf.Tensor4D,
          filter: tensor(filterShape(c), c.seed + 1) as tf.Tensor4D,
          strides: c.strides, pad: c.pad as 'same', dilations: c.dilations, dimRoundingMode: c.rounding,
          bias: withBias ? tensor(operandShapes(c, info!)[biasKind], c.seed + 2) : undefined,
          activation,
          preluActivationWeights: activation === 'prelu' ? tensor(operandShapes(c, info!)[alphaKind], c.seed + 3) : undefined,
          leakyreluAlpha: 0.15,
        }));
        expectAllClose('FusedDepthwiseConv2D', r);
      }), { numRuns: NUM_RUNS, seed: SEED });
  });

  it('3x3 filters (register-blocked rows; stride 1 dx as a convolution of dy), forward, fused and dx', () => {
    // Mostly stride 1 and multiplier 1 (MobileNet's case, where dx runs as a convolution of dy).
    const threeByThree = caseArb.map((c) => ({
      ...c, filterH: 3, filterW: 3, inH: c.inH + 2, inW: c.inW + 3,
      strides: (c.seed % 3 === 0 ? c.strides : [1, 1]) as Pair, mult: c.seed % 4 === 0 ? c.mult : 1,
    }));
    fc.assert(fc.property(threeByThree, fc.constantFrom('linear', 'relu', 'relu6', 'elu'), (c, activation) => {
      const info = infoOrSkip(c);
      fc.pre(info !== null);
      const x = tensor(xShape(c), c.seed);
      const w = tensor(filterShape(c), c.seed + 1);
      const bias = tensor([c.inC * c.mult], c.seed + 2);
      const forward = builtinAndOurs(() => [
        tf.depthwiseConv2d(x as tf.Tensor4D, w as tf.Tensor4D, c.strides, c.pad as 'same', 'NHWC', c.dilations, c.rounding),
        tf.fused.depthwiseConv2d({
          x: x as tf.Tensor4D, filter: w as tf.Tensor4D, strides: c.strides, pad: c.pad as 'same',
          dilations: c.dilations, dimRoundingMode: c.rounding, bias, activation,
        }),
      ]);
      expectAllClose('3x3 forward and fused', forward);
      const unit = infoOrSkip(c, [1, 1]);
      if (unit !== null) {
        const dy = tensor(unit.outShape, c.seed + 3);
        const dx = builtinAndOurs(() => tf.engine().runKernel('DepthwiseConv2dNativeBackpropInput', { dy, filter: w },
          { ...attrsOf(c, [1, 1]), inputShape: xShape(c) }) as tf.Tensor);
        expectAllClose('3x3 DepthwiseConv2dNativeBackpropInput', dx);
        dy.dispose();
      }
      tf.dispose([x, w, bias]);
    }), { numRuns: NUM_RUNS, seed: SEED });
  });

  // tfjs's cpu builtin gradients ignore dilations (tf.grad rejects them): dilations 1 here,
  // dilated gradients against the float64 reference below.
  it('DepthwiseConv2dNativeBackpropInput', () => {
    fc.assert(fc.property(caseArb, (c) => {
      const info = infoOrSkip(c, [1, 1]);
      fc.pre(info !== null);
      const r = builtinAndOurs(() => tf.engine().runKernel('DepthwiseConv2dNativeBackpropInput', {
        dy: tensor(info!.outShape, c.seed), filter: tensor(filterShape(c), c.seed + 1),
      }, { ...attrsOf(c, [1, 1]), inputShape: xShape(c) }) as tf.Tensor);
      expectAllClose('DepthwiseConv2dNativeBackpropInput', r);
    }), { numRuns: NUM_RUNS, seed: SEED });
  });

  it('DepthwiseConv2dNativeBackpropFilter', () => {
    fc.assert(fc.property(caseArb, (c) => {
      const info = infoOrSkip(c, [1, 1]);
      fc.pre(info !== null);
      const r = builtinAndOurs(() => tf.engine().runKernel('DepthwiseConv2dNativeBackpropFilter', {
        x: tensor(xShape(c), c.seed), dy: tensor(info!.outShape, c.seed + 1),
      }, { ...attrsOf(c, [1, 1]), filterShape: filterShape(c) }) as tf.Tensor);
      expectAllClose('DepthwiseConv2dNativeBackpropFilter', r);
    }), { numRuns: NUM_RUNS, seed: SEED });
  });

  it('tf.grad of tf.depthwiseConv2d (dx and dW through the backprop kernels)', () => {
    fc.assert(fc.property(caseArb, (c) => {
      fc.pre(infoOrSkip(c, [1, 1]) !== null);
      const x = tensor(xShape(c), c.seed);
      const w = tensor(filterShape(c), c.seed + 1);
      const r = builtinAndOurs(() => tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.square(tf.depthwiseConv2d(
        a as tf.Tensor4D, b as tf.Tensor4D, c.strides, c.pad as 'same', 'NHWC', 1, c.rounding))))([x, w]));
      tf.dispose([x, w]);
      expectAllClose('tf.grad(depthwiseConv2d)', r);
    }), { numRuns: 60, seed: SEED });
  });

  it('tf.grad of tf.separableConv2d (depthwise, then a 1x1 conv)', () => {
    const separable = caseArb.filter((c) => typeof c.pad !== 'object' && c.rounding === undefined);
    fc.assert(fc.property(separable, fc.integer({ min: 1, max: 5 }), (c, outC) => {
      fc.pre(infoOrSkip(c, [1, 1]) !== null);
      const x = tensor(xShape(c), c.seed);
      const dw = tensor(filterShape(c), c.seed + 1);
      const pw = tensor([1, 1, c.inC * c.mult, outC], c.seed + 2);
      const r = builtinAndOurs(() => tf.grads((a: tf.Tensor, b: tf.Tensor, p: tf.Tensor) => tf.sum(tf.square(tf.separableConv2d(
        a as tf.Tensor4D, b as tf.Tensor4D, p as tf.Tensor4D, c.strides, c.pad as 'same', 1, 'NHWC'))))([x, dw, pw]));
      tf.dispose([x, dw, pw]);
      expectAllClose('tf.grad(separableConv2d)', r);
    }), { numRuns: 40, seed: SEED });
  });
});

describe('the WebAssembly SIMD kernels and the JavaScript fallback', () => {
  afterAll(() => setWasmVectorKernels(true));

  it('give the same floats, dilations and channel multipliers included', () => {
    const bits = (a: Float32Array) => Array.from(new Uint32Array(a.buffer, a.byteOffset, a.length));
    const cases = fc.oneof(caseArb, caseArb.map((c) => ({ ...c, filterH: 3, filterW: 3, inW: c.inW + 3 })));
    fc.assert(fc.property(cases, (c) => {
      const info = infoOrSkip(c);
      fc.pre(info !== null);
      const x = tensor(xShape(c), c.seed);
      const w = tensor(filterShape(c), c.seed + 1);
      const dy = tensor(info!.outShape, c.seed + 2);
      const bias = tensor([c.inC * c.mult], c.seed + 3);
      const run = (simd: boolean) => {
        setWasmVectorKernels(simd);
        return withOurs(() => [
          tf.engine().runKernel('DepthwiseConv2dNative', { x, filter: w }, attrsOf(c)) as tf.Tensor,
          tf.engine().runKernel('FusedDepthwiseConv2D', { x, filter: w, bias },
            { ...attrsOf(c), activation: ['linear', 'relu', 'relu6'][Math.abs(c.seed) % 3] }) as tf.Tensor,
          tf.engine().runKernel('FusedDepthwiseConv2D', { x, filter: w }, { ...attrsOf(c), activation: 'relu' }) as tf.Tensor,
          tf.engine().runKernel('DepthwiseConv2dNativeBackpropInput', { dy, filter: w },
            { ...attrsOf(c), inputShape: xShape(c) }) as tf.Tensor,
          tf.engine().runKernel('DepthwiseConv2dNativeBackpropFilter', { x, dy },
            { ...attrsOf(c), filterShape: filterShape(c) }) as tf.Tensor,
        ].map((t) => {
          const v = bits(t.dataSync() as Float32Array);
          t.dispose();
          return v;
        }));
      };
      const fromSimd = run(true);
      const fromJs = run(false);
      tf.dispose([x, w, dy, bias]);
      expect(fromJs).toEqual(fromSimd);
    }), { numRuns: 100, seed: SEED });
  });
});

describe('calls split across the worker pool (forward by image, or by output rows at batch 1; dx by image)', () => {
  afterAll(() => {
    selectBestGemmEngine();
  });

  // Each is above the pool's 2 MFLOP threshold; slices with top padding, with none, with a 5×5 dilated window, a
  // channel multiplier, stride 2 and an explicit pad whose last rows lie in the bottom padding.
  const cases: Array<{ name: string; x: [number, number, number, number]; f: [number, number, number, number]; s: number; d: number; pad: Pad }> = [
    { name: '1×64×64×32 3×3 same', x: [1, 64, 64, 32], f: [3, 3, 32, 1], s: 1, d: 1, pad: 'same' },
    { name: '1×131×126×16 3×3 s2 same, multiplier 2', x: [1, 131, 126, 16], f: [3, 3, 16, 2], s: 2, d: 1, pad: 'same' },
    { name: '1×64×56×24 5×5 dilation 2 valid', x: [1, 64, 56, 24], f: [5, 5, 24, 1], s: 1, d: 2, pad: 'valid' },
    { name: '1×70×70×32 3×3 pad 3', x: [1, 70, 70, 32], f: [3, 3, 32, 1], s: 1, d: 1, pad: 3 },
    { name: '3×40×40×32 3×3 same (by image)', x: [3, 40, 40, 32], f: [3, 3, 32, 1], s: 1, d: 1, pad: 'same' },
  ];

  it.each(cases)('$name: the builtin\'s values, and the same floats as one thread', ({ x: xs, f: fs, s, d, pad }) => {
    const x = tensor(xs, 11);
    const w = tensor(fs, 12);
    const bias = tensor([fs[2] * fs[3]], 13);
    const attrs = { strides: s, pad, dilations: d, dimRoundingMode: undefined, activation: 'relu6' } as unknown as tf.NamedAttrMap;
    const info = backend_util.computeConv2DInfo(xs, fs, s, d, pad, undefined, true);
    const dy = tensor(info.outShape, 14);
    const calls = () => [
      tf.engine().runKernel('DepthwiseConv2dNative', { x, filter: w }, attrs) as tf.Tensor,
      tf.engine().runKernel('FusedDepthwiseConv2D', { x, filter: w, bias }, attrs) as tf.Tensor,
      // tfjs's gradient kernels take no dilations (the dilated case is checked against float64 below).
      ...(d === 1 ? [tf.engine().runKernel('DepthwiseConv2dNativeBackpropInput', { dy, filter: w }, { ...attrs, inputShape: xs }) as tf.Tensor] : []),
    ];
    const values = (ts: tf.Tensor[]) => ts.map((t) => {
      const v = t.dataSync() as Float32Array;
      t.dispose();
      return v;
    });
    const builtin = values(calls());
    const pool = useGemmEngine('wasm-threads', { threads: 2, relaxed: false }) as ThreadedEngine;
    expect(pool.liveWorkers()).toBe(0);
    const threaded = withOurs(() => values(calls()));
    // The workers start at the first parallel call: this one.
    expect(pool.liveWorkers()).toBe(1);
    useGemmEngine('wasm-simd');
    const single = withOurs(() => values(calls()));
    tf.dispose([x, w, bias, dy]);
    builtin.forEach((b, i) => expectClose('split across threads', threaded[i], b));
    threaded.forEach((t, i) => expect(Object.is(relativeError(t, single[i]), 0) && t.every((v, j) => Object.is(v, single[i][j]))).toBe(true));
  });
});

// ---- float64 reference, written from the definition ----

interface Ref { y: Float64Array; dx: Float64Array; dW: Float64Array }

/** y, and the gradients of Σ y·dy, in float64, looping over every output and tap. */
function reference(x: Float32Array, w: Float32Array, dy: Float32Array, info: backend_util.Conv2DInfo): Ref {
  const { batchSize: N, inHeight: H, inWidth: W, inChannels: C, outHeight: OH, outWidth: OW, outChannels: OC } = info;
  const { filterHeight: FH, filterWidth: FW, strideHeight: SH, strideWidth: SW, dilationHeight: DH, dilationWidth: DW } = info;
  const M = OC / C;
  const y = new Float64Array(N * OH * OW * OC);
  const dx = new Float64Array(x.length);
  const dW = new Float64Array(w.length);
  for (let n = 0; n < N; n++) {
    for (let oh = 0; oh < OH; oh++) {
      for (let ow = 0; ow < OW; ow++) {
        for (let c = 0; c < C; c++) {
          for (let q = 0; q < M; q++) {
            const o = ((n * OH + oh) * OW + ow) * OC + c * M + q;
            for (let fh = 0; fh < FH; fh++) {
              for (let fw = 0; fw < FW; fw++) {
                const ih = oh * SH - info.padInfo.top + fh * DH;
                const iw = ow * SW - info.padInfo.left + fw * DW;
                if (ih < 0 || ih >= H || iw < 0 || iw >= W) continue;
                const i = ((n * H + ih) * W + iw) * C + c;
                const k = ((fh * FW + fw) * C + c) * M + q;
                y[o] += x[i] * w[k];
                dx[i] += dy[o] * w[k];
                dW[k] += dy[o] * x[i];
              }
            }
          }
        }
      }
    }
  }
  return { y, dx, dW };
}

describe('depthwise kernels against a float64 reference', () => {
  const cases: Case[] = [
    { batch: 2, inH: 9, inW: 8, inC: 5, mult: 1, filterH: 3, filterW: 3, strides: [1, 1], dilations: [1, 1], rounding: undefined, seed: 1, pad: 'same' },
    { batch: 1, inH: 12, inW: 11, inC: 7, mult: 3, filterH: 3, filterW: 2, strides: [2, 1], dilations: [1, 1], rounding: undefined, seed: 2, pad: 'valid' },
    // Dilated gradients: tfjs's cpu builtins ignore dilations there.
    { batch: 2, inH: 10, inW: 9, inC: 6, mult: 2, filterH: 3, filterW: 3, strides: [1, 1], dilations: [2, 3], rounding: undefined, seed: 3, pad: 'same' },
    { batch: 1, inH: 8, inW: 13, inC: 3, mult: 1, filterH: 2, filterW: 4, strides: [1, 1], dilations: [3, 2], rounding: undefined, seed: 4, pad: [[0, 0], [2, 1], [0, 3], [0, 0]] },
    { batch: 1, inH: 7, inW: 7, inC: 9, mult: 2, filterH: 5, filterW: 5, strides: [3, 2], dilations: [1, 1], rounding: 'ceil', seed: 5, pad: 2 },
    { batch: 3, inH: 16, inW: 16, inC: 36, mult: 1, filterH: 3, filterW: 3, strides: [2, 2], dilations: [1, 1], rounding: undefined, seed: 6, pad: 'same' },
  ];
  afterAll(() => setWasmVectorKernels(true));

  it.each([['WebAssembly SIMD', true], ['JavaScript fallback', false]])('forward, fused, dx and dW (%s)', (_label, simd) => {
    setWasmVectorKernels(simd);
    for (const c of cases) {
      const info = infoOrSkip(c)!;
      const x = tensor(xShape(c), c.seed);
      const w = tensor(filterShape(c), c.seed + 1);
      const dy = tensor(info.outShape, c.seed + 2);
      const ref = reference(x.dataSync() as Float32Array, w.dataSync() as Float32Array, dy.dataSync() as Float32Array, info);
      const [y, fused, dx, dW] = withOurs(() => [
        tf.engine().runKernel('DepthwiseConv2dNative', { x, filter: w }, attrsOf(c)) as tf.Tensor,
        tf.engine().runKernel('FusedDepthwiseConv2D', { x, filter: w }, { ...attrsOf(c), activation: 'relu' }) as tf.Tensor,
        tf.engine().runKernel('DepthwiseConv2dNativeBackpropInput', { dy, filter: w }, { ...attrsOf(c), inputShape: xShape(c) }) as tf.Tensor,
        tf.engine().runKernel('DepthwiseConv2dNativeBackpropFilter', { x, dy }, { ...attrsOf(c), filterShape: filterShape(c) }) as tf.Tensor,
      ]);
      expect(y.shape).toEqual(info.outShape);
      expectClose('float64 reference: forward', y.dataSync(), ref.y);
      expectClose('float64 reference: fused relu', fused.dataSync(), ref.y.map((v) => Math.max(0, v)));
      expectClose('float64 reference: dx', dx.dataSync(), ref.dx);
      expectClose('float64 reference: dW', dW.dataSync(), ref.dW);
      tf.dispose([x, w, dy, y, fused, dx, dW]);
    }
  });
});

describe('calls handed to the builtin, and values tfjs treats specially', () => {
  const same = (fn: () => tf.Tensor) => {
    const builtin = fn();
    const ours = withOurs(fn);
    expect(ours.dtype).toBe(builtin.dtype);
    expect(ours.shape).toEqual(builtin.shape);
    expect(Array.from(ours.dataSync())).toEqual(Array.from(builtin.dataSync()));
    tf.dispose([builtin, ours]);
  };

  it('int32 inputs (sent straight to the kernel: tf.depthwiseConv2d casts to float32)', () => {
    const x = tf.tensor4d([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18], [1, 3, 3, 2], 'int32');
    const w = tf.tensor4d([1, -1, 2, 0, 1, 1, -2, 3], [2, 2, 2, 1], 'int32');
    same(() => tf.engine().runKernel('DepthwiseConv2dNative', { x, filter: w }, { strides: 1, pad: 'valid', dilations: 1 }) as tf.Tensor);
    tf.dispose([x, w]);
  });

  it('zero-size inputs and outputs', () => {
    same(() => tf.depthwiseConv2d(tf.zeros([0, 5, 5, 2]) as tf.Tensor4D, tf.ones([3, 3, 2, 1]) as tf.Tensor4D, 1, 'same'));
    same(() => tf.depthwiseConv2d(tf.ones([1, 5, 5, 2]) as tf.Tensor4D, tf.ones([3, 3, 2, 0]) as tf.Tensor4D, 1, 'same'));
    same(() => tf.depthwiseConv2d(tf.ones([1, 2, 2, 2]) as tf.Tensor4D, tf.ones([3, 3, 2, 1]) as tf.Tensor4D, 1, 'valid'));
  });

  it("dataFormat 'NCHW' (tfjs's cpu builtin reads the input as NHWC; ours hands it over)", () => {
    same(() => tf.depthwiseConv2d(tensor([1, 3, 4, 3], 7) as tf.Tensor4D, tensor([2, 2, 3, 1], 8) as tf.Tensor4D, 1, 'valid', 'NCHW'));
  });

  it('strides and dilations both above 1: the builtin\'s own error', () => {
    const run = () => tf.depthwiseConv2d(tf.ones([1, 9, 9, 2]) as tf.Tensor4D, tf.ones([3, 3, 2, 1]) as tf.Tensor4D, 2, 'same', 'NHWC', 2);
    expect(run).toThrow(/Either strides or dilations must be 1/);
    expect(() => withOurs(run)).toThrow(/Either strides or dilations must be 1/);
  });

  it('NaN and ±Infinity, also where windows overlap the padding (padding taps are skipped, as the builtin does)', () => {
    const xv = randomValues(2 * 5 * 5 * 6, 11);
    xv[3] = Infinity;
    xv[40] = NaN;
    xv[77] = -Infinity;
    const wv = randomValues(3 * 3 * 6 * 2, 12);
    wv[0] = Infinity;
    wv[20] = NaN;
    const x = tf.tensor4d(xv, [2, 5, 5, 6]);
    const w = tf.tensor4d(wv, [3, 3, 6, 2]);
    const dy = tensor([2, 5, 5, 12], 13);
    const r = builtinAndOurs(() => [
      tf.depthwiseConv2d(x, w, 1, 'same'),
      tf.engine().runKernel('DepthwiseConv2dNativeBackpropInput', { dy, filter: w },
        { strides: 1, pad: 'same', dilations: 1, inputShape: x.shape }) as tf.Tensor,
      tf.engine().runKernel('DepthwiseConv2dNativeBackpropFilter', { x, dy },
        { strides: 1, pad: 'same', dilations: 1, filterShape: w.shape }) as tf.Tensor,
    ]);
    r.builtin.forEach((b, i) => {
      expect(r.ours[i].map((v) => (Number.isNaN(v) ? 1 : 0))).toEqual(b.map((v) => (Number.isNaN(v) ? 1 : 0)));
      expectClose('non-finite values', r.ours[i], b);
    });
    tf.dispose([x, w, dy]);
  });
});

describe('bad input sent straight to the kernels', () => {
  const x = () => tf.ones([1, 5, 5, 3]);
  const call = (kernel: string, inputs: tf.NamedTensorMap, attrs: Record<string, unknown>) =>
    () => withOurs(() => tf.engine().runKernel(kernel, inputs, attrs as tf.NamedAttrMap));

  it('names the kernel and the bad value', () => {
    const a = x();
    const w2 = tf.ones([3, 3, 2, 1]);
    const w3 = tf.ones([3, 3, 3, 1]);
    const bad: Array<[() => unknown, RegExp]> = [
      [call('DepthwiseConv2dNative', { x: a, filter: w2 }, { strides: 1, pad: 'same', dilations: 1 }),
        /DepthwiseConv2dNative: input has 3 channels but the filter expects 2/],
      [call('DepthwiseConv2dNative', { x: a, filter: w3 }, { strides: 0, pad: 'same', dilations: 1 }),
        /DepthwiseConv2dNative: strides must be positive integers, got 0/],
      [call('DepthwiseConv2dNative', { x: a, filter: tf.ones([3, 3, 3]) }, { strides: 1, pad: 'same', dilations: 1 }),
        /DepthwiseConv2dNative: filter must be rank 4, got shape \[3,3,3\]/],
      [call('FusedDepthwiseConv2D', { x: a, filter: w3 }, { strides: 1, pad: 'same', dilations: 1, activation: 'swish' }),
        /FusedDepthwiseConv2D: unknown activation 'swish'/],
      [call('FusedDepthwiseConv2D', { x: a, filter: w3 }, { strides: 1, pad: 'same', dilations: 1, activation: 'prelu' }),
        /FusedDepthwiseConv2D: activation 'prelu' needs preluActivationWeights/],
      [call('FusedDepthwiseConv2D', { x: a, filter: w3, bias: tf.ones([4]) }, { strides: 1, pad: 'same', dilations: 1, activation: 'linear' }),
        /FusedDepthwiseConv2D: bias of shape \[4\] does not broadcast to the output shape \[1,5,5,3\]/],
      [call('DepthwiseConv2dNativeBackpropInput', { dy: a, filter: w3 },
        { strides: 1, pad: 'same', dilations: 1, inputShape: [5, 5, 3] }),
        /DepthwiseConv2dNativeBackpropInput: input must be rank 4, got shape \[5,5,3\]/],
      [call('DepthwiseConv2dNativeBackpropFilter', { x: a, dy: a },
        { strides: 1, pad: 'bogus', dilations: 1, filterShape: [3, 3, 3, 1] }),
        /DepthwiseConv2dNativeBackpropFilter: pad must be 'same', 'valid', a non-negative integer or explicit padding, got "bogus"/],
    ];
    const before = tf.memory().numTensors;
    for (const [run, message] of bad) {
      expect(run).toThrow(KernelInputError);
      expect(run).toThrow(message);
    }
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([a, w2, w3]);
  });
});

describe('tensors', () => {
  it('leaves no tensor behind: forward, fused, gradients, a failed call', () => {
    const x = tensor([2, 7, 7, 5], 21);
    const w = tensor([3, 3, 5, 2], 22);
    const pw = tensor([1, 1, 10, 4], 23);
    const bias = tensor([10], 24);
    const before = tf.memory().numTensors;
    withOurs(() => {
      tf.tidy(() => {
        tf.depthwiseConv2d(x as tf.Tensor4D, w as tf.Tensor4D, 1, 'same');
        tf.fused.depthwiseConv2d({ x: x as tf.Tensor4D, filter: w as tf.Tensor4D, strides: 2, pad: 'valid', bias, activation: 'elu' });
        tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.separableConv2d(a as tf.Tensor4D, b as tf.Tensor4D, pw as tf.Tensor4D, 1, 'same')))([x, w]);
        tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.fused.depthwiseConv2d({
          x: a as tf.Tensor4D, filter: b as tf.Tensor4D, strides: 1, pad: 'same', bias, activation: 'relu',
        })))([x, w]);
      });
      expect(() => tf.engine().runKernel('FusedDepthwiseConv2D', { x, filter: w },
        { strides: 1, pad: 'same', dilations: 1, activation: 'nope' } as unknown as tf.NamedAttrMap)).toThrow(KernelInputError);
    });
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([x, w, pw, bias]);
  });
});
