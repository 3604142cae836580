/**
 * Our depthwise convolution kernels on webgl (DepthwiseConv2dNative, FusedDepthwiseConv2D,
 * DepthwiseConv2dNativeBackpropInput, DepthwiseConv2dNativeBackpropFilter) in headless Chromium
 * (SwiftShader WebGL2), against independent references in the same page on the same inputs: tfjs's builtin
 * webgl kernels and tfjs's builtin cpu kernels (page side: test/browser/depthwise_page.ts).
 *
 * A random sweep (fast-check, fixed seed) over batch, sizes, channels, channel multiplier, filter sizes,
 * strides, dilations, every pad kind, dimRoundingMode, activations and bias shapes; tf.grad through
 * depthwiseConv2d, fused depthwiseConv2d and separableConv2d; the calls handed to the builtin (same outcome);
 * bad input (KernelInputError naming the kernel); tensors and textures flat across calls.
 * (Timing: `npm run bench -- --backend webgl --case Depthwise`.)
 */
import { backend_util } from '@tensorflow/tfjs-core';
import * as fc from 'fast-check';
import type { Comparison } from './browser/page';
import type { DepthwiseCase, HandOver } from './browser/depthwise_page';
import { fusedActivationArb, fusedBiasArb, padArb } from './helpers/cases';
import { BrowserSession, callOn, openSession } from './browser/harness';

const CASES = 32;
const WEBGL1_CASES = 8;
const TOLERANCE = 1e-4;

let session: BrowserSession;
let webgl1: BrowserSession | undefined;

async function call<T>(fn: string, ...args: unknown[]): Promise<T> {
  return callOn<T>(session, fn, ...args);
}

beforeAll(async () => {
  session = await openSession();
  console.log(`WebGL renderer: ${session.env.renderer}, WebGL${session.env.webglVersion}, library bundle: ${session.librarySource}`);
}, 120_000);

afterAll(async () => {
  await session?.close();
  await webgl1?.close();
});

afterEach(async () => {
  expect(session.errors).toEqual([]);
});

const pair = (max: number) => fc.tuple(fc.integer({ min: 1, max }), fc.integer({ min: 1, max }));

const caseArb: fc.Arbitrary<DepthwiseCase> = fc.record({
  batch: fc.integer({ min: 1, max: 2 }),
  inH: fc.integer({ min: 1, max: 10 }),
  inW: fc.integer({ min: 1, max: 10 }),
  channels: fc.integer({ min: 1, max: 5 }),
  multiplier: fc.oneof(fc.constant(1), fc.integer({ min: 1, max: 3 })),
  filterH: fc.integer({ min: 1, max: 4 }),
  filterW: fc.integer({ min: 1, max: 4 }),
  strides: fc.oneof(fc.constant([1, 1] as [number, number]), pair(3)),
  dilations: fc.oneof(fc.constant([1, 1] as [number, number]), pair(2)),
  pad: padArb('NHWC', 2),
  dimRoundingMode: fc.constantFrom(undefined, 'floor' as const, 'round' as const, 'ceil' as const),
  activation: fusedActivationArb,
  bias: fusedBiasArb,
  seed: fc.integer({ min: 1, max: 2 ** 30 }),
});

/** What tfjs's ops accept: rounding only with a numeric pad, strides or dilations 1, a non-empty output. */
function valid(c: DepthwiseCase): boolean {
  if (c.dimRoundingMode !== undefined && typeof c.pad !== 'number') return false;
  if (!backend_util.eitherStridesOrDilationsAreOne(c.strides, c.dilations)) return false;
  try {
    const info = backend_util.computeConv2DInfo([c.batch, c.inH, c.inW, c.channels],
      [c.filterH, c.filterW, c.channels, c.multiplier], c.strides, c.dilations, c.pad as backend_util.ExplicitPadding,
      c.dimRoundingMode, true);
    return info.outHeight > 0 && info.outWidth > 0;
  } catch {
    return false;
  }
}

