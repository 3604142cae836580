/**
 * Our kernels on tfjs-backend-wasm: parity sweeps against tfjs's cpu builtins (and float64
 * references where the builtins are not the gradient), the wasm builtin MaxPoolGrad that ours
 * replace because it is wrong, the Conv2DBackpropFilter calls the im2col path declines (wasm has no
 * builtin for them), registration on wasm, and no leaks.
 *
 * Our kernels were registered before the wasm backend was initialised (beforeAll), so this file
 * also checks that the builtins they replaced got their setup: the calls ours hand to them work.
 */
import fc from 'fast-check';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildSync } from 'esbuild';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import '@tensorflow/tfjs-layers';
import { backend_util, KernelConfig, NamedTensorMap } from '@tensorflow/tfjs-core';
import {
  isIm2colKernelActive, providedKernels, registerIm2colKernels, Registration, supportedBackends, unregisterIm2colKernels,
} from '../src/registration';
import { wasmForwardCandidates, wasmKernelConfigs } from '../kernels/wasm';
import { randomValues } from './helpers/random';
import { relativeError } from './helpers/tf';
import { avgPoolGradReference, maxPoolGradReference } from './helpers/reference';

const TOLERANCE = 1e-5;
let registration: Registration;
const wasmBuiltin = new Map<string, KernelConfig | undefined>();

beforeAll(async () => {
  for (const c of [...wasmKernelConfigs, ...wasmForwardCandidates]) wasmBuiltin.set(c.kernelName, tf.getKernel(c.kernelName, 'wasm'));
  // Before the backend is initialised: tfjs then runs our configs' setup, which must set the builtins up.
  registration = registerIm2colKernels({ backends: 'wasm' });
  await tf.setBackend('wasm');
});
afterAll(() => unregisterIm2colKernels());

type Inputs = Record<string, { shape: number[]; values: Float32Array }>;

/** Runs one kernel on `backend` via tfjs's registry on fresh tensors and returns its output values. */
function runOn(backend: 'cpu' | 'wasm', kernel: string, inputs: Inputs, attrs: object, config?: KernelConfig): Float32Array {
  tf.setBackend(backend);
  return tf.tidy(() => {
    const tensors: NamedTensorMap = {};
    for (const [k, v] of Object.entries(inputs)) tensors[k] = tf.tensor(v.values, v.shape);
    if (config !== undefined) {
      const b = tf.backend();
      const info = config.kernelFunc({ inputs: tensors, attrs: attrs as never, backend: b }) as tf.TensorInfo;
      const values = b.readSync(info.dataId) as Float32Array;
      b.disposeData(info.dataId);
      return values;
    }
    const out = tf.engine().runKernel(kernel, tensors, attrs as never) as tf.Tensor;
    return out.dataSync() as Float32Array;
  });
}

function input(shape: number[], seed: number): { shape: number[]; values: Float32Array } {
  return { shape, values: randomValues(shape.reduce((a, b) => a * b, 1), seed) };
}

const worst: Record<string, number> = {};
afterAll(() => console.log(`wasm parity (largest relative error): ${JSON.stringify(worst)}`));

function expectClose(name: string, ours: Float32Array, expected: ArrayLike<number>): void {
  const err = relativeError(ours, expected);
  worst[name] = Math.max(worst[name] ?? 0, err);
  expect(err).toBeLessThanOrEqual(TOLERANCE);
}

const padArb = fc.constantFrom<'same' | 'valid' | number>('same', 'valid', 0, 1, 2);
const convArb = fc.record({
  batch: fc.integer({ min: 1, max: 3 }), inH: fc.integer({ min: 3, max: 10 }), inW: fc.integer({ min: 3, max: 10 }),
  inC: fc.integer({ min: 1, max: 5 }), outC: fc.integer({ min: 1, max: 6 }),
  filterH: fc.integer({ min: 1, max: 3 }), filterW: fc.integer({ min: 1, max: 3 }),
  stride: fc.integer({ min: 1, max: 2 }), pad: padArb, nchw: fc.boolean(), seed: fc.integer(),
});
const poolArb = fc.record({
  batch: fc.integer({ min: 1, max: 3 }), inH: fc.integer({ min: 2, max: 10 }), inW: fc.integer({ min: 2, max: 10 }),
  C: fc.integer({ min: 1, max: 9 }), filter: fc.integer({ min: 1, max: 3 }), stride: fc.integer({ min: 1, max: 3 }),
  pad: padArb, seed: fc.integer(),
});
const RUNS = { numRuns: 40 };

