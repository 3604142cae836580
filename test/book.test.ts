/**
 * The chapter's worked examples, its im2col/col2im, and our kernels against a
 * float64 reference written straight from the definition of convolution.
 */
import fc from 'fast-check';
import { backend_util } from '@tensorflow/tfjs-core';
import { col2im, convOutputSize, im2col, registerIm2colKernels, Registration } from '../src';
import { conv2dReference } from './helpers/reference';
import { randomValues, tf } from './helpers/tf';

let registration: Registration;
beforeAll(async () => {
  await tf.setBackend('cpu');
  registration = registerIm2colKernels({ backends: ['cpu'] });
});
afterAll(() => registration.restore());

describe('the chapter’s worked examples', () => {
  it('figure 7-4: the first window gives 15, the whole output [[15, 16], [6, 15]]', () => {
    const x = tf.tensor4d([1, 2, 3, 0, 0, 1, 2, 3, 3, 0, 1, 2, 2, 3, 0, 1], [1, 4, 4, 1]);
    const w = tf.tensor4d([2, 0, 1, 0, 1, 2, 1, 0, 2], [3, 3, 1, 1]);
    expect(Array.from(tf.conv2d(x, w, 1, 'valid').dataSync())).toEqual([15, 16, 6, 15]);
    // The same through the book's im2col: one row per window, times the flattened filter.
    const col = im2col(tf.tensor4d([1, 2, 3, 0, 0, 1, 2, 3, 3, 0, 1, 2, 2, 3, 0, 1], [1, 1, 4, 4]), 3, 3);
    expect(Array.from(tf.matMul(col, tf.reshape(w, [9, 1])).dataSync())).toEqual([15, 16, 6, 15]);
  });

  it('equation 7.1, examples 1–3', () => {
    // (OH, OW) for input (H, W), filter (FH, FW), stride S, pad P.
    expect([convOutputSize(4, 3, 1, 1), convOutputSize(4, 3, 1, 1)]).toEqual([4, 4]);
    expect([convOutputSize(7, 3, 2, 0), convOutputSize(7, 3, 2, 0)]).toEqual([3, 3]);
    expect([convOutputSize(28, 5, 3, 2), convOutputSize(31, 5, 3, 2)]).toEqual([10, 11]);
  });

  it('the book’s rule: the stride must divide (H + 2P − FH)', () => {
    expect(() => convOutputSize(6, 3, 2, 0)).toThrow(/3 is not divisible by the stride 2/);
    expect(() => im2col(tf.zeros([1, 1, 6, 6]) as tf.Tensor4D, 3, 3, 2)).toThrow(/not divisible/);
    expect(() => convOutputSize(2, 5)).toThrow(/larger than the padded input/);
  });

  it('im2col shapes from 7.4.3: (9, 75) and (90, 75)', () => {
    expect(im2col(tf.randomNormal([1, 3, 7, 7]) as tf.Tensor4D, 5, 5, 1, 0).shape).toEqual([9, 75]);
    expect(im2col(tf.randomNormal([10, 3, 7, 7]) as tf.Tensor4D, 5, 5, 1, 0).shape).toEqual([90, 75]);
  });

  it('im2col orders rows (n, oh, ow) and columns (c, fh, fw), zero in the padding', () => {
    // x[n, c, h, w] = 1000n + 100c + 10h + w + 1, so every copied value names its source.
    const [N, C, H, W] = [2, 2, 3, 3];
    const values = new Float32Array(N * C * H * W).map((_, i) => {
      const w = i % W; const h = Math.floor(i / W) % H; const c = Math.floor(i / (W * H)) % C; const n = Math.floor(i / (W * H * C));
      return 1000 * n + 100 * c + 10 * h + w + 1;
    });
    // 2×2 filter, stride 1, pad 1: a 4×4 output per image.
    const col = im2col(tf.tensor4d(values, [N, C, H, W]), 2, 2, 1, 1).arraySync();
    expect(col.length).toBe(N * 4 * 4);
    // Row 0 is (n 0, oh 0, ow 0): the window's top-left three pixels are padding.
    expect(col[0]).toEqual([0, 0, 0, 1, 0, 0, 0, 101]);
    // Row 21 is (n 1, oh 1, ow 1): the window covers h 0..1, w 0..1; columns (c, fh, fw).
    expect(col[21]).toEqual([1001, 1002, 1011, 1012, 1101, 1102, 1111, 1112]);
    // The last row, (n 1, oh 3, ow 3): only its top-left pixel is inside.
    expect(col[31]).toEqual([1023, 0, 0, 0, 1123, 0, 0, 0]);
  });
});

