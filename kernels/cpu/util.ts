/** Reading kernel inputs on tfjs's cpu backend. */
import type { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import { TensorInfo } from '@tensorflow/tfjs-core';
import { Activation, Broadcast, broadcastTo } from '../core/epilogue';
import { checkFloat32 } from '../core/geometry';

/** The float32 values behind a cpu tensor, after checking its dtype. */
export function float32Values(kernel: string, name: string, backend: MathBackendCPU, t: TensorInfo): Float32Array {
  checkFloat32(kernel, name, t);
  return backend.data.get(t.dataId).values as Float32Array;
}

/**
 * A fused kernel's bias and PReLU weights broadcast to its output (null where absent or not used),
 * checked and read before the output is allocated.
 */
export function epilogueOperands(
  kernel: string, backend: MathBackendCPU, bias: TensorInfo | undefined, preluActivationWeights: TensorInfo | undefined,
  activation: Activation, outShape: number[], channelsLast: boolean,
): { biasB: Broadcast | null; alphaB: Broadcast | null } {
  const operand = (name: string, t: TensorInfo) =>
    broadcastTo(kernel, name, float32Values(kernel, name, backend, t), t.shape, outShape, channelsLast);
  return {
    biasB: bias ? operand('bias', bias) : null,
    alphaB: activation === 'prelu' ? operand('preluActivationWeights', preluActivationWeights!) : null,
  };
}
