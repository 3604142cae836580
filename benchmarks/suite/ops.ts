/**
 * Turns a CaseSpec into a callable on whatever tfjs the caller hands in: the
 * npm modules in Node, the page's global `tf` in Chromium. Inputs come from a
 * seeded generator, so Node and the page build identical tensors and the
 * outputs can be compared across backends.
 */
import type * as tfTypes from '@tensorflow/tfjs-core';
import type { CaseSpec, ConvParams, ErrorMetrics, NetParams, PoolParams, TrainParams } from './types';

type TF = typeof tfTypes;
type Tensor = tfTypes.Tensor;

/** mulberry32: a small seeded generator, identical in Node and the browser. */
import { mulberry32 as rng } from '../../src/random';

export { rng };

/** Uniform values in [-scale, scale). */
export function randomValues(n: number, next: () => number, scale = 1): Float32Array {
  const v = new Float32Array(n);
  for (let i = 0; i < n; i++) v[i] = (next() * 2 - 1) * scale;
  return v;
}

const size = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);

export interface Runner {
  /** One call of the benchmarked operation; the caller disposes the result. */
  run(): Tensor;
  /** Frees the inputs (and variables). */
  dispose(): void;
}

function convRunner(tf: TF, spec: CaseSpec, p: ConvParams): Runner {
  const next = rng(spec.seed);
  const x = tf.tensor(randomValues(size(p.xShape), next), p.xShape);
  const filter = tf.tensor(randomValues(size(p.filterShape), next), p.filterShape);
  const dy = tf.tensor(randomValues(size(p.outShape), next), p.outShape);
  const common = { strides: p.strides, pad: p.pad, dataFormat: p.dataFormat, dimRoundingMode: undefined };
  const attrs = common as unknown as tfTypes.NamedAttrMap;
  const engine = tf.engine();
  let run: () => Tensor;
  switch (spec.op) {
    case 'Conv2D':
      run = () => engine.runKernel('Conv2D', { x, filter }, { ...attrs, dilations: p.dilations }) as Tensor;
      break;
    case 'Conv2DBackpropInput':
      run = () => engine.runKernel('Conv2DBackpropInput', { dy, filter }, { ...attrs, inputShape: p.xShape }) as Tensor;
      break;
    case 'Conv2DBackpropFilter':
      run = () => engine.runKernel('Conv2DBackpropFilter', { x, dy }, { ...attrs, filterShape: p.filterShape }) as Tensor;
      break;
    case 'DepthwiseConv2dNative':
      run = () => engine.runKernel('DepthwiseConv2dNative', { x, filter }, { ...attrs, dilations: p.dilations }) as Tensor;
      break;
    case 'DepthwiseConv2dNativeBackpropInput':
      run = () => engine.runKernel('DepthwiseConv2dNativeBackpropInput', { dy, filter },
        { ...attrs, dilations: p.dilations, inputShape: p.xShape }) as Tensor;
      break;
    case 'DepthwiseConv2dNativeBackpropFilter':
      run = () => engine.runKernel('DepthwiseConv2dNativeBackpropFilter', { x, dy },
        { ...attrs, dilations: p.dilations, filterShape: p.filterShape }) as Tensor;
      break;
    default:
      throw new Error(`convolution case ${spec.id} has op ${spec.op}`);
  }
  return { run, dispose: () => tf.dispose([x, filter, dy]) };
}

function poolRunner(tf: TF, spec: CaseSpec, p: PoolParams): Runner {
  const next = rng(spec.seed);
  const x = tf.tensor(randomValues(size(p.xShape), next), p.xShape);
  const dy = tf.tensor(randomValues(size(p.outShape), next), p.outShape);
  const attrs = { filterSize: p.filterSize, strides: p.strides, pad: p.pad, dimRoundingMode: undefined } as unknown as tfTypes.NamedAttrMap;
  const engine = tf.engine();
  const extra: Tensor[] = [];
  let run: () => Tensor;
  switch (spec.op) {
    case 'MaxPool':
      run = () => engine.runKernel('MaxPool', { x }, attrs) as Tensor;
      break;
    case 'AvgPool':
      run = () => engine.runKernel('AvgPool', { x }, attrs) as Tensor;
      break;
    case 'MaxPoolGrad': {
      // The forward output is part of the input; it is computed once, untimed.
      const output = engine.runKernel('MaxPool', { x }, attrs) as Tensor;
      extra.push(output);
      run = () => engine.runKernel('MaxPoolGrad', { dy, input: x, output }, attrs) as Tensor;
      break;
    }
    case 'AvgPoolGrad':
      run = () => engine.runKernel('AvgPoolGrad', { dy, input: x }, attrs) as Tensor;
      break;
    default:
      throw new Error(`pooling case ${spec.id} has op ${spec.op}`);
  }
  return { run, dispose: () => tf.dispose([x, dy, ...extra]) };
}

