/**
 * Node side of the WebGL section: serves tfjs's script-tag bundles, our IIFE
 * bundle, the page script and the cpu reference outputs on 127.0.0.1, drives
 * Debian's Chromium (SwiftShader WebGL2) with playwright-core, and runs every
 * case in the page: builtin webgl kernels against ours, same inputs.
 */
import { existsSync, readFileSync } from 'node:fs';
import { createServer, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { describeError } from './measure';
import { bySize, SectionContext } from './node_runner';
import type { CaseSpec, Measurement, WebglEnv } from './types';
import type { PageEnv } from './webgl_page';

export const CHROMIUM_PATH = '/usr/bin/chromium';
export const CHROMIUM_ARGS = [
  '--no-sandbox', '--use-angle=swiftshader', '--enable-unsafe-swiftshader', '--disable-background-networking',
  '--disable-component-update', '--disable-sync',
];

const TFJS_SCRIPTS = [
  'node_modules/@tensorflow/tfjs-core/dist/tf-core.min.js',
  'node_modules/@tensorflow/tfjs-backend-cpu/dist/tf-backend-cpu.min.js',
  'node_modules/@tensorflow/tfjs-backend-webgl/dist/tf-backend-webgl.min.js',
  // tfjs-layers registers tfjs-core's gradients on the global `tf` (the training step needs them).
  'node_modules/@tensorflow/tfjs-layers/dist/tf-layers.min.js',
];

/** Bundles benchmarks/suite/webgl_page.ts for the browser; tfjs imports (types only today) map to the page's global. */
async function buildPageScript(root: string): Promise<string> {
  // require, not import(): the bundled runner is CommonJS and must resolve like the rest of its externals.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { build } = require('esbuild') as typeof import('esbuild');
  const result = await build({
    entryPoints: [join(root, 'benchmarks/suite/webgl_page.ts')], bundle: true, write: false, format: 'iife',
    globalName: 'benchPage', platform: 'browser', target: 'es2020', logLevel: 'error', absWorkingDir: root,
    plugins: [{
      name: 'tf-global',
      setup(b) {
        b.onResolve({ filter: /^@tensorflow\/tfjs-(core|backend-cpu|backend-webgl)$/ }, (a) => ({ path: a.path, namespace: 'tf-global' }));
        b.onLoad({ filter: /.*/, namespace: 'tf-global' }, () => ({ contents: 'module.exports = globalThis.tf;', loader: 'js' }));
      },
    }],
  });
  return result.outputFiles[0].text;
}

function serve(root: string, library: string, pageScript: string, refs: SectionContext['refs']): Promise<{ server: Server; url: string }> {
  const html = `<!doctype html><html><head><meta charset="utf-8"><title>tfjs-im2col webgl bench</title></head><body>
${TFJS_SCRIPTS.map((s) => `<script src="/${s}"></script>`).join('\n')}
<script src="/lib/tfjs-im2col.min.js"></script>
<script src="/lib/bench-page.js"></script>
</body></html>`;
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const send = (type: string, body: string | Buffer | Uint8Array) => {
      res.writeHead(200, { 'content-type': type });
      res.end(body);
    };
    if (url.pathname === '/') return send('text/html', html);
    if (url.pathname === '/lib/bench-page.js') return send('text/javascript', pageScript);
    if (url.pathname === '/lib/tfjs-im2col.min.js') return send('text/javascript', readFileSync(library));
    if (TFJS_SCRIPTS.includes(url.pathname.slice(1))) return send('text/javascript', readFileSync(join(root, url.pathname.slice(1))));
    if (url.pathname === '/ref') {
      const ref = refs.get(url.searchParams.get('id') ?? '');
      if (ref) return send('application/octet-stream', new Uint8Array(ref.values.buffer, ref.values.byteOffset, ref.values.byteLength));
    }
    res.writeHead(404);
    res.end();
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve({ server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/` }));
  });
}

const SOFTWARE = /swiftshader|llvmpipe|softpipe|software|microsoft basic render/i;

export interface WebglSectionOptions {
  root: string;
  /** Our IIFE bundle (dist/tfjs-im2col.min.js). */
  library: string;
}

/**
 * Runs the cases in Chromium. Returns the environment (renderer!) or, when
 * the section cannot run, a reason; measurements land in ctx.results.
 */
export async function runWebglSection(specs: CaseSpec[], ctx: SectionContext, opts: WebglSectionOptions): Promise<WebglEnv> {
  const unavailable = (note: string): WebglEnv => {
    for (const spec of specs) {
      const list = ctx.results.get(spec.id)!.measurements;
      for (const impl of ['builtin', 'ours'] as const) {
        if (!list.some((m) => m.backend === 'webgl' && m.impl === impl)) {
          list.push({ caseId: spec.id, backend: 'webgl', impl, status: 'n/a', note });
        }
      }
    }
    ctx.log(`  webgl: ${note}`);
    return { renderer: 'n/a', vendor: 'n/a', webglVersion: 0, float32RenderTargets: false, software: false, chromiumVersion: 'n/a', oursOnWebgl: false, note };
  };
  if (!existsSync(CHROMIUM_PATH)) return unavailable(`Chromium not found at ${CHROMIUM_PATH} (apt-get install -y chromium)`);
  if (!existsSync(opts.library)) return unavailable(`${opts.library} is missing (npm run build)`);
  let server: Server | undefined;
  let browser: Browser | undefined;
  try {
    const pageScript = await buildPageScript(opts.root);
    const served = await serve(opts.root, opts.library, pageScript, ctx.refs);
    server = served.server;
    const url = served.url;
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { chromium } = require('playwright-core') as typeof import('playwright-core');
    browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS });
    const page = await browser.newPage();
    const pageErrors: string[] = [];
    page.on('pageerror', (e) => pageErrors.push(String(e)));
    await page.goto(url);
    await page.waitForFunction(() => typeof (globalThis as { benchPage?: unknown }).benchPage === 'object', undefined, { timeout: 60_000 });
    const penv = await page.evaluate(() => (globalThis as any).benchPage.init()) as PageEnv;
    const env: WebglEnv = {
      renderer: penv.renderer, vendor: penv.vendor, webglVersion: penv.webglVersion, float32RenderTargets: penv.float32RenderTargets,
      software: SOFTWARE.test(penv.renderer), chromiumVersion: browser.version(), oursOnWebgl: penv.oursOnWebgl,
      note: penv.hasGradients ? undefined : 'no gradients registered in the page: the training step cannot run',
    };
    ctx.log(`  webgl renderer: ${env.renderer}${env.software ? ' (software rendering on the CPU, not a GPU)' : ''}; ` +
      `Chromium ${env.chromiumVersion}; our webgl kernels ${env.oursOnWebgl ? 'registered' : 'absent from this build'}`);
    // A first webgl call compiles shaders, seconds' worth for a training step: it is the only sample only above 10 s.
    const webglPlan = { ...ctx.plan, firstCallOnlyAboveMs: Math.max(ctx.plan.firstCallOnlyAboveMs, 10_000) };
    for (const spec of bySize(specs)) {
      await ctx.refs.ensure(spec, ctx.plan, ctx.rates);
      let rows: Measurement[];
      try {
        rows = await page.evaluate(([s, p]) => (globalThis as any).benchPage.runCase(s, p), [spec, webglPlan] as const) as Measurement[];
      } catch (e) {
        const note = describeError(e);
        rows = (['builtin', 'ours'] as const).map((impl) => ({ caseId: spec.id, backend: 'webgl' as const, impl, status: 'error' as const, note }));
      }
      ctx.results.get(spec.id)!.referenceSource ??= ctx.refs.get(spec.id)?.source;
      ctx.results.get(spec.id)!.measurements.push(...rows);
      const ms = (m: Measurement) => (m.stats ? `${m.stats.medianMs.toFixed(m.stats.medianMs < 10 ? 2 : 0)} ms` : m.status);
      ctx.log(`  webgl ${spec.id}: builtin ${ms(rows[0])}, ours ${ms(rows[1])}`);
    }
    if (pageErrors.length > 0) env.note = [env.note, `page errors: ${pageErrors.slice(0, 3).join(' | ')}`].filter(Boolean).join('; ');
    return env;
  } catch (e) {
    return unavailable(`webgl section failed: ${describeError(e)}`);
  } finally {
    await browser?.close();
    const srv = server;
    if (srv) await new Promise((r) => srv.close(r));
  }
}