/** Every output within TOLERANCE of builtin webgl and builtin cpu, nobody threw; the worst error per kernel. */
function check(results: Array<{ testCase: unknown; cmp: Record<string, Comparison> }>): Map<string, number> {
  const failures: string[] = [];
  const worst = new Map<string, number>();
  for (const { testCase, cmp } of results) {
    for (const [kernel, c] of Object.entries(cmp)) {
      const { oursGL, builtinGL, builtinCPU } = c.errors;
      if (oursGL || builtinGL || builtinCPU) failures.push(`${kernel}: ${JSON.stringify(c.errors)} for ${JSON.stringify(testCase)}`);
      for (const ref of ['vsBuiltinGL', 'vsBuiltinCPU'] as const) {
        const err = c[ref];
        if (err === null || !(err <= TOLERANCE)) failures.push(`${kernel} ${ref} error ${err} for ${JSON.stringify(testCase)}`);
        else worst.set(kernel, Math.max(worst.get(kernel) ?? 0, err));
      }
    }
  }
  expect(failures).toEqual([]);
  return worst;
}

test(`random parity sweep: ${CASES} depthwise convolutions, all four kernels vs builtin webgl and builtin cpu`, async () => {
  const cases = fc.sample(caseArb.filter(valid), { numRuns: CASES, seed: 20261130 });
  const before = await call<Record<string, number>>('depthwisePrograms');
  const results = [];
  for (const testCase of cases) results.push({ testCase, cmp: await call<Record<string, Comparison>>('runDepthwiseCase', testCase) });
  const worst = check(results);
  for (const k of ['DepthwiseConv2dNative', 'FusedDepthwiseConv2D', 'DepthwiseConv2dNativeBackpropInput',
    'DepthwiseConv2dNativeBackpropFilter']) expect(worst.has(k)).toBe(true);
  // Our programs really ran (each kind compiled for new geometries), not only the builtins they hand calls to.
  const after = await call<Record<string, number>>('depthwisePrograms');
  for (const kind of Object.keys(after)) expect(after[kind] - before[kind]).toBeGreaterThan(0);
  const m = cases.filter((c) => c.multiplier > 1).length;
  const dilated = cases.filter((c) => c.dilations[0] > 1 || c.dilations[1] > 1).length;
  console.log(`depthwise sweep: ${cases.length} cases (${m} with multiplier > 1, ${dilated} dilated); programs compiled ` +
    `${JSON.stringify(Object.fromEntries(Object.keys(after).map((k) => [k, after[k] - before[k]])))}; largest relative errors ` +
    [...worst].map(([k, e]) => `${k} ${e.toExponential(2)}`).join(', '));
}, 300_000);

test(`WebGL1: ${WEBGL1_CASES} depthwise convolutions agree with builtin webgl and builtin cpu`, async () => {
  webgl1 = await openSession({ webglVersion: 1 });
  expect(webgl1.env.webglVersion).toBe(1);
  const cases = fc.sample(caseArb.filter(valid), { numRuns: WEBGL1_CASES, seed: 1130 });
  const results = [];
  for (const testCase of cases) results.push({ testCase, cmp: await callOn<Record<string, Comparison>>(webgl1, 'runDepthwiseCase', testCase) });
  check(results);
  expect(webgl1.errors).toEqual([]);
}, 120_000);

test('tf.grad through depthwiseConv2d, fused depthwiseConv2d and separableConv2d matches the builtins (stride 1 and 2)', async () => {
  for (const stride of [1, 2]) {
    const cmp = await call<Record<string, Comparison>>('runDepthwiseGradCase', 5 + stride, stride);
    check([{ testCase: `grad, stride ${stride}`, cmp }]);
    for (const c of Object.values(cmp)) expect(c.scale).toBeGreaterThan(0);
  }
}, 120_000);

test("calls handed to the builtin: dtype, zero-size, NCHW, strides with dilations, dilated gradients, foreign dy — the builtin's outcome", async () => {
  const results = await call<HandOver[]>('depthwiseHandOver');
  expect(results.length).toBeGreaterThanOrEqual(10);
  for (const r of results) expect([r.name, r.ours]).toEqual([r.name, r.builtin]);
});

test('bad input sent straight to our kernels: KernelInputError naming the kernel, nothing leaked', async () => {
  const results = await call<Array<{ name: string; error: string }>>('depthwiseBadInput');
  for (const r of results) {
    expect([r.name, r.error]).toEqual([r.name,
      expect.stringMatching(/^KernelInputError: tfjs-im2col (FusedDepthwiseConv2D|DepthwiseConv2dNative(BackpropInput|BackpropFilter)?): .*; tensors \+0$/)]);
  }
});

test('no leaks: tensors, GPU bytes and textures flat across calls and tf.grad (IS_TEST checks each kernel)', async () => {
  const report = await call<{ before: Record<string, number>; after: Record<string, number> }>('depthwiseLeakCheck', 4);
  expect(report.after).toEqual(report.before);
}, 120_000);