type Variable = ReturnType<TF['variable']>;

/**
 * SimpleConvNet's loss (conv 30@5×5 → relu → maxpool 2×2/2 → affine 100 → relu → affine 10 → softmax
 * cross-entropy) and its variables.
 */
function simpleConvNet(tf: TF, weight: (shape: number[], scale: number) => Variable, n: number,
  x: tfTypes.Tensor4D, labels: tfTypes.Tensor2D): { vars: Variable[]; loss: () => tfTypes.Scalar } {
  const vars = [weight([5, 5, 1, 30], 0.2), weight([30], 0.01), weight([12 * 12 * 30, 100], 0.03), weight([100], 0.01),
    weight([100, 10], 0.2), weight([10], 0.01)];
  const [W1, b1, W2, b2, W3, b3] = vars;
  const loss = () => {
    const c = tf.relu(tf.add(tf.conv2d(x, W1 as tfTypes.Tensor4D, 1, 'valid'), b1));
    const pooled = tf.maxPool(c as tfTypes.Tensor4D, 2, 2, 'valid');
    const h = tf.relu(tf.add(tf.matMul(tf.reshape(pooled, [n, 12 * 12 * 30]), W2), b2));
    const logits = tf.add(tf.matMul(h as tfTypes.Tensor2D, W3), b3);
    return tf.losses.softmaxCrossEntropy(labels, logits) as tfTypes.Scalar;
  };
  return { vars, loss };
}

/**
 * LeNet-5's loss as src/models/lenet.ts builds it, in tfjs ops (the webgl page has no tfjs-layers): the
 * 28×28 input zero-padded to 32×32; C1 6@5×5 + sigmoid through tf.fused.conv2d, as tfjs-layers calls it
 * (tfjs runs it unfused under a gradient); S2 and S4 the sum of each 2×2 block (average pool × 4) times a
 * coefficient plus a bias per map, then a sigmoid; C3 16@5×5 (connected to all six maps, where the paper's
 * table leaves some out), C5 120@5×5, F6 84, 10 outputs, softmax cross-entropy.
 */
function leNet(tf: TF, weight: (shape: number[], scale: number) => Variable, n: number,
  x: tfTypes.Tensor4D, labels: tfTypes.Tensor2D): { vars: Variable[]; loss: () => tfTypes.Scalar } {
  const vars = [weight([5, 5, 1, 6], 0.1), weight([6], 0.01), weight([6], 1), weight([6], 0.01),
    weight([5, 5, 6, 16], 0.02), weight([16], 0.01), weight([16], 1), weight([16], 0.01),
    weight([5, 5, 16, 120], 0.006), weight([120], 0.01), weight([120, 84], 0.02), weight([84], 0.01),
    weight([84, 10], 0.03), weight([10], 0.01)];
  const [W1, b1, c2, d2, W3, b3, c4, d4, W5, b5, W6, b6, W7, b7] = vars;
  const subsample = (t: tfTypes.Tensor4D, coef: Variable, bias: Variable) =>
    tf.sigmoid(tf.add(tf.mul(tf.mul(tf.avgPool(t, 2, 2, 'valid'), 4), coef), bias)) as tfTypes.Tensor4D;
  const loss = () => {
    const padded = tf.pad(x, [[0, 0], [2, 2], [2, 2], [0, 0]]);
    const c1 = tf.fused.conv2d({ x: padded, filter: W1 as tfTypes.Tensor4D, strides: 1, pad: 'valid', bias: b1, activation: 'sigmoid' });
    const s2 = subsample(c1, c2, d2);
    const c3 = tf.sigmoid(tf.add(tf.conv2d(s2, W3 as tfTypes.Tensor4D, 1, 'valid'), b3)) as tfTypes.Tensor4D;
    const s4 = subsample(c3, c4, d4);
    const c5 = tf.fused.conv2d({ x: s4, filter: W5 as tfTypes.Tensor4D, strides: 1, pad: 'valid', bias: b5, activation: 'sigmoid' });
    const f6 = tf.sigmoid(tf.add(tf.matMul(tf.reshape(c5, [n, 120]), W6), b6));
    const logits = tf.add(tf.matMul(f6 as tfTypes.Tensor2D, W7), b7);
    return tf.losses.softmaxCrossEntropy(labels, logits) as tfTypes.Scalar;
  };
  return { vars, loss };
}

