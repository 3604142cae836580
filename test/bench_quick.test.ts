/**
 * The benchmark harness can't rot: bundles benchmarks/main.ts exactly as
 * scripts/build.mjs does (into a temporary folder, so it never races a build),
 * runs the quick suite on cpu + wasm (+ webgl when Chromium is present), then
 * checks the JSON, the terminal table and the HTML report — the latter by
 * rendering it in Chromium and looking at the screenshot. Timing numbers are
 * not asserted (they belong to the benchmark, not to a unit test); the
 * correctness numbers are.
 */
import { build } from 'esbuild';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { PNG } from 'pngjs';
import { BLOCK_BELOW_MS, BLOCK_CALLS, isShortCall } from '../benchmarks/suite/webgl_blocks';
import { MIN_ROUNDS } from '../benchmarks/suite/paired';
import type { Measurement, Report } from '../benchmarks/suite/types';
import { buildLibraryIife } from '../scripts/browser/bundle';
import { chromiumMissing, chromiumPath, launchChromium } from '../scripts/browser/chromium';

const root = path.resolve(__dirname, '..');
const haveChromium = chromiumMissing() === undefined;

let dir: string;
let report: Report;
let html: string;
let stdout: string;
let wallSeconds: number;

function find(id: string, backend: string, impl: string): Measurement | undefined {
  return report.cases.find((c) => c.spec.id === id)?.measurements.find((m) => m.backend === backend && m.impl === impl);
}

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'tfjs-im2col-bench-'));
  const common = { bundle: true, target: 'es2020', logLevel: 'error' as const, absWorkingDir: root };
  await build({ ...common, entryPoints: ['benchmarks/main.ts'], format: 'cjs', platform: 'node', packages: 'external',
    outfile: path.join(dir, 'bench.cjs') });
  // Our IIFE for the page, with the options of dist/tfjs-im2col.min.js.
  await buildLibraryIife(root, path.join(dir, 'tfjs-im2col.min.js'));
  const backends = haveChromium ? 'cpu,wasm,webgl,tensorflow' : 'cpu,wasm,tensorflow';
  const started = Date.now();
  stdout = await new Promise<string>((resolve, reject) => {
    execFile(process.execPath, [path.join(dir, 'bench.cjs'), '--quick', '--backend', backends, '--out', path.join(dir, 'out'),
      '--webgl-lib', path.join(dir, 'tfjs-im2col.min.js')],
    // The bundle lives outside the repository: its npm externals resolve through NODE_PATH.
    { cwd: root, env: { ...process.env, NODE_PATH: path.join(root, 'node_modules') }, maxBuffer: 64 * 2 ** 20, timeout: 150_000 },
    (err, out, errOut) => (err ? reject(new Error(`bench --quick failed: ${err.message}\n${out}\n${errOut}`)) : resolve(out)));
  });
  wallSeconds = (Date.now() - started) / 1000;
  console.log(`bench --quick took ${wallSeconds.toFixed(1)} s`);
  report = JSON.parse(readFileSync(path.join(dir, 'out', 'bench.json'), 'utf8'));
  html = readFileSync(path.join(dir, 'out', 'bench.html'), 'utf8');
}, 200_000);

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

test('JSON names the environment', () => {
  const env = report.environment;
  expect(env.quick).toBe(true);
  expect(env.cores).toBeGreaterThan(0);
  expect(env.cpuModel.length).toBeGreaterThan(0);
  expect(env.node).toBe(process.version);
  expect(env.tfjs['tfjs-core']).toMatch(/^\d+\.\d+\.\d+/);
  expect(env.tfjs['tfjs-backend-wasm']).toMatch(/^\d+\.\d+\.\d+/);
  expect(env.gemmEngine.length).toBeGreaterThan(0);
  expect(env.wasm?.simd).toBe(true);
  let tfjsNodeInstalled = true;
  try {
    require.resolve('@tensorflow/tfjs-node');
  } catch {
    tfjsNodeInstalled = false;
  }
  if (!tfjsNodeInstalled) {
    expect(env.tfjsNode.present).toBe(false);
    expect(env.tfjsNode.note).toMatch(/not installed/);
  }
  if (haveChromium) {
    expect(env.webgl?.renderer).toMatch(/SwiftShader/i);
    expect(env.webgl?.software).toBe(true);
  }
});

