/**
 * The paired speedup the webgl section reports (benchmarks/suite/paired.ts) and the headline that sorts the
 * cases below 1× into handed over, slower beyond noise and within noise (benchmarks/report/summary.ts).
 * The interval is checked against the normal-theory interval of a large sample, computed here independently.
 */
import { CONFIDENCE, MIN_ROUNDS, pairedSpeedup, verdict } from '../benchmarks/suite/paired';
import { webglBelowOne } from '../benchmarks/report/summary';
import type { CaseResult, Measurement, PairedSpeedup } from '../benchmarks/suite/types';
import { mulberry32 } from '../src/random';

/** n draws of a normal N(mu, sigma²) (Box–Muller). */
function normals(n: number, mu: number, sigma: number, seed: number): number[] {
  const random = mulberry32(seed);
  return Array.from({ length: n }, () => mu + sigma * Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random()));
}

test('a constant ratio is the speedup, with an interval of zero width', () => {
  const p = pairedSpeedup([4, 6, 8, 10, 12], [2, 3, 4, 5, 6])!;
  expect(p.geomean).toBeCloseTo(2, 12);
  expect(p.lo).toBeCloseTo(2, 12);
  expect(p.hi).toBeCloseTo(2, 12);
  expect(p.rounds).toBe(5);
  expect(verdict(p)).toBe('faster');
});

test('the interval matches the normal-theory interval of the mean log ratio on a large sample', () => {
  // 400 rounds, log ratios ~ N(−0.05, 0.1²): ours about 5 % slower, with ±10 % noise per round.
  const logs = normals(400, -0.05, 0.1, 7);
  const p = pairedSpeedup(logs.map(Math.exp), logs.map(() => 1))!;
  const mean = logs.reduce((a, x) => a + x, 0) / logs.length;
  const sd = Math.sqrt(logs.reduce((a, x) => a + (x - mean) ** 2, 0) / (logs.length - 1));
  const half = 1.959964 * sd / Math.sqrt(logs.length);
  expect(CONFIDENCE).toBe(0.95);
  expect(Math.log(p.geomean)).toBeCloseTo(mean, 12);
  // The percentile bootstrap's ends agree with mean ± 1.96 sd/√n to within a tenth of the half-width.
  expect(Math.abs(Math.log(p.lo) - (mean - half))).toBeLessThan(half / 10);
  expect(Math.abs(Math.log(p.hi) - (mean + half))).toBeLessThan(half / 10);
  expect(verdict(p)).toBe('slower');
});

test('a few noisy rounds around 1× are noise; rounds that are all slower are slower', () => {
  expect(verdict(pairedSpeedup([10, 9.5, 10.4, 9.8, 10.2], [10, 10, 10, 10, 10])!)).toBe('noise');
  expect(verdict(pairedSpeedup([9.0, 9.2, 8.9, 9.1, 9.3], [10, 10, 10, 10, 10])!)).toBe('slower');
});

test('bad rounds: unequal counts are refused by name; fewer than MIN_ROUNDS rounds or a zero time give no interval', () => {
  expect(() => pairedSpeedup([1, 2], [1])).toThrow(/pairedSpeedup: 2 builtin rounds against 1/);
  expect(MIN_ROUNDS).toBe(5);
  expect(pairedSpeedup([1, 1, 1, 1], [1, 1, 1, 1])).toBeUndefined();
  expect(pairedSpeedup([1, 1, 1, 1, 1], [1, 1, 1, 1, 1])).toBeDefined();
  expect(pairedSpeedup([1, 1, 1, 1, 0], [1, 1, 1, 1, 1])).toBeUndefined();
});

function webglCase(id: string, builtinMs: number, oursMs: number, extra: Partial<Measurement> = {}): CaseResult {
  const stats = (medianMs: number) => ({ medianMs, minMs: medianMs, maxMs: medianMs, madMs: 0, rmePct: 0, samples: 8, firstCallMs: medianMs });
  return {
    spec: { id, net: 'n', layer: 'l', batch: 1, op: 'MaxPool', detail: '', work: 1, isFlops: false, seed: 0, params: { kind: 'train', net: 'LeNet', batch: 1, learningRate: 0.1 } },
    measurements: [
      { caseId: id, backend: 'webgl', impl: 'builtin', status: 'ok', stats: stats(builtinMs) },
      { caseId: id, backend: 'webgl', impl: 'ours', status: 'ok', stats: stats(oursMs), ...extra },
    ],
  };
}

test('the headline sorts the cases below 1× into handed over, slower beyond noise and within noise, then gives the handed calls\' spread', () => {
  const interval = (geomean: number, lo: number, hi: number): PairedSpeedup => ({ geomean, lo, hi, rounds: 8, confidence: 0.95 });
  const lines = webglBelowOne([
    webglCase('fast', 2, 1, { paired: interval(2, 1.9, 2.1) }),
    webglCase('handed, above 1', 1.04, 1, { handedToBuiltin: true, paired: interval(1.04, 0.99, 1.09) }),
    webglCase('handed', 1, 1.05, { handedToBuiltin: true, paired: interval(0.95, 0.9, 1.01) }),
    webglCase('slow', 1, 1.2, { paired: interval(0.83, 0.8, 0.86) }),
    webglCase('noisy', 1, 1.03, { paired: interval(0.98, 0.93, 1.04) }),
  ]);
  expect(lines).toEqual([
    'webgl: 3 of 5 cases below 1.0× by medians; 1 of them handed to the builtin (the same programs ran)',
    'webgl: ours slower beyond noise (paired 95 % interval below 1×, or no interval): slow 0.83× [0.80–0.86] n8',
    'webgl: ours below 1.0× by medians, within noise (the 95 % interval holds 1×): noisy 0.98× [0.93–1.04] n8',
    'webgl: the 2 calls handed to the builtin (equal work on both sides) measured 0.95–1.04× paired (geometric mean 0.99×)',
  ]);
  expect(webglBelowOne([webglCase('fast', 2, 1)])).toEqual(['webgl: no case below 1.0× (1 timed)']);
});