/**
 * One SGD step of SimpleConvNet or LeNet on a batch of 28×28 images. Returns [loss, every gradient
 * flattened] of the step, so the first call's output is comparable across backends (same initial weights).
 */
function trainRunner(tf: TF, spec: CaseSpec, p: TrainParams): Runner {
  const next = rng(spec.seed);
  const n = p.batch;
  const x = tf.tensor4d(randomValues(n * 28 * 28, next).map((v) => (v + 1) / 2), [n, 28, 28, 1]);
  const labelValues = new Float32Array(n * 10);
  for (let i = 0; i < n; i++) labelValues[i * 10 + Math.floor(next() * 10)] = 1;
  const labels = tf.tensor2d(labelValues, [n, 10]);
  const weight = (shape: number[], scale: number) => {
    const init = tf.tensor(randomValues(size(shape), next, scale), shape);
    const v = tf.variable(init);
    init.dispose();
    return v;
  };
  const { vars, loss } = (p.net === 'LeNet' ? leNet : simpleConvNet)(tf, weight, n, x, labels);
  const run = () => {
    const { value, grads } = tf.variableGrads(loss, vars);
    const out = tf.tidy(() => tf.concat([tf.reshape(value, [1]), ...vars.map((v) => tf.reshape(grads[v.name], [-1]))]));
    tf.tidy(() => vars.forEach((v) => v.assign(tf.sub(v, tf.mul(grads[v.name], p.learningRate)))));
    tf.dispose([value, ...Object.values(grads)]);
    return out;
  };
  return { run, dispose: () => tf.dispose([x, labels, ...vars]) };
}

/**
 * Whole-network cases need tfjs-layers, which the WebGL page does not load: the Node runner installs
 * the factory (benchmarks/suite/networks.ts); without one a network case is "not available".
 */
let netRunnerFactory: ((p: NetParams, seed: number) => Runner) | undefined;

export function setNetRunnerFactory(factory: ((p: NetParams, seed: number) => Runner) | undefined): void {
  netRunnerFactory = factory;
}

export function makeRunner(tf: TF, spec: CaseSpec): Runner {
  const p = spec.params;
  if (p.kind === 'conv') return convRunner(tf, spec, p);
  if (p.kind === 'pool') return poolRunner(tf, spec, p);
  if (p.kind === 'net') {
    if (!netRunnerFactory) throw new Error(`network case ${spec.id} is not supported here (no tfjs-layers network builder)`);
    return netRunnerFactory(p, spec.seed);
  }
  return trainRunner(tf, spec, p);
}

/** max |a − b| and that over max |b|; a NaN on one side only counts as an infinite error. */
export function compare(a: ArrayLike<number>, b: ArrayLike<number>): ErrorMetrics {
  if (a.length !== b.length) return { maxAbs: Infinity, maxRel: Infinity };
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < a.length; i++) {
    const x = a[i];
    const y = b[i];
    if (Number.isNaN(x) !== Number.isNaN(y)) diff = Infinity;
    else if (!Number.isNaN(x)) diff = Math.max(diff, Math.abs(x - y));
    if (Number.isFinite(y)) scale = Math.max(scale, Math.abs(y));
  }
  return { maxAbs: diff, maxRel: diff / Math.max(scale, 1e-30) };
}
