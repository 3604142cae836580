/**
 * `npm run bench`: the benchmark suite. Every conv and pool layer of the
 * chapter's networks, odd shapes and a SimpleConvNet training step, timed on
 *  - cpu: tfjs-backend-cpu's builtin kernels against ours, same run, same inputs;
 *  - wasm: tfjs-backend-wasm's builtins (XNNPACK), the fastest CPU peer here;
 *  - webgl: builtin webgl kernels against ours in headless Chromium (the
 *    report names the renderer: SwiftShader is software on the CPU);
 *  - tensorflow: @tensorflow/tfjs-node's builtins, only when it is installed.
 * Writes a terminal table, JSON (results + environment) and a self-contained
 * HTML report with charts.
 */
import { Command, Option } from 'commander';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import { dirname, join, resolve } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { getGemmEngine, registerIm2colKernels } from '../src';
import { runMemorySteps } from './suite/memory_run';
import { fullCases, matches, quickCases } from './suite/cases';
import { detectTfjsNode, ReferenceStore, runBuiltinSection, runCpuSection, runPairedNetworks, SectionContext, setUpWasm } from './suite/node_runner';
import { FULL_PLAN, QUICK_PLAN, RateBook } from './suite/timing';
import type { Backend, CaseResult, Environment, Report } from './suite/types';
import { runWebglSection } from './suite/webgl_runner';
import { renderHtml } from './report/html';
import { formatTerminal } from './report/table';
import { updateReadme } from './report/markdown';
import { findRepoRoot } from '../scripts/browser/library';
import { ensureWritableDir, writeFileAtomic } from '../src/files';

const BACKENDS: Backend[] = ['cpu', 'wasm', 'webgl', 'tensorflow'];

/** The repository root, found from this program's folder or, failing that, the working folder. */
function repoRoot(): string {
  try {
    return findRepoRoot(__dirname);
  } catch {
    return findRepoRoot(process.cwd());
  }
}

function version(pkg: string): string {
  try {
    return JSON.parse(readFileSync(require.resolve(`${pkg}/package.json`), 'utf8')).version;
  } catch {
    return 'absent';
  }
}

/** `--memory-steps N`: train a small MobileNet N steps with ours on cpu, print memory at chosen steps. */
async function memoryMode(opts: Options, out: string): Promise<void> {
  const steps = opts.memorySteps!;
  if (!(Number.isInteger(steps) && steps > 0)) throw new Error(`--memory-steps must be a positive integer, got ${steps}`);
  const size = opts.memorySize ?? 32;
  await tf.setBackend('cpu');
  const reg = registerIm2colKernels({ backends: ['cpu'] });
  const sampleAt = [0, 1, 10, 100, 500, 1000, 2000, 5000, 10000].filter((s) => s < steps).concat([steps]);
  const mib = (b: number) => (b / 2 ** 20).toFixed(1);
  const row = (cells: Array<string | number>) => cells.map((c, i) => String(c).padStart(i === 0 ? 6 : 12)).join(' ');
  console.log(`memory over ${steps} training steps: MobileNet v1 alpha 0.25, ${size}×${size}×3 → 10, batch 8, model.trainOnBatch (SGD), ` +
    `ours on cpu, GEMM engine '${getGemmEngine().name}'`);
  console.log(row(['step', 'tensors', 'tensor MiB', 'wasm MiB', 'resident MiB', 'res. tensors', 'RSS MiB', 'heap MiB', 'ms/step', 'loss']));
  try {
    const { samples, params } = await runMemorySteps({
      steps, sampleAt, size, onSample: (s) => console.log(row([s.step, s.numTensors, mib(s.tensorBytes), mib(s.wasmBytes), mib(s.residentFloats * 4),
        s.residentTensors, mib(s.rssBytes), mib(s.heapUsedBytes), s.msPerStep.toFixed(1), Number.isNaN(s.loss) ? '' : s.loss.toFixed(4)])),
    });
    const warm = samples.find((s) => s.step >= 10) ?? samples[samples.length - 1];
    const last = samples[samples.length - 1];
    const verdict = (name: string, a: number, b: number, unit = '') => `${name} ${a}${unit} → ${b}${unit}${b > a ? ' (GREW)' : ' (flat)'}`;
    console.log(`after warm-up (step ${warm.step}) to step ${last.step}: ${verdict('tensors', warm.numTensors, last.numTensors)}, ` +
      `${verdict('wasm memory', Number(mib(warm.wasmBytes)), Number(mib(last.wasmBytes)), ' MiB')}, ` +
      `${verdict('resident', Number(mib(warm.residentFloats * 4)), Number(mib(last.residentFloats * 4)), ' MiB')}; ` +
      `RSS ${mib(warm.rssBytes)} → ${mib(last.rssBytes)} MiB (${last.rssBytes >= warm.rssBytes ? '+' : ''}${mib(last.rssBytes - warm.rssBytes)})`);
    const file = resolve(opts.json ?? join(out, 'memory.json'));
    ensureWritableDir(dirname(file), 'bench');
    writeFileAtomic(file, `${JSON.stringify({ date: new Date().toISOString(), gemmEngine: getGemmEngine().name, node: process.version, params, samples }, null, 2)}\n`);
    console.log(`wrote ${file}`);
  } finally {
    reg.restore();
  }
}

