/**
 * Runs code in headless Chromium (Debian's /usr/bin/chromium, SwiftShader
 * WebGL2) against tfjs's own script-tag bundles and our IIFE bundle
 * `tfjs-im2col.min.js`. Used by the webgl tests and the webgl benchmark.
 *
 * The page loads, in order: tf-core, tf-backend-cpu, tf-backend-webgl,
 * tf-layers (it registers tfjs-core's gradients on the global `tf`), the
 * IIFE bundle (global `tfjsIm2col`), then test/browser/page.ts bundled with
 * esbuild (global `harness`).
 */
import { build, BuildOptions, Plugin } from 'esbuild';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createServer, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import type { Browser, Page } from 'playwright-core';

/** The repository root: the nearest folder above this file with our package.json. */
export function findRepoRoot(start: string = __dirname): string {
  let dir = start;
  for (;;) {
    const pkg = path.join(dir, 'package.json');
    if (existsSync(pkg) && JSON.parse(readFileSync(pkg, 'utf8')).name === 'tfjs-im2col') return dir;
    const up = path.dirname(dir);
    if (up === dir) throw new Error(`tfjs-im2col: no package.json above ${start}`);
    dir = up;
  }
}

/** Same mapping as scripts/build.mjs: tfjs imports resolve to the page's global `tf`. */
const tfGlobal: Plugin = {
  name: 'tf-global',
  setup(b) {
    b.onResolve({ filter: /^@tensorflow\/tfjs-(core|backend-cpu|backend-webgl)$/ }, (args) => ({ path: args.path, namespace: 'tf-global' }));
    b.onLoad({ filter: /.*/, namespace: 'tf-global' }, () => ({ contents: 'module.exports = globalThis.tf;', loader: 'js' }));
  },
};

function newestMtime(dir: string): number {
  let newest = 0;
  const walk = (d: string) => {
    for (const name of readdirSync(d)) {
      const p = path.join(d, name);
      const s = statSync(p);
      if (s.isDirectory()) walk(p);
      else if (name.endsWith('.ts')) newest = Math.max(newest, s.mtimeMs);
    }
  };
  walk(dir);
  return newest;
}

export interface Bundles {
  /** Absolute path of the tfjs-im2col IIFE the page loads. */
  library: string;
  /** Where it came from: dist/ (fresh `npm run build`) or a test build with the same options. */
  librarySource: 'dist' | 'test-build';
  page: string;
  dir: string;
}

/**
 * dist/tfjs-im2col.min.js when it is newer than every source file; otherwise
 * the same IIFE (same entry, format, global name, tf mapping) built into a
 * temporary folder, so the tests never run a stale bundle and never race
 * another `npm run build`.
 */
export async function buildBundles(root: string): Promise<Bundles> {
  const dir = mkdtempSync(path.join(tmpdir(), 'tfjs-im2col-browser-'));
  const dist = path.join(root, 'dist', 'tfjs-im2col.min.js');
  const sourcesNewest = Math.max(newestMtime(path.join(root, 'src')), newestMtime(path.join(root, 'kernels')));
  const common: BuildOptions = { bundle: true, target: 'es2020', logLevel: 'error', absWorkingDir: root, platform: 'browser' };
  let library = dist;
  let librarySource: Bundles['librarySource'] = 'dist';
  if (!existsSync(dist) || statSync(dist).mtimeMs < sourcesNewest) {
    library = path.join(dir, 'tfjs-im2col.min.js');
    librarySource = 'test-build';
    await build({ ...common, entryPoints: ['src/index.ts'], format: 'iife', globalName: 'tfjsIm2col', minify: true,
      plugins: [tfGlobal], outfile: library });
  }
  const page = path.join(dir, 'page.js');
  await build({ ...common, entryPoints: [path.join(root, 'test/browser/page.ts')], format: 'iife', globalName: 'harness',
    plugins: [tfGlobal], outfile: page });
  return { library, librarySource, page, dir };
}

const TFJS_SCRIPTS = [
  'node_modules/@tensorflow/tfjs-core/dist/tf-core.min.js',
  'node_modules/@tensorflow/tfjs-backend-cpu/dist/tf-backend-cpu.min.js',
  'node_modules/@tensorflow/tfjs-backend-webgl/dist/tf-backend-webgl.min.js',
  'node_modules/@tensorflow/tfjs-layers/dist/tf-layers.min.js',
];

