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
  backends: Array<'cpu' | 'webgl'>;
  reason: string;
  /** What the spec's failure message must match. */
  failure: RegExp;
}

export const DELIBERATE_DIFFERENCES: DeliberateDifference[] = [
  {
    suite: 'avgPool',
    spec: 'gradient x=[3,3,1] f=[3,3] s=1 p=explicit',
    backends: ['cpu', 'webgl'],
    reason: "AvgPool divides each window by its in-bounds pixel count; tfjs's AvgPoolGrad divides by " +
      'filterH·filterW, which is not the gradient of its own forward where a window overlaps padding. Ours ' +
      'divides by the same in-bounds count (TensorFlow\'s definition); the spec expects the builtin\'s numbers.',
    failure: /^Error: Arrays differ: actual\[1\] = 1\.75, expected\[1\] = 1\.\nActual: {3}0,1\.75,1\.75,0,4,4,0,9\.25,9\.25\.\nExpected: 0,1,1,0,2,2,0,3,3\.$/,
  },
];
