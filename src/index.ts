/**
 * tfjs-im2col: the CNN chapter of "Deep Learning from Scratch" (im2col,
 * col2im, Convolution and Pooling layers) as drop-in TensorFlow.js kernels.
 */
export {
  IM2COL_KERNELS, isIm2colKernelActive, providedKernels, registerIm2colKernels, supportedBackends,
  unregisterIm2colKernels,
} from './registration';
export type { Im2colKernelName, RegisterOptions, Registration } from './registration';
export { col2im, convOutputSize, im2col } from './book';
export { KernelInputError } from '../kernels/core/geometry';
export { getGemmEngine, setGemmEngine } from '../kernels/core/gemm';
export { DEFAULT_WORKSPACE_BYTES, im2colWorkspaceBytes, setIm2colWorkspaceBytes } from '../kernels/core/conv';
export type { GemmEngine, Matrix } from '../kernels/core/gemm';
