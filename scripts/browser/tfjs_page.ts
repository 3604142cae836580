/**
 * The page the browser consumers (webgl tests, webgl bench, playground) load:
 * tfjs's own script-tag bundles, then our script-tag bundle (global
 * `tfjsIm2col`), then the consumer's page script — the order script-tag users
 * follow — served by the static server.
 */
import * as path from 'node:path';
import { Route, startStaticServer, StaticServer } from './server';

/** tfjs's script-tag bundles in load order; tf-layers registers tfjs-core's gradients on the global `tf`. */
export const TFJS_SCRIPTS = [
  '/node_modules/@tensorflow/tfjs-core/dist/tf-core.min.js',
  '/node_modules/@tensorflow/tfjs-backend-cpu/dist/tf-backend-cpu.min.js',
  '/node_modules/@tensorflow/tfjs-backend-webgl/dist/tf-backend-webgl.min.js',
  '/node_modules/@tensorflow/tfjs-layers/dist/tf-layers.min.js',
];

export interface TfjsPageOptions {
  root: string;
  /** Plain text (escaped). */
  title: string;
  /** Our script-tag bundle (dist/tfjs-im2col.min.js or a build of it). */
  library: string;
  /** The page script's code (see buildPageScript). */
  pageScript: string;
  /** More routes and folders the page fetches from (mounts: prefix → folder). */
  routes?: Record<string, Route>;
  mounts?: Record<string, string>;
  port?: number;
  /** Extra headers on every response (e.g. CROSS_ORIGIN_ISOLATION). */
  headers?: Record<string, string>;
}

/** Serves the page at `/`, tfjs under /node_modules/@tensorflow/, our bundle and the page script under /lib/. */
export function serveTfjsPage(options: TfjsPageOptions): Promise<StaticServer> {
  const scripts = [...TFJS_SCRIPTS, '/lib/tfjs-im2col.min.js', '/lib/page.js'];
  const title = options.title.replace(/[&<>]/g, (c) => `&#${c.charCodeAt(0)};`);
  const html = `<!doctype html><html><head><meta charset="utf-8"><title>${title}</title></head><body>
${scripts.map((s) => `<script src="${s}"></script>`).join('\n')}
</body></html>`;
  return startStaticServer({
    port: options.port,
    routes: {
      ...options.routes,
      '/': { body: html, type: 'text/html; charset=utf-8' },
      '/lib/tfjs-im2col.min.js': { file: options.library },
      '/lib/page.js': { body: options.pageScript, type: 'text/javascript; charset=utf-8' },
    },
    mounts: { ...options.mounts, '/node_modules/@tensorflow/': path.join(options.root, 'node_modules/@tensorflow') },
    headers: options.headers,
  });
}
