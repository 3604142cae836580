/**
 * Our kernels on tfjs-backend-wasm: its tensors live in its WebAssembly module's heap, and our
 * kernels read and write them there through Float32Array views (`typedArrayFromHeap`), the way its
 * own kernels pass heap offsets to C++ — no copy of a tensor into JavaScript arrays.
 *
 * The heap can grow on any allocation in it (`makeOutput`), and growing a non-shared memory
 * detaches every view taken before: so each kernel checks its inputs first, allocates its output,
 * and only then takes the views it computes on. Nothing of ours allocates in that heap in between
 * (our GEMM engines and vector kernels run in their own memories).
 *
 * tfjs-backend-wasm's kernels bind their C++ functions in a `setupFunc` that tfjs calls when the
 * backend is initialised, for the kernels registered then. When ours replace a builtin before that
 * (registering before `tf.setBackend('wasm')`), the builtin's own setup would never run and a call
 * we hand to it would fail; so each of our configs runs the setup of the builtin it replaced.
 */
import type { DataType, KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import { builtinOf, im2colKernel } from '../core/fallback';
import { checkFloat32 } from '../core/geometry';

/** What our kernels use of tfjs-backend-wasm's `BackendWasm` (a structural type: no import of the package). */
export interface WasmBackend {
  makeOutput(shape: number[], dtype: DataType): TensorInfo;
  typedArrayFromHeap(t: TensorInfo): Float32Array | Int32Array | Uint8Array;
}

/** The float32 values of a wasm tensor as a view of the module heap, after checking its dtype. Take it after every allocation. */
export function heapFloats(kernel: string, name: string, backend: WasmBackend, t: TensorInfo): Float32Array {
  checkFloat32(kernel, name, t);
  return backend.typedArrayFromHeap(t) as Float32Array;
}

/**
 * Our wasm kernel `ours` as a KernelConfig: calls it declines go to the builtin it replaced
 * (kernels/core/fallback.ts), and initialising the backend runs that builtin's setup.
 */
export function wasmKernel<Args>(kernelName: string, ours: (args: Args) => TensorInfo | TensorInfo[]): KernelConfig {
  const config = im2colKernel(kernelName, 'wasm', ours);
  return {
    ...config,
    setupFunc: (backend) => builtinOf(kernelName, 'wasm')?.setupFunc?.(backend),
  };
}

export type { KernelFunc };
