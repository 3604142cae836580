/** tfjs for the tests: core, the cpu backend, and gradients (registered by tfjs-layers). */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-layers';
import { registerIm2colKernels, Registration } from '../../src';

export { tf };

/** Runs `fn` with tfjs's builtin kernels, then with ours, and returns both results as Float32Arrays. */
export function builtinAndOurs(fn: () => tf.Tensor | tf.Tensor[]): { builtin: Float32Array[]; ours: Float32Array[]; shapes: number[][] } {
  const read = () => tf.tidy(() => {
    const out = fn();
    return (Array.isArray(out) ? out : [out]).map((t) => t.clone());
  });
  const builtinTensors = read();
  const reg: Registration = registerIm2colKernels({ backends: ['cpu'] });
  let oursTensors: tf.Tensor[];
  try {
    oursTensors = read();
  } finally {
    reg.restore();
  }
  const result = {
    builtin: builtinTensors.map((t) => t.dataSync() as Float32Array),
    ours: oursTensors.map((t) => t.dataSync() as Float32Array),
    shapes: oursTensors.map((t) => t.shape),
  };
  tf.dispose([...builtinTensors, ...oursTensors]);
  return result;
}

/** Largest |a - b| over the largest |b| (or 1e-30): the error relative to the result's magnitude. */
export function relativeError(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`length mismatch ${a.length} vs ${b.length}`);
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < a.length; i++) {
    const x = a[i];
    const y = b[i];
    if (Number.isNaN(x) || Number.isNaN(y)) {
      if (Number.isNaN(x) !== Number.isNaN(y)) return Infinity;
      continue;
    }
    if (!Number.isFinite(x) || !Number.isFinite(y)) {
      if (x !== y) return Infinity;
      continue;
    }
    diff = Math.max(diff, Math.abs(x - y));
    scale = Math.max(scale, Math.abs(y));
  }
  return diff / Math.max(scale, 1e-30);
}

export { randomValues } from './random';
