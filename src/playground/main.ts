/**
 * The playground page: wires the controls to training (trainer.ts), the filter figures (filters.ts), the
 * drawing pad (draw.ts), the benchmark (bench.ts) and the parity sweep (validate.ts).
 *
 * Automation hooks (the page's tests use them), from the query string:
 *  - `?backend=webgl|cpu|wasm&kernels=ours|builtin&steps=N&autostart=1[&model=simple|lenet|deep]` trains N steps, then
 *    window.playground = {state: 'done', backend, kernels, steps, losses, msPerStep, testAccuracy, ...};
 *  - `?bench=quick[&backends=webgl,cpu][&cases=TEXT]` runs the quick benchmark, then
 *    window.playground.bench = {done: true, renderer, cases: [{id, backend, impl, medianMs, maxAbsDiff, status}], report};
 *  - `?validate=1` runs the parity sweep, then window.playground.validate = {done: true, rows, disagreements}.
 */
/* eslint-disable @typescript-eslint/no-explicit-any */
import { renderHtml } from '../../benchmarks/report/html';
import type { Report } from '../../benchmarks/suite/types';
import { benchSummary, reportJson, runBench } from './bench';
import { loadBookSimpleConvNet } from './book';
import { lineChart, logBarChart, runningMean } from './charts';
import { loadMnist, Mnist } from './data';
import { DrawingPad, showSmall } from './draw';
import { drawFilters, drawResponses, grayscaleOf } from './filters';
import { BACKENDS, BackendName, KernelChoice, lib, nextFrame, rendererInfo, tf, useBackend } from './tf';
import { firstConv, NET_TITLES, NetName, Trainer } from './trainer';
import { runSweep, TOLERANCE } from './validate';

interface PlaygroundState {
  state: 'loading' | 'ready' | 'training' | 'paused' | 'done' | 'error';
  error?: string;
  backend?: BackendName;
  kernels?: KernelChoice;
  model?: NetName;
  steps?: number;
  losses?: number[];
  msPerStep?: number;
  imagesPerSecond?: number;
  testAccuracy?: number;
  crossOriginIsolated?: boolean;
  /** Our cpu kernels' GEMM engine (browsers: single-threaded WebAssembly SIMD) and whether their outputs stay in its memory. */
  gemmEngine?: { name: string; threads: number };
  residentOutputs?: boolean;
  /** The size of the image the filters are applied to (the cactus, or the user's, scaled to 160 px at most). */
  image?: { width: number; height: number };
  /** tfjs-backend-wasm's own threads (XNNPACK), which cross-origin isolation allows. */
  wasmThreads?: boolean;
  mnistBytes?: number;
  /** The last prediction of the drawing; `at`: performance.now() when the drawing was read for it. */
  prediction?: { digit: number; probabilities: number[]; source: string; at: number };
  bench?: { done: boolean; renderer: string; cases: ReturnType<typeof benchSummary>; report?: Report; error?: string };
  validate?: { done: boolean; rows: unknown[]; disagreements: number; error?: string };
}

const w = window as any;
const pg: PlaygroundState = { state: 'loading', crossOriginIsolated: globalThis.crossOriginIsolated === true };
w.playground = pg;

const params = new URLSearchParams(location.search);
const $ = <T extends HTMLElement = HTMLElement>(id: string) => document.getElementById(id) as T;
const select = (id: string) => $<HTMLSelectElement>(id);
const setText = (id: string, text: string) => {
  $(id).textContent = text;
};

let data: Mnist | undefined;
let trainer: Trainer | null = null;
let running = false;
let loopDone: Promise<void> = Promise.resolve();
let busy = false; // a benchmark or sweep owns the backends
let bookModel: any;
let image: { w: number; h: number; data: Float32Array } | undefined;
let lastReport: Report | undefined;

function fail(where: string, e: unknown): void {
  const message = `${where}: ${(e as Error)?.message ?? String(e)}`;
  pg.state = 'error';
  pg.error = message;
  setText('train-status', message);
  console.error(message);
}

// ---------------------------------------------------------------- training

