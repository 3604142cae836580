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
import { compare, makeRunner } from './ops';
import { describeError, estimateMs, measureImpl, MemoryProbe, Outcome } from './measure';
import { now, RateBook, SamplingPlan } from './timing';
import type { Backend, CaseResult, CaseSpec, Impl, Measurement } from './types';

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
