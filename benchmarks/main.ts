/**
 * `npm run bench`: our cpu kernels against tfjs's builtins, timed in the same
 * run on the same inputs, with the ratio and the largest relative difference.
 *
 * Timing uses tinybench (median of the samples after warm-up). The builtins
 * are slow (Conv2DBackpropFilter takes seconds), so they get fewer samples.
 */
import { Command } from 'commander';
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { Bench } from 'tinybench';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { getGemmEngine, registerIm2colKernels } from '../src';

interface Case {
  name: string;
  kernel: string;
  /** Floating-point operations of one call (multiply-adds count 2). */
  flops: number;
  /** Samples for the builtin; ours always gets at least as many. */
  builtinIterations: number;
  /** Makes the inputs and returns the call; inputs are disposed by `dispose`. */
  setup(): { run: () => tf.Tensor; dispose: () => void };
  target?: number;
}

function rand(shape: number[]): tf.Tensor {
  return tf.randomUniform(shape, -1, 1, 'float32', 42);
}

function convCase(
  name: string, kernel: 'Conv2D' | 'Conv2DBackpropInput' | 'Conv2DBackpropFilter',
  x: [number, number, number, number], filter: [number, number, number, number],
  strides: number, pad: 'same' | 'valid', builtinIterations: number, target?: number,
): Case {
  const info = tf.backend_util.computeConv2DInfo(x, filter, strides, 1, pad);
  const flops = 2 * info.batchSize * info.outHeight * info.outWidth * info.outChannels *
    info.filterHeight * info.filterWidth * info.inChannels;
  return {
    name, kernel, flops, builtinIterations, target,
    setup() {
      const xs = rand(x);
      const ws = rand(filter);
      const dy = rand(info.outShape);
      const attrs = { strides, pad, dataFormat: 'NHWC', dilations: 1, dimRoundingMode: undefined } as unknown as tf.NamedAttrMap;
      const run = {
        Conv2D: () => tf.engine().runKernel('Conv2D', { x: xs, filter: ws }, attrs),
        Conv2DBackpropInput: () => tf.engine().runKernel('Conv2DBackpropInput', { dy, filter: ws }, { ...attrs, inputShape: x }),
        Conv2DBackpropFilter: () => tf.engine().runKernel('Conv2DBackpropFilter', { x: xs, dy }, { ...attrs, filterShape: filter }),
      }[kernel] as () => tf.Tensor;
      return { run, dispose: () => tf.dispose([xs, ws, dy]) };
    },
  };
}

function poolCase(name: string, kernel: 'MaxPool' | 'MaxPoolGrad', x: [number, number, number, number], builtinIterations: number): Case {
  const info = tf.backend_util.computePool2DInfo(x, 2, 2, 1, 'valid');
  return {
    name, kernel, flops: info.batchSize * info.outHeight * info.outWidth * info.outChannels * 4, builtinIterations,
    setup() {
      const xs = rand(x);
      const y = tf.maxPool(xs as tf.Tensor4D, 2, 2, 'valid');
      const dy = rand(info.outShape);
      const attrs = { filterSize: 2, strides: 2, pad: 'valid' } as unknown as tf.NamedAttrMap;
      const run = kernel === 'MaxPool'
        ? () => tf.engine().runKernel('MaxPool', { x: xs }, attrs) as tf.Tensor
        : () => tf.engine().runKernel('MaxPoolGrad', { dy, input: xs, output: y }, attrs) as tf.Tensor;
      return { run, dispose: () => tf.dispose([xs, y, dy]) };
    },
  };
}

/** The SimpleConvNet training step at batch 100 (conv 30@5×5 on 28×28, pool 2×2), and two larger convolutions. */
function cases(quick: boolean): Case[] {
  const batch = quick ? 10 : 100;
  return [
    convCase(`SimpleConvNet conv1 forward, batch ${batch}`, 'Conv2D', [batch, 28, 28, 1], [5, 5, 1, 30], 1, 'valid', quick ? 2 : 5, 4),
    convCase(`SimpleConvNet conv1 dW, batch ${batch}`, 'Conv2DBackpropFilter', [batch, 28, 28, 1], [5, 5, 1, 30], 1, 'valid', 1, 100),
    convCase(`SimpleConvNet conv1 dx, batch ${batch}`, 'Conv2DBackpropInput', [batch, 28, 28, 1], [5, 5, 1, 30], 1, 'valid', quick ? 2 : 3),
    poolCase(`SimpleConvNet pool1 forward, batch ${batch}`, 'MaxPool', [batch, 24, 24, 30], quick ? 2 : 10),
    poolCase(`SimpleConvNet pool1 backward, batch ${batch}`, 'MaxPoolGrad', [batch, 24, 24, 30], quick ? 2 : 5),
    ...(quick ? [] : [
      convCase('8×56×56×64 → 64, 3×3 same', 'Conv2D', [8, 56, 56, 64], [3, 3, 64, 64], 1, 'same', 2, 4),
      convCase('16×14×14×256 → 256, 1×1', 'Conv2D', [16, 14, 14, 256], [1, 1, 256, 256], 1, 'valid', 2, 4),
    ]),
  ];
}

