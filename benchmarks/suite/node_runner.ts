/**
 * The Node sections: `cpu` (tfjs-backend-cpu's builtins against ours),
 * `wasm` (tfjs-backend-wasm's builtins, XNNPACK: the fastest CPU peer we can
 * run here) and `tensorflow` (@tensorflow/tfjs-node, only when installed).
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
// tfjs-layers registers tfjs-core's gradients (tfjs-core alone registers none); the training step needs them.
import '@tensorflow/tfjs-layers';
import { dirname, join } from 'node:path';
import { registerIm2colKernels } from '../../src';
import { compare, makeRunner, setNetRunnerFactory } from './ops';
import { makeNetRunner } from './networks';
import { describeError, estimateMs, measureImpl, MemoryProbe, Outcome, timedCall } from './measure';
import { now, RateBook, SamplingPlan } from './timing';
import type { Backend, CaseResult, CaseSpec, Impl, KernelProfile, Measurement } from './types';

// Whole-network cases are built with tfjs-layers, here in Node.
setNetRunnerFactory(makeNetRunner);

export type Log = (line: string) => void;

/** Process RSS and tfjs's tensor bytes; RSS is sampled with the output alive and after timing. */
const nodeProbe: MemoryProbe = {
  withOutput: () => ({ rssBytes: process.memoryUsage.rss(), tensorBytes: tf.memory().numBytes }),
  afterTiming: (m) => ({
    ...m, rssBytes: Math.max(m.rssBytes ?? 0, process.memoryUsage.rss()), maxRssBytes: process.resourceUsage().maxRSS * 1024,
  }),
};

function measureNode(spec: CaseSpec, backend: Backend, impl: Impl, plan: SamplingPlan, rates: RateBook): Promise<Outcome> {
  return measureImpl(tf, spec, backend, impl, plan, rates, nodeProbe);
}

/** The cpu reference output of each case: tfjs's builtin cpu kernel, or ours when the builtin is too slow. */
export class ReferenceStore {
  private readonly refs = new Map<string, { source: 'builtin-cpu' | 'ours-cpu'; values: Float32Array }>();

  set(id: string, source: 'builtin-cpu' | 'ours-cpu', values: Float32Array): void {
    this.refs.set(id, { source, values });
  }

  get(id: string): { source: 'builtin-cpu' | 'ours-cpu'; values: Float32Array } | undefined {
    return this.refs.get(id);
  }

  /** Computes the reference on the cpu backend when the cpu section did not run. */
  async ensure(spec: CaseSpec, plan: SamplingPlan, rates: RateBook): Promise<void> {
    if (this.refs.has(spec.id)) return;
    const previous = tf.getBackend();
    await tf.setBackend('cpu');
    try {
      const estimate = spec.mustRun ? undefined : await estimateMs(tf, spec, `cpu:builtin:${spec.op}`, plan.skipAboveMs, rates);
      const useBuiltin = spec.mustRun || estimate === undefined || estimate <= plan.skipAboveMs;
      const reg = useBuiltin ? undefined : registerIm2colKernels({ backends: ['cpu'] });
      try {
        const runner = makeRunner(tf, spec);
        const t0 = now();
        const y = runner.run();
        const values = (await y.data()) as Float32Array;
        if (useBuiltin) rates.record(`cpu:builtin:${spec.op}`, spec.work, now() - t0);
        y.dispose();
        runner.dispose();
        this.set(spec.id, useBuiltin ? 'builtin-cpu' : 'ours-cpu', values);
      } finally {
        reg?.restore();
      }
    } finally {
      await tf.setBackend(previous);
    }
  }
}

export interface SectionContext {
  plan: SamplingPlan;
  rates: RateBook;
  refs: ReferenceStore;
  results: Map<string, CaseResult>;
  log: Log;
}

function fmtMs(m: Measurement): string {
  if (m.status !== 'ok' || !m.stats) return m.status;
  return `${m.stats.medianMs.toFixed(m.stats.medianMs < 10 ? 2 : 0)} ms`;
}

/** Runs cases smallest first, so the rate book can estimate the big ones before they run. */
export function bySize(specs: CaseSpec[]): CaseSpec[] {
  return [...specs].sort((a, b) => a.work - b.work);
}

