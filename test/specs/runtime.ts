/**
 * Runs tfjs-core's own op specs (jasmine, from `@tensorflow/tfjs-core/dist/ops/*_test.js`)
 * against our kernels, the way tfjs's backends run them against theirs: one test
 * environment (`setTestEnvs`), the backend's builtins replaced by ours, and every
 * spec file of the ops we replace. Bundled with the specs by test/specs/bundle.ts,
 * then run in Node (cpu, wasm) or in Chromium (webgl).
 *
 * Each of our kernels counts its calls, and each builtin it replaced counts the
 * calls our kernel handed to it, so the report proves which of ours really ran.
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import '@tensorflow/tfjs-core/dist/public/chained_ops/register_all_chained_ops';
import { setTestEnvs } from '@tensorflow/tfjs-core/dist/jasmine_util';
import type { KernelConfig, KernelFunc } from '@tensorflow/tfjs-core';
import { registerIm2colKernels } from '../../src/registration';
import { cpuKernelConfigs } from '../../kernels/cpu';
import { webglKernelConfigs } from '../../kernels/webgl';
import { BUILTIN_CLASSES_FLAG } from '../../kernels/webgl/builtin_classes';
import { TILED_GEMM_FLAG } from '../../kernels/webgl/conv';
import { wasmKernelConfigs } from '../../kernels/wasm';

const jasmineRequire = require('jasmine-core/lib/jasmine-core/jasmine.js');

export interface SpecResult { name: string; status: string; messages: string[] }
export interface KernelCalls { ours: number; delegated: number }
export interface SpecReport {
  backend: string;
  specs: SpecResult[];
  calls: Record<string, KernelCalls>;
  /** Errors outside any spec (a throwing beforeAll, a broken file). */
  globalErrors: string[];
}

const OURS: Record<string, KernelConfig[]> = { cpu: cpuKernelConfigs, webgl: webglKernelConfigs, wasm: wasmKernelConfigs };

export type SpecBackend = 'cpu' | 'webgl' | 'wasm';

/** The test environments tfjs's own backends use for these specs. */
const TEST_ENVS = {
  cpu: { name: 'cpu', backendName: 'cpu', isDataSync: true },
  webgl: {
    name: 'webgl2', backendName: 'webgl', isDataSync: true,
    // Our kernels take every call, also in the shape classes they leave to the builtin by default, and every
    // convolution GEMM is the tiled one (the one-texel GEMMs run in test/webgl.test.ts's sweeps).
    flags: {
      WEBGL_VERSION: 2, WEBGL_CPU_FORWARD: false, WEBGL_SIZE_UPLOAD_UNIFORM: 0, [BUILTIN_CLASSES_FLAG]: false,
      [TILED_GEMM_FLAG]: 'always',
    },
  },
  // tfjs-backend-wasm's own spec run uses this environment (single-threaded in Node).
  wasm: { name: 'wasm', backendName: 'wasm', isDataSync: true },
} as const;

const calls: Record<string, KernelCalls> = {};

/** Wraps `config.kernelFunc` in place (the registry holds this object) to count its calls. */
function count(config: KernelConfig, field: keyof KernelCalls): void {
  const entry = (calls[config.kernelName] ??= { ours: 0, delegated: 0 });
  const inner = config.kernelFunc;
  config.kernelFunc = ((args: Parameters<KernelFunc>[0]) => {
    entry[field]++;
    return inner(args);
  }) as KernelFunc;
}

/** Jasmine's globals, our kernels in place of `backend`'s builtins, and tfjs's test environment. */
export function prepare(backend: SpecBackend): void {
  const j$ = jasmineRequire.core(jasmineRequire);
  Object.assign(globalThis, jasmineRequire.interface(j$, j$.getEnv()));
  j$.DEFAULT_TIMEOUT_INTERVAL = 120_000;
  for (const ours of OURS[backend]) {
    const builtin = tf.getKernel(ours.kernelName, backend);
    if (builtin !== undefined) count(builtin, 'delegated');
    count(ours, 'ours');
  }
  registerIm2colKernels({ backends: [backend] });
  setTestEnvs([TEST_ENVS[backend]]);
}

/** Runs every spec loaded since `prepare`, in file order. */
export async function run(backend: string): Promise<SpecReport> {
  const env = (globalThis as unknown as { jasmine: { getEnv(): any } }).jasmine.getEnv();
  const specs: SpecResult[] = [];
  const globalErrors: string[] = [];
  const messages = (r: { failedExpectations: Array<{ message: string }> }) => r.failedExpectations.map((f) => f.message);
  env.configure({ random: false, stopOnSpecFailure: false, stopSpecOnExpectationFailure: false });
  env.addReporter({
    specDone: (r: { fullName: string; status: string; failedExpectations: Array<{ message: string }> }) => {
      specs.push({ name: r.fullName, status: r.status, messages: messages(r) });
    },
    suiteDone: (r: { fullName: string; failedExpectations: Array<{ message: string }> }) => {
      for (const m of messages(r)) globalErrors.push(`${r.fullName}: ${m}`);
    },
    jasmineDone: (r: { failedExpectations: Array<{ message: string }> }) => {
      globalErrors.push(...messages(r));
    },
  });
  await env.execute();
  return { backend, specs, calls, globalErrors };
}