test('cpu: every quick case timed for ours and the builtin, results match the builtin', () => {
  expect(report.cases.length).toBeGreaterThanOrEqual(5);
  const ops = new Set(report.cases.map((c) => c.spec.op));
  for (const op of ['Conv2D', 'Conv2DBackpropInput', 'Conv2DBackpropFilter', 'MaxPool', 'MaxPoolGrad', 'TrainStep']) expect(ops).toContain(op);
  for (const c of report.cases) {
    for (const impl of ['builtin', 'ours']) {
      const m = find(c.spec.id, 'cpu', impl)!;
      expect(m).toBeDefined();
      expect({ id: c.spec.id, impl, status: m.status, note: m.note }).toEqual({ id: c.spec.id, impl, status: 'ok', note: undefined });
      expect(m.stats!.samples).toBeGreaterThanOrEqual(1);
      expect(m.stats!.medianMs).toBeGreaterThan(0);
      expect(m.stats!.minMs).toBeLessThanOrEqual(m.stats!.medianMs);
      expect(m.stats!.maxMs).toBeGreaterThanOrEqual(m.stats!.medianMs);
      expect(m.memory!.rssBytes).toBeGreaterThan(0);
    }
    const ours = find(c.spec.id, 'cpu', 'ours')!;
    expect(c.referenceSource).toBe('builtin-cpu');
    expect(ours.vsBuiltin!.maxRel).toBeLessThan(1e-4);
    if (c.spec.isFlops) expect(ours.gflops).toBeGreaterThan(0);
  }
});

test('wasm: builtins timed where they exist, missing kernels reported n/a', () => {
  const dW = report.cases.find((c) => c.spec.op === 'Conv2DBackpropFilter')!;
  expect(find(dW.spec.id, 'wasm', 'builtin')!.status).toBe('n/a');
  const fwd = report.cases.find((c) => c.spec.op === 'Conv2D' && c.spec.net === 'SimpleConvNet')!;
  const m = find(fwd.spec.id, 'wasm', 'builtin')!;
  expect(m.status).toBe('ok');
  expect(m.vsReference!.maxRel).toBeLessThan(1e-4);
});