describe('col2im is the adjoint of im2col', () => {
  const caseArb = fc.record({
    N: fc.integer({ min: 1, max: 2 }), C: fc.integer({ min: 1, max: 3 }),
    outH: fc.integer({ min: 1, max: 4 }), outW: fc.integer({ min: 1, max: 4 }),
    filterH: fc.integer({ min: 1, max: 4 }), filterW: fc.integer({ min: 1, max: 4 }),
    stride: fc.integer({ min: 1, max: 3 }), pad: fc.integer({ min: 0, max: 2 }), seed: fc.integer(),
  });

  it('⟨im2col(x), y⟩ = ⟨x, col2im(y)⟩', () => {
    fc.assert(fc.property(caseArb, (c) => {
      // Choose H, W so the stride divides evenly (the book's rule).
      const H = (c.outH - 1) * c.stride + c.filterH - 2 * c.pad;
      const W = (c.outW - 1) * c.stride + c.filterW - 2 * c.pad;
      fc.pre(H > 0 && W > 0);
      const shape: [number, number, number, number] = [c.N, c.C, H, W];
      const x = randomValues(c.N * c.C * H * W, c.seed);
      const rows = c.N * c.outH * c.outW;
      const cols = c.C * c.filterH * c.filterW;
      const y = randomValues(rows * cols, c.seed + 1);
      const colX = im2col(tf.tensor4d(x, shape), c.filterH, c.filterW, c.stride, c.pad).dataSync();
      const imgY = col2im(tf.tensor2d(y, [rows, cols]), shape, c.filterH, c.filterW, c.stride, c.pad).dataSync();
      let lhs = 0; let rhs = 0; let scale = 0;
      colX.forEach((v, i) => { lhs += v * y[i]; scale += Math.abs(v * y[i]); });
      x.forEach((v, i) => { rhs += v * imgY[i]; });
      expect(Math.abs(lhs - rhs)).toBeLessThanOrEqual(1e-6 * Math.max(scale, 1));
    }), { numRuns: 100 });
  });
});

