/**
 * Calls that tfjs's ops let through but our im2col geometry does not describe:
 * zero-size tensors, other dtypes, and a dy that no forward geometry produces.
 * With our kernels registered they must give exactly the builtin's answer
 * (same shape, dtype and values, or the same error). Written against a `tf`
 * passed in, so that the cpu tests (Node) and the webgl tests (the browser
 * page, tf from tfjs's script bundles) run the same list.
 */
import type * as tfCore from '@tensorflow/tfjs-core';

type TF = typeof tfCore;
type Tensor = tfCore.Tensor;

export interface BuiltinOnlyCase {
  name: string;
  /** Backends whose ops reach one of our kernels with this call. */
  backends: Array<'cpu' | 'webgl'>;
  run(tf: TF): Tensor[];
}

const ramp = (tf: TF, shape: number[], dtype: 'float32' | 'int32' = 'float32') =>
  tf.tensor(Array.from({ length: shape.reduce((a, b) => a * b, 1) }, (_, i) => ((i * 7) % 11) - 5), shape, dtype);

const both: Array<'cpu' | 'webgl'> = ['cpu', 'webgl'];

export const BUILTIN_ONLY_CASES: BuiltinOnlyCase[] = [
  { name: 'conv2d, batch 0', backends: both, run: (tf) => [tf.conv2d(tf.zeros([0, 5, 5, 3]) as tfCore.Tensor4D, ramp(tf, [3, 3, 3, 4]) as tfCore.Tensor4D, 1, 'same')] },
  { name: 'conv2d, 0 input channels', backends: both, run: (tf) => [tf.conv2d(tf.zeros([1, 5, 5, 0]) as tfCore.Tensor4D, tf.zeros([3, 3, 0, 4]) as tfCore.Tensor4D, 1, 'same')] },
  { name: 'conv2d, 0 output channels', backends: both, run: (tf) => [tf.conv2d(ramp(tf, [1, 5, 5, 3]) as tfCore.Tensor4D, tf.zeros([3, 3, 3, 0]) as tfCore.Tensor4D, 1, 'same')] },
  { name: 'conv2d, height 0', backends: both, run: (tf) => [tf.conv2d(tf.zeros([1, 0, 5, 3]) as tfCore.Tensor4D, ramp(tf, [3, 3, 3, 4]) as tfCore.Tensor4D, 1, 'same')] },
  { name: "conv2d 'valid' with an empty output", backends: both, run: (tf) => [tf.conv2d(ramp(tf, [1, 2, 2, 2]) as tfCore.Tensor4D, ramp(tf, [3, 3, 2, 4]) as tfCore.Tensor4D, 1, 'valid')] },
  {
    name: 'fused conv2d (bias, relu), batch 0', backends: both,
    run: (tf) => [tf.fused.conv2d({ x: tf.zeros([0, 5, 5, 3]) as tfCore.Tensor4D, filter: ramp(tf, [3, 3, 3, 4]) as tfCore.Tensor4D, strides: 1, pad: 'same', bias: tf.ones([4]), activation: 'relu' })],
  },
  {
    name: 'conv2dTranspose, batch 0', backends: both,
    run: (tf) => [tf.conv2dTranspose(tf.zeros([0, 4, 4, 3]) as tfCore.Tensor4D, ramp(tf, [3, 3, 2, 3]) as tfCore.Tensor4D, [0, 8, 8, 2], 2, 'same')],
  },
  {
    name: 'conv2dTranspose whose dy no forward geometry produces (x 8x8, outputShape 4x4)', backends: both,
    run: (tf) => [tf.conv2dTranspose(ramp(tf, [8, 8, 8]) as tfCore.Tensor3D, ramp(tf, [8, 8, 8, 8]) as tfCore.Tensor4D, [4, 4, 8], 1, 'same')],
  },
  {
    name: 'conv2d gradients, batch 0', backends: both,
    run: (tf) => {
      const w = ramp(tf, [3, 3, 3, 4]) as tfCore.Tensor4D;
      const x = tf.zeros([0, 5, 5, 3]) as tfCore.Tensor4D;
      return tf.grads((a: Tensor, b: Tensor) => tf.sum(tf.conv2d(a as tfCore.Tensor4D, b as tfCore.Tensor4D, 1, 'same')))([x, w]);
    },
  },
  { name: 'maxPool, batch 0', backends: both, run: (tf) => [tf.maxPool(tf.zeros([0, 4, 4, 2]) as tfCore.Tensor4D, 2, 2, 'valid')] },
  { name: 'avgPool, batch 0', backends: both, run: (tf) => [tf.avgPool(tf.zeros([0, 4, 4, 2]) as tfCore.Tensor4D, 2, 2, 'valid')] },
  { name: 'maxPool, width 0', backends: both, run: (tf) => [tf.maxPool(tf.zeros([1, 4, 0, 2]) as tfCore.Tensor4D, 2, 2, 'same')] },
  {
    name: 'maxPool and avgPool gradients, batch 0', backends: both,
    run: (tf) => [
      tf.grad((a: Tensor) => tf.sum(tf.maxPool(a as tfCore.Tensor4D, 2, 2, 'same')))(tf.zeros([0, 4, 4, 2])),
      tf.grad((a: Tensor) => tf.sum(tf.avgPool(a as tfCore.Tensor4D, 2, 2, 'same')))(tf.zeros([0, 4, 4, 2])),
    ],
  },
  { name: 'maxPool on int32', backends: both, run: (tf) => [tf.maxPool(ramp(tf, [1, 4, 4, 2], 'int32') as tfCore.Tensor4D, 2, 2, 'same')] },
  { name: 'maxPool on bool', backends: ['cpu'], run: (tf) => [tf.maxPool(tf.greater(ramp(tf, [1, 4, 4, 2]), 0) as tfCore.Tensor4D, 2, 1, 'valid')] },
  { name: 'matMul on int32', backends: ['cpu'], run: (tf) => [tf.matMul(ramp(tf, [3, 4], 'int32') as tfCore.Tensor2D, ramp(tf, [4, 2], 'int32') as tfCore.Tensor2D)] },
  { name: 'matMul on bool', backends: ['cpu'], run: (tf) => [tf.matMul(tf.greater(ramp(tf, [3, 4]), 0) as tfCore.Tensor2D, tf.greater(ramp(tf, [4, 2]), 0) as tfCore.Tensor2D)] },
  { name: 'matMul, 0 rows and 0 inner', backends: ['cpu'], run: (tf) => [tf.matMul(tf.zeros([0, 4]), tf.ones([4, 2])), tf.matMul(tf.zeros([3, 0]), tf.zeros([0, 2]))] },
  { name: 'add and sum, size 0', backends: ['cpu'], run: (tf) => [tf.add(tf.zeros([0, 3]), tf.ones([3])), tf.sum(tf.zeros([0, 3]), 0), tf.sum(tf.zeros([2, 0]), 1)] },
  {
    name: 'step on int32, of size 0, and on an uploaded (unpacked) x', backends: both,
    run: (tf) => [tf.step(tf.mul(ramp(tf, [3, 4], 'int32'), 1)), tf.step(tf.zeros([0, 3])), tf.step(ramp(tf, [3, 5]), 0.5)],
  },
  {
    name: 'sum over leading axes on int32 and bool, of size 0, and over no axes', backends: both,
    run: (tf) => [tf.sum(ramp(tf, [3, 4], 'int32'), 0), tf.sum(tf.greater(ramp(tf, [3, 4]), 0), [0, 1]),
      tf.sum(tf.zeros([0, 3]), 0), tf.sum(ramp(tf, [3, 4]), [])],
  },
];

export interface Outcome {
  shapes?: number[][];
  dtypes?: string[];
  values?: number[][];
  error?: string;
}

/** Runs a case and reads its outputs (or its error), disposing everything it made. */
export async function outcomeOf(tf: TF, c: BuiltinOnlyCase): Promise<Outcome> {
  let outs: Tensor[] = [];
  try {
    outs = tf.tidy(() => c.run(tf));
    const values: number[][] = [];
    for (const t of outs) values.push(Array.from(await t.data() as ArrayLike<number>));
    return { shapes: outs.map((t) => t.shape), dtypes: outs.map((t) => t.dtype), values };
  } catch (e) {
    return { error: String((e as Error)?.message ?? e) };
  } finally {
    tf.dispose(outs);
  }
}
