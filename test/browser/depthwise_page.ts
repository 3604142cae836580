/**
 * Page side of test/webgl_depthwise.test.ts (re-exported by ./page.ts into the global `harness`):
 * depthwise convolutions through page.ts's compareAll (builtin webgl, ours on webgl, builtin cpu, ours on cpu;
 * the test takes builtin webgl and builtin cpu as the references), the calls we hand to the builtin, bad input,
 * the leak check, and interleaved timing of ours vs builtin webgl.
 */
/* eslint-disable @typescript-eslint/no-explicit-any */
import { compareAll, Comparison, randomValues, rng, size, useImpl } from './page';
declare const tf: any;

export interface DepthwiseCase {
  batch: number; inH: number; inW: number; channels: number; multiplier: number; filterH: number; filterW: number;
  strides: [number, number]; dilations: [number, number];
  pad: 'same' | 'valid' | number | number[][];
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
  activation: 'linear' | 'relu' | 'prelu' | 'elu' | 'relu6' | 'leakyrelu' | 'sigmoid';
  bias: 'none' | 'channel' | 'scalar' | 'full';
  seed: number;
}

export const DEPTHWISE_KERNELS = ['DepthwiseConv2dNative', 'FusedDepthwiseConv2D', 'DepthwiseConv2dNativeBackpropInput',
  'DepthwiseConv2dNativeBackpropFilter'];

/** How many compiled programs of each of our depthwise program kinds the backend holds (their code starts with a marker). */
export function depthwisePrograms(): Record<string, number> {
  const keys = Object.keys(tf.backend().binaryCache);
  const out: Record<string, number> = {};
  for (const kind of ['DepthwisePacked', 'Depthwise', 'DepthwiseBackpropInput', 'DepthwiseBackpropFilter', 'DepthwiseBackpropFilterPairs']) {
    out[kind] = keys.filter((k) => k.includes(`// tfjs-im2col ${kind}\n`)).length;
  }
  return out;
}

function shapes(c: DepthwiseCase) {
  const xShape = [c.batch, c.inH, c.inW, c.channels];
  const fShape = [c.filterH, c.filterW, c.channels, c.multiplier];
  const info = tf.backend_util.computeConv2DInfo(xShape, fShape, c.strides, c.dilations, c.pad, c.dimRoundingMode, true);
  return { xShape, fShape, outShape: info.outShape as number[] };
}

/** The four kernels on one random case (the gradients only at dilation 1, as tfjs's gradients). */
export async function runDepthwiseCase(c: DepthwiseCase): Promise<Record<string, Comparison>> {
  const next = rng(c.seed);
  const { xShape, fShape, outShape } = shapes(c);
  const xv = randomValues(size(xShape), next);
  const fv = randomValues(size(fShape), next);
  const dyv = randomValues(size(outShape), next);
  const biasShape = c.bias === 'channel' ? [outShape[3]] : c.bias === 'scalar' ? [] : c.bias === 'full' ? outShape.slice(1) : null;
  const bv = biasShape ? randomValues(size(biasShape), next) : null;
  const av = randomValues(outShape[3], next);
  const attrs = { strides: c.strides, pad: c.pad, dataFormat: 'NHWC', dilations: c.dilations, dimRoundingMode: c.dimRoundingMode };
  const backprop = c.dilations[0] === 1 && c.dilations[1] === 1;
  const names = DEPTHWISE_KERNELS.slice(0, backprop ? 4 : 2);
  return compareAll(names, () => {
    const x = tf.tensor(xv, xShape);
    const filter = tf.tensor(fv, fShape);
    const dy = tf.tensor(dyv, outShape);
    const bias = bv ? tf.tensor(bv, biasShape) : undefined;
    const alpha = c.activation === 'prelu' ? tf.tensor(av, [outShape[3]]) : undefined;
    try {
      const outs = [
        tf.engine().runKernel('DepthwiseConv2dNative', { x, filter }, attrs),
        tf.engine().runKernel('FusedDepthwiseConv2D', { x, filter, bias, preluActivationWeights: alpha },
          { ...attrs, activation: c.activation, leakyreluAlpha: 0.15 }),
      ];
      if (backprop) {
        const battrs = { strides: c.strides, pad: c.pad, dilations: c.dilations, dimRoundingMode: c.dimRoundingMode };
        outs.push(tf.engine().runKernel('DepthwiseConv2dNativeBackpropInput', { dy, filter }, { ...battrs, inputShape: xShape }));
        outs.push(tf.engine().runKernel('DepthwiseConv2dNativeBackpropFilter', { x, dy }, { ...battrs, filterShape: fShape }));
      }
      return outs;
    } finally {
      [x, filter, dy, bias, alpha].forEach((t) => t?.dispose());
    }
  });
}

