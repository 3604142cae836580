/** No leaked tensors: tf.memory() stays flat, and tfjs's own IS_TEST check of kernel intermediates passes. */
import { im2colWorkspaceBytes, registerIm2colKernels, Registration } from '../src';
import { tf } from './helpers/tf';

let reg: Registration;
beforeAll(async () => {
  await tf.setBackend('cpu');
  tf.env().set('IS_TEST', true);
  reg = registerIm2colKernels({ backends: ['cpu'] });
});
afterAll(() => {
  reg.restore();
  tf.env().set('IS_TEST', false);
});

function step(x: tf.Tensor4D, w: tf.Tensor4D, dataFormat: 'NHWC' | 'NCHW'): void {
  tf.tidy(() => {
    tf.grads((a: tf.Tensor, b: tf.Tensor) => {
      // tfjs has no gradient for an NCHW fused conv2d; the fused kernel runs outside the gradient below.
      const y = tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, 1, 'same', dataFormat);
      const nhwc = dataFormat === 'NCHW' ? tf.transpose(y, [0, 2, 3, 1]) : y;
      return tf.sum(tf.add(tf.maxPool(nhwc as tf.Tensor4D, 2, 2, 'same'), tf.avgPool(nhwc as tf.Tensor4D, 2, 2, 'same')));
    })([x, w]);
    tf.fused.conv2d({ x, filter: w, pad: 'same', strides: 1, dataFormat, activation: 'relu', bias: tf.ones([4]) });
  });
}

it.each([['NHWC'], ['NCHW']] as Array<['NHWC' | 'NCHW']>)('tensor count and bytes stay flat across repeated forward+backward (%s)', (dataFormat) => {
  const x = tf.randomNormal(dataFormat === 'NHWC' ? [2, 8, 8, 3] : [2, 3, 8, 8]) as tf.Tensor4D;
  const w = tf.randomNormal([3, 3, 3, 4]) as tf.Tensor4D;
  step(x, w, dataFormat);
  const before = tf.memory();
  const workspace = im2colWorkspaceBytes();
  for (let i = 0; i < 5; i++) step(x, w, dataFormat);
  const after = tf.memory();
  expect(after.numTensors).toBe(before.numTensors);
  expect(after.numDataBuffers).toBe(before.numDataBuffers);
  expect(after.numBytes).toBe(before.numBytes);
  expect(im2colWorkspaceBytes()).toBe(workspace);
  tf.dispose([x, w]);
});

it('a failing kernel call leaks nothing', () => {
  const before = tf.memory().numTensors;
  const x = tf.ones([1, 4, 4, 2]);
  const w = tf.ones([3, 3, 3, 1]);
  expect(() => tf.conv2d(x as tf.Tensor4D, w as tf.Tensor4D, 1, 'same')).toThrow();
  expect(() => tf.engine().runKernel('Conv2D', { x, filter: w }, { strides: 1, pad: 'same', dataFormat: 'NHWC', dilations: 1 })).toThrow(/tfjs-im2col Conv2D/);
  tf.dispose([x, w]);
  expect(tf.memory().numTensors).toBe(before);
});
