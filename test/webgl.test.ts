/**
 * Our webgl kernels in a real browser: headless Debian Chromium (SwiftShader
 * WebGL2) driven by playwright-core, loading tfjs's script-tag bundles and
 * our IIFE `tfjs-im2col.min.js` (see test/browser/harness.ts).
 *
 * References, all in the same page on the same inputs:
 *  - tfjs's builtin webgl kernels,
 *  - tfjs's builtin cpu kernels,
 *  - our cpu kernels (the reference where our semantics differ on purpose:
 *    MaxPoolGrad ties — builtin webgl picks the last maximum, we the first —
 *    and AvgPoolGrad over padding — the builtins divide by filterH·filterW).
 *
 * Random sweep (fast-check, fixed seeds): CONV_CASES convolutions (Conv2D,
 * FusedConv2D, and for dilation 1 both backprops) and POOL_CASES poolings
 * (MaxPool, MaxPoolGrad, AvgPool, AvgPoolGrad), plus tf.grad through a small
 * network in NHWC and NCHW. Errors are max |ours − ref| / max |ref|.
 */
import { backend_util } from '@tensorflow/tfjs-core';
import * as fc from 'fast-check';
import type {
  Comparison, ConvCase, EnvInfo, KernelCall, LeakReport, MnistResult, PackedUploadReport, PoolCase, StepCase, SumCase, TiledGemmRun,
  TilingRun,
} from './browser/page';
import { fusedActivationArb, fusedBiasArb, padArb } from './helpers/cases';
import { BrowserSession, callOn, openSession } from './browser/harness';
import { MAX_VARIANTS } from '../kernels/webgl/programs/variants';

const CONV_CASES = 48;
const POOL_CASES = 40;
/** float32 on both sides; sums here have at most a few thousand terms. */
const TOLERANCE = 1e-4;

let session: BrowserSession;
const otherSessions: BrowserSession[] = [];
let env: EnvInfo;

async function call<T>(fn: string, ...args: unknown[]): Promise<T> {
  return callOn<T>(session, fn, ...args);
}

beforeAll(async () => {
  session = await openSession();
  env = session.env;
  // The renderer goes into the test output.
  console.log(`WebGL renderer: ${env.renderer} (vendor ${env.vendor}), WebGL${env.webglVersion}, ` +
    `float32 render targets: ${env.float32Capable}, tfjs ${env.tfjsVersion}, library bundle: ${session.librarySource}`);
}, 120_000);

afterAll(async () => {
  await session?.close();
  for (const s of otherSessions) await s.close();
});

afterEach(async () => {
  expect(session.errors).toEqual([]);
  expect(await call<boolean>('contextLost')).toBe(false);
});

test('runs on WebGL2 with float32 textures, names the renderer, and has gradients', () => {
  expect(env.webglVersion).toBe(2);
  expect(env.float32Capable).toBe(true);
  expect(env.renderer.length).toBeGreaterThan(0);
  expect(env.renderer).toMatch(/SwiftShader/i);
  expect(env.hasGradients).toBe(true);
});

test("zero-size tensors, int32 and dy shapes im2col does not describe: the builtin's answer", async () => {
  const results = await call<Array<{ name: string; builtin: unknown; ours: unknown }>>('builtinOnlyCases');
  expect(results.length).toBeGreaterThan(10);
  // Same outputs or the same error, and the same tensor count afterwards.
  for (const r of results) expect([r.name, r.ours]).toEqual([r.name, r.builtin]);
});

const pair = (max: number) => fc.tuple(fc.integer({ min: 1, max }), fc.integer({ min: 1, max }));

const roundingArb = fc.constantFrom(undefined, 'floor' as const, 'round' as const, 'ceil' as const);

const convCaseArb: fc.Arbitrary<ConvCase> = fc.constantFrom('NHWC' as const, 'NCHW' as const).chain((dataFormat) =>
  fc.record({
    batch: fc.integer({ min: 1, max: 3 }),
    inH: fc.integer({ min: 1, max: 12 }),
    inW: fc.integer({ min: 1, max: 12 }),
    inC: fc.integer({ min: 1, max: 5 }),
    outC: fc.integer({ min: 1, max: 6 }),
    filterH: fc.integer({ min: 1, max: 4 }),
    filterW: fc.integer({ min: 1, max: 4 }),
    strides: pair(3),
    dilations: fc.oneof(fc.constant([1, 1] as [number, number]), pair(2)),
    pad: padArb(dataFormat, 2),
    dataFormat: fc.constant(dataFormat),
    dimRoundingMode: roundingArb,
    activation: fusedActivationArb,
    bias: fusedBiasArb,
    seed: fc.integer({ min: 1, max: 2 ** 30 }),
  }));