interface Options {
  memorySteps?: number;
  memorySize?: number;
  quick: boolean;
  case?: string;
  backend: string;
  out?: string;
  json?: string;
  html?: string;
  webglLib?: string;
  readme?: string | boolean;
  note?: string;
  maxCall?: number;
  minSamples?: number;
  browser?: string;
  gpu: boolean;
  headed: boolean;
  browserArg: string[];
}

async function main(): Promise<void> {
  const program = new Command()
    .name('npm run bench --')
    .description('tfjs-im2col benchmark suite: ours vs tfjs builtins on cpu, wasm, webgl (and tfjs-node when installed)')
    .option('--quick', 'a handful of small cases with few samples (npm test runs this)', false)
    .option('--case <text>', 'only cases whose id, kernel or network contains this text (case-insensitive)')
    .option('--backend <list>', `comma-separated backends: ${BACKENDS.join(', ')}`, 'cpu,wasm,webgl,tensorflow')
    .option('--out <dir>', 'folder for bench.json and bench.html (default bench-results/, git-ignored)')
    .option('--json <file>', 'JSON path (default <out>/bench.json)')
    .option('--html <file>', 'HTML path (default <out>/bench.html)')
    .option('--max-call <seconds>', 'skip a builtin whose estimated call exceeds this many seconds, ours 2.5× that (defaults: 15 and 40; --quick: 3 and 10)', parseFloat)
    .option('--min-samples <n>', 'at least n timed samples per implementation and case (webgl: n interleaved rounds; a call under 50 ms is timed 4 times a round), '
      + 'except calls whose first call is their only sample; default: as many as fit the time budget, 3 to 30', Number)
    .option('--note <text>', 'a remark stored with the results (e.g. about the machine\'s load)')
    .option('--readme [file]', 'also rewrite the results section of benchmarks/README.md (or this file) from this run')
    .addOption(new Option('--webgl-lib <file>', 'our IIFE bundle for the page (default dist/tfjs-im2col.min.js)'))
    .option('--browser <path>', 'webgl: the Chrome / Chromium / Edge binary to drive (default $CHROMIUM_PATH or /usr/bin/chromium)')
    .option('--gpu', "webgl: let the browser use the machine's GPU (default: SwiftShader, software WebGL on the CPU, forced)", false)
    .option('--headed', 'webgl: a visible browser window instead of headless (needs a display)', false)
    .option('--browser-arg <flag...>', 'webgl: further browser flags, e.g. --browser-arg=--use-angle=vulkan', [])
    .option('--memory-steps <n>', 'instead of the suite: train a small MobileNet (alpha 0.25) n steps with ours on cpu and report tensors, '
      + 'WebAssembly memory and RSS at steps 10, 100, 500, 1000, … (writes <out>/memory.json, or --json)', (v) => Number(v))
    .option('--memory-size <px>', 'with --memory-steps: input height and width (default 32)', (v) => Number(v))
    .parse();
  const opts = program.opts<Options>();
  const started = Date.now();
  const root = repoRoot();
  if (opts.memorySteps !== undefined) {
    await memoryMode(opts, opts.out ? resolve(opts.out) : join(root, 'bench-results'));
    return;
  }
  // The output folders are checked before the run, so that a bad --out does not cost a finished run.
  const out = opts.out ? resolve(opts.out) : join(root, 'bench-results');
  const jsonPath = resolve(opts.json ?? join(out, 'bench.json'));
  const htmlPath = resolve(opts.html ?? join(out, 'bench.html'));
  for (const p of [jsonPath, htmlPath]) ensureWritableDir(dirname(p), 'bench');

  const requested = opts.backend.split(',').map((b) => b.trim()).filter(Boolean);
  for (const b of requested) {
    if (!BACKENDS.includes(b as Backend)) throw new Error(`unknown backend '${b}'; valid: ${BACKENDS.join(', ')}`);
  }
  const backends = requested as Backend[];
  const specs = (opts.quick ? quickCases() : fullCases()).filter((s) => matches(s, opts.case));
  if (specs.length === 0) throw new Error(`no benchmark case matches '${opts.case}'`);

  const results = new Map<string, CaseResult>(specs.map((spec) => [spec.id, { spec, measurements: [] }]));
  const log = (line: string) => console.log(line);
  const basePlan = opts.quick ? QUICK_PLAN : FULL_PLAN;
  if (opts.maxCall !== undefined && !(opts.maxCall > 0)) throw new Error(`--max-call must be a positive number of seconds, got ${opts.maxCall}`);
  const { minSamples } = opts;
  if (minSamples !== undefined && !(Number.isInteger(minSamples) && minSamples >= 1)) {
    throw new Error(`--min-samples must be a whole number ≥ 1, got ${minSamples}`);
  }
  const plan = {
    ...basePlan,
    ...(opts.maxCall === undefined ? {} : { skipAboveMs: opts.maxCall * 1000, oursSkipAboveMs: opts.maxCall * 2500 }),
    atLeast: minSamples ?? 0,
  };
  const ctx: SectionContext = { plan, rates: new RateBook(), refs: new ReferenceStore(), results, log };
  await tf.setBackend('cpu');
  const cpus = os.cpus();
  const env: Environment = {
    date: new Date().toISOString(), cpuModel: cpus[0]?.model ?? 'unknown', cores: cpus.length, totalMemoryBytes: os.totalmem(),
    platform: `${os.platform()} ${os.release()} ${os.arch()}`, node: process.version,
    tfjs: Object.fromEntries(['tfjs-core', 'tfjs-backend-cpu', 'tfjs-backend-wasm', 'tfjs-backend-webgl', 'tfjs-layers']
      .map((p) => [p, version(`@tensorflow/${p}`)])),
    gemmEngine: getGemmEngine().name, backendsRequested: backends, tfjsNode: detectTfjsNode(), quick: opts.quick, caseFilter: opts.case, note: opts.note,
  };
  log(`tfjs-im2col benchmark${opts.quick ? ' --quick' : ''}: ${specs.length} cases on ${backends.join(', ')}; ` +
    `${env.cpuModel} × ${env.cores}, Node ${env.node}, tfjs ${env.tfjs['tfjs-core']}, GEMM engine '${env.gemmEngine}'`);

  const sectionSeconds: Record<string, number> = {};
  const timed = async (name: string, fn: () => Promise<unknown>) => {
    const t0 = Date.now();
    await fn();
    sectionSeconds[name] = (Date.now() - t0) / 1000;
    log(`  (${name} section: ${sectionSeconds[name].toFixed(0)} s)`);
  };
  if (backends.includes('cpu')) {
    log('cpu section (tfjs-backend-cpu builtins vs ours)');
    await timed('cpu', () => runCpuSection(specs, ctx));
  }
  if (backends.includes('wasm')) {
    log('wasm section (tfjs-backend-wasm builtins, XNNPACK)');
    const wasm = await setUpWasm();
    env.wasm = { simd: wasm.simd, threads: wasm.threads, note: wasm.note };
    if (wasm.ok) await timed('wasm', () => runBuiltinSection('wasm', specs, ctx));
    if (wasm.ok && backends.includes('cpu') && specs.some((s) => s.op === 'NetForward')) {
      log('networks: ours on cpu and tfjs-backend-wasm, paired call by call');
      await timed('paired', () => runPairedNetworks(specs, ctx));
    }
    else for (const s of specs) results.get(s.id)!.measurements.push({ caseId: s.id, backend: 'wasm', impl: 'builtin', status: 'n/a', note: wasm.note });
  }
  if (backends.includes('tensorflow')) {
    if (env.tfjsNode.present) {
      log('tensorflow section (@tensorflow/tfjs-node builtins)');
      await timed('tensorflow', () => runBuiltinSection('tensorflow', specs, ctx));
    } else {
      log(`tensorflow section: ${env.tfjsNode.note}`);
    }
  }
  if (backends.includes('webgl')) {
    log('webgl section (Chromium: builtin webgl vs ours)');
    await tf.setBackend('cpu');
    // Whole networks need tfjs-layers, which the page does not load.
    const pageSpecs = specs.filter((s) => s.params.kind !== 'net');
    for (const s of specs.filter((x) => x.params.kind === 'net')) {
      for (const impl of ['builtin', 'ours'] as const) {
        results.get(s.id)!.measurements.push({ caseId: s.id, backend: 'webgl', impl, status: 'n/a', note: 'network cases run in Node only (cpu, wasm)' });
      }
    }
    await timed('webgl', async () => {
      if (pageSpecs.length === 0) return;
      env.webgl = await runWebglSection(pageSpecs, ctx, {
        root, library: resolve(opts.webglLib ?? join(root, 'dist/tfjs-im2col.min.js')),
        browser: opts.browser, gpu: opts.gpu, headed: opts.headed, browserArgs: opts.browserArg,
      });
    });
  }
  env.wallSeconds = (Date.now() - started) / 1000;
  env.sectionSeconds = sectionSeconds;

  const report: Report = { environment: env, cases: specs.map((s) => results.get(s.id)!) };
  console.log(`\n${formatTerminal(report)}`);
  writeFileAtomic(jsonPath, `${JSON.stringify(report, (_k, v) => (typeof v === 'number' && !Number.isFinite(v) ? String(v) : v), 2)}\n`);
  writeFileAtomic(htmlPath, renderHtml(report));
  console.log(`\nwrote ${jsonPath}\nwrote ${htmlPath}\nwall time ${env.wallSeconds.toFixed(0)} s`);
  if (opts.readme) {
    const readme = typeof opts.readme === 'string' ? resolve(opts.readme) : join(root, 'benchmarks/README.md');
    updateReadme(readme, report);
    console.log(`updated the results section of ${readme}`);
  }
  const failed = report.cases.flatMap((c) => c.measurements).filter((m) => m.status === 'error');
  if (failed.length > 0) {
    console.log(`${failed.length} measurement(s) failed (status "error"); see the notes above`);
    process.exitCode = 2;
  }
}

main().catch((err) => {
  console.error(err instanceof Error ? err.stack ?? err.message : err);
  process.exit(1);
});