function updateButtons(): void {
  const ready = data !== undefined;
  $<HTMLButtonElement>('start').disabled = !ready || running || busy;
  $<HTMLButtonElement>('pause').disabled = !running;
  $<HTMLButtonElement>('reset').disabled = running || trainer === null || busy;
  for (const id of ['model', 'backend', 'kernels']) select(id).disabled = running || busy || (id === 'model' && trainer !== null);
  $<HTMLButtonElement>('bench-run').disabled = running || busy;
  $<HTMLButtonElement>('validate-run').disabled = running || busy;
}

function drawTrainingCharts(): void {
  const t = trainer;
  const losses = t?.losses ?? [];
  const half = Math.max(2, Math.min(25, Math.floor(losses.length / 20)));
  lineChart($<HTMLCanvasElement>('loss-chart'), 'loss', [
    { label: 'per step', color: '#a9bde8', values: losses, width: 1 },
    { label: 'running mean', color: '#2456c9', values: runningMean(losses, half), width: 2 },
  ], { yMin: 0, height: 200 });
  const epochsX = (t?.epochs ?? []).map((e) => e.epoch * (t?.stepsPerEpoch ?? 600));
  lineChart($<HTMLCanvasElement>('acc-chart'), 'accuracy', [
    { label: 'mini-batch (mean)', color: '#e08a00', values: runningMean(t?.batchAccuracies ?? [], half), width: 2 },
    { label: 'test (1,000)', color: '#1b7a3a', values: (t?.epochs ?? []).map((e) => e.testAccuracy), xs: epochsX, dots: true },
  ], { yMin: 0, yMax: 1, height: 160, xMax: losses.length });
}

function updateStats(): void {
  const t = trainer;
  setText('s-step', String(t?.step ?? 0));
  setText('s-epoch', t ? `${t.epoch} (${t.step % t.stepsPerEpoch}/${t.stepsPerEpoch})` : '0');
  const loss = t?.losses[t.losses.length - 1];
  setText('s-loss', loss === undefined ? '–' : loss.toFixed(4));
  const recent = t ? t.stepMs.slice(-20) : [];
  const ms = recent.length ? recent.reduce((a, b) => a + b, 0) / recent.length : NaN;
  setText('s-ms', Number.isFinite(ms) ? ms.toFixed(ms < 100 ? 1 : 0) : '–');
  setText('s-ips', Number.isFinite(ms) && t ? Math.round((t.batchSize * 1000) / ms).toLocaleString('en') : '–');
  const last = t?.epochs[t.epochs.length - 1];
  setText('s-test', last ? `${(100 * last.testAccuracy).toFixed(1)} %` : '–');
}

async function trainLoop(limit: number | undefined): Promise<void> {
  let lastDraw = 0;
  while (running && trainer && (limit === undefined || trainer.step < limit)) {
    const r = await trainer.trainStep();
    if (r.epochDone) {
      const e = await trainer.finishEpoch();
      const row = document.createElement('tr');
      row.innerHTML = `<td>${e.epoch}</td><td>${(100 * e.testAccuracy).toFixed(1)} %</td><td>${e.seconds.toFixed(1)}</td>`;
      $('epochs-table').querySelector('tbody')!.append(row);
    }
    const now = performance.now();
    updateStats();
    if (now - lastDraw > 700 || r.epochDone) {
      lastDraw = now;
      drawTrainingCharts();
      if (select('filters-source').value === 'trained') await drawFilterFigures();
    }
    await nextFrame();
  }
  updateStats();
  drawTrainingCharts();
  if (select('filters-source').value === 'trained') await drawFilterFigures();
  if (trainer && trainer.step > 0) {
    // Stopped (paused, or the hook's steps done): the accuracy now, on the book's 1,000-image check.
    const acc = await trainer.testAccuracy(1000);
    setText('s-test', `${(100 * acc).toFixed(1)} % (step ${trainer.step})`);
  }
}

