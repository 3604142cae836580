/** fast-check generators shared by the cpu and webgl parity sweeps. */
import fc from 'fast-check';
import type { backend_util } from '@tensorflow/tfjs-core';

export type Pad = 'same' | 'valid' | number | backend_util.ExplicitPadding;

/** Every kind of conv/pool padding: 'same', 'valid', a number up to maxPad, or explicit per-side pads up to maxPad. */
export function padArb(dataFormat: 'NHWC' | 'NCHW', maxPad: number): fc.Arbitrary<Pad> {
  return fc.oneof(
    fc.constant<Pad>('same'),
    fc.constant<Pad>('valid'),
    fc.integer({ min: 0, max: maxPad }),
    fc.tuple(fc.nat(maxPad), fc.nat(maxPad), fc.nat(maxPad), fc.nat(maxPad)).map(([t, b, l, r]): Pad => (dataFormat === 'NHWC'
      ? [[0, 0], [t, b], [l, r], [0, 0]]
      : [[0, 0], [0, 0], [t, b], [l, r]])),
  );
}
