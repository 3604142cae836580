/**
 * Bad input straight to our kernels: clear errors naming the kernel and value; input that tfjs's ops let
 * through but im2col does not describe: the builtin's answer; NaN and Inf as in the builtins.
 */
import { isIm2colKernelActive, registerIm2colKernels, Registration } from '../src';
import { BUILTIN_ONLY_CASES, outcomeOf } from './helpers/builtin_cases';
import { builtinAndOurs, randomValues, relativeError, tf } from './helpers/tf';

let reg: Registration;
beforeAll(async () => {
  await tf.setBackend('cpu');
});

function run(kernel: string, inputs: Record<string, tf.Tensor>, attrs: Record<string, unknown>): void {
  reg = registerIm2colKernels({ backends: ['cpu'] });
  try {
    tf.tidy(() => { tf.engine().runKernel(kernel, inputs, attrs as tf.NamedAttrMap); });
  } finally {
    reg.restore();
  }
}

const x = tf.ones([1, 5, 5, 2]);
const w = tf.ones([3, 3, 2, 4]);
const convAttrs = { strides: 1, pad: 'valid', dataFormat: 'NHWC', dilations: 1 };
const poolAttrs = { filterSize: 2, strides: 2, pad: 'valid' };

describe('bad input gets a clear error naming the kernel and the value', () => {
  it.each([
    ['Conv2D', { x: tf.ones([5, 5, 2]), filter: w }, convAttrs, /tfjs-im2col Conv2D: input must be rank 4, got shape \[5,5,2\]/],
    ['Conv2D', { x, filter: tf.ones([3, 3, 3, 4]) }, convAttrs, /Conv2D: input has 2 channels but the filter expects 3/],
    ['Conv2D', { x, filter: w }, { ...convAttrs, strides: 0 }, /Conv2D: strides must be positive integers, got 0/],
    ['Conv2D', { x, filter: w }, { ...convAttrs, strides: [1, -2] }, /Conv2D: strides must be positive integers, got \[1,-2\]/],
    ['Conv2D', { x, filter: w }, { ...convAttrs, dilations: [0, 1] }, /Conv2D: dilations must be positive integers/],
    ['Conv2D', { x, filter: w }, { ...convAttrs, pad: 'full' }, /Conv2D: pad must be 'same', 'valid'.*got "full"/],
    ['Conv2D', { x, filter: w }, { ...convAttrs, pad: -1 }, /Conv2D: pad must be .*got -1/],
    ['Conv2D', { x, filter: w }, { ...convAttrs, dataFormat: 'NWHC' }, /Conv2D: dataFormat must be 'NHWC' or 'NCHW', got 'NWHC'/],
    ['FusedConv2D', { x, filter: w }, { ...convAttrs, activation: 'swish' }, /FusedConv2D: unknown activation 'swish'/],
    ['FusedConv2D', { x, filter: w }, { ...convAttrs, activation: 'prelu' }, /FusedConv2D: activation 'prelu' needs preluActivationWeights/],
    ['FusedConv2D', { x, filter: w, bias: tf.ones([3]) }, { ...convAttrs, activation: 'linear' }, /FusedConv2D: bias of shape \[3\] does not broadcast to the output shape \[1,3,3,4\]/],
    ['MaxPool', { x: tf.ones([4, 4, 1]) }, poolAttrs, /MaxPool: input must be rank 4/],
    ['MaxPool', { x }, { ...poolAttrs, filterSize: 0 }, /MaxPool: filterSize must be positive integers, got 0/],
    ['AvgPool', { x }, { ...poolAttrs, strides: [2, 0] }, /AvgPool: strides must be positive integers, got \[2,0\]/],
  ] as Array<[string, Record<string, tf.Tensor>, Record<string, unknown>, RegExp]>)('%s rejects bad input (%#)', (kernel, inputs, attrs, message) => {
    expect(() => run(kernel, inputs, attrs)).toThrow(message);
  });
});