describe('parity sweeps on wasm against the cpu builtins', () => {
  it('Conv2DBackpropFilter and Conv2DBackpropInput (registered), Conv2D and FusedConv2D (candidates)', () => {
    fc.assert(fc.property(convArb, (c) => {
      const dataFormat = c.nchw ? 'NCHW' : 'NHWC';
      const xShape = c.nchw ? [c.batch, c.inC, c.inH, c.inW] : [c.batch, c.inH, c.inW, c.inC];
      const filterShape = [c.filterH, c.filterW, c.inC, c.outC];
      const info = backend_util.computeConv2DInfo(xShape as never, filterShape as never, c.stride, 1, c.pad,
        'floor', false, backend_util.convertConv2DDataFormat(dataFormat));
      fc.pre(info.outHeight > 0 && info.outWidth > 0);
      const x = input(xShape, c.seed);
      const filter = input(filterShape, c.seed + 1);
      const dy = input(info.outShape, c.seed + 2);
      const attrs = { strides: c.stride, pad: c.pad, dataFormat, dimRoundingMode: 'floor', dilations: 1 };
      const dW = { ...attrs, filterShape };
      expectClose('Conv2DBackpropFilter', runOn('wasm', 'Conv2DBackpropFilter', { x, dy }, dW),
        runOn('cpu', 'Conv2DBackpropFilter', { x, dy }, dW));
      const dX = { ...attrs, inputShape: xShape };
      expectClose('Conv2DBackpropInput', runOn('wasm', 'Conv2DBackpropInput', { dy, filter }, dX),
        runOn('cpu', 'Conv2DBackpropInput', { dy, filter }, dX));
      const [conv, fused] = wasmForwardCandidates;
      expectClose('Conv2D (candidate)', runOn('wasm', 'Conv2D', { x, filter }, attrs, conv),
        runOn('cpu', 'Conv2D', { x, filter }, attrs));
      const bias = input([c.outC], c.seed + 3);
      const fusedAttrs = { ...attrs, activation: 'relu' };
      expectClose('FusedConv2D (candidate)', runOn('wasm', 'FusedConv2D', { x, filter, bias }, fusedAttrs, fused),
        runOn('cpu', 'FusedConv2D', { x, filter, bias }, fusedAttrs));
    }), RUNS);
  });

  it('MaxPoolGrad against the cpu builtin and AvgPoolGrad against its float64 gradient; MaxPool and AvgPool (candidates)', () => {
    fc.assert(fc.property(poolArb, (c) => {
      const xShape = [c.batch, c.inH, c.inW, c.C];
      const info = backend_util.computePool2DInfo(xShape as never, c.filter, c.stride, 1, c.pad, 'floor');
      fc.pre(info.outHeight > 0 && info.outWidth > 0);
      const x = input(xShape, c.seed);
      const dy = input(info.outShape, c.seed + 1);
      const attrs = { filterSize: c.filter, strides: c.stride, pad: c.pad, dimRoundingMode: 'floor' };
      const oursMax = runOn('wasm', 'MaxPoolGrad', { dy, input: x }, attrs);
      expectClose('MaxPoolGrad', oursMax, runOn('cpu', 'MaxPoolGrad', { dy, input: x }, attrs));
      expectClose('MaxPoolGrad vs float64', oursMax, maxPoolGradReference(x.values, dy.values, info));
      // tfjs's builtin AvgPoolGrad divides by filterH·filterW over padding (README): the exact gradient is the reference.
      expectClose('AvgPoolGrad vs float64', runOn('wasm', 'AvgPoolGrad', { dy, input: x }, attrs),
        avgPoolGradReference(dy.values, info));
      const [, , maxPool, avgPool] = wasmForwardCandidates;
      expectClose('MaxPool (candidate)', runOn('wasm', 'MaxPool', { x }, attrs, maxPool), runOn('cpu', 'MaxPool', { x }, attrs));
      expectClose('AvgPool (candidate)', runOn('wasm', 'AvgPool', { x }, attrs, avgPool), runOn('cpu', 'AvgPool', { x }, attrs));
    }), RUNS);
  });
});