(haveChromium ? test : test.skip)('webgl: builtin and ours timed in Chromium, results match the cpu reference', () => {
  let withInterval = 0;
  for (const c of report.cases) {
    if (c.spec.params.kind === 'net') {
      // whole tfjs-layers networks run in Node only
      for (const impl of ['builtin', 'ours']) expect(find(c.spec.id, 'webgl', impl)!.status).toBe('n/a');
      continue;
    }
    for (const impl of ['builtin', 'ours']) {
      const m = find(c.spec.id, 'webgl', impl)!;
      expect({ id: c.spec.id, impl, status: m.status }).toEqual({ id: c.spec.id, impl, status: 'ok' });
      expect(m.vsReference!.maxRel).toBeLessThan(1e-3);
      expect(m.memory!.gpuBytesAllocated).toBeGreaterThan(0);
      // Timed interleaved with the other implementation; the programs the first call used are counted.
      if (!m.stats!.firstCallOnly) expect(m.stats!.interleaved).toBe(true);
      expect(m.programs).toBeGreaterThan(0);
    }
    // Short calls are timed in blocks after each switch of implementation: whole blocks, as many for each.
    const [b, o] = ['builtin', 'ours'].map((impl) => find(c.spec.id, 'webgl', impl)!.stats!);
    if (!b.firstCallOnly && !o.firstCallOnly && Math.max(b.medianMs, o.medianMs) < BLOCK_BELOW_MS / 2) {
      expect({ id: c.spec.id, builtin: b.samples % BLOCK_CALLS, ours: o.samples % BLOCK_CALLS, same: b.samples === o.samples })
        .toEqual({ id: c.spec.id, builtin: 0, ours: 0, same: true });
      expect(b.samples).toBeGreaterThanOrEqual(2 * BLOCK_CALLS);
    }
    // Ours carries the paired speedup of the rounds, with an interval around it, and whether it ran builtin programs only.
    const ours = find(c.spec.id, 'webgl', 'ours')!;
    expect(typeof ours.handedToBuiltin).toBe('boolean');
    const p = ours.paired;
    if (p) {
      expect(p.rounds).toBeGreaterThanOrEqual(MIN_ROUNDS);
      expect(p.lo).toBeLessThanOrEqual(p.geomean);
      expect(p.geomean).toBeLessThanOrEqual(p.hi);
      withInterval++;
    }
  }
  // The quick suite's short calls get the quick plan's 5 rounds, enough for an interval.
  expect(withInterval).toBeGreaterThan(0);
  // The browser and its flags are named; by default SwiftShader is forced and reported as software.
  const gl = report.environment.webgl!;
  expect(gl.browser).toBe(chromiumPath());
  expect(gl.gpuRequested).toBe(false);
  expect(gl.headed).toBe(false);
  expect(gl.browserArgs).toContain('--use-angle=swiftshader');
  expect(gl.software).toBe(true);
  // Served cross-origin isolated, so the page's clock is not coarsened to 0.1 ms.
  expect(gl.crossOriginIsolated).toBe(true);
  expect(stdout).toMatch(/webgl: (no case below 1\.0× \(\d+ timed\)|\d+ of \d+ cases below 1\.0× by medians)/);
  expect(stdout).toMatch(/paired \[95 % interval\]/);
  expect(stdout).toMatch(/webgl programs one SimpleConvNet\/b\d+\/train\/step compiles in a fresh page: builtin \d+, ours \d+/);
});

/** Runs the built bench again on one small webgl case (by default the quick suite's LeNet/b1/S2/forward) with `flags`; returns the report. */
function runWebglFlags(
  out: string, flags: string[], env: NodeJS.ProcessEnv = process.env, which = ['--quick', '--case', 'LeNet/b1/S2/forward'],
): Promise<Report> {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [path.join(dir, 'bench.cjs'), ...which, '--backend', 'webgl', '--out', out,
      '--webgl-lib', path.join(dir, 'tfjs-im2col.min.js'), ...flags],
    { cwd: root, env: { ...env, NODE_PATH: path.join(root, 'node_modules') }, maxBuffer: 16 * 2 ** 20, timeout: 120_000 },
    (err, o, e) => (err ? reject(new Error(`bench ${flags.join(' ')} failed: ${err.message}\n${o}\n${e}`))
      : resolve(JSON.parse(readFileSync(path.join(out, 'bench.json'), 'utf8')))));
  });
}

