/**
 * Deliberate differences from the builtins that tfjs's own specs do not reach
 * (those are in test/specs/differences.ts): ours agree with a float64
 * reference written from the definition, the builtin does not. Each is listed
 * in README.md.
 */
import { backend_util } from '@tensorflow/tfjs-core';
import { mulberry32 } from '../src/random';
import { maxPoolGradReference } from './helpers/reference';
import { builtinAndOurs, tf } from './helpers/tf';

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let d = 0;
  for (let i = 0; i < a.length; i++) d = Math.max(d, Math.abs(a[i] - b[i]));
  return d;
}

test("maxPool's gradient with dimRoundingMode 'ceil': ours is exact, the builtin cpu kernel is not", () => {
  // x 8×8, window 3, stride 2, pad 0, 'ceil': 4×4 outputs, the last window row and column hang past the input.
  const next = mulberry32(11);
  const x = Float32Array.from({ length: 64 }, next);
  const dy = Float32Array.from({ length: 16 }, next);
  const info = backend_util.computePool2DInfo([1, 8, 8, 1], 3, 2, 1, 0, 'ceil');
  expect(info.outShape).toEqual([1, 4, 4, 1]);
  const xt = tf.tensor4d(x, [1, 8, 8, 1]);
  const dyt = tf.tensor4d(dy, [1, 4, 4, 1]);
  const r = builtinAndOurs(() => tf.grad((a: tf.Tensor) => tf.sum(tf.mul(tf.maxPool(a as tf.Tensor4D, 3, 2, 0, 'ceil'), dyt)))(xt));
  const exact = maxPoolGradReference(x, dy, info);
  expect(maxAbsDiff(r.ours[0], exact)).toBeLessThan(1e-6);
  expect(maxAbsDiff(r.builtin[0], exact)).toBeGreaterThan(0.5);
  tf.dispose([xt, dyt]);
});