describe('BatchMatMul on wasm', () => {
  const matMulArb = fc.record({
    m: fc.integer({ min: 1, max: 40 }), n: fc.integer({ min: 1, max: 40 }), k: fc.integer({ min: 1, max: 70 }),
    aBatch: fc.constantFrom([], [1], [3], [2, 3]), bShared: fc.boolean(),
    transposeA: fc.boolean(), transposeB: fc.boolean(), seed: fc.integer(),
  });

  it('matches the cpu builtin for transposes and batches (one side broadcast or equal)', () => {
    fc.assert(fc.property(matMulArb, (c) => {
      const aShape = [...c.aBatch, ...(c.transposeA ? [c.k, c.m] : [c.m, c.k])];
      const bShape = [...(c.bShared ? [] : c.aBatch), ...(c.transposeB ? [c.n, c.k] : [c.k, c.n])];
      const a = input(aShape, c.seed);
      const b = input(bShape, c.seed + 1);
      const attrs = { transposeA: c.transposeA, transposeB: c.transposeB };
      const ours = runOn('wasm', 'BatchMatMul', { a, b }, attrs);
      expectClose('BatchMatMul', ours, runOn('cpu', 'BatchMatMul', { a, b }, attrs));
      expectClose('BatchMatMul vs XNNPACK', ours, runOn('wasm', 'BatchMatMul', { a, b }, attrs, wasmBuiltin.get('BatchMatMul')));
    }), RUNS);
  });

  it('mutually broadcast batches give the broadcast product, where the builtin is wrong', () => {
    const a = input([2, 1, 2, 3], 21);
    const b = input([1, 3, 3, 2], 22);
    const reference = new Float64Array(2 * 3 * 2 * 2);
    for (let i = 0; i < 2; i++) for (let j = 0; j < 3; j++) for (let r = 0; r < 2; r++) for (let c = 0; c < 2; c++) {
      let sum = 0;
      for (let p = 0; p < 3; p++) sum += a.values[i * 6 + r * 3 + p] * b.values[j * 6 + p * 2 + c];
      reference[((i * 3 + j) * 2 + r) * 2 + c] = sum;
    }
    expect(relativeError(runOn('wasm', 'BatchMatMul', { a, b }, {}), reference)).toBeLessThan(1e-6);
    const builtin = runOn('wasm', 'BatchMatMul', { a, b }, {}, wasmBuiltin.get('BatchMatMul'));
    // Called directly it returns 12 of the 24 values here (through tf.matMul, 24 with NaN among them).
    const wrong = builtin.length !== reference.length || builtin.some(Number.isNaN) || !(relativeError(builtin, reference) < 0.1);
    expect(wrong).toBe(true);
  });

  it('int32 and zero-size products go to the builtin (int32: its own error)', () => {
    tf.setBackend('wasm');
    expect(() => tf.matMul(tf.tensor2d([[1, 2]], [1, 2], 'int32'), tf.tensor2d([[3], [4]], [2, 1], 'int32')))
      .toThrow(/BatchMatMul for non non-float32 tensors not yet supported/);
    expect(tf.matMul(tf.zeros([2, 0]), tf.zeros([0, 3])).shape).toEqual([2, 3]);
  });
});

