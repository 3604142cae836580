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

/** Every activation of tfjs's fused kernels (the webgl sweeps' order: a fixed seed gives the same cases). */
export const fusedActivationArb = fc.constantFrom('linear' as const, 'relu' as const, 'prelu' as const, 'elu' as const,
  'relu6' as const, 'leakyrelu' as const, 'sigmoid' as const);

/** A fused kernel's bias: none, one value per channel, a scalar, or the output's full shape. */
export const fusedBiasArb = fc.constantFrom('none' as const, 'channel' as const, 'scalar' as const, 'full' as const);
