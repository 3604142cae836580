/** Puts tfjs on the cpu backend (or tfjs-backend-wasm, when installed) with our kernels (or tfjs's builtins) for the CLI. */
import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-layers'; // registers the gradients
import { registerIm2colKernels, unregisterIm2colKernels } from '../registration';
import {
  currentGemmEngine, GEMM_ENGINE_NAMES, GemmEngineName, selectBestGemmEngine, shutdownGemmThreads, useGemmEngine,
} from '../../kernels/wasm_runtime/engines';

export type KernelChoice = 'ours' | 'builtin';
export type BackendChoice = 'cpu' | 'wasm';
export const BACKEND_CHOICES: BackendChoice[] = ['cpu', 'wasm'];
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
  return `tfjs-im2col (im2col + GEMM, ${chooseGemm(gemm)})`;
}

/** The GEMM engine chosen for our kernels, described. */
function chooseGemm(gemm: string): string {
  if (gemm === 'best') selectBestGemmEngine();
  else useGemmEngine(gemm as GemmEngineName);
  const engine = currentGemmEngine();
  return `${engine.name}${engine.threads > 1 ? ` × ${engine.threads} threads` : ''}`;
}

/**
 * tfjs-backend-wasm with our kernels (its builtins cannot train a CNN: 4.22 has no
 * Conv2DBackpropFilter). The package is optional: a clear error names it when it is absent.
 */
export async function setupWasm(kernels: KernelChoice, gemm = 'best'): Promise<string> {
  if (kernels === 'builtin') {
    throw new Error("--backend wasm trains only with --kernels ours: tfjs-backend-wasm 4.22 has no Conv2DBackpropFilter " +
      '(tfjs issue #8474), so its own kernels cannot compute a convolution\'s filter gradient');
  }
  try {
    await import('@tensorflow/tfjs-backend-wasm');
  } catch {
    throw new Error("--backend wasm needs the package '@tensorflow/tfjs-backend-wasm', which is not installed " +
      '(npm install @tensorflow/tfjs-backend-wasm@^4.22)');
  }
  // Before the backend starts: the builtins ours replace get their setup then (kernels/wasm/util.ts).
  registerIm2colKernels({ backends: ['wasm'] });
  if (!(await tf.setBackend('wasm'))) throw new Error('tfjs-backend-wasm failed to start (its WebAssembly module did not load)');
  await tf.ready();
  return `tfjs-backend-wasm with tfjs-im2col's gradient and matMul kernels (GEMM: ${chooseGemm(gemm)})`;
}

/** The backend named on the command line, set up; returns a description of what runs the convolutions. */
export async function setupBackend(backend: BackendChoice, kernels: KernelChoice, gemm = 'best'): Promise<string> {
  return backend === 'wasm' ? setupWasm(kernels, gemm) : setupCpu(kernels, gemm);
}

/** Stops the GEMM worker threads, if any (lets the process exit on its own). */
export async function teardownCpu(): Promise<void> {
  await shutdownGemmThreads();
}
