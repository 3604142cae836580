/**
 * Whether ours is slower than the builtin, or only measured so: the WebGL page times the two in alternating
 * rounds (webgl_page.ts, interleave), so each round gives one paired ratio builtin ÷ ours under the same load.
 * Their geometric mean is the paired speedup; a percentile bootstrap over the rounds gives its confidence
 * interval. A case is slower beyond noise only when the whole interval lies below 1. (vega-statistics has a
 * bootstrap, but it is an ES module the Jest set-up cannot load, and it draws from a global random source; this
 * one is seeded, so a report reproduces from its own JSON.)
 */
import { mulberry32 } from '../../src/random';
import type { PairedSpeedup } from './types';

/** Bootstrap resamples: the interval's ends move by well under 1 % between seeds at this count. */
const RESAMPLES = 4000;
const SEED = 13;
export const CONFIDENCE = 0.95;

/** Fewer rounds give no interval: a bootstrap over 2–4 values has only a handful of distinct means. */
export const MIN_ROUNDS = 5;

/**
 * The paired speedup of rounds `builtinMs[i]` vs `oursMs[i]` (ms of one call each, timed in the same round).
 * Undefined with fewer than MIN_ROUNDS rounds or a round without a positive time.
 */
export function pairedSpeedup(builtinMs: number[], oursMs: number[]): PairedSpeedup | undefined {
  if (builtinMs.length !== oursMs.length) {
    throw new Error(`pairedSpeedup: ${builtinMs.length} builtin rounds against ${oursMs.length} of ours; they must pair up`);
  }
  const logRatios = builtinMs.map((b, i) => Math.log(b / oursMs[i]));
  if (logRatios.length < MIN_ROUNDS || !logRatios.every(Number.isFinite)) return undefined;
  const mean = logRatios.reduce((a, x) => a + x, 0) / logRatios.length;
  const [lo, hi] = bootstrapMeanInterval(logRatios);
  return { geomean: Math.exp(mean), lo: Math.exp(lo), hi: Math.exp(hi), rounds: logRatios.length, confidence: CONFIDENCE };
}

/** Percentile bootstrap interval of the mean of `xs` at CONFIDENCE, drawing from a seeded generator. */
function bootstrapMeanInterval(xs: number[]): [number, number] {
  const random = mulberry32(SEED);
  const means = new Float64Array(RESAMPLES);
  for (let r = 0; r < RESAMPLES; r++) {
    let sum = 0;
    for (let i = 0; i < xs.length; i++) sum += xs[Math.floor(random() * xs.length)];
    means[r] = sum / xs.length;
  }
  means.sort();
  const at = (q: number) => means[Math.min(RESAMPLES - 1, Math.max(0, Math.round(q * (RESAMPLES - 1))))];
  return [at((1 - CONFIDENCE) / 2), at((1 + CONFIDENCE) / 2)];
}

/** 'slower' when the whole interval lies below 1, 'faster' above, 'noise' when it holds 1. */
export function verdict(p: PairedSpeedup): 'slower' | 'noise' | 'faster' {
  return p.hi < 1 ? 'slower' : p.lo > 1 ? 'faster' : 'noise';
}

export function medianOf(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** The median of each round's calls (short calls are timed in blocks of several per round). */
export function roundMedians(calls: number[][]): number[] {
  return calls.map(medianOf);
}