describe('depthwise gradients on wasm (it has none)', () => {
  const depthwiseArb = fc.record({
    batch: fc.integer({ min: 1, max: 2 }), inH: fc.integer({ min: 3, max: 9 }), inW: fc.integer({ min: 3, max: 9 }),
    inC: fc.integer({ min: 1, max: 9 }), mult: fc.integer({ min: 1, max: 2 }),
    filterH: fc.integer({ min: 1, max: 3 }), filterW: fc.integer({ min: 1, max: 3 }),
    stride: fc.integer({ min: 1, max: 2 }), pad: padArb, seed: fc.integer(),
  });

  it('DepthwiseConv2dNativeBackpropInput and ...BackpropFilter match the cpu builtins', () => {
    fc.assert(fc.property(depthwiseArb, (c) => {
      const xShape = [c.batch, c.inH, c.inW, c.inC];
      const filterShape = [c.filterH, c.filterW, c.inC, c.mult];
      const info = backend_util.computeConv2DInfo(xShape as never, filterShape as never, c.stride, 1, c.pad, 'floor', true);
      fc.pre(info.outHeight > 0 && info.outWidth > 0);
      const x = input(xShape, c.seed);
      const filter = input(filterShape, c.seed + 1);
      const dy = input(info.outShape, c.seed + 2);
      const attrs = { strides: c.stride, pad: c.pad, dimRoundingMode: 'floor', dilations: 1 };
      const dW = { ...attrs, filterShape };
      expectClose('DepthwiseConv2dNativeBackpropFilter', runOn('wasm', 'DepthwiseConv2dNativeBackpropFilter', { x, dy }, dW),
        runOn('cpu', 'DepthwiseConv2dNativeBackpropFilter', { x, dy }, dW));
      const dX = { ...attrs, inputShape: xShape };
      expectClose('DepthwiseConv2dNativeBackpropInput', runOn('wasm', 'DepthwiseConv2dNativeBackpropInput', { dy, filter }, dX),
        runOn('cpu', 'DepthwiseConv2dNativeBackpropInput', { dy, filter }, dX));
    }), RUNS);
  });

  it('tf.grad through a separable convolution runs on wasm and matches cpu; a zero-size call gets a clear error', () => {
    const x = input([2, 7, 7, 3], 31);
    const dw = input([3, 3, 3, 2], 32);
    const pw = input([1, 1, 6, 4], 33);
    const grads = (backend: 'cpu' | 'wasm') => {
      tf.setBackend(backend);
      return tf.tidy(() => {
        const [xt, dwt, pwt] = [x, dw, pw].map((v) => tf.tensor4d(v.values, v.shape as [number, number, number, number]));
        const loss = (a: tf.Tensor, b: tf.Tensor) =>
          tf.sum(tf.square(tf.separableConv2d(xt, a as tf.Tensor4D, b as tf.Tensor4D, 2, 'same')));
        return tf.grads(loss)([dwt, pwt]).map((g) => g.dataSync() as Float32Array);
      });
    };
    const before = tf.memory().numTensors;
    const [wasm, cpu] = [grads('wasm'), grads('cpu')];
    for (let i = 0; i < 2; i++) expectClose('separableConv2d gradient', wasm[i], cpu[i]);
    expect(tf.memory().numTensors).toBe(before);
    const empty = input([0, 5, 5, 2], 34);
    expect(() => runOn('wasm', 'DepthwiseConv2dNativeBackpropFilter', { x: empty, dy: input([0, 5, 5, 2], 35) },
      { strides: 1, pad: 'same', dilations: 1, filterShape: [3, 3, 2, 1] }))
      .toThrow(/DepthwiseConv2dNativeBackpropFilter/);
  });
});

describe("tfjs-backend-wasm's builtin MaxPoolGrad, which ours replace", () => {
  it('disagrees with the cpu builtin and loses gradient mass on inputs without ties; ours agrees and keeps it', () => {
    const x = input([2, 8, 8, 3], 7);
    const dy = input([2, 4, 4, 3], 8);
    const attrs = { filterSize: 2, strides: 2, pad: 'valid', dimRoundingMode: 'floor' };
    const info = backend_util.computePool2DInfo([2, 8, 8, 3], 2, 2, 1, 'valid', 'floor');
    const reference = maxPoolGradReference(x.values, dy.values, info);
    const cpu = runOn('cpu', 'MaxPoolGrad', { dy, input: x }, attrs);
    const builtin = runOn('wasm', 'MaxPoolGrad', { dy, input: x }, attrs, wasmBuiltin.get('MaxPoolGrad'));
    const ours = runOn('wasm', 'MaxPoolGrad', { dy, input: x }, attrs);
    expect(new Set(x.values).size).toBe(x.values.length); // no ties
    expect(relativeError(cpu, reference)).toBeLessThan(1e-6);
    expect(relativeError(ours, reference)).toBeLessThan(1e-6);
    expect(relativeError(builtin, reference)).toBeGreaterThan(0.1);
    const mass = (a: ArrayLike<number>) => Array.from(a).reduce((s, v) => s + v, 0);
    expect(mass(ours)).toBeCloseTo(mass(dy.values), 4);
    expect(Math.abs(mass(builtin) - mass(dy.values))).toBeGreaterThan(1e-2);
  });
});

