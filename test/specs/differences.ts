/**
 * Every place where our kernels deliberately give another answer than tfjs's
 * builtins in tfjs-core's own op specs, with the reason. Each listed spec must
 * fail, and fail exactly as `failure` says; every other spec must pass
 * (test/tfjs_specs.test.ts). README.md's list of deliberate differences
 * covers these and the ones no tfjs spec reaches.
 */
export interface DeliberateDifference {
  /** The describe name tfjs gives the suite (before the test environment's name). */
  suite: string;
  /** The spec's own name (after the environment's flags). */
  spec: string;
  backends: Array<'cpu' | 'webgl' | 'wasm'>;
  reason: string;
  /** What the spec's failure message must match. */
  failure: RegExp;
}

export const DELIBERATE_DIFFERENCES: DeliberateDifference[] = [
  {
    suite: 'avgPool',
    spec: 'gradient x=[3,3,1] f=[3,3] s=1 p=explicit',
    backends: ['cpu', 'webgl', 'wasm'],
    reason: "AvgPool divides each window by its in-bounds pixel count; tfjs's AvgPoolGrad divides by " +
      'filterH·filterW, which is not the gradient of its own forward where a window overlaps padding. Ours ' +
      'divides by the same in-bounds count (TensorFlow\'s definition); the spec expects the builtin\'s numbers.',
    failure: /^Error: Arrays differ: actual\[1\] = 1\.75, expected\[1\] = 1\.\nActual: {3}0,1\.75,1\.75,0,4,4,0,9\.25,9\.25\.\nExpected: 0,1,1,0,2,2,0,3,3\.$/,
  },
];

/**
 * Specs that fail on tfjs-backend-wasm 4.22 in kernels we do not replace there (the forward
 * Conv2D, FusedConv2D, MaxPool and AvgPool stay XNNPACK's: README, wasm backend), with or without
 * our kernels registered. Not differences of ours: the wasm spec run (test/tfjs_specs.test.ts)
 * accepts a failing spec that matches one of these suites, spec names and messages, and checks
 * that each entry still occurs (so a tfjs upgrade that fixes one shows up).
 */
export interface BuiltinFailure {
  suite: string;
  /** The spec's own name. */
  spec: RegExp;
  /** Number of specs this entry covers in the wasm run. */
  count: number;
  reason: string;
  failure: RegExp;
}

export const WASM_BUILTIN_FAILURES: BuiltinFailure[] = [
  {
    suite: 'conv2d', spec: /NCHW$/, count: 11,
    reason: "tfjs-backend-wasm's Conv2D (XNNPACK) supports NHWC only.",
    failure: /^Error: wasm backend Conv2D does not support dataFormat:'channelsFirst'/,
  },
  {
    suite: 'fused conv2d', spec: /NCHW/, count: 19,
    reason: "tfjs-backend-wasm's FusedConv2D supports NHWC only.",
    failure: /^Error: wasm backend FusedConv2D does not support dataFormat:'NCHW'/,
  },
  {
    suite: 'fused conv2d', spec: /(broadcasted bias|scalar bias|with bias)/, count: 6,
    reason: "tfjs-backend-wasm's FusedConv2D takes a rank-1 bias only.",
    failure: /^Error: FusedConv2D only supports rank-1 bias but got rank [04]\.$/,
  },
  {
    suite: 'fused conv2d', spec: /^(backProp input|gradient) x=\[2,3,3,1\] f=\[2,2,1,1\] s=1 p=0$/, count: 2,
    reason: "tfjs-backend-wasm's FusedConv2D leaves data ids behind under a gradient (IS_TEST leak check); the same " +
      'without our kernels registered.',
    failure: /^Error: Backend 'wasm' has an internal memory leak \(3 data ids\) after running 'fusedConv2d__op'$/,
  },
  {
    suite: 'pool', spec: /^(max|avg) x=\[2,2,3\] f=\[1,1\] s=2 p=1 fractional outputs default rounding$/, count: 2,
    reason: "tfjs-backend-wasm's MaxPool and AvgPool (XNNPACK) leave the outputs of windows that lie wholly in " +
      'the padding unwritten (uninitialised heap values).',
    failure: /^Error: Arrays differ: actual\[3\] = [\d.e+-]+, expected\[3\] = 4\./,
  },
  {
    suite: 'matmul', spec: /^upcasts when dtypes dont match$/, count: 1,
    reason: "tfjs-backend-wasm's BatchMatMul takes float32 only (an int32 · float32 matMul upcasts to int32 here); ours " +
      'hand non-float32 calls to it, so its own error is the answer.',
    failure: /^Error: BatchMatMul for non non-float32 tensors not yet supported\.$/,
  },
];
