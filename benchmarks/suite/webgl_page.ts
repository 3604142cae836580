/**
 * Page side of the WebGL section, bundled by esbuild into the global
 * `benchPage`. tfjs comes from the page's script tags (global `tf`: core,
 * cpu, webgl, layers for the gradients), ours from `tfjsIm2col`, exactly as
 * script-tag users load them. Timing uses the same code as Node (tinybench).
 */
/* eslint-disable @typescript-eslint/no-explicit-any */
import { measureImpl, MemoryProbe, Outcome, timedCall } from './measure';
import { medianOf, pairedSpeedup, roundMedians } from './paired';
import { compare, makeRunner } from './ops';
import { RateBook, sampleCount, SamplingPlan } from './timing';
import { BLOCK_CALLS, isShortCall } from './webgl_blocks';
import type { CaseSpec, Measurement, PairedSpeedup, Stats } from './types';

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
  /** Cross-origin isolated: performance.now() is then precise to 5 µs, not coarsened to 100 µs. */
  crossOriginIsolated: boolean;
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
    crossOriginIsolated: globalThis.crossOriginIsolated === true,
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

/** The tfjs webgl backend's compile cache (shader key → compiled program), shared by builtin and ours. */
function binaryCache(): Record<string, unknown> {
  return (tf.backend() as { binaryCache: Record<string, unknown> }).binaryCache;
}

/**
 * Runs `fn` recording every distinct shader key tfjs looks up meanwhile (compiled or found in its cache),
 * and every multi-target program of ours drawn (those bypass tfjs's cache): the number of programs a fresh
 * page would compile for the same work.
 */
async function withProgramKeys<T>(keys: Set<string>, fn: () => Promise<T>): Promise<T> {
  const backend = tf.backend() as { getAndSaveBinary: (key: string, make: () => unknown) => unknown };
  const original = backend.getAndSaveBinary;
  backend.getAndSaveBinary = function (this: unknown, key: string, make: () => unknown) {
    keys.add(key);
    return original.call(this, key, make);
  };
  const ours = typeof tfjsIm2col !== 'undefined' && typeof tfjsIm2col.observeMultiTargetPrograms === 'function';
  if (ours) tfjsIm2col.observeMultiTargetPrograms((key: string) => keys.add(`multi-target ${key}`));
  try {
    return await fn();
  } finally {
    backend.getAndSaveBinary = original;
    if (ours) tfjsIm2col.observeMultiTargetPrograms(null);
  }
}

function statsOf(times: number[], first: Stats): Stats {
  const sorted = [...times].sort((a, b) => a - b);
  const medianMs = medianOf(sorted);
  const madMs = medianOf(sorted.map((t) => Math.abs(t - medianMs)));
  return {
    medianMs, minMs: sorted[0], maxMs: sorted[sorted.length - 1], madMs, rmePct: 0, samples: times.length,
    firstCallMs: first.firstCallMs, interleaved: true,
  };
}

/**
 * The timed samples of builtin and ours, interleaved: each round times builtin calls and calls of ours
 * (registering ours just for them), so load from other processes falls on both alike, and every other
 * round times ours first, so what one call leaves behind (textures to free, GPU work) falls on both alike
 * too. Each call is timed to the end of a synchronous read-back (see timedCall). Switching the kernels
 * slows the next few calls, which a user who registers once never pays (re-registering ours for every
 * call, calls handed to the builtin, the same programs in both slots, measured 0.81–0.94×); so a call
 * under BLOCK_BELOW_MS (isShortCall) is timed in blocks of BLOCK_CALLS after an untimed call. The number of rounds
 * follows the warm calls' length (the first calls compiled shaders). Each round also gives one paired ratio
 * (the medians of its blocks), whence the paired speedup and its interval.
 */
