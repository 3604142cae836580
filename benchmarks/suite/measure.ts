/**
 * Measuring one implementation of one case on the current tfjs backend,
 * shared by Node and the WebGL page (it takes tfjs as a parameter).
 */
import type * as tfTypes from '@tensorflow/tfjs-core';
import { makeRunner } from './ops';
import { now, RateBook, sampleCount, SamplingPlan, timeSamples } from './timing';
import type { Backend, CaseSpec, Impl, Measurement, MemoryMetrics, Stats } from './types';

type TF = typeof tfTypes;

export interface Outcome {
  measurement: Measurement;
  /** Output of the first call, for the correctness checks. */
  values?: Float32Array;
}

export interface MemoryProbe {
  /** Called with the first call's output alive. */
  withOutput(): MemoryMetrics;
  /** Called after the timed samples; merged by taking maxima. */
  afterTiming(m: MemoryMetrics): MemoryMetrics;
}

/** Errors that mean "this backend has no such kernel / option", as opposed to a failure. */
const UNSUPPORTED = /not registered|does not support|not supported|not yet supported|not implemented/i;

export function describeError(e: unknown): string {
  return (e instanceof Error ? e.message : String(e)).split('\n')[0].slice(0, 300);
}

/**
 * The ms of one call of `runner`, its result read back and disposed. `readBack` 'sync' (the webgl section)
 * waits with `dataSync()`: the call ends when the GPU is done. `await data()` on webgl polls a fence on
 * timers, which adds a delay of whole timer ticks that hides differences of a few ms between kernels.
 */
export async function timedCall(runner: { run(): tfTypes.Tensor }, readBack: 'await' | 'sync' = 'await'): Promise<number> {
  const t0 = now();
  const y = runner.run();
  if (readBack === 'sync') y.dataSync();
  else await y.data();
  const ms = now() - t0;
  y.dispose();
  return ms;
}

/** One warm call, then the ms of one timed call. */
async function timeOnce(tf: TF, spec: CaseSpec): Promise<number> {
  const runner = makeRunner(tf, spec);
  try {
    await timedCall(runner);
    return await timedCall(runner);
  } finally {
    runner.dispose();
  }
}

const effective = (s: CaseSpec) => s.effectiveWork ?? s.work;

/**
 * The estimated ms of one call of `spec` on the current backend and
 * implementation. The rates seen so far decide when they are clear-cut;
 * otherwise a big case is estimated from its two probes (the same layer at
 * batch 1 on a few output pixels, and on about four times as many): a line
 * through both, time = fixed cost + cost per in-image multiply-add, so the
 * per-call overhead that dominates a tiny call (kernel dispatch, texture
 * upload and read-back on webgl) is not scaled up with the work.
 */
export async function estimateMs(tf: TF, spec: CaseSpec, key: string, limitMs: number, rates: RateBook): Promise<number | undefined> {
  const known = rates.estimateMs(key, spec.work);
  if (known !== undefined && (known < limitMs / 4 || known > limitMs * 10)) return known;
  const [small, large] = spec.probes ?? [];
  if (!small) return known;
  try {
    const t1 = await timeOnce(tf, small);
    if (!large || effective(large) <= effective(small)) return (t1 * effective(spec)) / effective(small);
    const t2 = await timeOnce(tf, large);
    const perWork = (t2 - t1) / (effective(large) - effective(small));
    if (!(perWork > 0)) return (Math.max(t1, t2) * effective(spec)) / effective(large);
    // Timing noise can flatten the line; never trust it below a quarter of the large probe scaled up (no overhead).
    const proportional = (t2 * effective(spec)) / effective(large);
    return Math.max(t2, proportional / 4, t1 + perWork * (effective(spec) - effective(small)));
  } catch {
    return known; // the case itself will report what goes wrong
  }
}

export async function measureImpl(
  tf: TF, spec: CaseSpec, backend: Backend, impl: Impl, plan: SamplingPlan, rates: RateBook, probe: MemoryProbe,
): Promise<Outcome> {
  const base: Measurement = { caseId: spec.id, backend, impl, status: 'ok' };
  const key = `${backend}:${impl}:${spec.op}`;
  if (spec.params.kind !== 'train' && spec.params.kind !== 'net' && tf.getKernel(spec.op, backend) === undefined) {
    return { measurement: { ...base, status: 'n/a', note: `no ${spec.op} kernel on ${backend}` } };
  }
  const limitMs = impl === 'ours' ? plan.oursSkipAboveMs : plan.skipAboveMs;
  const estimate = spec.mustRun ? undefined : await estimateMs(tf, spec, key, limitMs, rates);
  if (estimate !== undefined && estimate > limitMs) {
    return {
      measurement: {
        ...base, status: 'skipped',
        note: `skipped: estimated ${(estimate / 1000).toFixed(1)} s per call (limit ${(limitMs / 1000).toFixed(0)} s)`,
      },
    };
  }
  const tensorsBefore = tf.memory().numTensors;
  let runner: ReturnType<typeof makeRunner> | undefined;
  try {
    runner = makeRunner(tf, spec);
    const r = runner;
    const t0 = now();
    const y = r.run();
    const values = (await y.data()) as Float32Array;
    const firstCallMs = now() - t0;
    let memory = probe.withOutput();
    y.dispose();
    let stats: Stats;
    if (firstCallMs > plan.firstCallOnlyAboveMs) {
      stats = { medianMs: firstCallMs, minMs: firstCallMs, maxMs: firstCallMs, madMs: 0, rmePct: 0, samples: 1, firstCallMs, firstCallOnly: true };
    } else {
      const samples = sampleCount(plan, firstCallMs);
      const warmup = firstCallMs < 100 ? Math.min(3, samples) : 0;
      stats = await timeSamples(async () => {
        const out = r.run();
        await out.data();
        out.dispose();
      }, samples, warmup, firstCallMs);
    }
    memory = probe.afterTiming(memory);
    rates.record(key, spec.work, stats.medianMs);
    r.dispose();
    runner = undefined;
    const leaked = tf.memory().numTensors - tensorsBefore;
    return {
      values,
      measurement: {
        ...base, stats, memory,
        gflops: spec.isFlops ? spec.work / stats.medianMs / 1e6 : undefined,
        note: leaked !== 0 ? `tensor count changed by ${leaked} over the case` : undefined,
      },
    };
  } catch (e) {
    try {
      runner?.dispose();
    } catch {
      // the error above is the one to report
    }
    const message = describeError(e);
    return { measurement: { ...base, status: UNSUPPORTED.test(message) ? 'n/a' : 'error', note: message } };
  }
}
