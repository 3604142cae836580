/**
 * tfjs-im2col: the CNN chapter of "Deep Learning from Scratch" (im2col,
 * col2im, Convolution and Pooling layers) as drop-in TensorFlow.js kernels.
 */
// Importing starts nothing: the GEMM engine (WebAssembly SIMD, threaded in Node, else scalar TypeScript)
// is chosen on its first use.

export {
  IM2COL_KERNELS, isIm2colKernelActive, providedKernels, registerIm2colKernels, supportedBackends,
  unregisterIm2colKernels,
} from './registration';
export type { Im2colKernelName, RegisterOptions, Registration } from './registration';
export { col2im, convOutputSize, im2col } from './book';
export { KernelInputError } from '../kernels/core/geometry';
export { BUILTIN_CLASSES_FLAG } from '../kernels/webgl/builtin_classes';
export { TILED_GEMM_FLAG } from '../kernels/webgl/conv';
export { observeMultiTargetPrograms } from '../kernels/webgl/multi_target';
export {
  availableGemmEngines, bestGemmEngineName, currentGemmEngine, GEMM_ENGINE_NAMES, getGemmEngine, MAX_GEMM_THREADS,
  selectBestGemmEngine, setGemmEngine, shutdownGemmThreads, useGemmEngine,
} from '../kernels/wasm_runtime/engines';
export type { GemmEngineName, GemmEngineOptions } from '../kernels/wasm_runtime/engines';
export { DEFAULT_WORKSPACE_BYTES, im2colWorkspaceBytes, setIm2colWorkspaceBytes } from '../kernels/core/conv';
export type { GemmEngine, Matrix } from '../kernels/core/gemm';
export { MIN_RESIDENT_FLOATS, residentOutputsActive, residentOutputStats, setResidentOutputs } from '../kernels/cpu/resident';
