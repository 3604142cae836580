/**
 * tfjs-im2col: the CNN chapter of "Deep Learning from Scratch" (im2col,
 * col2im, Convolution and Pooling layers) as drop-in TensorFlow.js kernels.
 */
import { selectBestGemmEngine } from '../kernels/core/engines';

// The fastest GEMM this runtime has: WebAssembly SIMD (threaded in Node), else the scalar TypeScript one.
selectBestGemmEngine();

export {
  IM2COL_KERNELS, isIm2colKernelActive, providedKernels, registerIm2colKernels, supportedBackends,
  unregisterIm2colKernels,
} from './registration';
export type { Im2colKernelName, RegisterOptions, Registration } from './registration';
export { col2im, convOutputSize, im2col } from './book';
export { KernelInputError } from '../kernels/core/geometry';
export { getGemmEngine, setGemmEngine } from '../kernels/core/gemm';
export {
  allocGemmBuffer, availableGemmEngines, bestGemmEngineName, currentGemmEngine, GEMM_ENGINE_NAMES, isGemmResident,
  MAX_GEMM_THREADS, releaseGemmBuffer, selectBestGemmEngine, shutdownGemmThreads, useGemmEngine,
} from '../kernels/core/engines';
export type { GemmEngineName, GemmEngineOptions } from '../kernels/core/engines';
export { DEFAULT_WORKSPACE_BYTES, im2colWorkspaceBytes, setIm2colWorkspaceBytes } from '../kernels/core/conv';
export type { GemmEngine, Matrix } from '../kernels/core/gemm';
export { MIN_RESIDENT_FLOATS, residentOutputsActive, residentOutputStats, setResidentOutputs } from '../kernels/cpu/resident';
