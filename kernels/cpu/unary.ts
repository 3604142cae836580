/**
 * Relu, Step (ReLU's gradient mask) and Sqrt on float32 tensors: in
 * WebAssembly SIMD where available (kernels/core/vector_wasm.ts), else one
 * plain loop each with the builtin's own formula; the same values either way.
 * Other dtypes go to tfjs's builtin.
 */
import type { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import { KernelConfig, Relu, Sqrt, Step, StepAttrs, TensorInfo, UnaryInputs } from '@tensorflow/tfjs-core';
import { im2colKernel } from '../core/fallback';
import { builtinOnly } from '../core/geometry';
import { wasmUnary } from '../core/vector_wasm';
import { outputArray } from './resident';

// Module constants, not global lookups per element (slow in Node's vm contexts, e.g. under jest).
const { max, sqrt } = Math;

type UnaryLoop = (x: Float32Array, y: Float32Array, attrs: object) => void;

function unaryKernel(kernelName: string, wasmOp: 'relu' | 'step' | 'sqrt', loop: UnaryLoop): KernelConfig {
  const kernelFunc = (args: { inputs: UnaryInputs; backend: MathBackendCPU; attrs: object }): TensorInfo => {
    const { inputs: { x }, backend, attrs } = args;
    if (x!.dtype !== 'float32') {
      builtinOnly(`dtype ${x!.dtype}`);
    }
    const xValues = backend.data.get(x!.dataId).values as Float32Array;
    const y = outputArray(backend, xValues.length);
    if (!wasmUnary(wasmOp, xValues, y, (attrs as StepAttrs | undefined)?.alpha)) loop(xValues, y, attrs);
    return backend.makeTensorInfo(x!.shape, 'float32', y);
  };
  return im2colKernel(kernelName, 'cpu', kernelFunc);
}

/** max(0, x); NaN stays NaN, -0 becomes 0 (Math.max, as the builtin). */
const reluLoop: UnaryLoop = (x, y) => {
  for (let i = 0; i < x.length; i++) y[i] = max(0, x[i]);
};

/** 1 where x > 0, alpha elsewhere, NaN for NaN. */
const stepLoop: UnaryLoop = (x, y, attrs) => {
  const alpha = (attrs as StepAttrs).alpha;
  for (let i = 0; i < x.length; i++) {
    const v = x[i];
    y[i] = v !== v ? v : v > 0 ? 1 : alpha;
  }
};

const sqrtLoop: UnaryLoop = (x, y) => {
  for (let i = 0; i < x.length; i++) y[i] = sqrt(x[i]);
};

export const reluConfig = unaryKernel(Relu, 'relu', reluLoop);
export const stepConfig = unaryKernel(Step, 'step', stepLoop);
export const sqrtConfig = unaryKernel(Sqrt, 'sqrt', sqrtLoop);
