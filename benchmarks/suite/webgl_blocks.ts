/**
 * How the WebGL page times short calls (webgl_page.ts, interleave): switching the registered kernels
 * slows the next calls, so a call shorter than BLOCK_BELOW_MS is timed in blocks of BLOCK_CALLS after
 * one untimed call of the same implementation. No imports: the tests read these too.
 */
export const BLOCK_BELOW_MS = 50;
export const BLOCK_CALLS = 4;