describe('Conv2DBackpropFilter calls the im2col path declines (wasm has no builtin to hand them to)', () => {
  it('zero-size input: zeros of the filter shape', () => {
    const x = input([0, 5, 5, 2], 1);
    const dy = input([0, 5, 5, 3], 2);
    const out = runOn('wasm', 'Conv2DBackpropFilter', { x, dy },
      { strides: 1, pad: 'same', dataFormat: 'NHWC', filterShape: [3, 3, 2, 3] });
    expect(Array.from(out)).toEqual(new Array(3 * 3 * 2 * 3).fill(0));
  });

  it('non-finite dy meeting the padding: padded taps skipped, as the cpu builtin does', () => {
    for (const dataFormat of ['NHWC', 'NCHW']) {
      const x = input(dataFormat === 'NHWC' ? [1, 5, 5, 2] : [1, 2, 5, 5], 3);
      const dy = input(dataFormat === 'NHWC' ? [1, 5, 5, 3] : [1, 3, 5, 5], 4);
      dy.values[0] = Infinity;
      dy.values[7] = NaN;
      const attrs = { strides: 1, pad: 'same', dataFormat, filterShape: [3, 3, 2, 3] };
      const ours = runOn('wasm', 'Conv2DBackpropFilter', { x, dy }, attrs);
      expect(relativeError(ours, runOn('cpu', 'Conv2DBackpropFilter', { x, dy }, attrs))).toBeLessThan(1e-6);
    }
  });

  it('bad input still gets a clear error naming the kernel', () => {
    const x = input([1, 5, 5], 1);
    const dy = input([1, 5, 5, 3], 2);
    expect(() => runOn('wasm', 'Conv2DBackpropFilter', { x, dy }, { strides: 1, pad: 'same', dataFormat: 'NHWC', filterShape: [3, 3, 2, 3] }))
      .toThrow(/tfjs-im2col Conv2DBackpropFilter: input must be rank 4/);
  });
});

describe('calls ours hand to the wasm builtins they replaced', () => {
  it('tf.conv2dTranspose to an outputShape no forward geometry gives runs on the builtin, set up although we registered first', () => {
    const dy = input([1, 8, 8, 2], 5);
    const filter = input([3, 3, 1, 2], 6);
    const attrs = { inputShape: [1, 4, 4, 1], strides: 1, pad: 'same', dataFormat: 'NHWC' };
    const ours = runOn('wasm', 'Conv2DBackpropInput', { dy, filter }, attrs);
    const builtin = runOn('wasm', 'Conv2DBackpropInput', { dy, filter }, attrs, wasmBuiltin.get('Conv2DBackpropInput'));
    expect(Array.from(ours)).toEqual(Array.from(builtin));
  });
});