interface Row {
  case: string;
  kernel: string;
  builtinMs: number;
  oursMs: number;
  speedup: number;
  oursGflops: number;
  maxRelError: number;
  target?: number;
}

async function median(fn: () => void, iterations: number, warmup: number): Promise<number> {
  const bench = new Bench({ time: 0, iterations, warmup: warmup > 0, warmupIterations: warmup, warmupTime: 0, throws: true });
  bench.add('run', fn);
  await bench.run();
  const result = bench.tasks[0].result;
  if (result.state !== 'completed') throw new Error(`benchmark did not complete: ${result.state}`);
  return result.latency.p50;
}

function relError(a: Float32Array, b: Float32Array): number {
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < a.length; i++) {
    diff = Math.max(diff, Math.abs(a[i] - b[i]));
    scale = Math.max(scale, Math.abs(b[i]));
  }
  return diff / Math.max(scale, 1e-30);
}

async function measure(c: Case, quick: boolean): Promise<Row> {
  const { run, dispose } = c.setup();
  const timeOnce = () => tf.dispose(run());
  const builtinResult = run();
  const builtinValues = builtinResult.dataSync() as Float32Array;
  const builtinMs = await median(timeOnce, c.builtinIterations, 0);
  const reg = registerIm2colKernels({ backends: ['cpu'] });
  try {
    const oursResult = run();
    const maxRelError = relError(oursResult.dataSync() as Float32Array, builtinValues);
    tf.dispose([builtinResult, oursResult]);
    const oursMs = await median(timeOnce, quick ? 3 : 20, quick ? 1 : 3);
    return {
      case: c.name, kernel: c.kernel, builtinMs, oursMs, speedup: builtinMs / oursMs,
      oursGflops: c.flops / oursMs / 1e6, maxRelError, target: c.target,
    };
  } finally {
    reg.restore();
    dispose();
  }
}

function format(rows: Row[]): string {
  const header = ['case', 'kernel', 'builtin ms', 'ours ms', 'speedup', 'ours GFLOP/s', 'max rel err', 'target'];
  const body = rows.map((r) => [
    r.case, r.kernel, r.builtinMs.toFixed(1), r.oursMs.toFixed(2), `${r.speedup.toFixed(1)}×`,
    r.kernel.startsWith('Conv') ? r.oursGflops.toFixed(2) : '', r.maxRelError.toExponential(1),
    r.target === undefined ? '' : `≥ ${r.target}× ${r.speedup >= r.target ? 'met' : 'MISSED'}`,
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((b) => b[i].length)));
  const line = (cells: string[]) => cells.map((cell, i) => cell.padEnd(widths[i])).join('  ');
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...body.map(line)].join('\n');
}

async function main(): Promise<void> {
  const program = new Command()
    .name('npm run bench --')
    .description('Time tfjs-im2col kernels against tfjs builtins on the cpu backend')
    .option('--quick', 'small batch, few samples (the test suite runs this)', false)
    .option('--case <text>', 'only cases whose name or kernel contains this text')
    .option('--json <file>', 'also write the results as JSON', '')
    .parse();
  const opts = program.opts<{ quick: boolean; case?: string; json: string }>();
  await tf.setBackend('cpu');
  const selected = cases(opts.quick).filter((c) => !opts.case || c.name.includes(opts.case) || c.kernel.includes(opts.case));
  if (selected.length === 0) throw new Error(`no benchmark case matches '${opts.case}'`);
  const cpu = os.cpus();
  console.log(`tfjs-im2col cpu benchmark: ${cpu[0]?.model ?? 'unknown cpu'} × ${cpu.length}, Node ${process.version}, ` +
    `tfjs ${tf.version_core}, GEMM engine '${getGemmEngine().name}'`);
  const rows: Row[] = [];
  for (const c of selected) {
    process.stdout.write(`  ${c.name} (${c.kernel}) ...`);
    const row = await measure(c, opts.quick);
    rows.push(row);
    process.stdout.write(` ${row.speedup.toFixed(1)}×\n`);
  }
  console.log(`\n${format(rows)}`);
  if (opts.json) {
    mkdirSync(join(opts.json, '..'), { recursive: true });
    writeFileSync(opts.json, JSON.stringify({
      date: new Date().toISOString(), cpu: cpu[0]?.model, cores: cpu.length, node: process.version,
      tfjs: tf.version_core, gemmEngine: getGemmEngine().name, rows,
    }, null, 2));
    console.log(`wrote ${opts.json}`);
  }
}

main().catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
