/**
 * Max pooling with 16 channels or more: assembly/pool.ts takes sixteen channels per pass there (four
 * SIMD registers), then groups of four with an overlapping last group. The values must be exactly
 * tfjs's builtin cpu kernel's, NaN (skipped), ±Infinity, ±0 and ties included, for channel counts
 * that end on every remainder, with padding and overlapping windows (test/cpu_parity.test.ts sweeps
 * up to 9 channels, which never reach that path).
 */
import { setWasmVectorKernels, wasmVectorKernelsActive } from '../kernels/wasm_runtime/vector';
import { builtinAndOurs, randomValues, tf } from './helpers/tf';

const identical = (a: Float32Array, b: Float32Array) =>
  a.length === b.length && Array.from(a).every((v, j) => Object.is(v, b[j]) || (Number.isNaN(v) && Number.isNaN(b[j])));

beforeAll(async () => {
  await tf.setBackend('cpu');
  setWasmVectorKernels(true);
});

test.each([16, 17, 18, 19, 20, 31, 32, 35, 48, 96])('MaxPool with %i channels: the builtin\'s values exactly', (channels) => {
  expect(wasmVectorKernelsActive()).toBe(true);
  const specials = [NaN, Infinity, -Infinity, 0, -0, 1, 1, -1];
  for (const batch of [1, 2]) {
    const size = batch * 9 * 8 * channels;
    const values = randomValues(size, channels * 10 + batch).map((v, i) => (i % 5 === 0 ? specials[Math.floor((v + 1) * 4)] : v));
    // Small integers elsewhere make ties; a stretch of -Infinity makes windows with nothing above it.
    values.forEach((v, i) => { if (i % 5 === 1) values[i] = Math.round(v * 2); });
    for (let i = 0; i < channels * 3; i++) values[i] = -Infinity;
    const x = tf.tensor4d(values, [batch, 9, 8, channels]);
    for (const pad of ['same', 'valid', 1] as const) {
      for (const [filter, stride] of [[2, 2], [3, 2], [3, 1], [1, 1]] as const) {
        if (filter === 1 && pad === 1) continue; // tfjs: pad must be smaller than the window
        const r = builtinAndOurs(() => tf.maxPool(x, filter, stride, pad));
        expect([channels, batch, pad, filter, stride, identical(r.ours[0], r.builtin[0])])
          .toEqual([channels, batch, pad, filter, stride, true]);
      }
    }
    x.dispose();
  }
});
