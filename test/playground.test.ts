/**
 * The browser playground (src/playground/), built by scripts/build-playground.mjs into a temporary folder,
 * served by `npm run demo`'s script (scripts/demo.mjs) and driven in headless Chromium (SwiftShader WebGL2):
 *  - the training hook on webgl and cpu: the loss of real MNIST mini-batches falls, the test accuracy is
 *    measured on real test images;
 *  - the quick-benchmark hook on webgl and cpu: every case timed, outputs within float32 rounding of tfjs's
 *    builtin cpu kernel, and its JSON download renders with the bench's own HTML report;
 *  - a digit drawn with pointer events is classified right by the book's trained weights;
 *  - keyboard use, labels, phone width, non-blank screenshots, no console errors, no request leaving the site.
 */
import { ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { PNG } from 'pngjs';
import type { Browser, Page } from 'playwright-core';
import { renderHtml } from '../benchmarks/report/html';
import { quickCases } from '../benchmarks/suite/cases';
import type { Report } from '../benchmarks/suite/types';
import { currentLibraryIife, LibraryIife } from '../scripts/browser/bundle';
import { launchChromium } from '../scripts/browser/chromium';

const root = path.join(__dirname, '..');
let dir: string;
let site: string;
let server: ChildProcess;
let url: string;
let browser: Browser;
let library: LibraryIife | undefined;
/** The webgl run's losses: the cpu run (same seed, same batches, same initial weights) must match them. */
let webglLosses: number[] | undefined;
let cpuLosses: number[] | undefined;

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'tfjs-im2col-playground-'));
  site = path.join(dir, 'site');
  // Our library as the sources are now (dist/tfjs-im2col.min.js when it is current, else a fresh build).
  library = await currentLibraryIife(root);
  execFileSync(process.execPath, [path.join(root, 'scripts/build-playground.mjs'), '--out', site, '--library', library.file], { cwd: root, stdio: 'pipe' });
  server = spawn(process.execPath, [path.join(root, 'scripts/demo.mjs'), '--dir', site, '--port', '0'], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
  url = await new Promise<string>((resolve, reject) => {
    let out = '';
    server.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = out.match(/playground: (http:\/\/\S+)/);
      if (m) resolve(m[1]);
    });
    server.on('exit', (code) => reject(new Error(`demo exited with ${code}: ${out}`)));
  });
  browser = await launchChromium();
}, 120_000);

afterAll(async () => {
  await browser?.close();
  if (server && server.exitCode === null) {
    await new Promise<void>((resolve) => {
      server.once('exit', () => resolve());
      server.kill('SIGTERM');
    });
  }
  rmSync(dir, { recursive: true, force: true });
  library?.dispose();
});

interface Session { page: Page; errors: string[]; outside: string[]; close(): Promise<void> }

/** A fresh page on `query`; records console errors, page errors and every request that leaves the site. */
async function open(query: string, viewport = { width: 1280, height: 900 }): Promise<Session> {
  const context = await browser.newContext({ viewport, acceptDownloads: true });
  const page = await context.newPage();
  const errors: string[] = [];
  const outside: string[] = [];
  const origin = new URL(url).origin;
  page.on('pageerror', (e) => errors.push(String(e)));
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text());
  });
  page.on('request', (r) => {
    const u = r.url();
    if (!u.startsWith(`${origin}/`) && !u.startsWith('blob:') && !u.startsWith('data:')) outside.push(u);
  });
  await page.goto(`${url}${query}`);
  return { page, errors, outside, close: () => context.close() };
}

const pg = (page: Page) => page.evaluate(() => {
  const p = { ...(window as any).playground };
  if (p.bench) p.bench = { ...p.bench };
  return p;
});

async function waitFor(page: Page, what: string, timeout: number): Promise<void> {
  await page.waitForFunction(`(() => { const p = window.playground; return p && (p.state === 'error' || (${what})); })()`, undefined, { timeout, polling: 250 });
  const p = await pg(page);
  if (p.state === 'error') throw new Error(`page error: ${p.error}`);
}

