/**
 * Memory over a long training run: a small MobileNet v1 (benchmarks/suite/net_arch.ts) trained with
 * tfjs-layers' `model.trainOnBatch` (SGD, categorical cross-entropy) for N steps on the current
 * backend, sampling at chosen steps
 *  - tfjs's tensor count and bytes (tf.memory()),
 *  - our WebAssembly memory: the GEMM engine's linear memory (the one our cpu kernels keep tensors in,
 *    kernels/wasm_runtime/linear_memory.ts) — its size, the floats held by resident blocks, and
 *    residentOutputStats (tensors of the cpu backend living there),
 *  - the process's RSS and V8 heap.
 * "Flat" means none of these grow between the end of the warm-up and the last step (RSS and the V8
 * heap may wobble with the garbage collector; the report shows their change).
 * Used by `npm run bench -- --memory-steps N` and test/memory_mobilenet.test.ts.
 */
import * as tf from '@tensorflow/tfjs-core';
import { gemmLinearMemory } from '../../kernels/wasm_runtime/engines';
import { residentOutputStats } from '../../kernels/cpu/resident';
import { buildNetwork, seededBatch, setSeededWeights } from './networks';
import type { NetParams } from './types';

export interface MemorySample {
  step: number;
  numTensors: number;
  tensorBytes: number;
  /** The GEMM engine's WebAssembly memory, bytes (0 when the engine has no shared memory). */
  wasmBytes: number;
  /** Floats held by resident blocks in use in that memory. */
  residentFloats: number;
  /** cpu tensors whose values live in WebAssembly memory, and their bytes (0 off cpu). */
  residentTensors: number;
  residentBytes: number;
  rssBytes: number;
  heapUsedBytes: number;
  loss: number;
  /** Mean ms per step since the previous sample. */
  msPerStep: number;
}

export interface MemoryRunOptions {
  steps: number;
  /** Steps after which to sample (those ≤ steps); step 0 is before training. */
  sampleAt: number[];
  alpha?: number;
  size?: number;
  batch?: number;
  classes?: number;
  seed?: number;
  onSample?: (s: MemorySample) => void;
}

function sample(step: number, loss: number, msPerStep: number): MemorySample {
  const m = tf.memory();
  const lin = gemmLinearMemory();
  let resident = { tensors: 0, bytes: 0 };
  if (tf.getBackend() === 'cpu') {
    try {
      resident = residentOutputStats('cpu');
    } catch {
      // not tfjs-backend-cpu
    }
  }
  const mu = process.memoryUsage();
  return {
    step, numTensors: m.numTensors, tensorBytes: m.numBytes,
    wasmBytes: lin ? lin.memory.buffer.byteLength : 0, residentFloats: lin ? lin.residentFloats() : 0,
    residentTensors: resident.tensors, residentBytes: resident.bytes,
    rssBytes: mu.rss, heapUsedBytes: mu.heapUsed, loss, msPerStep,
  };
}

/** Trains the small MobileNet for `steps` steps on the current backend and returns the samples. */
export async function runMemorySteps(opts: MemoryRunOptions): Promise<{ params: NetParams; samples: MemorySample[] }> {
  const params: NetParams = {
    kind: 'net', arch: 'mobilenet_v1', alpha: opts.alpha ?? 0.25, size: opts.size ?? 32, channels: 3,
    classes: opts.classes ?? 10, batch: opts.batch ?? 8, mode: 'train', learningRate: 0.01,
  };
  const seed = opts.seed ?? 1;
  const model = buildNetwork(params);
  setSeededWeights(model, seed);
  model.compile({ optimizer: tf.train.sgd(0.01), loss: 'categoricalCrossentropy' });
  const { x, labels } = seededBatch(params, seed);
  const at = new Set(opts.sampleAt.filter((s) => s <= opts.steps));
  const samples: MemorySample[] = [];
  const push = (s: MemorySample) => {
    samples.push(s);
    opts.onSample?.(s);
  };
  try {
    if (at.has(0)) push(sample(0, NaN, 0));
    let t0 = performance.now();
    let last = 0;
    for (let step = 1; step <= opts.steps; step++) {
      const out = await model.trainOnBatch(x, labels);
      const loss = Array.isArray(out) ? out[0] : out;
      if (at.has(step)) {
        const now = performance.now();
        push(sample(step, loss, (now - t0) / (step - last)));
        t0 = now;
        last = step;
      }
    }
  } finally {
    tf.dispose([x, labels]);
    (model.optimizer as tf.Optimizer | undefined)?.dispose();
    model.dispose();
  }
  return { params, samples };
}