/** cpu: builtin then ours on each case, errors against each other; fills the reference store. */
export async function runCpuSection(specs: CaseSpec[], ctx: SectionContext): Promise<void> {
  await tf.setBackend('cpu');
  for (const spec of bySize(specs)) {
    const builtin = await measureNode(spec, 'cpu', 'builtin', ctx.plan, ctx.rates);
    const reg = registerIm2colKernels({ backends: ['cpu'] });
    let ours: Outcome;
    try {
      ours = await measureNode(spec, 'cpu', 'ours', ctx.plan, ctx.rates);
    } finally {
      reg.restore();
    }
    if (spec.params.kind === 'net' && ours.measurement.status === 'ok') {
      const profileReg = registerIm2colKernels({ backends: ['cpu'] });
      try {
        ctx.results.get(spec.id)!.profile = await profileCase(spec, 'cpu', 'ours');
      } catch (e) {
        ctx.log(`  cpu  ${spec.id}: profile failed: ${describeError(e)}`);
      } finally {
        profileReg.restore();
      }
    }
    if (builtin.values) ctx.refs.set(spec.id, 'builtin-cpu', builtin.values);
    else if (ours.values) ctx.refs.set(spec.id, 'ours-cpu', ours.values);
    if (ours.values && builtin.values) {
      ours.measurement.vsBuiltin = compare(ours.values, builtin.values);
      ours.measurement.vsReference = ours.measurement.vsBuiltin;
    }
    const result = ctx.results.get(spec.id)!;
    result.referenceSource = ctx.refs.get(spec.id)?.source;
    result.measurements.push(builtin.measurement, ours.measurement);
    const speedup = builtin.measurement.stats && ours.measurement.stats
      ? `  ${(builtin.measurement.stats.medianMs / ours.measurement.stats.medianMs).toFixed(1)}×` : '';
    ctx.log(`  cpu  ${spec.id}: builtin ${fmtMs(builtin.measurement)}, ours ${fmtMs(ours.measurement)}${speedup}`);
  }
}

/**
 * tf.profile of one call (after one warm-up call) on the current backend: kernel time summed per
 * kernel name, largest first. The profiler reads every kernel's output back (to check for NaN), so
 * the kernels' sum exceeds an unprofiled call; the shares are what to read.
 */
export async function profileCase(spec: CaseSpec, backend: Backend, impl: Impl): Promise<KernelProfile> {
  const runner = makeRunner(tf, spec);
  try {
    const warm = runner.run();
    await warm.data();
    warm.dispose();
    const t0 = now();
    const info = await tf.profile(async () => {
      const y = runner.run();
      await y.data();
      return y;
    });
    const wallMs = now() - t0;
    tf.dispose(info.result as tf.Tensor);
    const byName = new Map<string, { ms: number; calls: number }>();
    for (const k of info.kernels) {
      // `xxx__op` entries are ops with a custom gradient (e.g. fusedConv2d__op) wrapping the kernels they
      // run, which are listed on their own: counting both would count that time twice.
      if (k.name.endsWith('__op')) continue;
      const ms = Number(k.kernelTimeMs) || 0;
      const e = byName.get(k.name) ?? { ms: 0, calls: 0 };
      e.ms += ms;
      e.calls += 1;
      byName.set(k.name, e);
    }
    const kernels = [...byName.entries()].map(([name, e]) => ({ name, ...e })).sort((a, b) => b.ms - a.ms);
    return { backend, impl, kernelMs: kernels.reduce((a, k) => a + k.ms, 0), wallMs, kernels };
  } finally {
    runner.dispose();
  }
}

/** A backend with builtins only (wasm, tensorflow): timing and errors against the cpu reference. */
export async function runBuiltinSection(backend: 'wasm' | 'tensorflow', specs: CaseSpec[], ctx: SectionContext): Promise<void> {
  for (const spec of bySize(specs)) {
    await ctx.refs.ensure(spec, ctx.plan, ctx.rates);
    await tf.setBackend(backend);
    const out = await measureNode(spec, backend, 'builtin', ctx.plan, ctx.rates);
    const ref = ctx.refs.get(spec.id);
    if (out.values && ref) out.measurement.vsReference = compare(out.values, ref.values);
    const result = ctx.results.get(spec.id)!;
    result.referenceSource ??= ref?.source;
    result.measurements.push(out.measurement);
    ctx.log(`  ${backend} ${spec.id}: ${fmtMs(out.measurement)}${out.measurement.status === 'ok' ? '' : ` (${out.measurement.note})`}`);
    // The wasm builtins cannot train a convnet (no Conv2DBackpropFilter); with ours registered on wasm they can.
    if (backend === 'wasm' && spec.op === 'NetTrain') {
      const reg = registerIm2colKernels({ backends: ['wasm'] });
      let withOurs: Outcome;
      try {
        withOurs = await measureNode(spec, backend, 'ours', ctx.plan, ctx.rates);
      } finally {
        reg.restore();
      }
      if (withOurs.values && ref) withOurs.measurement.vsReference = compare(withOurs.values, ref.values);
      if (withOurs.values && out.values) withOurs.measurement.vsBuiltin = compare(withOurs.values, out.values);
      result.measurements.push(withOurs.measurement);
      ctx.log(`  ${backend} ${spec.id} with ours: ${fmtMs(withOurs.measurement)}${withOurs.measurement.status === 'ok' ? '' : ` (${withOurs.measurement.note})`}`);
    }
  }
}