/** tfjs's own geometry decides whether a case is valid (non-empty, integral output). */
function validConv(c: ConvCase): boolean {
  if (c.dimRoundingMode !== undefined && typeof c.pad !== 'number') return false;
  try {
    const xShape: [number, number, number, number] = c.dataFormat === 'NHWC'
      ? [c.batch, c.inH, c.inW, c.inC] : [c.batch, c.inC, c.inH, c.inW];
    const info = backend_util.computeConv2DInfo(xShape, [c.filterH, c.filterW, c.inC, c.outC], c.strides,
      c.dilations, c.pad as backend_util.ExplicitPadding, c.dimRoundingMode, false,
      c.dataFormat === 'NHWC' ? 'channelsLast' : 'channelsFirst');
    return info.outHeight > 0 && info.outWidth > 0;
  } catch {
    return false;
  }
}

const poolCaseArb: fc.Arbitrary<PoolCase> = fc.record({
  batch: fc.integer({ min: 1, max: 2 }),
  inH: fc.integer({ min: 1, max: 11 }),
  inW: fc.integer({ min: 1, max: 11 }),
  channels: fc.integer({ min: 1, max: 4 }),
  filterH: fc.integer({ min: 1, max: 4 }),
  filterW: fc.integer({ min: 1, max: 4 }),
  strides: pair(3),
  pad: padArb('NHWC', 2),
  dimRoundingMode: roundingArb,
  ties: fc.boolean(),
  seed: fc.integer({ min: 1, max: 2 ** 30 }),
});

function validPool(c: PoolCase): boolean {
  if (c.dimRoundingMode !== undefined && typeof c.pad !== 'number') return false;
  try {
    const info = backend_util.computePool2DInfo([c.batch, c.inH, c.inW, c.channels], [c.filterH, c.filterW],
      c.strides, 1, c.pad as backend_util.ExplicitPadding, c.dimRoundingMode);
    return info.outHeight > 0 && info.outWidth > 0;
  } catch {
    return false;
  }
}

function sampleValid<T>(arb: fc.Arbitrary<T>, valid: (t: T) => boolean, n: number, seed: number): T[] {
  return fc.sample(arb.filter(valid), { numRuns: n, seed });
}

interface Worst { kernel: string; ref: string; err: number; maxAbsVsCPU: number; testCase: unknown }

/** Checks every comparison against the tolerance; returns the worst one per kernel. */
function checkComparisons(results: Array<{ testCase: unknown; cmp: Record<string, Comparison> }>, tolerance = TOLERANCE):
  Map<string, Worst> {
  const worst = new Map<string, Worst>();
  const failures: string[] = [];
  for (const { testCase, cmp } of results) {
    for (const [kernel, c] of Object.entries(cmp)) {
      if (c.errors.oursGL || c.errors.oursCPU) failures.push(`${kernel}: ${JSON.stringify(c.errors)} for ${JSON.stringify(testCase)}`);
      for (const ref of ['vsBuiltinGL', 'vsOursCPU', 'vsBuiltinCPU'] as const) {
        const err = c[ref];
        if (err === null) continue;
        if (!(err <= tolerance)) failures.push(`${kernel} ${ref} error ${err} for ${JSON.stringify(testCase)}`);
        const w = worst.get(kernel);
        if (!w || err > w.err) worst.set(kernel, { kernel, ref, err, maxAbsVsCPU: w?.maxAbsVsCPU ?? 0, testCase });
      }
      const w = worst.get(kernel);
      if (w && c.maxAbsErrVsCPU !== null) w.maxAbsVsCPU = Math.max(w.maxAbsVsCPU, c.maxAbsErrVsCPU);
    }
  }
  expect(failures).toEqual([]);
  return worst;
}

function logWorst(title: string, worst: Map<string, Worst>): void {
  const lines = [...worst.values()].map((w) => `  ${w.kernel}: largest relative error ${w.err.toExponential(2)} ` +
    `(${w.ref}); largest absolute error vs our cpu ${w.maxAbsVsCPU.toExponential(2)}`);
  console.log(`${title}\n${lines.join('\n')}`);
}

test(`random parity sweep: ${CONV_CASES} convolutions, ours on webgl vs builtin webgl, builtin cpu and our cpu`, async () => {
  const cases = sampleValid(convCaseArb, validConv, CONV_CASES, 20261127);
  const results = [];
  for (const testCase of cases) results.push({ testCase, cmp: await call<Record<string, Comparison>>('runConvCase', testCase) });
  const worst = checkComparisons(results);
  // Each kernel was compared with every reference at least once.
  for (const k of ['Conv2D', 'FusedConv2D', 'Conv2DBackpropInput', 'Conv2DBackpropFilter']) expect(worst.has(k)).toBe(true);
  const builtinCompared = results.filter((r) => r.cmp.Conv2D.vsBuiltinGL !== null).length;
  expect(builtinCompared).toBeGreaterThan(CONV_CASES / 2);
  logWorst(`conv sweep: ${cases.length} cases (${cases.filter((c) => c.dataFormat === 'NCHW').length} NCHW)`, worst);
}, 300_000);

