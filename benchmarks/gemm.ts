/**
 * GEMM micro-benchmark: GFLOP/s of every engine (scalar, WebAssembly SIMD,
 * relaxed SIMD where available, the worker pool at 1..N threads) on the
 * products the conv kernels and SimpleConvNet issue, plus 512³, all in one run.
 *
 *   node dist/bench-gemm.cjs [--relaxed] [--time ms] [--threads n]
 *
 * --relaxed turns on V8's relaxed-SIMD flag first (Node 20 hides it), so the
 * relaxed engines are measured too. Each figure is the median over the samples
 * tinybench takes within --time ms per case (default 1000) after warm-up.
 */
import { setFlagsFromString } from 'node:v8';
import os from 'node:os';
import { Bench } from 'tinybench';
import type { GemmEngine, Matrix } from '../kernels/core/gemm';
import type { WasmEngine } from '../kernels/wasm_runtime/gemm_wasm';

const args = process.argv.slice(2);
const flag = (name: string) => args.includes(name);
const option = (name: string, fallback: number) => {
  const i = args.indexOf(name);
  return i >= 0 ? Number(args[i + 1]) : fallback;
};
if (flag('--relaxed')) setFlagsFromString('--experimental-wasm-relaxed-simd');

interface Case {
  name: string;
  m: number;
  n: number;
  k: number;
  /** Builds the three views (A m×k, B k×n, C m×n) with the layouts the caller uses. */
  views(): { a: Matrix; b: Matrix; c: Matrix };
  accumulate: boolean;
  /** A is placed in the engine's own memory (`resident`), as the im2col workspace is. */
  residentA?: boolean;
}

function filled(size: number, seed: number): Float32Array {
  const out = new Float32Array(size);
  let s = seed;
  for (let i = 0; i < size; i++) {
    s = (s * 1103515245 + 12345) >>> 0;
    out[i] = s / 4294967296 - 0.5;
  }
  return out;
}

const row = (data: Float32Array, ld: number): Matrix => ({ data, offset: 0, rowStride: ld, colStride: 1 });
const col = (data: Float32Array, ld: number): Matrix => ({ data, offset: 0, rowStride: 1, colStride: ld });

const CASES: Case[] = [
  {
    // SimpleConvNet conv forward, batch 100, NHWC: im2col (57600×25) · W (25×30).
    name: 'conv fwd NHWC 57600x30x25', m: 57600, n: 30, k: 25, accumulate: false,
    views: () => ({ a: row(filled(57600 * 25, 1), 25), b: row(filled(25 * 30, 2), 30), c: row(new Float32Array(57600 * 30), 30) }),
  },
  {
    // The same with the im2col matrix in a resident buffer (no staging copy of A).
    name: 'conv fwd NHWC A-resident', m: 57600, n: 30, k: 25, accumulate: false, residentA: true,
    views: () => ({ a: row(filled(57600 * 25, 1), 25), b: row(filled(25 * 30, 2), 30), c: row(new Float32Array(57600 * 30), 30) }),
  },
  {
    // The same with an NCHW output: C is written column-major (rowStride 1, colStride pixels).
    name: 'conv fwd NCHW-out 57600x30x25', m: 57600, n: 30, k: 25, accumulate: false,
    views: () => ({ a: row(filled(57600 * 25, 1), 25), b: row(filled(25 * 30, 2), 30), c: col(new Float32Array(57600 * 30), 57600) }),
  },
  {
    // Filter gradient: im2colᵀ (25×57600, a transposed view) · dy (57600×30), accumulated.
    name: 'conv dW 25x30x57600', m: 25, n: 30, k: 57600, accumulate: true,
    views: () => ({ a: col(filled(57600 * 25, 3), 25), b: row(filled(57600 * 30, 4), 30), c: row(new Float32Array(25 * 30), 30) }),
  },
  {
    // Input gradient: dy (57600×30) · Wᵀ (30×25, a transposed view).
    name: 'conv dx 57600x25x30', m: 57600, n: 25, k: 30, accumulate: false,
    views: () => ({ a: row(filled(57600 * 30, 5), 30), b: col(filled(25 * 30, 6), 30), c: row(new Float32Array(57600 * 25), 25) }),
  },
  {
    name: 'conv fwd 25088x64x576', m: 25088, n: 64, k: 576, accumulate: false,
    views: () => ({ a: row(filled(25088 * 576, 7), 576), b: row(filled(576 * 64, 8), 64), c: row(new Float32Array(25088 * 64), 64) }),
  },
  {
    // SimpleConvNet's first dense layer, batch 100: 100×4320 · 4320×100.
    name: 'dense 100x100x4320', m: 100, n: 100, k: 4320, accumulate: false,
    views: () => ({ a: row(filled(100 * 4320, 9), 4320), b: row(filled(4320 * 100, 10), 100), c: row(new Float32Array(100 * 100), 100) }),
  },
  {
    name: 'square 512x512x512', m: 512, n: 512, k: 512, accumulate: false,
    views: () => ({ a: row(filled(512 * 512, 11), 512), b: row(filled(512 * 512, 12), 512), c: row(new Float32Array(512 * 512), 512) }),
  },
];