describe('our kernels against a float64 reference', () => {
  const caseArb = fc.record({
    batch: fc.integer({ min: 1, max: 3 }), inH: fc.integer({ min: 1, max: 10 }), inW: fc.integer({ min: 1, max: 10 }),
    inC: fc.integer({ min: 1, max: 4 }), outC: fc.integer({ min: 1, max: 5 }),
    filterH: fc.integer({ min: 1, max: 4 }), filterW: fc.integer({ min: 1, max: 4 }),
    stride: fc.integer({ min: 1, max: 3 }), dilation: fc.integer({ min: 1, max: 2 }),
    pad: fc.constantFrom<'same' | 'valid' | number>('same', 'valid', 0, 1, 2),
    dataFormat: fc.constantFrom<'NHWC' | 'NCHW'>('NHWC', 'NCHW'), seed: fc.integer(),
  }).filter((c) => c.stride === 1 || c.dilation === 1);

  type Case = typeof caseArb extends fc.Arbitrary<infer T> ? T : never;

  function setup(c: Case) {
    type Shape = [number, number, number, number];
    const xShape: Shape = c.dataFormat === 'NHWC' ? [c.batch, c.inH, c.inW, c.inC] : [c.batch, c.inC, c.inH, c.inW];
    const filterShape: Shape = [c.filterH, c.filterW, c.inC, c.outC];
    const info = backend_util.computeConv2DInfo(xShape, filterShape, c.stride, c.dilation, c.pad, undefined, false,
      c.dataFormat === 'NHWC' ? 'channelsLast' : 'channelsFirst');
    return { xShape, filterShape, info };
  }

  it('Conv2D equals the float64 definition within float32 rounding', () => {
    fc.assert(fc.property(caseArb, (c) => {
      const { xShape, filterShape, info } = setup(c);
      fc.pre(info.outHeight > 0 && info.outWidth > 0);
      const x = randomValues(xShape.reduce((a, b) => a * b), c.seed);
      const w = randomValues(filterShape.reduce((a, b) => a * b), c.seed + 1);
      const y = tf.conv2d(tf.tensor(x, xShape) as tf.Tensor4D, tf.tensor(w, filterShape) as tf.Tensor4D,
        c.stride, c.pad, c.dataFormat, c.dilation).dataSync();
      // float32 rounding errors scale with Σ|x·w|, not with the sum, which may cancel: a 1×2 filter on a
      // 1×2 image once gave an error of 2.0e-6 of the largest |y| in CI. So the scale is the largest Σ|x·w|.
      const ref = conv2dReference(x, w, info);
      const magnitude = conv2dReference(x.map(Math.abs), w.map(Math.abs), info);
      let worst = 0;
      let scale = 1e-30;
      for (let i = 0; i < ref.length; i++) {
        worst = Math.max(worst, Math.abs(y[i] - ref[i]));
        scale = Math.max(scale, magnitude[i]);
      }
      expect(y.length).toBe(ref.length);
      expect(worst / scale).toBeLessThanOrEqual(1e-6);
    }), { numRuns: 150 });
  });

  it('the backprop kernels are the adjoints of Conv2D: ⟨conv(x, w), dy⟩ = ⟨x, dx⟩ = ⟨w, dW⟩ in float64', () => {
    fc.assert(fc.property(caseArb.map((c) => ({ ...c, dilation: 1 })), (c) => {
      const { xShape, filterShape, info } = setup(c);
      fc.pre(info.outHeight > 0 && info.outWidth > 0);
      const x = randomValues(xShape.reduce((a, b) => a * b), c.seed);
      const w = randomValues(filterShape.reduce((a, b) => a * b), c.seed + 1);
      const dy = randomValues(info.outShape.reduce((a, b) => a * b), c.seed + 2);
      const attrs = { strides: c.stride, pad: c.pad, dataFormat: c.dataFormat } as unknown as tf.NamedAttrMap;
      const dx = (tf.engine().runKernel('Conv2DBackpropInput', { dy: tf.tensor(dy, info.outShape), filter: tf.tensor(w, filterShape) },
        { ...attrs, inputShape: xShape }) as tf.Tensor).dataSync();
      const dW = (tf.engine().runKernel('Conv2DBackpropFilter', { x: tf.tensor(x, xShape), dy: tf.tensor(dy, info.outShape) },
        { ...attrs, filterShape }) as tf.Tensor).dataSync();
      const y = conv2dReference(x, w, info);
      let yDy = 0; let scale = 0; let xDx = 0; let wDw = 0;
      y.forEach((v, i) => { yDy += v * dy[i]; scale += Math.abs(v * dy[i]); });
      x.forEach((v, i) => { xDx += v * dx[i]; });
      w.forEach((v, i) => { wDw += v * dW[i]; });
      expect(Math.abs(xDx - yDy)).toBeLessThanOrEqual(1e-5 * Math.max(scale, 1));
      expect(Math.abs(wDw - yDy)).toBeLessThanOrEqual(1e-5 * Math.max(scale, 1));
    }), { numRuns: 150 });
  });
});