test(`random parity sweep: ${POOL_CASES} poolings with ties, MaxPoolGrad on the first maximum`, async () => {
  const cases = sampleValid(poolCaseArb, validPool, POOL_CASES, 4242);
  const results = [];
  for (const testCase of cases) results.push({ testCase, cmp: await call<Record<string, Comparison>>('runPoolCase', testCase) });
  // Again with x and dy packed: MaxPool's packed program, and MaxPoolGrad's for disjoint windows.
  expect(cases.filter((c) => c.strides[0] >= c.filterH && c.strides[1] >= c.filterW).length).toBeGreaterThan(5);
  for (const c of cases) {
    const testCase = { ...c, packed: true };
    results.push({ testCase, cmp: await call<Record<string, Comparison>>('runPoolCase', testCase) });
  }
  const worst = checkComparisons(results);
  for (const k of ['MaxPool', 'MaxPoolGrad', 'AvgPool', 'AvgPoolGrad']) expect(worst.has(k)).toBe(true);
  // Those calls ran the packed programs alone (a 2×2/2 pool of 7 columns: an odd last texel), no (un)packing.
  const packedRun = await call<{ programs: string[]; packed: boolean }>('packedPoolPrograms', [2, 6, 7, 3], [2, 2], [2, 2]);
  expect({ packed: packedRun.packed, programs: packedRun.programs.map((p) => p.replace(/ #\d+$/, '')) }).toEqual({
    packed: true, programs: ['[x] -> [2,3,3,3]', '[dy,x] -> [2,6,7,3]', '[x] -> [2,3,3,3]', '[dy] -> [2,6,7,3]'],
  });
  // The deliberate differences are really exercised: on some tie cases the builtin webgl MaxPoolGrad
  // (last maximum) disagrees with ours, and on some padded cases the builtin AvgPoolGrad does.
  expect(results.some((r) => (r.testCase as PoolCase).ties && (r.cmp.MaxPoolGrad.rawVsBuiltinGL ?? 0) > 0.01)).toBe(true);
  expect(results.some((r) => (r.cmp.AvgPoolGrad.rawVsBuiltinGL ?? 0) > 0.01)).toBe(true);
  // Where there are no ties the builtin webgl MaxPoolGrad is a reference too.
  expect(results.some((r) => r.cmp.MaxPoolGrad.vsBuiltinGL !== null)).toBe(true);
  logWorst(`pool sweep: ${cases.length} cases (${cases.filter((c) => c.ties).length} with ties)`, worst);
}, 300_000);

test('tf.grad through conv, relu, maxPool and avgPool matches the builtins (NHWC and NCHW)', async () => {
  for (const dataFormat of ['NHWC', 'NCHW']) {
    const cmp = await call<Record<string, Comparison>>('runGradCase', 7, dataFormat);
    checkComparisons([{ testCase: dataFormat, cmp }]);
    for (const c of Object.values(cmp)) {
      expect(c.vsOursCPU).not.toBeNull();
      expect(c.vsBuiltinCPU).not.toBeNull();
      expect(c.vsBuiltinGL).not.toBeNull();
      expect(c.scale).toBeGreaterThan(0);
    }
  }
}, 120_000);

test('tiled GEMMs (4 or 8 render targets, squarer textures) agree with the references at every edge, as does the one-texel GEMM, also where the driver refuses the targets', async () => {
  const base: ConvCase = {
    batch: 3, inH: 7, inW: 5, inC: 3, outC: 5, filterH: 3, filterW: 3, strides: [1, 1], dilations: [1, 1], pad: 'same',
    dataFormat: 'NHWC', activation: 'relu', bias: 'channel', seed: 1,
  };
  const cases: ConvCase[] = [
    // Odd everything: rows per image (outW 5), inner size (K = 27; dx: outC = 5), output columns (5).
    base,
    // NCHW with prelu: the GEMM in NHWC, then the transpose with the epilogue.
    { ...base, dataFormat: 'NCHW', activation: 'prelu', bias: 'full', seed: 2 },
    // Strided and padded; K = 45 (⌈K/2⌉ = 23 pairs: the last tile of each split is partly past the edge). The
    // filter is an op's output: its texture's layout (inC 5 odd) is not the GEMM's, so it is packed anew.
    {
      ...base, batch: 4, inH: 9, inW: 9, inC: 5, outC: 7, strides: [2, 2], pad: 1, activation: 'leakyrelu', seed: 3,
      filterFromOp: true,
    },
    // 1,024 output row pairs, 2 column pairs: the targets [512, 2] (and im2col's [2048, 9]) exceed 128 texels
    // and are laid out squarer in that configuration.
    { ...base, batch: 8, inH: 16, inW: 16, inC: 1, outC: 4, activation: 'linear', bias: 'none', seed: 4 },
    // One output column pair, K even (inC 2): dW's texels are the filter's.
    { ...base, batch: 2, inH: 6, inW: 6, inC: 2, outC: 2, filterH: 2, filterW: 2, pad: 'valid', seed: 5 },
    // 1×1: the GEMM reads x itself, uploaded unpacked, so it is packed on the way in.
    { ...base, batch: 2, inH: 5, inW: 7, inC: 6, outC: 5, filterH: 1, filterW: 1, pad: 'valid', seed: 6 },
    // One window covering each image (LeNet's C5): dW reduces over the images as rows of x itself, 5 of them
    // (the last texel's second row past the edge).
    { ...base, batch: 5, inH: 3, inW: 3, inC: 4, outC: 6, pad: 'valid', seed: 7 },
  ];
  const runs = await call<TiledGemmRun[]>('tiledGemmCheck', cases);
  expect(runs).toHaveLength(5 * cases.length);
  const worst = checkComparisons(runs.map((r) => ({ testCase: { config: r.config, ...r.testCase }, cmp: r.cmp })));
  for (const r of runs) {
    for (const c of Object.values(r.cmp)) {
      expect(c.vsBuiltinGL).not.toBeNull();
      expect(c.vsBuiltinCPU).not.toBeNull();
    }
    // Each configuration ran the programs it names: forward and dx GEMMs, dW's reduction.
    // An incomplete framebuffer (probed once per context and draw-buffer limit) leaves the one-texel programs.
    const expected = r.config.startsWith('one texel') || r.config.includes('incomplete') ? [] : r.config.startsWith('4')
      ? ['GemmReduceTiles2x2', 'GemmTiles2x2nn', 'GemmTiles2x2nt'] : ['GemmReduceTiles4x2', 'GemmTiles4x2nn', 'GemmTiles4x2nt'];
    expect({ config: r.config, seed: r.testCase.seed, programs: r.multiTarget })
      .toEqual({ config: r.config, seed: r.testCase.seed, programs: expected });
  }
  // The 128-texel configuration did lay some targets out squarer (the others never).
  expect(runs.filter((r) => r.squarerTarget).map((r) => r.config))
    .toEqual(expect.arrayContaining(['8 targets, textures at most 128 texels wide']));
  expect(runs.some((r) => r.squarerTarget && !r.config.includes('128'))).toBe(false);
  logWorst(`tiled GEMMs: ${cases.length} cases × 5 configurations`, worst);
  // A value the flag does not know is refused, naming the kernel, the flag and the value.
  const refused = await session.page.evaluate(async () => {
    const g = globalThis as any;
    await g.harness.useImpl('oursGL');
    g.tf.env().set(g.tfjsIm2col.TILED_GEMM_FLAG, 'sometimes');
    const x = g.tf.ones([1, 4, 4, 8]);
    const f = g.tf.ones([3, 3, 8, 8]);
    try {
      g.tf.conv2d(x, f, 1, 'same').dispose();
      return 'no error';
    } catch (e) {
      return String((e as Error).message);
    } finally {
      g.tf.env().set(g.tfjsIm2col.TILED_GEMM_FLAG, 'measured');
      g.tf.dispose([x, f]);
    }
  });
  expect(refused).toMatch(/^Conv2D: the tfjs flag IM2COL_WEBGL_TILED_GEMM is "sometimes"; expected 'measured', 'always' or 'never'/);
}, 300_000);

test("the default 'measured' tiling takes the measured classes only: large forward GEMMs, outC ≥ 64 for dx, large dW", async () => {
  const conv = (batch: number, inC: number, outC: number, seed: number): ConvCase => ({
    batch, inH: 8, inW: 8, inC, outC, filterH: 3, filterW: 3, strides: [1, 1], dilations: [1, 1], pad: 'same',
    dataFormat: 'NHWC', activation: 'linear', bias: 'none', seed,
  });
  const expectations: Array<[ConvCase, string[]]> = [
    // K 72, outC 64, 1,179,648 multiply-adds: all three tile.
    [conv(4, 8, 64, 1), ['GemmReduceTiles4x2', 'GemmTiles4x2nn', 'GemmTiles4x2nt']],
    // The same with outC 32 (589,824): none does.
    [conv(4, 8, 32, 2), []],
    // K 18 (forward below 64), outC 64 (dx tiles), 589,824 (dW below 800,000).
    [conv(8, 2, 64, 3), ['GemmTiles4x2nt']],
    // DeepConvNet conv5 at batch 1: K 288, 1,179,648, but only 1,024 output texels: dx and dW tile, forward does not.
    [conv(1, 32, 64, 4), ['GemmReduceTiles4x2', 'GemmTiles4x2nt']],
    // conv6: the same 1,024 output texels with K 576: the forward tiles too.
    [conv(1, 64, 64, 5), ['GemmReduceTiles4x2', 'GemmTiles4x2nn', 'GemmTiles4x2nt']],
  ];
  for (const [testCase, programs] of expectations) {
    const r = await call<TilingRun>('runConvCaseTiling', testCase, 'measured');
    checkComparisons([{ testCase, cmp: r.cmp }]);
    expect({ seed: testCase.seed, programs: r.multiTarget }).toEqual({ seed: testCase.seed, programs });
  }
}, 120_000);

test('a filter gradient packs an unpacked dy in one pass, and reads x itself where each image is its one window', async () => {
  const dW = (xShape: number[], dyShape: number[], filterShape: number[]): KernelCall => ({
    kernel: 'Conv2DBackpropFilter', inputs: { x: xShape, dy: dyShape },
    attrs: { filterShape, strides: [1, 1], pad: 'valid', dataFormat: 'NHWC' },
  });
  // SimpleConvNet conv1 at batch 4 (tiled): dy, uploaded unpacked, is packed as the GEMM's [N·outH, outW, outC]
  // operand by one program (it was packed, then copied).
  const tiled = await call<{ ours: string[] }>('programsOf', dW([4, 28, 28, 1], [4, 24, 24, 30], [5, 5, 1, 30]), false);
  expect(tiled.ours).toContain('GemmReduceTiles4x2');
  expect(tiled.ours.filter((p) => p.includes('-> [96,24,30]'))).toHaveLength(1);
  // LeNet C5 at batch 8: no im2col program (its output would be [8,1,1,400]); x and dy are read as [1, 8, ·].
  const c5 = await call<{ ours: string[] }>('programsOf', dW([8, 5, 5, 16], [8, 1, 1, 120], [5, 5, 16, 120]), false);
  expect(c5.ours.filter((p) => p.includes('-> [8,1,1,400]'))).toEqual([]);
  expect(c5.ours.filter((p) => p.includes('-> [1,8,400]'))).toHaveLength(1);
}, 120_000);

test('Sum over leading axes (bias gradients) agrees with the builtins; other axes and dtypes are the builtin\'s', async () => {
  const cases: SumCase[] = [
    // SimpleConvNet's conv1 bias gradient at batch 3 (rows 1,728: two passes), dy packed as the op before left it.
    { shape: [3, 24, 24, 30], axis: [0, 1, 2], keepDims: false, packed: true, seed: 1 },
    // Odd everything: rows 5·7·3 = 105 (the last pair half past the edge), 5 columns, unpacked x, keepDims.
    { shape: [5, 7, 3, 5], axis: [0, 1, 2], keepDims: true, packed: false, seed: 2 },
    // A dense layer's bias gradient; one row; every axis (a scalar); a packed x whose rows (7) are odd.
    { shape: [100, 10], axis: 0, keepDims: false, packed: true, seed: 3 },
    { shape: [1, 6], axis: 0, keepDims: false, packed: false, seed: 4 },
    { shape: [9, 4, 3], axis: [0, 1, 2], keepDims: false, packed: false, seed: 5 },
    { shape: [2, 7, 7, 3], axis: [0, 1, 2], keepDims: false, packed: true, seed: 6 },
    // Handed to the builtin: the last axis, axes out of order (other dtypes, size 0 and no axes: builtin_cases.ts).
    { shape: [4, 6], axis: 1, keepDims: false, packed: false, seed: 7 },
    { shape: [4, 6, 2], axis: [1, 0], keepDims: false, packed: false, seed: 8 },
  ];
  const results: Array<{ testCase: SumCase; cmp: Record<string, Comparison> }> = [];
  for (const testCase of cases) {
    const r = await call<{ cmp: Record<string, Comparison>; xPacked: boolean }>('runSumCase', testCase);
    expect({ seed: testCase.seed, xPacked: r.xPacked }).toEqual({ seed: testCase.seed, xPacked: testCase.packed });
    results.push({ testCase, cmp: r.cmp });
  }
  logWorst(`Sum: ${cases.length} cases`, checkComparisons(results));
  // The conv bias gradient runs our two passes (tfjs packs the uploaded x inside the first), not tfjs's transpose.
  const bias: KernelCall = { kernel: 'Sum', inputs: { x: [3, 24, 24, 30] }, attrs: { axis: [0, 1, 2], keepDims: false } };
  const r = await call<{ builtin: string[]; ours: string[]; sameValues: boolean }>('programsOf', bias, false);
  expect(r.ours.map((p) => p.replace(/ #\d+$/, ''))).toEqual(['[X] -> [42,30]', '[A] -> [1,1728,30]', '[X] -> [1,30]']);
  expect(r.builtin.length).toBeGreaterThan(3);
  // The last axis: exactly the builtin's programs.
  for (const c of [{ ...bias, attrs: { axis: 3, keepDims: false } }]) {
    const h = await call<{ builtin: string[]; ours: string[]; sameValues: boolean }>('programsOf', c, false);
    expect({ ours: h.ours, same: h.sameValues }).toEqual({ ours: h.builtin, same: true });
  }
}, 120_000);

test('Step (ReLU\'s gradient mask) on a packed x: one packed pass, exactly the builtins\' values', async () => {
  const cases: StepCase[] = [
    // SimpleConvNet's conv1 output at batch 2; odd sizes (a half-filled last texel column and row); a vector;
    // a scalar; tfjs's other alphas (abs's gradient uses −1).
    { shape: [2, 24, 24, 30], alpha: 0, seed: 1 },
    { shape: [3, 5, 7, 3], alpha: 0, seed: 2 },
    { shape: [9], alpha: 0.25, seed: 3 },
    { shape: [], alpha: 0, seed: 4 },
    { shape: [5, 11], alpha: -1, seed: 5 },
    // Ranks 5 and 6 (tfjs's N-D packed coordinates).
    { shape: [2, 3, 4, 5, 3], alpha: 0, seed: 6 },
    { shape: [1, 2, 3, 2, 3, 5], alpha: 0, seed: 7 },
  ];
  for (const c of cases) {
    const r = await call<{ cmp: Record<string, Comparison>; xPacked: boolean }>('runStepCase', c);
    const { vsBuiltinGL, vsBuiltinCPU, vsOursCPU, errors } = r.cmp.Step;
    expect({ c, xPacked: r.xPacked, vsBuiltinGL, vsBuiltinCPU, vsOursCPU, errors })
      .toEqual({ c, xPacked: true, vsBuiltinGL: 0, vsBuiltinCPU: 0, vsOursCPU: 0, errors: {} });
  }
  // The builtin unpacks x first (its Step program is unpacked); ours reads the packed texels: one program.
  const step: KernelCall = { kernel: 'Step', inputs: { x: [2, 24, 24, 30] }, attrs: { alpha: 0 } };
  const runs = await call<{ builtin: string[]; ours: string[]; sameValues: boolean }>('programsOf', step, false, true);
  expect(runs.ours.map((p) => p.replace(/ #\d+$/, ''))).toEqual(['[A] -> [2,24,24,30]']);
  expect(runs.builtin.length).toBeGreaterThan(1);
  expect(runs.sameValues).toBe(true);
}, 120_000);

test('a CPU-made filter and dy are uploaded packed once: later calls pack nothing, and the tensors keep their values for every op', async () => {
  const r = await call<PackedUploadReport>('packedUploadCheck');
  // im2col + GEMM, and GEMM + col2im: no packing pass for the filter or dy.
  expect(r.secondCallPrograms).toEqual({ forward: 2, dx: 2 });
  expect(r.filterReadsBack).toBe(true);
  expect(r.maxDiffVsCpu).toBeLessThan(1e-5);
}, 120_000);

test('shape classes left to the builtin run exactly its programs (unless the flag turns that off); a call just outside, or a pool of a packed input, runs ours', async () => {
  const conv = (x: number[], f: number[], pad: string | number) =>
    ({ kernel: 'Conv2D', inputs: { x, filter: f }, attrs: { strides: [1, 1], pad, dataFormat: 'NHWC', dilations: [1, 1] } });
  const dW = (x: number[], dy: number[], filterShape: number[]) =>
    ({ kernel: 'Conv2DBackpropFilter', inputs: { x, dy }, attrs: { filterShape, strides: [1, 1], pad: 'valid', dataFormat: 'NHWC' } });
  const pool = (x: number[], pad: string) =>
    ({ kernel: 'MaxPool', inputs: { x }, attrs: { filterSize: [3, 3], strides: [2, 2], pad } });
  const handedOver = [
    conv([1, 28, 28, 1], [3, 3, 1, 16], 'same'), // DeepConvNet b1 conv1: < 131,072 multiply-adds, windows of 9 values
    dW([1, 32, 32, 1], [1, 28, 28, 6], [5, 5, 1, 6]), // LeNet b1 C1's filter gradient: 117,600 multiply-adds
    conv([8, 5, 5, 16], [5, 5, 16, 120], 'valid'), // LeNet C5: one output pixel per image
    conv([1, 8, 8, 32], [3, 3, 32, 64], 'same'), // DeepConvNet b1 conv5: 64 output pixels, windows of 288 values
    pool([2, 28, 28, 8], 'same'), // max pooling whose windows reach into padding, none wholly
    { kernel: 'MaxPool', inputs: { x: [1, 28, 28, 16] }, attrs: { filterSize: [2, 2], strides: [2, 2], pad: 'valid' } }, // 12,544 values
    { kernel: 'AvgPool', inputs: { x: [8, 10, 10, 16] }, attrs: { filterSize: [2, 2], strides: [2, 2], pad: 'valid' } }, // LeNet S4 b8: 12,800 values
  ];
  // The classes were measured on unpacked inputs; a packed operand (a convolution's output), which our pools read
  // as it is, stays ours.
  const oursWhenPacked: KernelCall[] = [
    ...handedOver.slice(-2),
    { kernel: 'MaxPoolGrad', inputs: { dy: [1, 14, 14, 16], input: [1, 28, 28, 16], output: [1, 14, 14, 16] }, attrs: { filterSize: [2, 2], strides: [2, 2], pad: 'valid' } },
  ];
  const ours = [
    conv([1, 32, 32, 1], [5, 5, 1, 6], 'valid'), // LeNet b1 C1: windows of 25 values
    conv([1, 8, 8, 64], [3, 3, 64, 64], 'same'), // DeepConvNet b1 conv6: 64 output pixels, but windows of 576 values
    conv([2, 8, 8, 32], [3, 3, 32, 64], 'same'), // DeepConvNet conv5 at batch 2: 128 output pixels
    dW([1, 14, 14, 6], [1, 10, 10, 16], [5, 5, 6, 16]), // LeNet b1 C3's filter gradient: 240,000 multiply-adds
    pool([2, 27, 27, 8], 'valid'), // overlapping 3×3/2 windows inside the input (AlexNet's pools)
    { kernel: 'MaxPool', inputs: { x: [8, 8, 8, 64] }, attrs: { filterSize: [2, 2], strides: [2, 2], pad: 'valid' } }, // 32,768 values
    // LeNet S4's gradient at batch 8 (disjoint windows): ours since its one-read program (builtin_classes.ts).
    { kernel: 'AvgPoolGrad', inputs: { dy: [8, 5, 5, 16], input: [8, 10, 10, 16] }, attrs: { filterSize: [2, 2], strides: [2, 2], pad: 'valid' } },
    // Padding 3 around 3×3 windows: the corner windows hold only padding, where ours writes −Infinity.
    { kernel: 'MaxPool', inputs: { x: [1, 5, 5, 2] }, attrs: { filterSize: [3, 3], strides: [1, 1], pad: 3 } },
  ];
  for (const c of handedOver) {
    const r = await call<{ builtin: string[]; ours: string[]; sameValues: boolean }>('programsOf', c);
    expect({ c, ours: r.ours, sameValues: r.sameValues }).toEqual({ c, ours: r.builtin, sameValues: true });
    // tf.env().set('IM2COL_WEBGL_BUILTIN_CLASSES', false): ours take the call.
    const off = await call<{ builtin: string[]; ours: string[]; sameValues: boolean }>('programsOf', c, false);
    expect({ c, differ: off.ours.join() !== off.builtin.join() }).toEqual({ c, differ: true });
  }
  for (const c of ours) {
    const r = await call<{ builtin: string[]; ours: string[]; sameValues: boolean }>('programsOf', c);
    expect({ c, differ: r.ours.join() !== r.builtin.join() }).toEqual({ c, differ: true });
  }
  for (const c of oursWhenPacked) {
    const r = await call<{ builtin: string[]; ours: string[]; sameValues: boolean }>('programsOf', c, true, true);
    expect({ c, differ: r.ours.join() !== r.builtin.join() }).toEqual({ c, differ: true });
  }
}, 120_000);

test('no leaks: tensors, GPU bytes and textures flat across calls and tf.grad; IS_TEST kernel checks; bounded compiles for new shapes', async () => {
  const report = await call<LeakReport>('leakCheck', 5, MAX_VARIANTS);
  console.log(`memory before/after 5 rounds: ${JSON.stringify(report.before)} / ${JSON.stringify(report.after)}; ` +
    `${report.saturatingRounds} rounds of new shapes to use up the specialised variants (${report.ourProgramsCompiled} programs of ours)`);
  expect(report.after).toEqual(report.before);
  // Once every family holds MAX_VARIANTS specialised variants, new shapes compile nothing of ours.
  expect(report.saturatingRounds).toBeLessThanOrEqual(MAX_VARIANTS + 1);
  expect(report.newBinariesKeys).toEqual([]);
  expect(report.markersUnseen).toEqual([]);
}, 300_000);

test('the book\'s SimpleConvNet gets 9,890/10,000 on MNIST with our webgl kernels', async () => {
  const r = await call<MnistResult>('simpleConvNetMnist', 10000, 1000);
  console.log(`SimpleConvNet on webgl: ${r.correct}/${r.total}; FusedConv2D vs Conv2D+add+relu activations ` +
    `max |diff| ${r.fusedMaxAbsDiff.toExponential(2)}; ${(r.ms / 1000).toFixed(1)} s`);
  expect(r.total).toBe(10000);
  expect(Math.abs(r.correct - 9890)).toBeLessThanOrEqual(3);
  expect(r.fusedMaxAbsDiff).toBeLessThan(1e-4);
}, 300_000);

/**
 * The same kernels on WebGL1, and with tfjs forced to float16 render targets
 * (WEBGL_FORCE_F16_TEXTURES, as on devices where WEBGL_RENDER_FLOAT32_CAPABLE
 * is false): a smaller sweep each. float16 results must stay within tfjs's own
 * f16 test epsilon (1e-1), here taken relative to the result's magnitude.
 */
const SMALL_CONV_CASES = 12;
const SMALL_POOL_CASES = 12;
const F16_TOLERANCE = 1e-1;

for (const variant of [{ name: 'WebGL1', webglVersion: 1 as const, forceF16: false },
  { name: 'float16 textures', webglVersion: 2 as const, forceF16: true }]) {
  test(`${variant.name}: ${SMALL_CONV_CASES} convolutions and ${SMALL_POOL_CASES} poolings agree with the references`, async () => {
    const s = await openSession({ webglVersion: variant.webglVersion, forceF16: variant.forceF16 });
    otherSessions.push(s);
    expect(s.env.webglVersion).toBe(variant.webglVersion);
    expect(s.env.float32Enabled).toBe(!variant.forceF16);
    const tolerance = variant.forceF16 ? F16_TOLERANCE : TOLERANCE;
    const convs = sampleValid(convCaseArb, validConv, SMALL_CONV_CASES, 99 + variant.webglVersion);
    // Under float16 only small integers (exact in f16) keep the maxima where the f32 cpu sees them.
    const pools = sampleValid(poolCaseArb, validPool, SMALL_POOL_CASES, 77).map((c) => variant.forceF16 ? { ...c, ties: true } : c);
    const results = [];
    for (const testCase of convs) results.push({ testCase, cmp: await callOn<Record<string, Comparison>>(s, 'runConvCase', testCase) });
    // The same convolutions with every GEMM tiled where the context allows it: WebGL1 has no multiple render
    // targets, so it keeps the one-texel GEMMs; float16 textures tile.
    const tiledPrograms = new Set<string>();
    for (const testCase of convs) {
      const r = await callOn<TilingRun>(s, 'runConvCaseTiling', testCase, 'always');
      results.push({ testCase: { tiling: 'always', ...testCase }, cmp: r.cmp });
      r.multiTarget.forEach((k) => tiledPrograms.add(k));
    }
    expect([...tiledPrograms].sort()).toEqual(variant.webglVersion === 1 ? []
      : ['GemmReduceTiles4x2', 'GemmTiles4x2nn', 'GemmTiles4x2nt']);
    for (const testCase of pools) results.push({ testCase, cmp: await callOn<Record<string, Comparison>>(s, 'runPoolCase', testCase) });
    // x and dy packed (the packed pools, and the gradients' for disjoint windows).
    for (const testCase of pools) {
      results.push({ testCase: { ...testCase, packed: true }, cmp: await callOn<Record<string, Comparison>>(s, 'runPoolCase', { ...testCase, packed: true }) });
    }
    // (Not under float16: rounding the random activations to f16 moves maxima, so the
    // maxPool in the chain routes gradients differently from the f32 cpu.)
    for (const dataFormat of variant.forceF16 ? [] : ['NHWC', 'NCHW']) {
      results.push({ testCase: `grad ${dataFormat}`, cmp: await callOn<Record<string, Comparison>>(s, 'runGradCase', 11, dataFormat) });
    }
    // Bias-gradient sums, x packed and not (GLSL ES 1.00 has no integer min: a shader using one fails here).
    for (const [seed, packed] of [[1, true], [2, false]] as const) {
      const testCase: SumCase = { shape: [3, 9, 7, 5], axis: [0, 1, 2], keepDims: false, packed, seed };
      results.push({ testCase, cmp: (await callOn<{ cmp: Record<string, Comparison> }>(s, 'runSumCase', testCase)).cmp });
    }
    // Step on a packed x (its NaN test is tfjs's isnan, a function of ours on GLSL ES 1.00).
    const step = await callOn<{ cmp: Record<string, Comparison>; xPacked: boolean }>(s, 'runStepCase', { shape: [3, 5, 7, 3], alpha: 0, seed: 2 });
    expect(step.xPacked).toBe(true);
    results.push({ testCase: 'step', cmp: step.cmp });
    const worst = checkComparisons(results, tolerance);
    for (const k of ['Conv2D', 'FusedConv2D', 'Conv2DBackpropInput', 'Conv2DBackpropFilter', 'MaxPool', 'MaxPoolGrad',
      'AvgPool', 'AvgPoolGrad', 'Sum', 'Step']) expect(worst.has(k)).toBe(true);
    logWorst(`${variant.name} (${s.env.renderer}): ${convs.length} conv (each also tiling 'always') + ${pools.length} pool cases` +
      `${variant.forceF16 ? '' : ' + 2 tf.grad cases'} + 2 sums + 1 step`, worst);
    expect(s.errors).toEqual([]);
  }, 300_000);
}
