/**
 * The wasm backend with our kernels, in one run:
 *  1. each kernel we provide for tfjs-backend-wasm against the wasm builtin it would replace, on
 *     SimpleConvNet's shapes (batch 100) and a larger conv layer — the registered gradients and the
 *     forward candidates that stay XNNPACK's (kernels/wasm/index.ts); Conv2DBackpropFilter has no
 *     wasm builtin, so it is timed against the cpu builtin;
 *  2. a SimpleConvNet training step (batch 100, Adam) on wasm with ours, next to ours on cpu and
 *     tfjs's builtin cpu kernels (the builtin wasm kernels cannot run it).
 * Prints medians and ratios. Run:
 *   npx esbuild benchmarks/wasm_training.ts --bundle --platform=node --packages=external --outfile=/tmp/wt.cjs && node /tmp/wt.cjs
 * Options: --steps N (timed training steps per configuration, default 10), --samples N (per kernel, default 10).
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import '@tensorflow/tfjs-layers';
import { Bench } from 'tinybench';
import { parseArgs } from 'node:util';
import type { KernelConfig, NamedTensorMap } from '@tensorflow/tfjs-core';
import { registerIm2colKernels } from '../src/registration';
import { currentGemmEngine, shutdownGemmThreads } from '../kernels/wasm_runtime/engines';
import { wasmForwardCandidates, wasmKernelConfigs } from '../kernels/wasm';
import { loadMnist } from '../src/data/mnist';
import { buildSimpleConvNet } from '../src/models/simpleConvNet';
import { compileForTraining } from '../src/models/train';

const { values: opts } = parseArgs({ options: { steps: { type: 'string', default: '10' }, samples: { type: 'string', default: '10' } } });
const STEPS = Number(opts.steps);
const SAMPLES = Number(opts.samples);

/** Median ms of `samples` calls of `fn` after 2 warm-up calls (tinybench). */
async function median(fn: () => void | Promise<void>, samples: number): Promise<number> {
  const bench = new Bench({ time: 0, iterations: samples, warmup: true, warmupIterations: 2, warmupTime: 0, throws: true });
  bench.add('case', fn);
  await bench.run();
  const result = bench.tasks[0].result as unknown as { latency: { p50: number } };
  return result.latency.p50;
}

interface KernelCase { label: string; kernel: string; inputs: Record<string, number[]>; attrs: object }

const conv = (pad: string) => ({ strides: 1, pad, dataFormat: 'NHWC', dilations: 1 });
const CASES: KernelCase[] = [
  { label: 'SimpleConvNet conv 28x28x1 -> 30@5x5', kernel: 'Conv2DBackpropFilter', inputs: { x: [100, 28, 28, 1], dy: [100, 24, 24, 30] }, attrs: { ...conv('valid'), filterShape: [5, 5, 1, 30] } },
  { label: 'conv 32x32x16 -> 32@3x3 same', kernel: 'Conv2DBackpropFilter', inputs: { x: [32, 32, 32, 16], dy: [32, 32, 32, 32] }, attrs: { ...conv('same'), filterShape: [3, 3, 16, 32] } },
  { label: 'SimpleConvNet conv 28x28x1 -> 30@5x5', kernel: 'Conv2DBackpropInput', inputs: { dy: [100, 24, 24, 30], filter: [5, 5, 1, 30] }, attrs: { ...conv('valid'), inputShape: [100, 28, 28, 1] } },
  { label: 'conv 32x32x16 -> 32@3x3 same', kernel: 'Conv2DBackpropInput', inputs: { dy: [32, 32, 32, 32], filter: [3, 3, 16, 32] }, attrs: { ...conv('same'), inputShape: [32, 32, 32, 16] } },
  { label: 'SimpleConvNet pool 24x24x30 2x2/2', kernel: 'MaxPoolGrad', inputs: { dy: [100, 12, 12, 30], input: [100, 24, 24, 30] }, attrs: { filterSize: 2, strides: 2, pad: 'valid' } },
  { label: 'SimpleConvNet pool 24x24x30 2x2/2', kernel: 'AvgPoolGrad', inputs: { dy: [100, 12, 12, 30], input: [100, 24, 24, 30] }, attrs: { filterSize: 2, strides: 2, pad: 'valid' } },
  { label: 'SimpleConvNet dense dy·Wᵀ 100x100 · (4320x100)ᵀ', kernel: 'BatchMatMul', inputs: { a: [100, 100], b: [4320, 100] }, attrs: { transposeA: false, transposeB: true } },
  { label: 'SimpleConvNet dense xᵀ·dy (100x4320)ᵀ · 100x100', kernel: 'BatchMatMul', inputs: { a: [100, 4320], b: [100, 100] }, attrs: { transposeA: true, transposeB: false } },
  { label: 'SimpleConvNet dense x·W 100x4320 · 4320x100', kernel: 'BatchMatMul', inputs: { a: [100, 4320], b: [4320, 100] }, attrs: { transposeA: false, transposeB: false } },
  { label: 'SimpleConvNet conv 28x28x1 -> 30@5x5', kernel: 'Conv2D', inputs: { x: [100, 28, 28, 1], filter: [5, 5, 1, 30] }, attrs: conv('valid') },
  { label: 'conv 32x32x16 -> 32@3x3 same', kernel: 'Conv2D', inputs: { x: [32, 32, 32, 16], filter: [3, 3, 16, 32] }, attrs: conv('same') },
  { label: 'SimpleConvNet conv + bias + relu', kernel: 'FusedConv2D', inputs: { x: [100, 28, 28, 1], filter: [5, 5, 1, 30], bias: [30] }, attrs: { ...conv('valid'), activation: 'relu' } },
  { label: 'SimpleConvNet pool 24x24x30 2x2/2', kernel: 'MaxPool', inputs: { x: [100, 24, 24, 30] }, attrs: { filterSize: 2, strides: 2, pad: 'valid' } },
  { label: 'SimpleConvNet pool 24x24x30 2x2/2', kernel: 'AvgPool', inputs: { x: [100, 24, 24, 30] }, attrs: { filterSize: 2, strides: 2, pad: 'valid' } },
];