async function main(): Promise<void> {
  // Imported after the flag is set: the modules are validated on first use.
  const { scalarEngine } = await import('../kernels/core/gemm');
  const { createWasmEngine, wasmSupported } = await import('../kernels/wasm_runtime/gemm_wasm');
  const { createThreadedEngine, threadsSupported } = await import('../kernels/wasm_runtime/gemm_threads');
  const time = option('--time', 1000);
  const maxThreads = option('--threads', os.cpus().length);

  const engines: Array<{ label: string; engine: GemmEngine; close?: () => Promise<void> }> = [
    { label: 'scalar', engine: scalarEngine },
  ];
  if (wasmSupported('simd')) engines.push({ label: 'wasm-simd', engine: createWasmEngine('simd') });
  if (wasmSupported('relaxed')) engines.push({ label: 'wasm-relaxed-simd', engine: createWasmEngine('relaxed') });
  for (const variant of ['simd', 'relaxed'] as const) {
    if (!threadsSupported(variant)) continue;
    for (let t = 1; t <= maxThreads; t++) {
      const pool = createThreadedEngine(t, variant);
      engines.push({ label: `wasm-threads${variant === 'relaxed' ? '-relaxed' : ''} x${t}`, engine: pool, close: () => pool.close() });
    }
  }

  console.log(`GEMM GFLOP/s (median of tinybench samples, ${time} ms per case) — ${os.cpus()[0]?.model ?? 'cpu'}, ` +
    `${os.cpus().length} cores, load average ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}, Node ${process.version}`);
  const header = ['case', ...engines.map((e) => e.label)];
  const rows: string[][] = [];
  for (const c of CASES) {
    const { a, b, c: out } = c.views();
    const bench = new Bench({ time, iterations: 3, warmupIterations: 2, warmupTime: 100 });
    const skipped = new Set<string>();
    for (const { label, engine } of engines) {
      let av = a;
      if (c.residentA) {
        const resident = (engine as Partial<WasmEngine>).linearMemory?.resident(a.data.length) ?? null;
        if (resident === null) {
          skipped.add(label);
          continue;
        }
        resident.set(a.data);
        av = { ...a, data: resident };
      }
      bench.add(label, () => engine.gemm(c.m, c.n, c.k, av, b, out, c.accumulate));
    }
    await bench.run();
    const flops = 2 * c.m * c.n * c.k;
    const byLabel = new Map(bench.tasks.map((t) => [t.name, t.result as { latency?: { p50: number } }]));
    rows.push([c.name, ...engines.map(({ label }) => {
      if (skipped.has(label)) return '-';
      const r = byLabel.get(label);
      return r?.latency ? (flops / (r.latency.p50 * 1e6)).toFixed(1) : 'error';
    })]);
    console.error(`  done: ${c.name}`);
  }
  printTable(header, rows);
  await Promise.all(engines.map((e) => e.close?.()));
  await matMulSection(time);
}

function printTable(header: string[], rows: string[][]): void {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) => cells.map((x, i) => (i === 0 ? x.padEnd(widths[i]) : x.padStart(widths[i]))).join('  ');
  console.log(line(header));
  for (const r of rows) console.log(line(r));
}

/**
 * tf.matMul on the cpu backend: tfjs's builtin BatchMatMul against ours (on the best engine),
 * for SimpleConvNet's dense layers at batch 100, forward and both gradients, same run, same inputs.
 */
async function matMulSection(time: number): Promise<void> {
  const tf = await import('@tensorflow/tfjs-core');
  await import('@tensorflow/tfjs-backend-cpu');
  const { batchMatMulConfig } = await import('../kernels/cpu/BatchMatMul');
  const { selectBestGemmEngine, shutdownGemmThreads } = await import('../kernels/wasm_runtime/engines');
  await tf.setBackend('cpu');
  const engine = selectBestGemmEngine();
  const shapes: Array<[string, number[], number[], boolean, boolean]> = [
    ['dense1 fwd [100,4320]x[4320,100]', [100, 4320], [4320, 100], false, false],
    ['dense1 dW [100,4320]^T x[100,100]', [100, 4320], [100, 100], true, false],
    ['dense1 dx [100,100]x[4320,100]^T', [100, 100], [4320, 100], false, true],
    ['dense2 fwd [100,100]x[100,10]', [100, 100], [100, 10], false, false],
  ];
  const builtin = tf.getKernel('BatchMatMul', 'cpu')!;
  const rows: string[][] = [];
  for (const [name, as, bs, ta, tb] of shapes) {
    const a = tf.randomUniform(as);
    const b = tf.randomUniform(bs);
    const ms: number[] = [];
    for (const config of [builtin, batchMatMulConfig]) {
      tf.unregisterKernel('BatchMatMul', 'cpu');
      tf.registerKernel(config);
      const bench = new Bench({ time, iterations: 3, warmupIterations: 1, warmupTime: 50 });
      bench.add(name, () => tf.matMul(a, b, ta, tb).dispose());
      await bench.run();
      ms.push((bench.tasks[0].result as { latency: { p50: number } }).latency.p50);
    }
    tf.unregisterKernel('BatchMatMul', 'cpu');
    tf.registerKernel(builtin);
    tf.dispose([a, b]);
    rows.push([name, ms[0].toFixed(2), ms[1].toFixed(2), (ms[0] / ms[1]).toFixed(1)]);
  }
  console.log(`\ntf.matMul on the cpu backend, median ms (ours on ${engine.name}):`);
  printTable(['case', 'builtin ms', 'ours ms', 'speed-up'], rows);
  await shutdownGemmThreads();
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