(haveChromium ? test : test.skip)('webgl flags: --browser names the binary, --gpu drops the forced SwiftShader, --headed wants a display', async () => {
  // --gpu on this machine (no GPU): Chromium falls back to software, and the report says so plainly.
  // With --min-samples 7 the case gets 7 interleaved rounds (the quick budget allows at most 5), each a block of
  // BLOCK_CALLS timed calls of each implementation (a ~1 ms pool).
  const gpu = await runWebglFlags(path.join(dir, 'gpu'), ['--browser', chromiumPath(), '--gpu', '--min-samples', '7']);
  for (const m of gpu.cases[0].measurements.filter((x) => x.backend === 'webgl')) {
    expect({ impl: m.impl, samples: m.stats!.samples, interleaved: m.stats!.interleaved })
      .toEqual({ impl: m.impl, samples: 7 * BLOCK_CALLS, interleaved: true });
  }
  const g = gpu.environment.webgl!;
  expect(g.browser).toBe(chromiumPath());
  expect(g.gpuRequested).toBe(true);
  expect(g.browserArgs).not.toContain('--use-angle=swiftshader');
  expect(g.browserArgs).toContain('--ignore-gpu-blocklist');
  if (g.software) expect(g.note).toMatch(/--gpu was given, but the browser fell back to a software renderer/);
  // A binary that is not there: the section is n/a with a note naming it, the run still writes its report.
  const missing = await runWebglFlags(path.join(dir, 'missing'), ['--browser', '/nonexistent/chrome']);
  expect(missing.environment.webgl!.note).toMatch(/no Chromium at \/nonexistent\/chrome/);
  // --headed without a display: a clear note instead of a failed launch.
  const env = { ...process.env };
  delete env.DISPLAY;
  delete env.WAYLAND_DISPLAY;
  const headed = await runWebglFlags(path.join(dir, 'headed'), ['--headed'], env);
  expect(headed.environment.webgl!.headed).toBe(true);
  expect(headed.environment.webgl!.note).toMatch(/--headed needs a display/);
}, 200_000);

(haveChromium ? test : test.skip)('webgl: a call handed to the builtin is reported so, from the timed calls alone', async () => {
  // DeepConvNet b8 pool3's gradient falls in a class handed to the builtin (kernels/webgl/builtin_classes.ts); the
  // case's untimed set-up, the forward pool that gives MaxPoolGrad its `output`, runs our program. Counting the
  // set-up's programs too, as the first version did, reported this case as ours.
  const r = await runWebglFlags(path.join(dir, 'handed'), ['--min-samples', '2'], process.env, ['--case', 'DeepConvNet/b8/pool3/backward']);
  expect(r.cases.map((c) => c.spec.id)).toEqual(['DeepConvNet/b8/pool3/backward']);
  const ours = r.cases[0].measurements.find((m) => m.backend === 'webgl' && m.impl === 'ours')!;
  expect(ours.handedToBuiltin).toBe(true);
  // ... while the quick suite's own SimpleConvNet b8 pool gradient is ours.
  expect(find('SimpleConvNet/b8/pool1/backward', 'webgl', 'ours')!.handedToBuiltin).toBe(false);
}, 200_000);

test('a short webgl call whose one warm sample caught a pause is still timed in blocks (one more call decides)', async () => {
  const never = async (): Promise<number> => { throw new Error('timed again'); };
  // A 0.5 ms pool call measured once at 60 ms (seen on a loaded CI machine): the next call decides.
  expect(await isShortCall(60, async () => 0.5)).toBe(true);
  expect(await isShortCall(60, async () => 70)).toBe(false);
  // Clear cases need no extra call: under BLOCK_BELOW_MS, or ten times that and more.
  expect(await isShortCall(BLOCK_BELOW_MS - 1, never)).toBe(true);
  expect(await isShortCall(10 * BLOCK_BELOW_MS, never)).toBe(false);
});

test('--min-samples refuses a value that is not a whole number ≥ 1, before running anything', async () => {
  for (const bad of ['0', '2.5', 'many']) {
    const err = await new Promise<string>((resolve) => {
      execFile(process.execPath, [path.join(dir, 'bench.cjs'), '--quick', '--backend', 'cpu', '--min-samples', bad, '--out', path.join(dir, 'bad')],
        { cwd: root, env: { ...process.env, NODE_PATH: path.join(root, 'node_modules') }, timeout: 60_000 },
        (e, _o, errOut) => resolve(e ? `exit ${e.code}: ${errOut}` : 'exit 0'));
    });
    expect(err).toMatch(new RegExp(`^exit 1: Error: --min-samples must be a whole number ≥ 1, got ${bad === 'many' ? 'NaN' : bad}`));
  }
});