async function start(limit?: number): Promise<void> {
  if (!data || running) return;
  const backend = select('backend').value as BackendName;
  const kernels = select('kernels').value as KernelChoice;
  running = true;
  updateButtons();
  setText('train-status', `preparing the ${backend} backend…`);
  try {
    if (backend === 'wasm' && kernels === 'builtin') {
      throw new Error("tfjs-backend-wasm 4.22 has no Conv2DBackpropFilter kernel, so it cannot train a CNN on its own: choose 'ours' (our kernels add it)");
    }
    await useBackend(backend, kernels);
    if (!trainer) trainer = new Trainer(data, select('model').value as NetName, Number(params.get('seed') ?? 1));
    Object.assign(pg, { state: 'training', backend, kernels, model: trainer.net });
    setText('train-status', `training ${NET_TITLES[trainer.net]} on ${backend} with ${kernels === 'ours' ? 'our kernels' : "tfjs's builtin kernels"}` +
      (backend === 'webgl' ? ` (${rendererInfo()?.renderer ?? 'unknown renderer'})` : ''));
    loopDone = trainLoop(limit);
    await loopDone;
    if (pg.state === 'training') pg.state = 'paused';
  } catch (e) {
    fail('training', e);
  } finally {
    running = false;
    updateButtons();
  }
}

async function pause(): Promise<void> {
  running = false;
  await loopDone;
  setText('train-status', `paused at step ${trainer?.step ?? 0}`);
  updateButtons();
}

async function reset(): Promise<void> {
  running = false;
  await loopDone;
  trainer?.dispose();
  trainer = null;
  $('epochs-table').querySelector('tbody')!.replaceChildren();
  pg.state = 'ready';
  setText('train-status', 'reset: a fresh network starts with the next Start');
  updateStats();
  drawTrainingCharts();
  await drawFilterFigures();
  updateButtons();
}

// ---------------------------------------------------------------- filters (figures 7-24, 7-25)

async function filterKernel(): Promise<{ values: Float32Array; shape: number[] } | undefined> {
  const model = select('filters-source').value === 'book' ? await getBookModel() : trainer?.model;
  if (!model) return undefined;
  const k = firstConv(model).getWeights()[0];
  return { values: (await k.data()) as Float32Array, shape: k.shape };
}

async function drawFilterFigures(): Promise<void> {
  const k = await filterKernel();
  const fc = $<HTMLCanvasElement>('filters-canvas');
  if (!k) {
    const g = fc.getContext('2d')!;
    g.fillStyle = '#fff';
    g.fillRect(0, 0, fc.width, fc.height);
    g.fillStyle = '#5a6275';
    g.font = '14px system-ui, sans-serif';
    g.fillText('Start training to see its filters (or pick the book\'s).', 10, 30);
    $<HTMLCanvasElement>('responses-canvas').getContext('2d')!.clearRect(0, 0, 9999, 9999);
    return;
  }
  drawFilters(fc, k.values, k.shape);
  if (image) await drawResponses($<HTMLCanvasElement>('responses-canvas'), image, k.values, k.shape, 7);
}

async function loadImage(blob: Blob): Promise<void> {
  const bitmap = await createImageBitmap(blob);
  image = grayscaleOf(bitmap, 160);
  bitmap.close();
  await drawFilterFigures();
  pg.image = { width: image.w, height: image.h };
}

async function getBookModel(): Promise<any> {
  if (!bookModel) bookModel = await loadBookSimpleConvNet('book/simple_convnet');
  return bookModel;
}

// ---------------------------------------------------------------- drawing pad

let predictPending = false;
let predictAgain = false;

/**
 * Predicts the drawing. A call while a prediction is under way is not dropped: the drawing is predicted again
 * when it ends (else a slow live prediction would swallow the one made on pointerup, and the last stroke's
 * end would never be classified).
 */
async function predictDrawing(): Promise<void> {
  if (predictPending) {
    predictAgain = true;
    return;
  }
  predictPending = true;
  try {
    do {
      predictAgain = false;
      await predictOnce();
    } while (predictAgain);
  } finally {
    predictPending = false;
  }
}

async function predictOnce(): Promise<void> {
  try {
    const at = performance.now();
    const input = pad.toMnist();
    showSmall($<HTMLCanvasElement>('digit-small'), input);
    const source = select('predict-source').value;
    if (!input) {
      setText('prediction', '–');
      renderBars(null);
      return;
    }
    const model = source === 'book' ? await getBookModel() : trainer?.model;
    if (!model) {
      setText('prediction', 'start training first (or use the book\'s weights)');
      renderBars(null);
      return;
    }
    const probs = tf.tidy(() => model.predict(tf.tensor4d(input, [1, 28, 28, 1])));
    const p = Array.from((await probs.data()) as Float32Array);
    probs.dispose();
    const digit = p.indexOf(Math.max(...p));
    setText('prediction', `${digit}`);
    renderBars(p);
    pg.prediction = { digit, probabilities: p, source, at };
  } catch (e) {
    fail('prediction', e);
  }
}

