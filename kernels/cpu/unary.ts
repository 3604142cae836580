/**
 * Relu, Step (ReLU's gradient mask) and Sqrt on float32 tensors, each one
 * plain loop with the builtin's own formula. Other dtypes go to tfjs's builtin.
 */
import type { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import { KernelConfig, KernelFunc, Relu, Sqrt, Step, StepAttrs, TensorInfo, UnaryInputs } from '@tensorflow/tfjs-core';
import { runBuiltin } from '../core/fallback';

type UnaryLoop = (x: Float32Array, y: Float32Array, attrs: object) => void;

function unaryKernel(kernelName: string, loop: UnaryLoop): KernelConfig {
  const kernelFunc = (args: { inputs: UnaryInputs; backend: MathBackendCPU; attrs: object }): TensorInfo => {
    const { inputs: { x }, backend, attrs } = args;
    if (x!.dtype !== 'float32') {
      return runBuiltin(kernelName, 'cpu', args, `dtype ${x!.dtype} is the builtin's to handle`) as TensorInfo;
    }
    const xValues = backend.data.get(x!.dataId).values as Float32Array;
    const y = new Float32Array(xValues.length);
    loop(xValues, y, attrs);
    return backend.makeTensorInfo(x!.shape, 'float32', y);
  };
  return { kernelName, backendName: 'cpu', kernelFunc: kernelFunc as unknown as KernelFunc };
}

/** max(0, x); NaN stays NaN, -0 becomes 0 (Math.max, as the builtin). */
const reluLoop: UnaryLoop = (x, y) => {
  for (let i = 0; i < x.length; i++) y[i] = Math.max(0, x[i]);
};

/** 1 where x > 0, alpha elsewhere, NaN for NaN. */
const stepLoop: UnaryLoop = (x, y, attrs) => {
  const alpha = (attrs as StepAttrs).alpha;
  for (let i = 0; i < x.length; i++) {
    const v = x[i];
    y[i] = v !== v ? NaN : v > 0 ? 1 : alpha;
  }
};

const sqrtLoop: UnaryLoop = (x, y) => {
  for (let i = 0; i < x.length; i++) y[i] = Math.sqrt(x[i]);
};

export const reluConfig = unaryKernel(Relu, reluLoop);
export const stepConfig = unaryKernel(Step, stepLoop);
export const sqrtConfig = unaryKernel(Sqrt, sqrtLoop);
