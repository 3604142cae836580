/** Helpers shared by the webgl kernels. */
import type { GPGPUProgram, MathBackendWebGL } from '@tensorflow/tfjs-backend-webgl';
import type { TensorInfo } from '@tensorflow/tfjs-core';
import { checkFloat32 } from '../core/geometry';

export type WebGLBackend = MathBackendWebGL;

/**
 * The same data seen with another shape. Only pass views to *packed* programs:
 * tfjs then packs (from an unpacked texture) or packed-reshapes with the view's
 * shape as needed, which is right for any row-major reshape.
 */
export function view(t: TensorInfo, shape: number[]): TensorInfo {
  return { dataId: t.dataId, shape, dtype: t.dtype };
}

/**
 * Uploads a tensor that still lives on the CPU as an ordinary (unpacked)
 * texture of its own shape, so that a packed program given a view of it packs
 * a temporary copy instead of uploading the tensor itself in the view's layout.
 */
export function ensureOnGPU(backend: WebGLBackend, kernel: string, name: string, t: TensorInfo): void {
  checkInput(backend, kernel, name, t);
  if (backend.texData.get(t.dataId).texture == null) backend.uploadToGPU(t.dataId);
}

/**
 * Checks an input that only packed programs read, through views of one layout (the GEMM's operands). If it
 * still lives on the CPU, tfjs uploads it packed in that layout on first use, as it does for its own
 * convolution's reshaped filter; later calls then read it without a packing pass.
 */
export function checkInput(backend: WebGLBackend, kernel: string, name: string, t: TensorInfo): void {
  checkFloat32(kernel, name, t);
  checkContext(backend, kernel);
}

/**
 * A lost WebGL context (GPU reset, driver update, WEBGL_lose_context) draws nothing and never signals the
 * fence a read-back waits on: the call would hang. Fail at once instead, before anything is allocated.
 */
export function checkContext(backend: WebGLBackend, kernel: string): void {
  if (backend.gpgpu.gl.isContextLost()) {
    throw new Error(`${kernel}: the WebGL context is lost (webglcontextlost); tfjs's webgl backend cannot run ` +
      'programs until the page creates a new backend (tf.removeBackend / tf.registerBackend)');
  }
}

export function run(backend: WebGLBackend, program: GPGPUProgram, inputs: TensorInfo[], uniforms: number[][]): TensorInfo {
  return backend.runWebGLProgram(program, inputs, 'float32', uniforms);
}

/** Disposes intermediate results (tfjs's IS_TEST leak check expects this). */
export function release(backend: WebGLBackend, ...infos: Array<TensorInfo | null>): void {
  for (const t of infos) if (t) backend.disposeIntermediateTensorInfo(t);
}