/** tf.grad through depthwiseConv2d → relu6, separableConv2d and a fused depthwise conv with bias and relu. */
export async function runDepthwiseGradCase(seed: number, stride: number): Promise<Record<string, Comparison>> {
  const next = rng(seed);
  const xShape = [2, 11, 10, 4];
  const xv = randomValues(size(xShape), next);
  const f1v = randomValues(3 * 3 * 4 * 2, next);
  const f2v = randomValues(3 * 3 * 8 * 1, next);
  const pv = randomValues(8 * 5, next);
  const bv = randomValues(8, next);
  return compareAll(['dLoss/dx', 'dLoss/dfilter1', 'dLoss/dfilter2', 'dLoss/dpointwise', 'dLoss/dbias'], () => {
    const x = tf.tensor(xv, xShape);
    const f1 = tf.tensor(f1v, [3, 3, 4, 2]);
    const f2 = tf.tensor(f2v, [3, 3, 8, 1]);
    const p = tf.tensor(pv, [1, 1, 8, 5]);
    const b = tf.tensor(bv, [8]);
    try {
      const loss = (xi: any, a: any, d: any, pw: any, bi: any) => {
        const h = tf.relu6(tf.depthwiseConv2d(xi, a, stride, 'same'));
        const g = tf.fused.depthwiseConv2d({ x: h, filter: d, strides: 1, pad: 'valid', bias: bi, activation: 'relu' });
        const s = tf.separableConv2d(g, d, pw, [1, 1], 'same');
        return tf.sum(tf.mul(s, s));
      };
      return tf.grads(loss)([x, f1, f2, p, b]);
    } finally {
      tf.dispose([x, f1, f2, p, b]);
    }
  });
}

export interface HandOver { name: string; builtin: string; ours: string }

/** An outcome as a string: the values (rounded) and shape, or the error message; and the tensors left over. */
async function outcome(fn: () => any): Promise<string> {
  const before = tf.memory().numTensors;
  let text: string;
  try {
    const y = fn();
    const v = Array.from(await y.data() as ArrayLike<number>).map((e) => Math.round(e * 1e4) / 1e4);
    text = `[${y.shape}] ${y.dtype} ${JSON.stringify(v)}`;
    y.dispose();
  } catch (e) {
    text = `error: ${String((e as Error)?.message ?? e)}`;
  }
  return `${text}; tensors +${tf.memory().numTensors - before}`;
}

const ramp = (shape: number[], dtype = 'float32') =>
  tf.tensor(Array.from({ length: size(shape) }, (_, i) => ((i * 7) % 11) - 5), shape, dtype);
const run = (name: string, inputs: Record<string, any>, attrs: Record<string, unknown>) => () => {
  try {
    return tf.engine().runKernel(name, inputs, attrs);
  } finally {
    tf.dispose(Object.values(inputs));
  }
};
const fwd = { strides: [1, 1], pad: 'same', dilations: [1, 1], dataFormat: 'NHWC' };

/** Calls our kernels hand to the builtin: each gives the builtin's exact outcome. */
export const HAND_OVER_CASES: Array<{ name: string; fn: () => () => any }> = [
  { name: 'int32 input', fn: () => run('DepthwiseConv2dNative', { x: ramp([1, 4, 4, 2], 'int32'), filter: ramp([2, 2, 2, 1], 'int32') }, fwd) },
  { name: 'batch 0', fn: () => run('DepthwiseConv2dNative', { x: tf.zeros([0, 4, 4, 2]), filter: ramp([3, 3, 2, 1]) }, fwd) },
  { name: 'channels 0', fn: () => run('DepthwiseConv2dNative', { x: tf.zeros([1, 4, 4, 0]), filter: tf.zeros([3, 3, 0, 2]) }, fwd) },
  { name: "'valid' with an empty output", fn: () => run('DepthwiseConv2dNative', { x: ramp([1, 2, 2, 2]), filter: ramp([3, 3, 2, 1]) }, { ...fwd, pad: 'valid' }) },
  {
    name: 'NCHW (the builtins read it as NHWC)',
    fn: () => run('DepthwiseConv2dNative', { x: ramp([1, 3, 5, 3]), filter: ramp([2, 2, 3, 1]) }, { ...fwd, dataFormat: 'NCHW' }),
  },
  {
    name: 'fused, NCHW',
    fn: () => run('FusedDepthwiseConv2D', { x: ramp([1, 3, 5, 3]), filter: ramp([2, 2, 3, 2]), bias: ramp([6]) },
      { ...fwd, dataFormat: 'NCHW', activation: 'relu' }),
  },
  {
    name: 'strides and dilations both 2 (the builtin rejects them)',
    fn: () => run('DepthwiseConv2dNative', { x: ramp([1, 7, 7, 2]), filter: ramp([2, 2, 2, 1]) }, { ...fwd, strides: [2, 2], dilations: [2, 2] }),
  },
  {
    name: 'input gradient with dilation 2 (the builtins ignore it)',
    fn: () => run('DepthwiseConv2dNativeBackpropInput', { dy: ramp([1, 5, 5, 2]), filter: ramp([2, 2, 2, 1]) },
      { strides: 1, pad: 'valid', dilations: 2, inputShape: [1, 7, 7, 2] }),
  },
  {
    name: 'filter gradient with dilation 2 (the builtins ignore it)',
    fn: () => run('DepthwiseConv2dNativeBackpropFilter', { x: ramp([1, 7, 7, 2]), dy: ramp([1, 5, 5, 2]) },
      { strides: 1, pad: 'valid', dilations: 2, filterShape: [2, 2, 2, 1] }),
  },
  {
    name: 'input gradient with a dy the geometry does not give',
    fn: () => run('DepthwiseConv2dNativeBackpropInput', { dy: ramp([1, 4, 4, 2]), filter: ramp([3, 3, 2, 1]) },
      { strides: 1, pad: 'same', dilations: 1, inputShape: [1, 6, 6, 2] }),
  },
  {
    name: 'filter gradient, batch 0',
    fn: () => run('DepthwiseConv2dNativeBackpropFilter', { x: tf.zeros([0, 5, 5, 2]), dy: tf.zeros([0, 5, 5, 2]) },
      { strides: 1, pad: 'same', dilations: 1, filterShape: [3, 3, 2, 1] }),
  },
];

