/**
 * Page side of the WebGL section, bundled by esbuild into the global
 * `benchPage`. tfjs comes from the page's script tags (global `tf`: core,
 * cpu, webgl, layers for the gradients), ours from `tfjsIm2col`, exactly as
 * script-tag users load them. Timing uses the same code as Node (tinybench).
 */
/* eslint-disable @typescript-eslint/no-explicit-any */
import { compare } from './ops';
import { measureImpl, MemoryProbe, Outcome } from './measure';
import { RateBook, SamplingPlan } from './timing';
import type { CaseSpec, Measurement } from './types';

declare const tf: any;
declare const tfjsIm2col: any;

const rates = new RateBook();
let oursOnWebgl = false;

export interface PageEnv {
  renderer: string;
  vendor: string;
  webglVersion: number;
  float32RenderTargets: boolean;
  oursOnWebgl: boolean;
  tfjsVersion: string;
  hasGradients: boolean;
  userAgent: string;
}

export async function init(): Promise<PageEnv> {
  tf.env().set('SOFTWARE_WEBGL_ENABLED', true);
  if (!(await tf.setBackend('webgl'))) throw new Error('the webgl backend failed to initialise');
  await tf.ready();
  const gl: WebGL2RenderingContext = tf.backend().gpgpu.gl;
  const ext = gl.getExtension('WEBGL_debug_renderer_info');
  oursOnWebgl = typeof tfjsIm2col !== 'undefined' && tfjsIm2col.supportedBackends().includes('webgl');
  return {
    renderer: String(ext ? gl.getParameter(ext.UNMASKED_RENDERER_WEBGL) : gl.getParameter(gl.RENDERER)),
    vendor: String(ext ? gl.getParameter(ext.UNMASKED_VENDOR_WEBGL) : gl.getParameter(gl.VENDOR)),
    webglVersion: tf.env().getNumber('WEBGL_VERSION'),
    float32RenderTargets: tf.env().getBool('WEBGL_RENDER_FLOAT32_CAPABLE'),
    oursOnWebgl,
    tfjsVersion: tf.version_core,
    hasGradients: tf.getGradient('Conv2D') !== undefined,
    userAgent: navigator.userAgent,
  };
}

function jsHeap(): number | undefined {
  return (performance as any).memory?.usedJSHeapSize;
}

/** GPU bytes from tf.memory(): in use with the output alive, allocated (incl. tfjs's texture pool) at the larger of both probes. */
const probe: MemoryProbe = {
  withOutput: () => {
    const m = tf.memory();
    return { gpuBytesInUse: m.numBytesInGPU, gpuBytesAllocated: m.numBytesInGPUAllocated, tensorBytes: m.numBytes };
  },
  afterTiming: (before) => ({
    ...before,
    gpuBytesAllocated: Math.max(before.gpuBytesAllocated ?? 0, tf.memory().numBytesInGPUAllocated ?? 0),
    jsHeapBytes: jsHeap(),
  }),
};

async function fetchReference(id: string): Promise<Float32Array | undefined> {
  const res = await fetch(`/ref?id=${encodeURIComponent(id)}`);
  if (!res.ok) return undefined;
  return new Float32Array(await res.arrayBuffer());
}

/** Builtin webgl then ours on webgl, each compared with the cpu reference, ours also with the builtin. */
export async function runCase(spec: CaseSpec, plan: SamplingPlan): Promise<Measurement[]> {
  if (tf.getBackend() !== 'webgl') await tf.setBackend('webgl');
  const reference = await fetchReference(spec.id);
  if (typeof tfjsIm2col !== 'undefined') tfjsIm2col.unregisterIm2colKernels();
  const builtin = await measureImpl(tf, spec, 'webgl', 'builtin', plan, rates, probe);
  let ours: Outcome;
  if (oursOnWebgl) {
    const reg = tfjsIm2col.registerIm2colKernels({ backends: ['webgl'] });
    try {
      ours = await measureImpl(tf, spec, 'webgl', 'ours', plan, rates, probe);
    } finally {
      reg.restore();
    }
  } else {
    ours = { measurement: { caseId: spec.id, backend: 'webgl', impl: 'ours', status: 'n/a', note: 'this build of tfjs-im2col registers no webgl kernels' } };
  }
  for (const o of [builtin, ours]) {
    if (o.values && reference) o.measurement.vsReference = compare(o.values, reference);
  }
  if (ours.values && builtin.values) ours.measurement.vsBuiltin = compare(ours.values, builtin.values);
  return [builtin.measurement, ours.measurement];
}
