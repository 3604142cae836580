/**
 * The source of a GEMM pool worker, run with `new Worker(source, { eval: true })`.
 *
 * It is a string, not a module, so that it works unchanged from the ts-jest
 * sources, the esbuild bundles in dist/ and under coverage instrumentation,
 * with no separate file to locate at run time.
 *
 * Protocol (Int32Array over a SharedArrayBuffer, one SLOT_INTS slot per worker):
 *   SEQ     the main thread bumps it to post a job (then Atomics.notify)
 *   DONE    the worker sets it to the job's SEQ when finished (then notify)
 *   STATUS  0 after a good job, 1 when the kernel threw (the message is lost)
 *   READY   1 once the module is instantiated, 2 if instantiation failed
 *   OP      0 = gemm with ARGS (14 ints), 1 = exit
 * The worker blocks in Atomics.wait between jobs; it never uses its event loop.
 */
export const SLOT_INTS = 32;
export const SEQ = 0;
export const DONE = 1;
export const STATUS = 2;
export const READY = 3;
export const OP = 4;
export const ARGS = 8;
export const OP_GEMM = 0;
export const OP_EXIT = 1;

export const WORKER_SOURCE = `
'use strict';
// Works whether Node evaluates this as CommonJS or (inheriting --input-type=module) as ESM.
const wt = typeof process.getBuiltinModule === 'function'
  ? process.getBuiltinModule('node:worker_threads')
  : require('node:worker_threads');
const ctrl = new Int32Array(wt.workerData.control);
const base = wt.workerData.slot * ${SLOT_INTS};
let gemm = null;
try {
  const instance = new WebAssembly.Instance(wt.workerData.module, { env: { memory: wt.workerData.memory } });
  gemm = instance.exports.gemm;
  Atomics.store(ctrl, base + ${READY}, 1);
} catch (e) {
  Atomics.store(ctrl, base + ${READY}, 2);
}
Atomics.notify(ctrl, base + ${READY});
let seen = 0; // SEQ starts at 0; a job may already be posted while this worker was starting
while (gemm !== null) {
  Atomics.wait(ctrl, base + ${SEQ}, seen);
  const seq = Atomics.load(ctrl, base + ${SEQ});
  if (seq === seen) continue;
  seen = seq;
  if (ctrl[base + ${OP}] === ${OP_EXIT}) break;
  const a = base + ${ARGS};
  let status = 0;
  try {
    gemm(ctrl[a], ctrl[a + 1], ctrl[a + 2], ctrl[a + 3], ctrl[a + 4], ctrl[a + 5], ctrl[a + 6],
      ctrl[a + 7], ctrl[a + 8], ctrl[a + 9], ctrl[a + 10], ctrl[a + 11], ctrl[a + 12], ctrl[a + 13]);
  } catch (e) {
    status = 1;
  }
  ctrl[base + ${STATUS}] = status;
  Atomics.store(ctrl, base + ${DONE}, seq);
  Atomics.notify(ctrl, base + ${DONE});
}
`;