/** Serves the page, tfjs's bundles, our bundles and the book fixtures on 127.0.0.1. */
function serve(root: string, bundles: Bundles): Promise<{ server: Server; url: string }> {
  const fixtures = path.resolve(root, 'assets/book');
  const routes: Record<string, string> = { '/lib/tfjs-im2col.min.js': bundles.library, '/lib/page.js': bundles.page };
  const html = `<!doctype html><html><head><meta charset="utf-8"></head><body>
${TFJS_SCRIPTS.map((s) => `<script src="/${s}"></script>`).join('\n')}
<script src="/lib/tfjs-im2col.min.js"></script>
<script src="/lib/page.js"></script>
</body></html>`;
  const server = createServer((req, res) => {
    const url = decodeURIComponent((req.url ?? '/').split('?')[0]);
    let file: string | undefined;
    if (url === '/favicon.ico') {
      res.writeHead(204);
      res.end();
      return;
    }
    if (url === '/' || url === '/index.html') {
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end(html);
      return;
    }
    if (routes[url]) file = routes[url];
    else if (url.startsWith('/node_modules/')) file = path.join(root, url);
    else if (url.startsWith('/fixtures/')) file = path.join(fixtures, url.slice('/fixtures/'.length));
    const allowed = file && (file.startsWith(root) || file.startsWith(fixtures) || file.startsWith(bundles.dir));
    if (!file || !allowed || url.includes('..') || !existsSync(file)) {
      res.writeHead(404);
      res.end();
      return;
    }
    res.writeHead(200, { 'content-type': file.endsWith('.js') ? 'text/javascript' : 'application/octet-stream' });
    res.end(readFileSync(file));
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => {
    resolve({ server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/` });
  }));
}

export const CHROMIUM_ARGS = [
  '--no-sandbox', '--use-angle=swiftshader', '--enable-unsafe-swiftshader', '--disable-background-networking',
  '--disable-component-update', '--disable-sync',
];

export interface BrowserSession {
  page: Page;
  /** Page errors and console errors seen so far. */
  errors: string[];
  /** Other console output (tfjs prints shader compile errors there). */
  logs: string[];
  librarySource: Bundles['librarySource'];
  /** Renderer, WebGL version, float32 support, as reported by the page. */
  env: {
    renderer: string; vendor: string; webglVersion: number; float32Capable: boolean; float32Enabled: boolean;
    tfjsVersion: string; hasGradients: boolean;
  };
  close(): Promise<void>;
}

/** Headless Chromium: $CHROMIUM_PATH or Debian's /usr/bin/chromium, with SwiftShader WebGL. */
export async function launchChromium(): Promise<Browser> {
  const { chromium } = await import('playwright-core');
  const executablePath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
  if (!existsSync(executablePath)) {
    throw new Error(`tfjs-im2col browser tests: no Chromium at ${executablePath}. Install Debian's chromium ` +
      '(apt-get install -y chromium) or set CHROMIUM_PATH; playwright\'s own browser downloads are not used.');
  }
  return chromium.launch({ executablePath, args: CHROMIUM_ARGS });
}

/** Launches Chromium, opens the harness page and waits until `harness` is ready. */
export async function openSession(options: { webglVersion?: 1 | 2; forceF16?: boolean } = {}): Promise<BrowserSession> {
  const root = findRepoRoot();
  const bundles = await buildBundles(root);
  const { server, url } = await serve(root, bundles);
  let browser: Browser | undefined;
  try {
    browser = await launchChromium();
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(String(e)));
    const logs: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error') errors.push(m.text());
      else logs.push(m.text());
    });
    await page.goto(url);
    await page.waitForFunction(() => typeof (globalThis as { harness?: unknown }).harness === 'object');
    const env = await page.evaluate(([v, f16]) => (globalThis as any).harness.init(v, f16),
      [options.webglVersion ?? 2, options.forceF16 ?? false] as const);
    const b = browser;
    return {
      page, errors, logs, env, librarySource: bundles.librarySource,
      close: async () => {
        await b.close();
        await new Promise((r) => server.close(r));
        rmSync(bundles.dir, { recursive: true, force: true });
      },
    };
  } catch (e) {
    await browser?.close();
    server.close();
    rmSync(bundles.dir, { recursive: true, force: true });
    throw e;
  }
}
