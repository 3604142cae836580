/**
 * The public API's argument checks: a bad argument gets a clear error naming the function and the
 * bad value (with its type: "1" is not 1), and the accepted forms do what the README says.
 */
import type { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import {
  col2im, convOutputSize, currentGemmEngine, DEFAULT_WORKSPACE_BYTES, getGemmEngine, GemmEngine, GemmEngineName,
  im2col, im2colWorkspaceBytes, isIm2colKernelActive, MAX_GEMM_THREADS, MIN_RESIDENT_FLOATS, providedKernels,
  registerIm2colKernels, residentOutputsActive, residentOutputStats, RegisterOptions, selectBestGemmEngine,
  setGemmEngine, setIm2colWorkspaceBytes, unregisterIm2colKernels, useGemmEngine,
} from '../src';
import { scalarEngine } from '../kernels/core/gemm';
import { tf } from './helpers/tf';

beforeAll(async () => {
  await tf.setBackend('cpu');
});
afterEach(() => unregisterIm2colKernels());

/** Lets a test pass what the TypeScript signature forbids, as a JavaScript caller can. */
const loose = <T>(v: unknown): T => v as T;

describe('registerIm2colKernels options', () => {
  it('takes a single backend name or kernel name as a one-element list', () => {
    const reg = registerIm2colKernels({ backends: loose<string[]>('cpu'), kernels: loose<string[]>('Conv2D') });
    expect(reg.backends).toEqual(['cpu']);
    expect(reg.kernels).toEqual(['Conv2D']);
    expect(isIm2colKernelActive('Conv2D', 'cpu')).toBe(true);
    expect(isIm2colKernelActive('MaxPool', 'cpu')).toBe(false);
    reg.restore();
    expect(isIm2colKernelActive('Conv2D', 'cpu')).toBe(false);
  });

  it('treats null and undefined as no options', () => {
    for (const options of [null, undefined]) {
      const reg = registerIm2colKernels(loose<RegisterOptions>(options));
      expect(reg.backends).toEqual(['cpu']);
      expect(reg.kernels.sort()).toEqual(providedKernels('cpu').sort());
      reg.restore();
    }
  });

  it.each([
    [5, /registerIm2colKernels: options must be an object \{backends\?, kernels\?\}, got 5/],
    ['cpu', /registerIm2colKernels: options must be an object \{backends\?, kernels\?\}, got "cpu"/],
    [['cpu'], /registerIm2colKernels: options must be an object \{backends\?, kernels\?\}, got \["cpu"\]/],
    [{ backend: 'cpu' }, /registerIm2colKernels: unknown option 'backend'; valid options: backends, kernels/],
    [{ backends: 5 }, /registerIm2colKernels: backends must be a backend name or an array of them, got 5/],
    [{ backends: ['cpu', 7] }, /registerIm2colKernels: backends must be a backend name or an array of them, got \["cpu",7\]/],
    [{ kernels: { Conv2D: true } }, /registerIm2colKernels: kernels must be a kernel name or an array of them, got \{"Conv2D":true\}/],
  ])('rejects %j', (options, message) => {
    expect(() => registerIm2colKernels(loose<RegisterOptions>(options))).toThrow(message);
    expect(isIm2colKernelActive('Conv2D', 'cpu')).toBe(false);
  });
});

describe('GEMM engines', () => {
  afterAll(() => selectBestGemmEngine());

  it('setGemmEngine rejects what is not an engine, and keeps the current one', () => {
    const before = getGemmEngine();
    expect(() => setGemmEngine(loose<GemmEngine>({}))).toThrow(/setGemmEngine: engine\.name must be a non-empty string, got undefined/);
    expect(() => setGemmEngine(loose<GemmEngine>({ name: 'mine' }))).toThrow(/setGemmEngine: engine\.gemm must be a function, got undefined/);
    expect(() => setGemmEngine(loose<GemmEngine>({ name: 'mine', gemm: 'fast' }))).toThrow(/engine\.gemm must be a function, got "fast"/);
    expect(() => setGemmEngine(loose<GemmEngine>(null))).toThrow(/setGemmEngine: engine must be an object \{name, gemm\}, got null/);
    expect(getGemmEngine()).toBe(before);
    expect(currentGemmEngine().name).toBe(before.name);
  });

  it('setGemmEngine takes a {name, gemm} engine of your own, and convolutions run on it', () => {
    const calls: number[] = [];
    const mine: GemmEngine = { name: 'mine', gemm: (...args) => { calls.push(args[0]); scalarEngine.gemm(...args); } };
    const previous = setGemmEngine(mine);
    const reg = registerIm2colKernels({ backends: ['cpu'], kernels: ['Conv2D'] });
    try {
      expect(currentGemmEngine()).toEqual({ name: 'mine', threads: 1 });
      const y = tf.conv2d(tf.ones([1, 4, 4, 1]) as tf.Tensor4D, tf.ones([3, 3, 1, 1]) as tf.Tensor4D, 1, 'valid');
      expect(Array.from(y.dataSync())).toEqual([9, 9, 9, 9]);
      expect(calls.length).toBeGreaterThan(0);
      y.dispose();
    } finally {
      reg.restore();
      setGemmEngine(previous);
    }
  });

  it(`useGemmEngine and selectBestGemmEngine take threads from 1 to ${MAX_GEMM_THREADS} only`, () => {
    expect(MAX_GEMM_THREADS).toBe(64);
    useGemmEngine('wasm-simd');
    for (const threads of [1000, 65, 0, -2, 1.5, NaN, Infinity]) {
      const message = `threads must be a positive integer no greater than 64, got ${threads}`;
      expect(() => useGemmEngine('wasm-threads', { threads })).toThrow(`useGemmEngine: ${message}`);
      expect(() => selectBestGemmEngine({ threads })).toThrow(`selectBestGemmEngine: ${message}`);
    }
    expect(() => useGemmEngine('wasm-threads', { threads: loose<number>('2') })).toThrow(/threads must be a positive integer no greater than 64, got "2"/);
    expect(getGemmEngine().name).toBe('wasm-simd');
    expect(useGemmEngine('wasm-threads', { threads: 2 }).name).toBe('wasm-threads');
    expect(currentGemmEngine()).toEqual({ name: 'wasm-threads', threads: 2 });
  });

  it('useGemmEngine: unknown engine names and options are named; null options are no options', () => {
    expect(() => useGemmEngine(loose<GemmEngineName>('wasm'))).toThrow(/unknown engine 'wasm'; valid engines: scalar, wasm-simd/);
    expect(() => useGemmEngine('wasm-simd', loose<object>({ thread: 2 }))).toThrow(/useGemmEngine: unknown option 'thread'; valid options: threads, relaxed/);
    expect(() => useGemmEngine('wasm-threads', loose<object>({ relaxed: 'yes' }))).toThrow(/useGemmEngine: relaxed must be true or false, got "yes"/);
    expect(() => useGemmEngine('wasm-simd', loose<object>(5))).toThrow(/useGemmEngine: options must be an object \{threads\?, relaxed\?\}, got 5/);
    expect(useGemmEngine('wasm-simd', loose<object>(null)).name).toBe('wasm-simd');
  });
});

describe('residentOutputStats', () => {
  const cpu = () => tf.findBackend('cpu') as MathBackendCPU;

  it('takes the backend name as well as the backend object', () => {
    useGemmEngine('wasm-simd');
    expect(residentOutputsActive()).toBe(true);
    const reg = registerIm2colKernels({ backends: ['cpu'], kernels: ['Relu'] });
    const x = tf.fill([2 * MIN_RESIDENT_FLOATS], -1);
    const y = tf.relu(x);
    const byName = residentOutputStats('cpu');
    expect(byName.tensors).toBeGreaterThan(0);
    expect(byName.bytes).toBeGreaterThanOrEqual(2 * MIN_RESIDENT_FLOATS * 4);
    expect(byName).toEqual(residentOutputStats(cpu()));
    tf.dispose([x, y]);
    reg.restore();
  });

  it('an unknown name, or a backend that is not tfjs-backend-cpu, is an error', () => {
    expect(() => residentOutputStats('gpu')).toThrow(/residentOutputStats: no backend named 'gpu' is registered \(registered: .*cpu/);
    expect(() => residentOutputStats(loose<MathBackendCPU>({}))).toThrow(/residentOutputStats: not a tfjs-backend-cpu backend: \{\}/);
    expect(() => residentOutputStats(loose<MathBackendCPU>(undefined))).toThrow(/residentOutputStats: not a tfjs-backend-cpu backend: undefined; pass a backend name such as 'cpu'/);
    // A backend that keeps its values elsewhere (as webgl's texData does); tfjs disposes it on removal.
    tf.registerBackend('not-cpu', () => Object.assign(new tf.KernelBackend(), { dispose: () => undefined }));
    try {
      expect(() => residentOutputStats('not-cpu')).toThrow(/residentOutputStats: 'not-cpu' is not a tfjs-backend-cpu backend/);
    } finally {
      tf.removeBackend('not-cpu');
    }
  });
});

describe('the im2col workspace', () => {
  afterAll(() => setIm2colWorkspaceBytes(DEFAULT_WORKSPACE_BYTES));

  it('im2colWorkspaceBytes() is the configured bound, before and after the workspace is allocated', () => {
    setIm2colWorkspaceBytes(1 << 20);
    expect(im2colWorkspaceBytes()).toBe(1 << 20);
    const reg = registerIm2colKernels({ backends: ['cpu'], kernels: ['Conv2D'] });
    tf.dispose(tf.conv2d(tf.ones([1, 8, 8, 2]) as tf.Tensor4D, tf.ones([3, 3, 2, 1]) as tf.Tensor4D, 1, 'same'));
    reg.restore();
    expect(im2colWorkspaceBytes()).toBe(1 << 20);
    setIm2colWorkspaceBytes(DEFAULT_WORKSPACE_BYTES);
    expect(im2colWorkspaceBytes()).toBe(DEFAULT_WORKSPACE_BYTES);
  });

  it.each([[0], [-4], [2], [64 * 1024 * 1024 + 1], [1.5], [NaN], ['1024']])('setIm2colWorkspaceBytes rejects %p', (bytes) => {
    const shown = typeof bytes === 'string' ? `"${bytes}"` : String(bytes);
    expect(() => setIm2colWorkspaceBytes(loose<number>(bytes))).toThrow(
      `setIm2colWorkspaceBytes: bytes must be an integer from 4 to 67108864 (64 MiB), got ${shown}`);
    expect(im2colWorkspaceBytes()).toBe(DEFAULT_WORKSPACE_BYTES);
  });
});

describe('the book’s im2col, col2im and convOutputSize', () => {
  const x = tf.zeros([1, 1, 4, 4]) as tf.Tensor4D;
  const col = tf.zeros([4, 9]) as tf.Tensor2D;

  it('col2im checks inputShape first, and wants a 2-D col', () => {
    expect(() => col2im(col, [-1, 3, 7, 7], 3, 3)).toThrow(/col2im: inputShape must be 4 positive integers \[N, C, H, W\], got \[-1,3,7,7\]/);
    expect(() => col2im(col, loose<[number, number, number, number]>([1, 1, 4]), 3, 3)).toThrow(/col2im: inputShape must be 4 positive integers \[N, C, H, W\], got \[1,1,4\]/);
    expect(() => col2im(col, loose<[number, number, number, number]>('1,1,4,4'), 3, 3)).toThrow(/col2im: inputShape .* got "1,1,4,4"/);
    expect(() => col2im(tf.zeros([4, 9, 1]) as unknown as tf.Tensor2D, [1, 1, 4, 4], 3, 3)).toThrow(/col2im: col must be a 2-D tensor, got shape \[4,9,1\]/);
    expect(() => col2im(loose<tf.Tensor2D>([[0]]), [1, 1, 4, 4], 3, 3)).toThrow(/col2im: col must be a 2-D tensor, got \[\[0\]\]/);
    expect(col2im(col, [1, 1, 4, 4], 3, 3).shape).toEqual([1, 1, 4, 4]);
  });

  it('im2col wants a 4-D x', () => {
    expect(() => im2col(tf.zeros([4, 4]) as unknown as tf.Tensor4D, 3, 3)).toThrow(/im2col: x must be a 4-D tensor \(N, C, H, W\), got shape \[4,4\]/);
  });

  it.each([
    ['filterH', [0, 3, 1, 0], 'a positive integer', '0'],
    ['filterW', [3, '3', 1, 0], 'a positive integer', '"3"'],
    ['stride', [3, 3, '1', 0], 'a positive integer', '"1"'],
    ['stride', [3, 3, 1.5, 0], 'a positive integer', '1.5'],
    ['pad', [3, 3, 1, -1], 'a non-negative integer', '-1'],
    ['pad', [3, 3, 1, NaN], 'a non-negative integer', 'NaN'],
    ['pad', [3, 3, 1, null], 'a non-negative integer', 'null'],
  ])('im2col and col2im name a bad %s with its type: %p', (name, [fh, fw, stride, pad], what, shown) => {
    const args = loose<[number, number, number, number]>([fh, fw, stride, pad]);
    expect(() => im2col(x, ...args)).toThrow(`im2col: ${name} must be ${what}, got ${shown}`);
    expect(() => col2im(col, [1, 1, 4, 4], ...args)).toThrow(`col2im: ${name} must be ${what}, got ${shown}`);
  });

  it('convOutputSize names a bad argument with its type, and the failing function in the stride rule', () => {
    expect(() => convOutputSize(loose<number>('28'), 5)).toThrow('convOutputSize: inputSize must be a positive integer, got "28"');
    expect(() => convOutputSize(28, 5, 1, loose<number>('2'))).toThrow('convOutputSize: pad must be a non-negative integer, got "2"');
    expect(() => convOutputSize(28, 5, 1, loose<number>(undefined))).not.toThrow();
    expect(() => im2col(tf.zeros([1, 1, 6, 6]) as tf.Tensor4D, 3, 3, 2)).toThrow(/^im2col: \(H \+ 2P - FH\) = 3 is not divisible by the stride 2/);
    expect(() => col2im(tf.zeros([4, 9]) as tf.Tensor2D, [1, 1, 6, 6], 3, 3, 2)).toThrow(/^col2im: \(H \+ 2P - FH\) = 3 is not divisible/);
  });
});
