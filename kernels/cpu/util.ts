/** Reading kernel inputs on tfjs's cpu backend. */
import type { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import { TensorInfo } from '@tensorflow/tfjs-core';
import { checkFloat32 } from '../core/geometry';

/** The float32 values behind a cpu tensor, after checking its dtype. */
export function float32Values(kernel: string, name: string, backend: MathBackendCPU, t: TensorInfo): Float32Array {
  checkFloat32(kernel, name, t);
  return backend.data.get(t.dataId).values as Float32Array;
}