/** Fraction of pixels differing from the most common colour, and the number of distinct colours. */
function contentOf(png: Buffer): { nonBackground: number; colours: number } {
  const img = PNG.sync.read(png);
  const counts = new Map<number, number>();
  for (let i = 0; i < img.data.length; i += 4) {
    const key = (img.data[i] << 16) | (img.data[i + 1] << 8) | img.data[i + 2];
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  const total = img.width * img.height;
  const most = Math.max(...counts.values());
  return { nonBackground: 1 - most / total, colours: counts.size };
}

test('training hook on webgl: the loss falls; ms per step and test accuracy are reported; the parity sweep agrees', async () => {
  const s = await open('?backend=webgl&kernels=ours&steps=5&autostart=1&validate=1');
  try {
    await waitFor(s.page, "p.state === 'done'", 240_000);
    const p = await pg(s.page);
    expect(p).toMatchObject({ state: 'done', backend: 'webgl', kernels: 'ours', steps: 5, crossOriginIsolated: true });
    expect(p.losses).toHaveLength(5);
    // Softmax over 10 classes from near-zero weights starts at ln 10 ≈ 2.3026.
    expect(p.losses[0]).toBeCloseTo(Math.log(10), 1);
    expect(p.losses[4]).toBeLessThan(p.losses[0] - 0.01);
    webglLosses = p.losses;
    expect(p.msPerStep).toBeGreaterThan(0);
    expect(p.testAccuracy).toBeGreaterThanOrEqual(0);
    expect(p.testAccuracy).toBeLessThanOrEqual(1);
    expect(s.errors).toEqual([]);
    expect(s.outside).toEqual([]);
    console.log(`webgl: ${p.msPerStep.toFixed(0)} ms per step, test accuracy ${p.testAccuracy} after 5 steps`);
    // The parity sweep: ours on webgl against tfjs's builtin webgl and cpu kernels, same inputs.
    await waitFor(s.page, 'p.validate && p.validate.done', 180_000);
    const v = (await pg(s.page)).validate;
    expect(v.error).toBeUndefined();
    expect(v.rows.length).toBeGreaterThanOrEqual(30);
    expect(v.rows.filter((r: { agrees: boolean }) => !r.agrees)).toEqual([]);
    expect(v.disagreements).toBe(0);
    for (const r of v.rows) expect(r.vsCpu.maxRel).toBeLessThan(1e-4);
    expect(await s.page.locator('#validate-status').textContent()).toMatch(/^all \d+ cases agree/);
  } finally {
    await s.close();
  }
}, 300_000);

test('training hook on cpu: the loss falls, the test accuracy rises above chance; screenshots are not blank', async () => {
  const s = await open('?backend=cpu&kernels=ours&steps=20&autostart=1');
  try {
    await waitFor(s.page, "p.state === 'done'", 180_000);
    const p = await pg(s.page);
    expect(p).toMatchObject({ state: 'done', backend: 'cpu', kernels: 'ours', steps: 20 });
    expect(p.losses).toHaveLength(20);
    expect(p.losses[0]).toBeCloseTo(Math.log(10), 1);
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    expect(mean(p.losses.slice(15))).toBeLessThan(mean(p.losses.slice(0, 5)) - 0.1);
    // 1,000 real test images, 10 classes: chance is 10 %.
    expect(p.testAccuracy).toBeGreaterThan(0.3);
    cpuLosses = p.losses;
    // Same seed: the same initial weights and mini-batches as the webgl run, so the same losses up to float32
    // rounding — two independent implementations (our webgl shaders, our cpu GEMM) of the same training.
    if (webglLosses) {
      for (let i = 0; i < webglLosses.length; i++) expect(Math.abs(p.losses[i] - webglLosses[i])).toBeLessThan(1e-3);
    }
    expect(p.mnistBytes).toBe(statSync(path.join(site, 'mnist.bin')).size);
    console.log(`cpu: ${p.msPerStep.toFixed(0)} ms per step, test accuracy ${p.testAccuracy} after 20 steps`);
    const full = contentOf(await s.page.screenshot({ fullPage: true }));
    expect(full.colours).toBeGreaterThan(50);
    expect(full.nonBackground).toBeGreaterThan(0.2);
    for (const id of ['loss-chart', 'filters-canvas', 'responses-canvas']) {
      const c = contentOf(await s.page.locator(`#${id}`).screenshot());
      expect({ id, drawn: c.colours > 5 && c.nonBackground > 0.02 }).toEqual({ id, drawn: true });
    }
    expect(s.errors).toEqual([]);
    expect(s.outside).toEqual([]);
  } finally {
    await s.close();
  }
}, 240_000);

test('training hook on wasm (our gradient kernels on tfjs-backend-wasm, its threads under cross-origin isolation)', async () => {
  const s = await open('?backend=wasm&kernels=ours&steps=4&autostart=1');
  try {
    await waitFor(s.page, "p.state === 'done'", 120_000);
    const p = await pg(s.page);
    expect(p).toMatchObject({ state: 'done', backend: 'wasm', kernels: 'ours', steps: 4, crossOriginIsolated: true, wasmThreads: true });
    expect(p.losses[3]).toBeLessThan(p.losses[0] - 0.005);
    if (cpuLosses) for (let i = 0; i < 4; i++) expect(Math.abs(p.losses[i] - cpuLosses[i])).toBeLessThan(1e-3);
    console.log(`wasm: ${p.msPerStep.toFixed(0)} ms per step`);
    expect(s.errors).toEqual([]);
    expect(s.outside).toEqual([]);
  } finally {
    await s.close();
  }
}, 180_000);

test('benchmark hook on webgl and cpu: every case timed and within rounding of the cpu reference; its JSON renders as the bench report', async () => {
  const s = await open('?bench=quick&backends=webgl,cpu');
  try {
    await waitFor(s.page, 'p.bench && p.bench.done', 240_000);
    const p = await pg(s.page);
    expect(p.bench.error).toBeUndefined();
    expect(p.bench.renderer).toMatch(/SwiftShader/);
    const ids = quickCases().map((c) => c.id);
    expect([...new Set(p.bench.cases.map((c: { id: string }) => c.id))].sort()).toEqual([...ids].sort());
    for (const c of p.bench.cases as Array<{ id: string; backend: string; impl: string; status: string; medianMs: number; maxAbsDiff: number }>) {
      expect({ c, ok: c.status === 'ok' }).toEqual({ c, ok: true });
      expect(c.medianMs).toBeGreaterThan(0);
      expect({ c, close: c.maxAbsDiff < 1e-3 }).toEqual({ c, close: true });
    }
    // The download is the Report `npm run bench` writes: benchmarks/report/html.ts renders it.
    const [download] = await Promise.all([s.page.waitForEvent('download'), s.page.click('#bench-json')]);
    const report = JSON.parse(readFileSync(await download.path(), 'utf8')) as Report;
    expect(report.environment.quick).toBe(true);
    expect(report.environment.webgl?.renderer).toBe(p.bench.renderer);
    const html = renderHtml(report);
    for (const id of ids) expect(html).toContain(id);
    expect(s.errors).toEqual([]);
    expect(s.outside).toEqual([]);
  } finally {
    await s.close();
  }
}, 300_000);

/** Draws a polyline (points in 0..1 of the pad) with the mouse: pointerdown, moves, pointerup. */
async function stroke(page: Page, points: Array<[number, number]>): Promise<void> {
  await page.locator('#digit-canvas').scrollIntoViewIfNeeded();
  const box = (await page.locator('#digit-canvas').boundingBox())!;
  const at = ([x, y]: [number, number]) => [box.x + x * box.width, box.y + y * box.height] as const;
  await page.mouse.move(...at(points[0]));
  await page.mouse.down();
  for (let i = 1; i < points.length; i++) {
    const [x0, y0] = at(points[i - 1]);
    const [x1, y1] = at(points[i]);
    for (let k = 1; k <= 6; k++) await page.mouse.move(x0 + ((x1 - x0) * k) / 6, y0 + ((y1 - y0) * k) / 6);
  }
  await page.mouse.up();
}

test('a digit drawn with pointer events is classified right with the book\'s weights; keyboard, labels, phone width', async () => {
  const s = await open('?backend=cpu', { width: 390, height: 844 });
  try {
    await waitFor(s.page, "p.state === 'ready'", 120_000);
    const ellipse = Array.from({ length: 25 }, (_, i) => {
      const a = (2 * Math.PI * i) / 24;
      return [0.5 + 0.2 * Math.sin(a), 0.5 - 0.3 * Math.cos(a)] as [number, number];
    });
    const digits: Array<[number, Array<Array<[number, number]>>]> = [
      [1, [[[0.5, 0.18], [0.5, 0.82]]]],
      [0, [ellipse]],
      [7, [[[0.28, 0.2], [0.72, 0.2], [0.45, 0.82]]]],
    ];
    // When each pointerup happens (capture phase: before the page's own handler reads the drawing).
    await s.page.evaluate(() => window.addEventListener('pointerup', () => {
      (window as any).lastPointerUp = performance.now();
    }, { capture: true }));
    for (const [i, [digit, strokes]] of digits.entries()) {
      await s.page.click('#clear');
      await s.page.evaluate(() => delete (window as any).playground.prediction);
      if (i === 0) {
        // The first live prediction's read-back takes a second, so pointerup comes while it is under way:
        // the drawing must still be predicted once it is finished.
        await s.page.evaluate(() => {
          const proto = (window as any).tf.Tensor.prototype;
          const data = proto.data;
          proto.data = async function (this: unknown) {
            proto.data = data;
            await new Promise((r) => setTimeout(r, 1000));
            return data.call(this);
          };
        });
      }
      for (const st of strokes) await stroke(s.page, st);
      // A prediction of the finished drawing: read after the last pointerup.
      await waitFor(s.page, 'p.prediction && p.prediction.at >= window.lastPointerUp', 30_000);
      const p = await pg(s.page);
      expect({ digit, predicted: p.prediction.digit, source: p.prediction.source }).toEqual({ digit, predicted: digit, source: 'book' });
      expect(p.prediction.probabilities[digit]).toBeGreaterThan(0.5);
    }
    // Figure 7-25 with the user's own image: the responses are redrawn for it (scaled to 160 px at most).
    expect((await pg(s.page)).image).toEqual({ width: 120, height: 160 }); // the book's 250×333 cactus
    await s.page.setInputFiles('#image-file', path.join(root, 'assets/readme/filters_before.png'));
    await s.page.waitForFunction(() => (window as any).playground.image?.width !== 120, undefined, { timeout: 30_000 });
    const own = PNG.sync.read(readFileSync(path.join(root, 'assets/readme/filters_before.png')));
    const scale = Math.min(1, 160 / Math.max(own.width, own.height));
    expect((await pg(s.page)).image).toEqual({ width: Math.round(own.width * scale), height: Math.round(own.height * scale) });
    // Phone width: nothing wider than the screen.
    expect(await s.page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    // Every control has a label (its own text for buttons).
    const unlabelled = await s.page.evaluate(() => Array.from(document.querySelectorAll('button, select, input')).filter((el) => {
      const e = el as HTMLInputElement;
      const name = (e.labels && e.labels.length > 0) || e.getAttribute('aria-label') || (el.tagName === 'BUTTON' && el.textContent!.trim());
      return !name;
    }).map((el) => el.outerHTML));
    expect(unlabelled).toEqual([]);
    // Keyboard: Tab to Start, Enter starts training, Tab to Pause, Enter pauses.
    const tabTo = async (id: string) => {
      for (let i = 0; i < 40; i++) {
        await s.page.keyboard.press('Tab');
        if (await s.page.evaluate((x) => document.activeElement?.id === x, id)) return;
      }
      throw new Error(`Tab never reached #${id}`);
    };
    await s.page.evaluate(() => (document.activeElement as HTMLElement | null)?.blur());
    await tabTo('start');
    await s.page.keyboard.press('Enter');
    await waitFor(s.page, "p.state === 'training'", 60_000);
    await s.page.waitForFunction(() => Number(document.getElementById('s-step')!.textContent) >= 2, undefined, { timeout: 60_000 });
    await tabTo('pause');
    await s.page.keyboard.press('Enter');
    await waitFor(s.page, "p.state === 'paused'", 60_000);
    expect(s.errors).toEqual([]);
    expect(s.outside).toEqual([]);
  } finally {
    await s.close();
  }
}, 240_000);