describe('registration on wasm', () => {
  it('wasm is a supported backend with the gradient kernels and BatchMatMul; the default call includes it once imported', () => {
    expect(supportedBackends()).toContain('wasm');
    expect(providedKernels('wasm').sort()).toEqual(['AvgPoolGrad', 'BatchMatMul', 'Conv2DBackpropFilter', 'Conv2DBackpropInput',
      'DepthwiseConv2dNativeBackpropFilter', 'DepthwiseConv2dNativeBackpropInput', 'MaxPoolGrad']);
    expect(registration.backends).toEqual(['wasm']);
    const all = registerIm2colKernels();
    expect(all.backends).toEqual(expect.arrayContaining(['cpu', 'wasm']));
    all.restore();
    for (const k of providedKernels('wasm')) expect([k, isIm2colKernelActive(k, 'wasm')]).toEqual([k, true]);
    expect(isIm2colKernelActive('Conv2D', 'wasm')).toBe(false); // XNNPACK's stays
  });

  it('restore puts the builtins back and removes Conv2DBackpropFilter, which wasm lacks; registering again adds it', () => {
    const again = registerIm2colKernels({ backends: 'wasm', kernels: ['Conv2DBackpropFilter', 'MaxPoolGrad'] });
    registration.restore();
    expect(isIm2colKernelActive('Conv2DBackpropFilter', 'wasm')).toBe(true); // still covered by `again`
    again.restore();
    expect(tf.getKernel('Conv2DBackpropFilter', 'wasm')).toBeUndefined();
    expect(tf.getKernel('MaxPoolGrad', 'wasm')).toBe(wasmBuiltin.get('MaxPoolGrad'));
    expect(tf.getKernel('Conv2DBackpropInput', 'wasm')).toBe(wasmBuiltin.get('Conv2DBackpropInput'));
    registration = registerIm2colKernels({ backends: 'wasm' });
    expect(isIm2colKernelActive('Conv2DBackpropFilter', 'wasm')).toBe(true);
  });

  it('before tfjs-backend-wasm is imported, registering wasm throws naming the package (fresh process)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'im2col-wasm-fresh-'));
    try {
      const out = join(dir, 'fresh.cjs');
      buildSync({
        stdin: {
          contents: `
            import { registerIm2colKernels } from '../src/registration';
            // require, not a bare import: esbuild drops side-effect-only imports of packages marked side-effect free.
            require('@tensorflow/tfjs-backend-cpu');
            const attempt = (f: () => unknown) => { try { f(); return 'no error'; } catch (e) { return (e as Error).message; } };
            console.log(JSON.stringify({
              wasm: attempt(() => registerIm2colKernels({ backends: 'wasm' })),
              filterOnly: attempt(() => registerIm2colKernels({ backends: 'wasm', kernels: 'Conv2DBackpropFilter' })),
              byDefault: registerIm2colKernels().backends,
            }));`,
          resolveDir: __dirname, loader: 'ts',
        },
        bundle: true, platform: 'node', format: 'cjs', outfile: out, logLevel: 'error',
      });
      const stdout = execFileSync(process.execPath, [out], { encoding: 'utf8', timeout: 60_000, stdio: ['ignore', 'pipe', 'pipe'] });
      const result = JSON.parse(stdout.trim().split('\n').pop()!);
      const message = /tfjs-im2col: the 'wasm' backend's kernels are not registered yet \(no \w+\): import '@tensorflow\/tfjs-backend-wasm' before registering/;
      expect(result.wasm).toMatch(message);
      expect(result.filterOnly).toMatch(message);
      expect(result.byDefault).toEqual(['cpu']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('a CNN gradient on wasm', () => {
  it('tf.grad through conv2d, maxPool and avgPool runs on ours, matches cpu, and leaks no tensor', () => {
    const x = input([2, 9, 9, 3], 11);
    const w = input([3, 3, 3, 4], 12);
    const grads = (backend: 'cpu' | 'wasm') => {
      tf.setBackend(backend);
      return tf.tidy(() => {
        const f = (a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.add(
          tf.sum(tf.maxPool(tf.relu(tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, 1, 'same')), 3, 2, 'same')),
          tf.sum(tf.avgPool(tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, 2, 'valid'), 2, 1, 'valid'))));
        return tf.grads(f)([tf.tensor(x.values, x.shape), tf.tensor(w.values, w.shape)]).map((t) => t.dataSync() as Float32Array);
      });
    };
    grads('wasm');
    tf.setBackend('wasm');
    const before = tf.memory().numTensors;
    const [dxW, dwW] = grads('wasm');
    tf.setBackend('wasm');
    expect(tf.memory().numTensors).toBe(before);
    const [dxC, dwC] = grads('cpu');
    expect(relativeError(dxW, dxC)).toBeLessThan(1e-5);
    expect(relativeError(dwW, dwC)).toBeLessThan(1e-5);
  });
});
