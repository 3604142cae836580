/**
 * Timing shared by the Node runners and the WebGL page: one untimed first
 * call (warm-up, shader compilation, the output for the correctness check),
 * then tinybench samples whose count follows a time budget, so a 0.1 ms pool
 * gets dozens of samples and a 10 s builtin backprop gets one.
 */
import { Bench } from 'tinybench';
import type { Stats } from './types';

export interface SamplingPlan {
  /** Wall time to aim for per implementation and case, ms. */
  budgetMs: number;
  minSamples: number;
  maxSamples: number;
  /** A first call slower than this gets a single timed sample. */
  singleSampleAboveMs: number;
  /**
   * A first call slower than this is the only sample (on the Node backends
   * its warm-up share — first allocations — is small next to its length;
   * the webgl section raises it to 10 s, its first calls compile shaders).
   */
  firstCallOnlyAboveMs: number;
  /** A first call slower than this gets at most two timed samples. */
  twoSamplesAboveMs: number;
  /**
   * At least this many timed samples whatever the call's length (`--min-samples`; 0: none), except where the
   * first call is the only sample (firstCallOnlyAboveMs).
   */
  atLeast?: number;
  /** Skip an implementation whose estimated call time exceeds this (ms). */
  skipAboveMs: number;
  /** The same for our kernels (they are the subject: skipped only when hopeless). */
  oursSkipAboveMs: number;
}

export const FULL_PLAN: SamplingPlan = {
  budgetMs: 1500, minSamples: 3, maxSamples: 30, twoSamplesAboveMs: 1000, firstCallOnlyAboveMs: 8000, singleSampleAboveMs: 4000, skipAboveMs: 15_000, oursSkipAboveMs: 40_000,
};
export const QUICK_PLAN: SamplingPlan = {
  budgetMs: 150, minSamples: 2, maxSamples: 5, twoSamplesAboveMs: 300, firstCallOnlyAboveMs: 2000, singleSampleAboveMs: 500, skipAboveMs: 3_000, oursSkipAboveMs: 10_000,
};

export function sampleCount(plan: SamplingPlan, firstCallMs: number): number {
  return Math.max(plan.atLeast ?? 0, budgetedSamples(plan, firstCallMs));
}

function budgetedSamples(plan: SamplingPlan, firstCallMs: number): number {
  if (firstCallMs > plan.singleSampleAboveMs) return 1;
  if (firstCallMs > plan.twoSamplesAboveMs) return Math.min(2, plan.maxSamples);
  const wanted = Math.floor(plan.budgetMs / Math.max(firstCallMs, 1e-3));
  return Math.max(plan.minSamples, Math.min(plan.maxSamples, wanted));
}

/**
 * Times `fn` `samples` times (after `warmup` untimed calls) with tinybench and
 * returns median, spread and the first-call time the caller measured.
 */
export async function timeSamples(fn: () => Promise<void>, samples: number, warmup: number, firstCallMs: number): Promise<Stats> {
  const bench = new Bench({
    time: 0, iterations: samples, warmup: warmup > 0, warmupIterations: warmup, warmupTime: 0, throws: true,
  });
  bench.add('case', fn);
  await bench.run();
  const result = bench.tasks[0].result;
  if (result.state !== 'completed') throw new Error(`benchmark did not complete (${result.state})`);
  const l = result.latency;
  return {
    medianMs: l.p50, minMs: l.min, maxMs: l.max, madMs: l.mad, rmePct: Number.isFinite(l.rme) ? l.rme : 0,
    samples: l.samplesCount, firstCallMs,
  };
}

/**
 * Observed speed per (backend, implementation, op), used to estimate how long
 * an implementation would take on a bigger case before running it.
 */
export class RateBook {
  private readonly rates = new Map<string, number[]>();

  record(key: string, work: number, ms: number): void {
    if (!(ms > 0) || !(work > 0)) return;
    const list = this.rates.get(key) ?? [];
    list.push(work / ms);
    this.rates.set(key, list);
  }

  /** Estimated ms for `work`, from the median observed rate; undefined before any observation. */
  estimateMs(key: string, work: number): number | undefined {
    const list = this.rates.get(key);
    if (!list || list.length === 0) return undefined;
    const sorted = [...list].sort((a, b) => a - b);
    return work / sorted[Math.floor((sorted.length - 1) / 2)];
  }
}

export function now(): number {
  return typeof performance !== 'undefined' ? performance.now() : Date.now();
}
