/**
 * Node side of the WebGL section: serves tfjs's script-tag bundles, our IIFE
 * bundle, the page script and the cpu reference outputs on 127.0.0.1, drives
 * Chromium (SwiftShader WebGL2) with playwright-core, and runs every case in
 * the page: builtin webgl kernels against ours, same inputs. The server, the
 * page bundle and the Chromium launch are the shared ones in scripts/browser/.
 */
import { existsSync } from 'node:fs';
import type { Browser } from 'playwright-core';
import { buildPageScript } from '../../scripts/browser/bundle';
import { chromiumArgs, chromiumMissing, chromiumPath, launchChromium } from '../../scripts/browser/chromium';
import { CROSS_ORIGIN_ISOLATION, StaticServer } from '../../scripts/browser/server';
import { serveTfjsPage } from '../../scripts/browser/tfjs_page';
import { describeError } from './measure';
import { bySize, SectionContext } from './node_runner';
import type { CaseSpec, Measurement, WebglEnv } from './types';
import type { PageEnv } from './webgl_page';

const SOFTWARE = /swiftshader|llvmpipe|softpipe|software|microsoft basic render/i;

export interface WebglSectionOptions {
  root: string;
  /** Our IIFE bundle (dist/tfjs-im2col.min.js). */
  library: string;
  /** The browser binary (Chrome, Chromium, Edge); default chromiumPath(). */
  browser?: string;
  /** The machine's GPU instead of forced SwiftShader. */
  gpu?: boolean;
  headed?: boolean;
  /** Further browser flags. */
  browserArgs?: string[];
}

/** Flags of a --gpu run: Chromium's GPU blocklist would otherwise send many Linux GPUs back to software. */
export const GPU_ARGS = ['--ignore-gpu-blocklist', '--enable-gpu'];

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
    return { ...launch, renderer: 'n/a', vendor: 'n/a', webglVersion: 0, float32RenderTargets: false, software: false, chromiumVersion: 'n/a', oursOnWebgl: false, note };
  };
  const browserPath = opts.browser ?? chromiumPath();
  const extraArgs = [...(opts.gpu ? GPU_ARGS : []), ...(opts.browserArgs ?? [])];
  const launch = { browser: browserPath, gpuRequested: !!opts.gpu, headed: !!opts.headed, browserArgs: chromiumArgs({ swiftshader: !opts.gpu, extraArgs }) };
  ctx.log(`  browser: ${browserPath}${opts.headed ? ', headed' : ''}; ${opts.gpu ? 'GPU allowed (no forced SwiftShader)' : 'SwiftShader forced (software WebGL)'}`);
  const missing = chromiumMissing(browserPath);
  if (missing) return unavailable(missing);
  if (opts.headed && process.platform === 'linux' && !process.env.DISPLAY && !process.env.WAYLAND_DISPLAY) {
    return unavailable('--headed needs a display: DISPLAY and WAYLAND_DISPLAY are unset (run under xvfb-run, or drop --headed)');
  }
  if (!existsSync(opts.library)) return unavailable(`${opts.library} is missing (npm run build)`);
  let server: StaticServer | undefined;
  let browser: Browser | undefined;
  try {
    server = await serveTfjsPage({
      root: opts.root, title: 'tfjs-im2col webgl bench', library: opts.library,
      // Cross-origin isolated, the page's clock ticks in 5 µs instead of 100 µs (Chromium's coarsening).
      headers: CROSS_ORIGIN_ISOLATION,
      pageScript: await buildPageScript(opts.root, 'benchmarks/suite/webgl_page.ts', 'benchPage'),
      // The cpu reference output of a case, as raw float32.
      routes: {
        '/ref': (query) => {
          const ref = ctx.refs.get(query.get('id') ?? '');
          return ref && { body: new Uint8Array(ref.values.buffer, ref.values.byteOffset, ref.values.byteLength), type: 'application/octet-stream' };
        },
      },
    });
    browser = await launchChromium({ path: browserPath, swiftshader: !opts.gpu, headed: opts.headed, extraArgs });
    const page = await browser.newPage();
    const pageErrors: string[] = [];
    page.on('pageerror', (e) => pageErrors.push(String(e)));
    await page.goto(server.url);
    await page.waitForFunction(() => typeof (globalThis as { benchPage?: unknown }).benchPage === 'object', undefined, { timeout: 60_000 });
    const penv = await page.evaluate(() => (globalThis as any).benchPage.init()) as PageEnv;
    const env: WebglEnv = {
      ...launch, renderer: penv.renderer, vendor: penv.vendor, webglVersion: penv.webglVersion, float32RenderTargets: penv.float32RenderTargets,
      software: SOFTWARE.test(penv.renderer), chromiumVersion: browser.version(), oursOnWebgl: penv.oursOnWebgl,
      crossOriginIsolated: penv.crossOriginIsolated,
      note: penv.hasGradients ? undefined : 'no gradients registered in the page: the training step cannot run',
    };
    if (opts.gpu && env.software) {
      env.note = [env.note, '--gpu was given, but the browser fell back to a software renderer (no usable GPU)'].filter(Boolean).join('; ');
    }
    ctx.log(`  webgl renderer: ${env.renderer}${env.software ? ' (software rendering on the CPU, not a GPU)' : ' (hardware)'}; ` +
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
    await server?.close();
  }
}
