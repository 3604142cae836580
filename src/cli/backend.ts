/** Puts tfjs on the cpu backend with our kernels (or tfjs's builtins) for the CLI. */
import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-layers'; // registers the gradients
import { registerIm2colKernels, unregisterIm2colKernels } from '../registration';
import {
  currentGemmEngine, GEMM_ENGINE_NAMES, GemmEngineName, selectBestGemmEngine, shutdownGemmThreads, useGemmEngine,
} from '../../kernels/wasm_runtime/engines';

export type KernelChoice = 'ours' | 'builtin';
export const GEMM_CHOICES = ['best', ...GEMM_ENGINE_NAMES];

/** Selects the backend and kernels; returns a description of what runs the convolutions. */
export async function setupCpu(kernels: KernelChoice, gemm = 'best'): Promise<string> {
  // tfjs prints a hint to install tfjs-node the first time the cpu backend
  // stores data; tfjs-node is not a dependency of this package, so keep it quiet.
  const warn = console.warn;
  console.warn = () => undefined;
  try {
    await tf.setBackend('cpu');
    await tf.ready();
    tf.tensor1d([0]).dispose();
  } finally {
    console.warn = warn;
  }
  if (kernels === 'builtin') {
    unregisterIm2colKernels();
    return "tfjs's builtin cpu kernels";
  }
  registerIm2colKernels({ backends: ['cpu'] });
  if (gemm === 'best') selectBestGemmEngine();
  else useGemmEngine(gemm as GemmEngineName);
  const engine = currentGemmEngine();
  return `tfjs-im2col (im2col + GEMM, ${engine.name}${engine.threads > 1 ? ` × ${engine.threads} threads` : ''})`;
}

/** Stops the GEMM worker threads, if any (lets the process exit on its own). */
export async function teardownCpu(): Promise<void> {
  await shutdownGemmThreads();
}