/**
 * Network forward cases: ours on cpu against tfjs-backend-wasm, alternating per round (two calls of
 * each, the second timed), as many rounds as fit twice the sampling budget (3 to 15).
 */
export async function runPairedNetworks(specs: CaseSpec[], ctx: SectionContext): Promise<void> {
  for (const spec of bySize(specs).filter((s) => s.op === 'NetForward')) {
    await tf.setBackend('cpu');
    const reg = registerIm2colKernels({ backends: ['cpu'] });
    let cpuRunner: ReturnType<typeof makeRunner> | undefined;
    let wasmRunner: ReturnType<typeof makeRunner> | undefined;
    try {
      cpuRunner = makeRunner(tf, spec);
      await tf.setBackend('wasm');
      wasmRunner = makeRunner(tf, spec);
      const once = async (backend: string, runner: ReturnType<typeof makeRunner>) => {
        await tf.setBackend(backend);
        return timedCall(runner);
      };
      const warm = (await once('cpu', cpuRunner)) + (await once('wasm', wasmRunner));
      const rounds = Math.max(3, Math.min(15, Math.floor(ctx.plan.budgetMs / Math.max(warm, 1e-3))));
      const ours: number[] = [];
      const wasm: number[] = [];
      // Each turn is two calls and only the second is timed: the first after a switch pays for the
      // switch (cold caches, our GEMM worker threads waking up), which a program on one backend never does.
      for (let r = 0; r < rounds; r++) {
        await once('cpu', cpuRunner);
        ours.push(await once('cpu', cpuRunner));
        await once('wasm', wasmRunner);
        wasm.push(await once('wasm', wasmRunner));
      }
      const med = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)];
      const paired = { oursCpuMs: med(ours), wasmMs: med(wasm), rounds };
      ctx.results.get(spec.id)!.paired = paired;
      ctx.log(`  paired ${spec.id}: ours cpu ${paired.oursCpuMs.toFixed(1)} ms, wasm ${paired.wasmMs.toFixed(1)} ms ` +
        `(wasm÷ours ${(paired.wasmMs / paired.oursCpuMs).toFixed(2)}×, ${rounds} rounds)`);
    } catch (e) {
      ctx.log(`  paired ${spec.id}: failed: ${describeError(e)}`);
    } finally {
      cpuRunner?.dispose();
      wasmRunner?.dispose();
      reg.restore();
      await tf.setBackend('cpu');
    }
  }
}

/** Loads tfjs-backend-wasm from node_modules and makes it usable; returns its flags or why it failed. */
export async function setUpWasm(): Promise<{ ok: boolean; simd: boolean; threads: boolean; note?: string }> {
  try {
    // eslint-disable-next-line @typescript-eslint/no-var-requires
    const wasm = require('@tensorflow/tfjs-backend-wasm') as typeof import('@tensorflow/tfjs-backend-wasm');
    wasm.setWasmPaths(`${join(dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'dist')}/`);
    const ok = await tf.setBackend('wasm');
    if (!ok) return { ok: false, simd: false, threads: false, note: 'tf.setBackend("wasm") failed' };
    await tf.ready();
    const flags = { simd: tf.env().getBool('WASM_HAS_SIMD_SUPPORT'), threads: tf.env().getBool('WASM_HAS_MULTITHREAD_SUPPORT') };
    await tf.setBackend('cpu');
    return { ok: true, ...flags, note: flags.threads ? undefined : 'single-threaded in Node' };
  } catch (e) {
    return { ok: false, simd: false, threads: false, note: describeError(e) };
  }
}

/** @tensorflow/tfjs-node, when installed, registers the `tensorflow` backend; it is not installable on this machine. */
export function detectTfjsNode(): { present: boolean; note: string } {
  try {
    require.resolve('@tensorflow/tfjs-node');
  } catch {
    return { present: false, note: '@tensorflow/tfjs-node is not installed (it cannot be installed on this machine)' };
  }
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    require('@tensorflow/tfjs-node');
    if (!tf.findBackend('tensorflow') && !Object.keys(tf.engine().registryFactory).includes('tensorflow')) {
      return { present: false, note: '@tensorflow/tfjs-node loaded but registered no `tensorflow` backend with this tfjs-core' };
    }
    return { present: true, note: '@tensorflow/tfjs-node present' };
  } catch (e) {
    return { present: false, note: `@tensorflow/tfjs-node is installed but failed to load: ${describeError(e)}` };
  }
}