/** Times one kernel config on the current backend (inputs made there), disposing each output. */
async function timeKernel(config: KernelConfig, c: KernelCase): Promise<number> {
  const inputs: NamedTensorMap = {};
  for (const [name, shape] of Object.entries(c.inputs)) inputs[name] = tf.randomNormal(shape);
  const backend = tf.backend();
  try {
    return await median(() => {
      const out = config.kernelFunc({ inputs, attrs: c.attrs as never, backend }) as tf.TensorInfo;
      backend.disposeData(out.dataId);
    }, SAMPLES);
  } finally {
    tf.dispose(Object.values(inputs));
  }
}

/** tfjs-backend-wasm's own kernels, taken before ours are registered. */
const wasmBuiltins = new Map<string, KernelConfig | undefined>();

async function kernels(): Promise<void> {
  console.log(`\n1. Kernels on wasm: ours vs tfjs-backend-wasm's builtin (median of ${SAMPLES}, ms; ratio > 1: ours faster)`);
  const ours = new Map([...wasmKernelConfigs, ...wasmForwardCandidates].map((c) => [c.kernelName, c]));
  await tf.setBackend('wasm');
  const registered = new Set(wasmKernelConfigs.map((c) => c.kernelName));
  for (const c of CASES) {
    await tf.setBackend('wasm');
    const oursMs = await timeKernel(ours.get(c.kernel)!, c);
    let builtinName = 'wasm builtin';
    let builtin = wasmBuiltins.get(c.kernel);
    if (builtin === undefined) {
      // Only reached for Conv2DBackpropFilter (wasm has none): the cpu builtin is the reference.
      builtinName = 'cpu builtin';
      await tf.setBackend('cpu');
      builtin = tf.getKernel(c.kernel, 'cpu')!;
    }
    const builtinMs = await timeKernel(builtin, c);
    const status = registered.has(c.kernel) ? 'registered' : 'candidate, not registered';
    console.log(`  ${c.kernel.padEnd(21)} ${c.label.padEnd(38)} ours ${oursMs.toFixed(1).padStart(7)}  ${builtinName} ` +
      `${builtinMs.toFixed(1).padStart(7)}  ratio ${(builtinMs / oursMs).toFixed(2).padStart(5)}  (${status})`);
  }
}

async function training(): Promise<void> {
  const data = loadMnist({ trainLimit: 100 * (STEPS + 2), testLimit: 1 });
  const batches = Array.from({ length: STEPS + 2 }, (_, i) => i);
  const configs: Array<{ name: string; backend: 'cpu' | 'wasm'; ours: boolean }> = [
    { name: 'wasm, our kernels', backend: 'wasm', ours: true },
    { name: 'cpu, our kernels', backend: 'cpu', ours: true },
    { name: 'cpu, tfjs builtins', backend: 'cpu', ours: false },
  ];
  console.log(`\n2. SimpleConvNet training step (batch 100, Adam), median of ${STEPS} steps after 2 warm-up steps`);
  const results: number[] = [];
  for (const c of configs) {
    await tf.setBackend(c.backend);
    const reg = c.ours ? registerIm2colKernels({ backends: c.backend }) : null;
    try {
      const model = buildSimpleConvNet({ seed: 1 });
      compileForTraining(model, 0.001);
      let i = 0;
      const ms = await median(async () => {
        const b = batches[i++ % batches.length];
        const [x, y] = tf.tidy(() => [
          tf.div(tf.tensor4d(data.train.pixels.subarray(b * 100 * 784, (b + 1) * 100 * 784), [100, 28, 28, 1], 'float32'), 255),
          tf.oneHot(tf.tensor1d(Array.from(data.train.labels.subarray(b * 100, (b + 1) * 100)), 'int32'), 10),
        ]);
        await model.trainOnBatch(x, y);
        tf.dispose([x, y]);
      }, STEPS);
      model.dispose();
      results.push(ms);
      console.log(`  ${c.name.padEnd(20)} ${ms.toFixed(1).padStart(7)} ms/step  ${(100 / ms * 1000).toFixed(0).padStart(5)} images/s`);
    } finally {
      reg?.restore();
    }
  }
  const [wasm, cpuOurs, cpuBuiltin] = results;
  console.log(`  ratios: cpu builtins / wasm ours ${(cpuBuiltin / wasm).toFixed(2)}, cpu ours / wasm ours ${(cpuOurs / wasm).toFixed(2)}` +
    ' (the wasm builtins alone: no Conv2DBackpropFilter, cannot train)');
}

(async () => {
  for (const c of CASES) wasmBuiltins.set(c.kernel, tf.getKernel(c.kernel, 'wasm'));
  await tf.setBackend('wasm');
  console.log(`tfjs-im2col on tfjs-backend-wasm ${tf.version_core}; GEMM engine ${JSON.stringify(currentGemmEngine())}; ` +
    `Node ${process.version}`);
  await kernels();
  await training();
  await shutdownGemmThreads();
})().catch((e) => {
  console.error(e);
  process.exit(1);
});