describe("zero-size tensors, other dtypes and dy shapes im2col does not describe: the builtin's answer", () => {
  it.each(BUILTIN_ONLY_CASES.filter((c) => c.backends.includes('cpu')).map((c) => [c.name, c] as const))('%s', async (_, c) => {
    const builtin = await outcomeOf(tf, c);
    const before = tf.memory().numTensors;
    reg = registerIm2colKernels({ backends: ['cpu'] });
    let ours;
    try {
      expect(isIm2colKernelActive('Conv2D', 'cpu')).toBe(true);
      ours = await outcomeOf(tf, c);
    } finally {
      reg.restore();
    }
    expect(ours).toEqual(builtin);
    expect(builtin.error).toBeUndefined();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('the same calls sent straight to our kernels: the builtin computes them', () => {
    const run2 = (kernel: string, inputs: Record<string, tf.Tensor>, attrs: Record<string, unknown>) =>
      builtinAndOurs(() => tf.engine().runKernel(kernel, inputs, attrs as tf.NamedAttrMap) as tf.Tensor);
    const cases: Array<[string, Record<string, tf.Tensor>, Record<string, unknown>]> = [
      ['Conv2D', { x: tf.ones([1, 5, 5, 2], 'int32'), filter: w }, convAttrs],
      ['Conv2DBackpropInput', { dy: tf.ones([1, 2, 2, 4]), filter: w }, { ...convAttrs, inputShape: [1, 5, 5, 2] }],
      ['AvgPoolGrad', { dy: tf.ones([1, 2, 2, 2]), input: tf.ones([1, 0, 4, 2]) }, poolAttrs],
    ];
    for (const [kernel, inputs, attrs] of cases) {
      const r = run2(kernel, inputs, attrs);
      expect([kernel, r.ours]).toEqual([kernel, r.builtin]);
    }
  });
});

describe('NaN and Inf propagate as they do in the builtins', () => {
  function sprinkle(size: number, seed: number): Float32Array {
    const v = randomValues(size, seed);
    v[3] = NaN; v[Math.floor(size / 2)] = Infinity; v[size - 2] = -Infinity;
    return v;
  }

  it.each([['same'], ['valid'], [1]])('conv forward, gradients and pools with NaN/Inf in every operand (pad %s)', (pad) => {
    const xs = tf.tensor4d(sprinkle(2 * 6 * 6 * 3, 1), [2, 6, 6, 3]);
    const ws = tf.tensor4d(sprinkle(3 * 3 * 3 * 4, 2), [3, 3, 3, 4]);
    const r = builtinAndOurs(() => {
      const y = tf.conv2d(xs, ws, 1, pad as 'same');
      const dy = tf.tensor4d(sprinkle(y.size, 3), y.shape);
      const attrs = { strides: 1, pad, dataFormat: 'NHWC' } as unknown as tf.NamedAttrMap;
      return [
        y,
        tf.fused.conv2d({ x: xs, filter: ws, strides: 1, pad: pad as 'same', activation: 'relu', bias: tf.tensor1d([1, NaN, Infinity, -1]) }),
        tf.engine().runKernel('Conv2DBackpropInput', { dy, filter: ws }, { ...attrs, inputShape: xs.shape }) as tf.Tensor,
        tf.engine().runKernel('Conv2DBackpropFilter', { x: xs, dy }, { ...attrs, filterShape: ws.shape }) as tf.Tensor,
        tf.maxPool(xs, 3, 2, pad as 'same'),
        tf.avgPool(xs, 3, 2, pad as 'same'),
      ];
    });
    r.ours.forEach((o, i) => {
      const nanAt = (a: Float32Array) => Array.from(a).map((v) => Number.isNaN(v));
      expect([i, nanAt(o)]).toEqual([i, nanAt(r.builtin[i])]);
      expect([i, relativeError(o, r.builtin[i]) <= 1e-5]).toEqual([i, true]);
    });
    tf.dispose([xs, ws]);
  });
});