export async function depthwiseHandOver(): Promise<HandOver[]> {
  const results: HandOver[] = [];
  for (const c of HAND_OVER_CASES) {
    await useImpl('builtinGL');
    const builtin = await outcome(c.fn());
    await useImpl('oursGL');
    const ours = await outcome(c.fn());
    results.push({ name: c.name, builtin, ours });
  }
  await useImpl('builtinGL');
  return results;
}

/** Bad input sent straight to our kernels: the error message. */
export async function depthwiseBadInput(): Promise<Array<{ name: string; error: string }>> {
  await useImpl('oursGL');
  const cases: Array<[string, () => () => any]> = [
    ['rank-3 input', () => run('DepthwiseConv2dNative', { x: ramp([4, 4, 2]), filter: ramp([2, 2, 2, 1]) }, fwd)],
    ['channel mismatch', () => run('DepthwiseConv2dNative', { x: ramp([1, 4, 4, 3]), filter: ramp([2, 2, 2, 1]) }, fwd)],
    ['stride 0', () => run('FusedDepthwiseConv2D', { x: ramp([1, 4, 4, 2]), filter: ramp([2, 2, 2, 1]) }, { ...fwd, strides: [0, 1] })],
    ['unknown activation', () => run('FusedDepthwiseConv2D', { x: ramp([1, 4, 4, 2]), filter: ramp([2, 2, 2, 1]) }, { ...fwd, activation: 'swish' })],
    ['bias that does not broadcast', () => run('FusedDepthwiseConv2D', { x: ramp([1, 4, 4, 2]), filter: ramp([2, 2, 2, 1]), bias: ramp([3]) }, fwd)],
    ['bad pad', () => run('DepthwiseConv2dNativeBackpropFilter', { x: ramp([1, 4, 4, 2]), dy: ramp([1, 4, 4, 2]) },
      { strides: 1, pad: 'middle', dilations: 1, filterShape: [2, 2, 2, 1] })],
    ['rank-2 dy', () => run('DepthwiseConv2dNativeBackpropInput', { dy: ramp([4, 8]), filter: ramp([2, 2, 2, 1]) },
      { strides: 1, pad: 'same', dilations: 1, inputShape: [1, 4, 4, 2] })],
  ];
  const out = [];
  for (const [name, fn] of cases) {
    const before = tf.memory().numTensors;
    let error = 'no error';
    try {
      tf.dispose(fn()());
    } catch (e) {
      error = `${(e as Error).name}: ${(e as Error).message}`;
    }
    out.push({ name, error: `${error}; tensors +${tf.memory().numTensors - before}` });
  }
  await useImpl('builtinGL');
  return out;
}

function memoryNow(): Record<string, number> {
  const m = tf.memory();
  const backend = tf.backend();
  return {
    numTensors: m.numTensors, numDataBuffers: m.numDataBuffers, numBytesInGPU: m.numBytesInGPU,
    backendDataIds: backend.numDataIds(), usedTextures: backend.getTextureManager().numUsedTextures,
  };
}

/** Tensors, GPU bytes and textures before and after `rounds` rounds of all four kernels (IS_TEST checks each kernel). */
export async function depthwiseLeakCheck(rounds: number): Promise<{ before: Record<string, number>; after: Record<string, number> }> {
  await useImpl('oursGL');
  const round = async () => {
    const x = tf.randomUniform([2, 9, 8, 6]);
    const f = tf.randomUniform([3, 3, 6, 1]);
    const f2 = tf.randomUniform([3, 3, 6, 2]);
    const b = tf.randomUniform([6]);
    const grads = tf.grads((xi: any, fi: any, gi: any) => {
      const y = tf.fused.depthwiseConv2d({ x: xi, filter: fi, strides: 1, pad: 'same', bias: b, activation: 'relu6' });
      return tf.sum(tf.depthwiseConv2d(y, gi, 2, 'same'));
    });
    const values = tf.tidy(() => grads([x, f, f2]));
    await Promise.all(values.map((t: any) => t.data()));
    tf.dispose([x, f, f2, b, ...values]);
  };
  await round();
  await round();
  const before = memoryNow();
  for (let i = 0; i < rounds; i++) await round();
  const after = memoryNow();
  await useImpl('builtinGL');
  return { before, after };
}
