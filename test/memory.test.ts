/** A convolution whose im2col matrix would be hundreds of MiB runs in the bounded workspace. */
import { backend_util } from '@tensorflow/tfjs-core';
import { im2colWorkspaceHeldBytes } from '../kernels/core/conv';
import { DEFAULT_WORKSPACE_BYTES, registerIm2colKernels } from '../src';
import { conv2dReference } from './helpers/reference';
import { randomValues, tf } from './helpers/tf';

it('the workspace stays within its budget whatever the batch size', async () => {
  await tf.setBackend('cpu');
  const reg = registerIm2colKernels({ backends: ['cpu'] });
  // 128 images of 64×64×16, 3×3 filter: the full im2col matrix would be 128·64·64 rows × 144 columns = 288 MiB.
  const xShape: [number, number, number, number] = [128, 64, 64, 16];
  const filterShape: [number, number, number, number] = [3, 3, 16, 8];
  const fullBytes = 128 * 64 * 64 * 3 * 3 * 16 * 4;
  expect(fullBytes).toBe(288 * 1024 * 1024);
  const xv = randomValues(xShape.reduce((a, b) => a * b), 1);
  const wv = randomValues(filterShape.reduce((a, b) => a * b), 2);
  const y = tf.conv2d(tf.tensor4d(xv, xShape), tf.tensor4d(wv, filterShape), 1, 'same');
  const got = y.dataSync();
  reg.restore();
  expect(im2colWorkspaceHeldBytes()).toBeGreaterThan(0);
  expect(im2colWorkspaceHeldBytes()).toBeLessThanOrEqual(DEFAULT_WORKSPACE_BYTES);
  // Check the first and last images against the float64 definition (the whole batch would be slow in float64).
  const info = backend_util.computeConv2DInfo([1, 64, 64, 16], filterShape, 1, 1, 'same');
  const per = 64 * 64 * 16;
  const outPer = 64 * 64 * 8;
  for (const n of [0, 127]) {
    const ref = conv2dReference(xv.subarray(n * per, (n + 1) * per), wv, info);
    let worst = 0;
    ref.forEach((v, i) => { worst = Math.max(worst, Math.abs(v - got[n * outPer + i])); });
    expect(worst).toBeLessThan(1e-5);
  }
  tf.dispose(y);
});