function renderBars(p: number[] | null): void {
  const list = $('bars');
  list.replaceChildren();
  const top = p ? p.indexOf(Math.max(...p)) : -1;
  for (let d = 0; d < 10; d++) {
    const li = document.createElement('li');
    const v = p ? p[d] : 0;
    if (d === top) li.className = 'top';
    li.setAttribute('aria-label', `${d}: ${(100 * v).toFixed(1)} percent`);
    li.innerHTML = `<span>${d}</span><span class="bar"><span style="width:${(100 * v).toFixed(1)}%"></span></span><span>${(100 * v).toFixed(1)} %</span>`;
    list.append(li);
  }
}

let lastLivePredict = 0;
const pad = new DrawingPad($<HTMLCanvasElement>('digit-canvas'), (final) => {
  const now = performance.now();
  if (final || now - lastLivePredict > 150) {
    lastLivePredict = now;
    void predictDrawing();
  }
});

// ---------------------------------------------------------------- benchmark

function fmtMs(ms: number | undefined): string {
  if (ms === undefined) return '–';
  return ms < 1 ? ms.toFixed(3) : ms < 100 ? ms.toFixed(2) : ms.toFixed(0);
}

function renderBenchTable(report: Report): void {
  const rows = report.cases.flatMap((c) => c.measurements.map((m) => {
    const diff = m.vsReference?.maxAbs;
    const bad = m.vsReference !== undefined && m.vsReference.maxRel > 1e-3;
    return `<tr><td>${c.spec.id}</td><td>${m.backend}</td><td>${m.impl}</td><td>${m.status === 'ok' ? fmtMs(m.stats?.medianMs) : m.status}</td>` +
      `<td class="${bad ? 'bad' : diff !== undefined ? 'ok' : ''}">${diff === undefined ? '–' : diff.toExponential(1)}</td>` +
      `<td>${(m.note ?? '').replace(/</g, '&lt;')}</td></tr>`;
  }));
  $('bench-table').innerHTML = '<caption>median ms per call; max |difference| from the cpu reference (builtin cpu kernel)</caption>' +
    '<thead><tr><th scope="col">case</th><th scope="col">backend</th><th scope="col">kernels</th><th scope="col">median ms</th>' +
    '<th scope="col">max |Δ| vs cpu</th><th scope="col">note</th></tr></thead><tbody>' + rows.join('') + '</tbody>';
  const series: Array<{ label: string; color: string; backend: string; impl: string }> = [];
  const colors: Record<string, string> = { 'webgl/ours': '#2456c9', 'webgl/builtin': '#a9bde8', 'cpu/ours': '#1b7a3a', 'cpu/builtin': '#9fd3ae', 'wasm/ours': '#b35c00', 'wasm/builtin': '#f0c58a' };
  for (const b of report.environment.backendsRequested) for (const impl of ['ours', 'builtin']) series.push({ label: `${b} ${impl}`, color: colors[`${b}/${impl}`] ?? '#888', backend: b, impl });
  logBarChart($<HTMLCanvasElement>('bench-chart'), 'median ms per call (log scale)', series, report.cases.map((c) => ({
    label: c.spec.id.replace(/^SimpleConvNet\//, 'Simple/'),
    values: series.map((s) => c.measurements.find((m) => m.backend === s.backend && m.impl === s.impl && m.status === 'ok')?.stats?.medianMs),
  })));
}

function download(name: string, type: string, text: string): void {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

async function bench(backends: BackendName[], filter?: string): Promise<void> {
  if (busy || running) return;
  busy = true;
  updateButtons();
  pg.bench = { done: false, renderer: '', cases: [] };
  try {
    const report = await runBench({
      backends, filter,
      progress: (text, done, total) => setText('bench-status', `${done}/${total}: ${text}`),
    });
    lastReport = report;
    renderBenchTable(report);
    const renderer = report.environment.webgl?.renderer ?? 'n/a (webgl not run)';
    setText('bench-status', `done in ${report.environment.wallSeconds?.toFixed(0)} s; WebGL renderer: ${renderer}` +
      `${report.environment.webgl?.software ? ' (software rendering on the CPU)' : ''}`);
    $<HTMLButtonElement>('bench-json').disabled = false;
    $<HTMLButtonElement>('bench-html').disabled = false;
    pg.bench = { done: true, renderer, cases: benchSummary(report), report };
  } catch (e) {
    pg.bench = { done: true, renderer: '', cases: [], error: String((e as Error).message ?? e) };
    setText('bench-status', `benchmark failed: ${pg.bench.error}`);
    console.error(pg.bench.error);
  } finally {
    busy = false;
    updateButtons();
  }
}

// ---------------------------------------------------------------- parity sweep

async function validate(): Promise<void> {
  if (busy || running) return;
  busy = true;
  updateButtons();
  pg.validate = { done: false, rows: [], disagreements: 0 };
  try {
    const rows = await runSweep((d, n) => setText('validate-status', `${d}/${n} cases`));
    const bad = rows.filter((r) => !r.agrees);
    const e = (m?: { maxAbs: number; maxRel: number }) => (m ? `${m.maxAbs.toExponential(1)} (${m.maxRel.toExponential(1)})` : '–');
    $('validate-table').innerHTML = `<caption>max |Δ| (relative) of ours on webgl; tolerance ${TOLERANCE} relative</caption>` +
      '<thead><tr><th scope="col">case</th><th scope="col">vs builtin webgl</th><th scope="col">vs cpu</th><th scope="col">builtin webgl vs cpu</th><th scope="col">verdict</th></tr></thead><tbody>' +
      rows.map((r) => `<tr><td>${r.id}</td><td>${e(r.vsBuiltinWebgl)}</td><td>${e(r.vsCpu)}</td><td>${e(r.builtinVsCpu)}</td>` +
        `<td class="${r.agrees ? 'ok' : 'bad'}">${r.agrees ? 'agrees' : r.error ? `error: ${r.error.replace(/</g, '&lt;')}` : 'DISAGREES'}</td></tr>`).join('') + '</tbody>';
    setText('validate-status', bad.length === 0 ? `all ${rows.length} cases agree on ${rendererInfo()?.renderer ?? 'this GPU'}` :
      `${bad.length} of ${rows.length} cases disagree: ${bad.map((r) => r.id).join('; ')}`);
    pg.validate = { done: true, rows, disagreements: bad.length };
  } catch (e) {
    pg.validate = { done: true, rows: [], disagreements: -1, error: String((e as Error).message ?? e) };
    setText('validate-status', `sweep failed: ${pg.validate.error}`);
    console.error(pg.validate.error);
  } finally {
    busy = false;
    updateButtons();
  }
}

// ---------------------------------------------------------------- start-up

function wire(): void {
  $('start').addEventListener('click', () => void start());
  $('pause').addEventListener('click', () => void pause());
  $('reset').addEventListener('click', () => void reset());
  $('clear').addEventListener('click', () => {
    pad.clear();
    void predictDrawing();
  });
  select('predict-source').addEventListener('change', () => void predictDrawing());
  select('filters-source').addEventListener('change', () => void drawFilterFigures().catch((e) => fail('filters', e)));
  $<HTMLInputElement>('image-file').addEventListener('change', (ev) => {
    const f = (ev.target as HTMLInputElement).files?.[0];
    if (f) void loadImage(f).catch((e) => fail('image', e));
  });
  const zone = $('drop-zone');
  zone.addEventListener('dragover', (e) => {
    e.preventDefault();
    zone.classList.add('over');
  });
  zone.addEventListener('dragleave', () => zone.classList.remove('over'));
  zone.addEventListener('drop', (e) => {
    e.preventDefault();
    zone.classList.remove('over');
    const f = e.dataTransfer?.files?.[0];
    if (f) void loadImage(f).catch((err) => fail('image', err));
  });
  $('bench-run').addEventListener('click', () => {
    const chosen = Array.from(document.querySelectorAll<HTMLInputElement>('input[name=bench-backend]:checked')).map((i) => i.value as BackendName);
    void bench(chosen.length ? chosen : ['webgl', 'cpu']);
  });
  $('bench-json').addEventListener('click', () => lastReport && download('bench.json', 'application/json', reportJson(lastReport)));
  $('bench-html').addEventListener('click', () => lastReport && download('bench.html', 'text/html', renderHtml(lastReport)));
  $('validate-run').addEventListener('click', () => void validate());
  let resizeTimer = 0;
  window.addEventListener('resize', () => {
    clearTimeout(resizeTimer);
    resizeTimer = window.setTimeout(drawTrainingCharts, 150);
  });
}

function choose(id: string, value: string | null, allowed: string[]): void {
  if (value === null) return;
  if (!allowed.includes(value)) throw new Error(`?${id}=${value}: expected one of ${allowed.join(', ')}`);
  select(id).value = value;
}

async function main(): Promise<void> {
  wire();
  renderBars(null);
  drawTrainingCharts();
  tf.env().set('SOFTWARE_WEBGL_ENABLED', true); // a machine without a GPU still gets WebGL (slowly), as here
  const isolated = globalThis.crossOriginIsolated === true;
  setText('env', `TensorFlow.js ${tf.version_core}; tfjs-im2col kernels for ${lib.supportedBackends().join(', ')}; ` +
    `${isolated ? 'cross-origin isolated (SharedArrayBuffer: our cpu kernels keep outputs in WebAssembly memory; tfjs-backend-wasm may use threads)' : 'not cross-origin isolated (no SharedArrayBuffer)'}.`);
  const responses = fetch('book/cactus_gray.png').then((r) => r.blob()).then((b) => loadImage(b));
  choose('backend', params.get('backend'), BACKENDS);
  choose('kernels', params.get('kernels'), ['ours', 'builtin']);
  choose('model', params.get('model'), ['simple', 'lenet', 'deep']);
  const t0 = performance.now();
  data = await loadMnist('mnist.bin', (loaded, total) => {
    const bar = $<HTMLProgressElement>('data-progress');
    if (total > 0) {
      bar.max = total;
      bar.value = loaded;
    }
    setText('data-text', `${(loaded / 1e6).toFixed(1)}${total ? ` / ${(total / 1e6).toFixed(1)}` : ''} MB`);
  });
  pg.mnistBytes = data.downloadBytes;
  setText('data-text', `${data.train.n.toLocaleString('en')} training + ${data.test.n.toLocaleString('en')} test images ` +
    `(${(data.downloadBytes / 1e6).toFixed(1)} MB) in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  await responses.catch((e) => fail('cactus image', e));
  pg.state = 'ready';
  updateButtons();
  await useBackend(select('backend').value as BackendName, select('kernels').value as KernelChoice);
  await drawFilterFigures();

  if (params.get('autostart') === '1') {
    const stepsText = params.get('steps');
    const steps = stepsText === null ? undefined : Number(stepsText);
    if (steps !== undefined && !(Number.isInteger(steps) && steps > 0)) throw new Error(`?steps=${stepsText}: expected a positive integer`);
    await start(steps);
    if (steps !== undefined && trainer && trainer.step >= steps) {
      const testAccuracy = await trainer.testAccuracy(1000);
      Object.assign(pg, {
        steps: trainer.step, losses: trainer.losses.slice(), msPerStep: trainer.msPerStep(),
        imagesPerSecond: (trainer.batchSize * 1000) / trainer.msPerStep(), testAccuracy,
        gemmEngine: lib.currentGemmEngine(), residentOutputs: lib.residentOutputsActive(),
        wasmThreads: steps && pg.backend === 'wasm' ? await tf.env().getAsync('WASM_HAS_MULTITHREAD_SUPPORT') : undefined,
      });
      setText('train-status', `${steps} steps done: ${pg.msPerStep!.toFixed(1)} ms per step, test accuracy ${(100 * testAccuracy).toFixed(1)} % (first 1,000 test images)`);
      pg.state = 'done';
    }
  }
  if (params.get('bench') === 'quick') {
    const list = (params.get('backends') ?? 'webgl,cpu,wasm').split(',').filter(Boolean);
    for (const b of list) if (!BACKENDS.includes(b as BackendName)) throw new Error(`?backends: unknown backend ${b}`);
    await bench(list as BackendName[], params.get('cases') ?? undefined);
  }
  if (params.get('validate') === '1') await validate();
}

main().catch((e) => fail('start-up', e));
