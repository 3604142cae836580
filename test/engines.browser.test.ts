/**
 * The engine selection in a browser (headless Debian Chromium): no worker
 * pool there (the main thread cannot block), the SIMD engines from the same
 * inlined modules, and — where Chromium validates relaxed SIMD — the relaxed
 * engine, each checked against a float64 product computed in the page.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildSync } from 'esbuild';
import type { Browser } from 'playwright-core';
import { launchChromium } from '../scripts/browser/chromium';

let browser: Browser;
let dir: string;
let bundle: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'gemm-browser-'));
  const entry = join(dir, 'entry.ts');
  writeFileSync(entry, `
    export { availableGemmEngines, bestGemmEngineName, selectBestGemmEngine, useGemmEngine } from ${JSON.stringify(join(__dirname, '../kernels/wasm_runtime/engines'))};
    export { gemm } from ${JSON.stringify(join(__dirname, '../kernels/wasm_runtime/engines'))};
  `);
  bundle = join(dir, 'gemm.iife.js');
  buildSync({ entryPoints: [entry], bundle: true, format: 'iife', globalName: 'gemmLib', platform: 'browser',
    target: 'es2020', minify: true, outfile: bundle, logLevel: 'error' });
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  rmSync(dir, { recursive: true, force: true });
});

test('Chromium gets the single-threaded SIMD engines, and each matches a float64 product', async () => {
  const page = await browser.newPage();
  await page.setContent('<!doctype html><html><body></body></html>');
  await page.addScriptTag({ path: bundle });
  const result = await page.evaluate(() => {
    const lib = (globalThis as unknown as { gemmLib: any }).gemmLib;
    const available: string[] = lib.availableGemmEngines();
    const best: string = lib.bestGemmEngineName();
    const [m, n, k] = [77, 45, 300];
    let seed = 7;
    const rand = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 4294967296) - 0.5;
    const a = Float32Array.from({ length: m * k }, rand);
    const b = Float32Array.from({ length: k * n }, rand);
    const errors: Record<string, number> = {};
    for (const name of available.filter((e) => e !== 'wasm-threads')) {
      lib.useGemmEngine(name);
      // B as a transposed view and C column-major, to exercise the strided paths.
      const c = new Float32Array(m * n);
      lib.gemm(m, n, k, { data: a, offset: 0, rowStride: k, colStride: 1 }, { data: b, offset: 0, rowStride: 1, colStride: k },
        { data: c, offset: 0, rowStride: 1, colStride: m }, false);
      let worst = 0;
      for (let i = 0; i < m; i++) {
        for (let j = 0; j < n; j++) {
          let s = 0;
          for (let p = 0; p < k; p++) s += a[i * k + p] * b[j * k + p];
          worst = Math.max(worst, Math.abs(c[i + j * m] - s));
        }
      }
      errors[name] = worst;
    }
    return { available, best, selected: lib.selectBestGemmEngine().name as string, errors };
  });
  await page.close();
  expect(result.available).not.toContain('wasm-threads');
  expect(result.available).toEqual(expect.arrayContaining(['scalar', 'wasm-simd']));
  expect(result.best).toBe(result.available.includes('wasm-relaxed-simd') ? 'wasm-relaxed-simd' : 'wasm-simd');
  expect(result.selected).toBe(result.best);
  for (const [name, worst] of Object.entries(result.errors)) {
    // |values| ≤ 0.5, k = 300: float32 rounding stays far below 1e-4.
    expect({ name, ok: worst < 1e-4 }).toEqual({ name, ok: true });
  }
});