async function interleave(
  spec: CaseSpec, plan: SamplingPlan, builtin: Stats, ours: Stats,
): Promise<{ builtin: Stats; ours: Stats; paired?: PairedSpeedup; handedToBuiltin: boolean }> {
  const runner = makeRunner(tf, spec);
  let short = false;
  const timeBlock = async (into: number[][]) => {
    const block: number[] = [];
    into.push(block);
    if (!short) {
      block.push(await timedCall(runner, 'sync'));
      return;
    }
    await timedCall(runner, 'sync');
    for (let i = 0; i < BLOCK_CALLS; i++) block.push(await timedCall(runner, 'sync'));
  };
  const withOurs = async <T>(fn: () => Promise<T>): Promise<T> => {
    const reg = tfjsIm2col.registerIm2colKernels({ backends: ['webgl'] });
    try {
      return await fn();
    } finally {
      reg.restore();
    }
  };
  const timeOurs = (into: number[][]) => withOurs(() => timeBlock(into));
  const b: number[][] = [];
  const o: number[][] = [];
  // The programs the first round's calls run (not the case's set-up, e.g. MaxPoolGrad's forward output).
  const builtinKeys = new Set<string>();
  const oursKeys = new Set<string>();
  try {
    const again = () => timedCall(runner, 'sync');
    short = await isShortCall(builtin.medianMs, again) && await isShortCall(ours.medianMs, () => withOurs(again));
    const rounds = sampleCount(plan, builtin.medianMs + ours.medianMs);
    await withProgramKeys(builtinKeys, () => timeBlock(b));
    await withOurs(() => withProgramKeys(oursKeys, () => timeBlock(o)));
    for (let i = 1; i < rounds; i++) {
      if (i % 2 === 0) {
        await timeBlock(b);
        await timeOurs(o);
      } else {
        await timeOurs(o);
        await timeBlock(b);
      }
    }
  } finally {
    runner.dispose();
  }
  return {
    builtin: statsOf(b.flat(), builtin), ours: statsOf(o.flat(), ours),
    handedToBuiltin: oursKeys.size > 0 && [...oursKeys].every((k) => builtinKeys.has(k)),
    paired: pairedSpeedup(roundMedians(b), roundMedians(o)),
  };
}

/**
 * Builtin webgl then ours on webgl (first call: output, memory, programs used), each compared with the cpu
 * reference, ours also with the builtin; then the timed samples of both, interleaved.
 */
export async function runCase(spec: CaseSpec, plan: SamplingPlan): Promise<Measurement[]> {
  if (tf.getBackend() !== 'webgl') await tf.setBackend('webgl');
  const reference = await fetchReference(spec.id);
  if (typeof tfjsIm2col !== 'undefined') tfjsIm2col.unregisterIm2colKernels();
  // Timed samples come from interleave(); measureImpl makes the first call (and one sample).
  const firstPlan: SamplingPlan = { ...plan, minSamples: 1, maxSamples: 1, atLeast: 0 };
  const builtinKeys = new Set<string>();
  const builtin = await withProgramKeys(builtinKeys, () => measureImpl(tf, spec, 'webgl', 'builtin', firstPlan, rates, probe));
  let ours: Outcome;
  const oursKeys = new Set<string>();
  if (oursOnWebgl) {
    const reg = tfjsIm2col.registerIm2colKernels({ backends: ['webgl'] });
    try {
      ours = await withProgramKeys(oursKeys, () => measureImpl(tf, spec, 'webgl', 'ours', firstPlan, rates, probe));
    } finally {
      reg.restore();
    }
  } else {
    ours = { measurement: { caseId: spec.id, backend: 'webgl', impl: 'ours', status: 'n/a', note: 'this build of tfjs-im2col registers no webgl kernels' } };
  }
  const bs = builtin.measurement.stats;
  const os = ours.measurement.stats;
  if (bs && os && !bs.firstCallOnly && !os.firstCallOnly && builtin.measurement.status === 'ok' && ours.measurement.status === 'ok') {
    const timed = await interleave(spec, plan, bs, os);
    builtin.measurement.stats = timed.builtin;
    Object.assign(ours.measurement, { stats: timed.ours, paired: timed.paired, handedToBuiltin: timed.handedToBuiltin });
    for (const m of [builtin.measurement, ours.measurement]) {
      if (spec.isFlops) m.gflops = spec.work / m.stats!.medianMs / 1e6;
    }
  }
  builtin.measurement.programs = builtinKeys.size;
  if (oursOnWebgl) ours.measurement.programs = oursKeys.size;
  for (const o of [builtin, ours]) {
    if (o.values && reference) o.measurement.vsReference = compare(o.values, reference);
  }
  if (ours.values && builtin.values) ours.measurement.vsBuiltin = compare(ours.values, builtin.values);
  return [builtin.measurement, ours.measurement];
}

/** Programs in tfjs's compile cache now (every kernel run in this page so far, builtin and ours). */
export function compiledPrograms(): number {
  return Object.keys(binaryCache()).length;
}