test('a whole network (tfjs-layers MobileNet): timed on cpu and wasm, paired, with a kernel profile', () => {
  const net = report.cases.find((c) => c.spec.op === 'NetForward')!;
  expect(net).toBeDefined();
  expect(net.spec.id).toMatch(/^MobileNetV1/);
  const wasm = find(net.spec.id, 'wasm', 'builtin')!;
  expect(wasm.status).toBe('ok');
  expect(wasm.vsReference!.maxRel).toBeLessThan(1e-4);
  expect(net.paired!.rounds).toBeGreaterThanOrEqual(3);
  expect(net.paired!.oursCpuMs).toBeGreaterThan(0);
  expect(net.paired!.wasmMs).toBeGreaterThan(0);
  // tf.profile of ours: the convolutions are there, nested `__op` wrappers are not counted twice
  const names = net.profile!.kernels.map((k) => k.name);
  expect(names).toContain('FusedConv2D');
  expect(names.some((n) => n.endsWith('__op'))).toBe(false);
  expect(net.profile!.kernelMs).toBeGreaterThan(0);
  expect(stdout).toContain('== whole networks (tfjs-layers): ours on cpu vs builtin cpu and tfjs-backend-wasm ==');
  expect(stdout).toMatch(/top kernels, MobileNetV1[^\n]*ours on cpu/);
  expect(html).toContain('class="networks"');
  expect(html).toContain('class="profile"');
});

test('terminal output has the tables and headlines', () => {
  expect(stdout).toContain('== cpu: ours vs builtin ==');
  expect(stdout).toContain('== wasm: builtins ==');
  expect(stdout).toContain('headlines:');
  expect(stdout).toMatch(/target SimpleConvNet\/b\d+\/conv1\/dW: [\d.]+× vs ≥ 100×/);
});

test('HTML is self-contained and renders its charts in Chromium', async () => {
  expect(html).toMatch(/^<!doctype html>/);
  expect(html).not.toMatch(/(src|href)\s*=\s*["']?(https?:)?\/\//i);
  expect(html).not.toMatch(/<script/i);
  expect(html).toContain('chart-speedup');
  expect(html).toContain('chart-backends');
  if (haveChromium) expect(html).toMatch(/not a GPU/);
  if (!haveChromium) return;
  // A static page: Chromium's own renderer, no forced SwiftShader.
  const browser = await launchChromium({ swiftshader: false });
  try {
    const page = await browser.newPage({ viewport: { width: 1200, height: 1400 } });
    const requests: string[] = [];
    page.on('request', (r) => { if (!r.url().startsWith('file:')) requests.push(r.url()); });
    await page.goto(`file://${path.join(dir, 'out', 'bench.html')}`);
    const bars = await page.$$eval('svg.chart-speedup rect.bar', (els) => els.map((e) => (e as SVGRectElement).getBBox().width));
    expect(bars.length).toBeGreaterThanOrEqual(report.cases.length);
    expect(bars.every((w) => w > 0)).toBe(true);
    expect(await page.$$eval('svg.chart-backends rect.bar', (els) => els.length)).toBeGreaterThanOrEqual(report.cases.length * 2);
    const box = await page.locator('svg.chart-speedup').boundingBox();
    expect(box!.width).toBeGreaterThan(200);
    expect(box!.height).toBeGreaterThan(100);
    const png = PNG.sync.read(await page.locator('svg.chart-speedup').screenshot());
    // Not blank: a good share of non-white pixels, and the cpu series' blue among them.
    let ink = 0;
    let blue = 0;
    for (let i = 0; i < png.data.length; i += 4) {
      const [r, g, b] = [png.data[i], png.data[i + 1], png.data[i + 2]];
      if (r < 240 || g < 240 || b < 240) ink++;
      if (Math.abs(r - 0x1f) < 12 && Math.abs(g - 0x77) < 12 && Math.abs(b - 0xb4) < 12) blue++;
    }
    const pixels = png.width * png.height;
    expect(ink / pixels).toBeGreaterThan(0.02);
    expect(blue).toBeGreaterThan(50);
    expect(requests).toEqual([]);
  } finally {
    await browser.close();
  }
});
