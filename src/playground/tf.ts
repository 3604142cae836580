/**
 * The page's tfjs (the script-tag bundles' global `tf`, with tf-backend-wasm as `tf.wasm`) and our
 * script-tag bundle (global `tfjsIm2col`), plus switching backends and kernels.
 */
/* eslint-disable @typescript-eslint/no-explicit-any */
export const tf: any = (globalThis as any).tf;
export const lib: any = (globalThis as any).tfjsIm2col;

export type BackendName = 'webgl' | 'cpu' | 'wasm';
export type KernelChoice = 'ours' | 'builtin';
export const BACKENDS: BackendName[] = ['webgl', 'cpu', 'wasm'];

let wasmPathsSet = false;

/** tf-backend-wasm fetches its .wasm binaries from the site's own vendor/ folder. */
function prepareWasm(): void {
  if (wasmPathsSet) return;
  tf.wasm.setWasmPaths(new URL('vendor/', document.baseURI).href);
  wasmPathsSet = true;
}

/** Makes `name` the current backend with our kernels registered on it (ours) or none of ours (builtin). */
export async function useBackend(name: BackendName, kernels: KernelChoice): Promise<void> {
  if (name === 'wasm') prepareWasm();
  if (tf.getBackend() !== name) {
    const ok = await tf.setBackend(name);
    if (!ok) throw new Error(`the ${name} backend failed to initialise on this device`);
  }
  await tf.ready();
  lib.unregisterIm2colKernels();
  if (kernels === 'ours') lib.registerIm2colKernels({ backends: name });
}

/** The ops our kernel set replaces on a backend (the wasm set is the four gradients). */
export function oursProvides(backend: BackendName): string[] {
  return lib.providedKernels(backend) as string[];
}

export interface RendererInfo { renderer: string; vendor: string; webglVersion: number; float32: boolean }

/** The WebGL renderer's name, as the webgl backend sees it (needs the webgl backend initialised). */
export function rendererInfo(): RendererInfo | undefined {
  const backend = tf.findBackend('webgl');
  const gl: WebGL2RenderingContext | undefined = backend?.gpgpu?.gl;
  if (!gl) return undefined;
  const ext = gl.getExtension('WEBGL_debug_renderer_info');
  return {
    renderer: String(ext ? gl.getParameter(ext.UNMASKED_RENDERER_WEBGL) : gl.getParameter(gl.RENDERER)),
    vendor: String(ext ? gl.getParameter(ext.UNMASKED_VENDOR_WEBGL) : gl.getParameter(gl.VENDOR)),
    webglVersion: tf.env().getNumber('WEBGL_VERSION'),
    float32: tf.env().getBool('WEBGL_RENDER_FLOAT32_CAPABLE'),
  };
}

export const nextFrame = (): Promise<void> => new Promise((r) => setTimeout(r, 0));
