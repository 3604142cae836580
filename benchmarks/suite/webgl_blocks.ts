/**
 * How the WebGL page times short calls (webgl_page.ts, interleave): switching the registered kernels
 * slows the next calls, so a call shorter than BLOCK_BELOW_MS is timed in blocks of BLOCK_CALLS after
 * one untimed call of the same implementation. No imports: the tests read these too.
 */
export const BLOCK_BELOW_MS = 50;
export const BLOCK_CALLS = 4;

/**
 * Whether a call whose one warm sample took `warmMs` is short (timed in blocks). One sample can catch a pause of
 * the machine (a 0.5 ms pool call once measured over 50 ms on a loaded CI machine, and was then timed call by
 * call), so a sample between BLOCK_BELOW_MS and ten times that is checked with `again()`, one more timed call.
 */
export async function isShortCall(warmMs: number, again: () => Promise<number>): Promise<boolean> {
  if (warmMs < BLOCK_BELOW_MS) return true;
  if (warmMs >= 10 * BLOCK_BELOW_MS) return false;
  return (await again()) < BLOCK_BELOW_MS;
}
