/**
 * WebGL section of `npm run bench`: our webgl kernels against tfjs's builtin
 * webgl kernels, both timed in the same headless Chromium page (Debian's
 * chromium, SwiftShader here), on SimpleConvNet's batch-100 shapes and one
 * larger convolution. Each timing is the median of `repeats` samples after
 * `warmup` runs (shader compiles happen in the warm-up). A sample ends when
 * the result has been read back (`await t.data()`), which waits for the GPU
 * work; kernels under a second run 3 times per sample (one read-back) so the
 * read-back is amortized.
 */
import type { BenchCase, BenchResult } from '../test/browser/page';
import { openSession } from '../test/browser/harness';

export interface WebglBenchResults extends Array<BenchResult> {
  renderer: string;
  vendor: string;
  webglVersion: number;
  float32Capable: boolean;
  warmup: number;
  repeats: number;
}

/** SimpleConvNet (batch 100, 28×28×1, conv 30@5×5, maxpool 2×2/2) and a larger 3×3 convolution. */
export function webglBenchCases(quick: boolean): BenchCase[] {
  const scn = 'SimpleConvNet b100';
  const cases: BenchCase[] = [
    { case: `${scn} conv 1→30 5x5`, kernel: 'Conv2D', xShape: [100, 28, 28, 1], filterShape: [5, 5, 1, 30], strides: [1, 1], pad: 'valid' },
    { case: `${scn} conv 1→30 5x5`, kernel: 'Conv2DBackpropFilter', xShape: [100, 28, 28, 1], filterShape: [5, 5, 1, 30], strides: [1, 1], pad: 'valid' },
    { case: `${scn} conv 1→30 5x5`, kernel: 'Conv2DBackpropInput', xShape: [100, 28, 28, 1], filterShape: [5, 5, 1, 30], strides: [1, 1], pad: 'valid' },
    { case: `${scn} maxpool 2x2/2`, kernel: 'MaxPool', xShape: [100, 24, 24, 30], filterSize: [2, 2], strides: [2, 2], pad: 'valid' },
    { case: `${scn} maxpool 2x2/2`, kernel: 'MaxPoolGrad', xShape: [100, 24, 24, 30], filterSize: [2, 2], strides: [2, 2], pad: 'valid' },
  ];
  // tfjs's builtin Conv2DBackpropFilter is one long draw call per weight texel loop; on a
  // software renderer much larger inputs run for tens of seconds and can trip Chromium's GPU watchdog.
  const big = quick ? [2, 14, 14, 32] : [4, 28, 28, 64];
  const bigName = `conv ${big.join('x')}→${big[3]} 3x3 same`;
  cases.push(
    { case: bigName, kernel: 'Conv2D', xShape: big, filterShape: [3, 3, big[3], big[3]], strides: [1, 1], pad: 'same' },
    { case: bigName, kernel: 'Conv2DBackpropFilter', xShape: big, filterShape: [3, 3, big[3], big[3]], strides: [1, 1], pad: 'same' },
    { case: bigName, kernel: 'Conv2DBackpropInput', xShape: big, filterShape: [3, 3, big[3], big[3]], strides: [1, 1], pad: 'same' },
  );
  return cases;
}

export async function runWebglBench(options: { quick?: boolean } = {}): Promise<WebglBenchResults> {
  const quick = options.quick ?? false;
  const warmup = quick ? 1 : 2;
  const repeats = quick ? 3 : 5;
  const session = await openSession();
  try {
    const rows: BenchResult[] = [];
    for (const c of webglBenchCases(quick)) {
      rows.push(await session.page.evaluate(([bc, w, r]) => (globalThis as any).harness.bench(bc, w, r),
        [c, warmup, repeats] as const) as BenchResult);
    }
    if (session.errors.length > 0) throw new Error(`webgl bench page errors: ${session.errors.join('; ')}`);
    const { renderer, vendor, webglVersion, float32Capable } = session.env;
    return Object.assign(rows, { renderer, vendor, webglVersion, float32Capable, warmup, repeats });
  } finally {
    await session.close();
  }
}

/** A printable table of the results, renderer first. */
export function formatWebglBench(results: WebglBenchResults): string {
  const lines = [
    `WebGL: ${results.renderer} (WebGL${results.webglVersion}, float32 textures: ${results.float32Capable}); ` +
    `median of ${results.repeats} samples after ${results.warmup} warm-up; ratio = builtin / ours (>1: ours faster)`,
  ];
  for (const r of results) {
    lines.push(`  ${r.case.padEnd(40)} ${r.kernel.padEnd(22)} ours ${r.oursMs.toFixed(1).padStart(8)} ms  ` +
      `builtin ${r.builtinMs.toFixed(1).padStart(8)} ms  ratio ${r.ratio.toFixed(2).padStart(6)}  max |Δ| ${r.maxAbsErr.toExponential(1)}`);
  }
  return lines.join('\n');
}
