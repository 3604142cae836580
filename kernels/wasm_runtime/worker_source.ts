/**
 * The source of a GEMM pool worker, run with `new Worker(source, { eval: true })`.
 *
 * It is a string, not a module, so that it works unchanged from the ts-jest
 * sources, the esbuild bundles in dist/ and under coverage instrumentation,
 * with no separate file to locate at run time.
 *
 * Protocol (a SharedArrayBuffer, one slot of SLOT_INTS ints per worker):
 *   SEQ     the main thread bumps it to post a job (then Atomics.notify)
 *   DONE    the worker sets it to the job's SEQ when finished (then notify)
 *   STATUS  0 after a good job, 1 when the kernel threw (the message is lost)
 *   READY   1 once the modules are instantiated, 2 if instantiation failed
 *   OP      OP_GEMM: the GEMM module's gemm; OP_EXIT; OP_VECTOR + i: VECTOR_FUNCTIONS[i] of the
 *           vector module (assembly/vector.ts)
 *   ARGC    how many arguments
 *   ARGS    the arguments, as float64 from int ARGS on (pointers, sizes and float operands alike)
 * The worker blocks in Atomics.wait between jobs; it never uses its event loop.
 */
export const SLOT_INTS = 64;
export const SEQ = 0;
export const DONE = 1;
export const STATUS = 2;
export const READY = 3;
export const OP = 4;
export const ARGC = 5;
/** Where the float64 arguments start, in ints (a multiple of 2: 8-byte aligned). */
export const ARGS = 8;
/** Float64 arguments a slot holds. */
export const MAX_ARGS = (SLOT_INTS - ARGS) / 2;
export const OP_GEMM = 0;
export const OP_EXIT = 1;
export const OP_VECTOR = 2;
/** The vector-module functions a worker runs (their order gives the op codes). */
export const VECTOR_FUNCTIONS = ['depthwiseConv', 'depthwiseInputGrad', 'batchNorm', 'relu', 'relu6', 'clip'] as const;
export type VectorFunction = (typeof VECTOR_FUNCTIONS)[number];

export const WORKER_SOURCE = `
'use strict';
// Works whether Node evaluates this as CommonJS or (inheriting --input-type=module) as ESM.
const wt = typeof process.getBuiltinModule === 'function'
  ? process.getBuiltinModule('node:worker_threads')
  : require('node:worker_threads');
const ctrl = new Int32Array(wt.workerData.control);
const base = wt.workerData.slot * ${SLOT_INTS};
const argv = new Float64Array(wt.workerData.control, (base + ${ARGS}) * 4, ${MAX_ARGS});
const names = ${JSON.stringify(VECTOR_FUNCTIONS)};
let gemm = null;
let vector = null;
try {
  const env = { env: { memory: wt.workerData.memory } };
  gemm = new WebAssembly.Instance(wt.workerData.module, env).exports.gemm;
  vector = new WebAssembly.Instance(wt.workerData.vectorModule, env).exports;
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
  let status = 0;
  try {
    const op = ctrl[base + ${OP}];
    const args = Array.from(argv.subarray(0, ctrl[base + ${ARGC}]));
    if (op === ${OP_GEMM}) gemm(...args);
    else vector[names[op - ${OP_VECTOR}]](...args);
  } catch (e) {
    status = 1;
  }
  ctrl[base + ${STATUS}] = status;
  Atomics.store(ctrl, base + ${DONE}, seq);
  Atomics.notify(ctrl, base + ${DONE});
}
`;
