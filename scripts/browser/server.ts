/**
 * The static HTTP server of the browser pages (tests, bench, playground). It
 * listens on 127.0.0.1 (unless `host` says otherwise), answers GET and HEAD only (405 otherwise), and
 * serves
 *  - routes: exact paths answered with a file the program names, a body, or a
 *    function of the query string;
 *  - mounts: a path prefix mapped to a folder, from which it serves only
 *    regular files that really lie inside that folder — a `..` or `.` segment
 *    (written plainly or percent-encoded), an encoded `/` or `\`, and a
 *    symlink whose target is outside the folder all get 404.
 */
import { createReadStream, realpathSync, statSync } from 'node:fs';
import { createServer, IncomingMessage, ServerResponse } from 'node:http';
import { AddressInfo } from 'node:net';
import * as path from 'node:path';

/** A file named by the program (its type from its extension unless given), or a body of a given type. */
export type Resource = { file: string; type?: string } | { body: string | Uint8Array; type: string };
/** A resource, or a function of the query string giving one (undefined: 404). */
export type Route = Resource | ((query: URLSearchParams) => Resource | undefined);

export interface StaticServerOptions {
  /** Exact request paths (no query), e.g. `'/'` or `'/lib/page.js'`. */
  routes?: Record<string, Route>;
  /** Path prefix ending in `/` → folder, e.g. `{'/fixtures/': '/repo/assets/book'}`. */
  mounts?: Record<string, string>;
  /** Default 0: any free port. */
  port?: number;
  /** The address to listen on; default 127.0.0.1 (loopback only). */
  host?: string;
  /** Extra headers on every response, e.g. CROSS_ORIGIN_ISOLATION. */
  headers?: Record<string, string>;
}

/** COOP + COEP: the page becomes cross-origin isolated (SharedArrayBuffer, wasm threads) and loads only same-origin resources. */
export const CROSS_ORIGIN_ISOLATION: Record<string, string> = {
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-embedder-policy': 'require-corp',
  'cross-origin-resource-policy': 'same-origin',
};

export interface StaticServer {
  /** `http://127.0.0.1:<port>/` */
  url: string;
  close(): Promise<void>;
}

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.map': 'application/json',
  '.wasm': 'application/wasm',
  '.png': 'image/png',
  '.svg': 'image/svg+xml',
  '.txt': 'text/plain; charset=utf-8',
  '.ico': 'image/x-icon',
  '.bin': 'application/octet-stream',
};

/** The content type of a file, by its extension; application/octet-stream for any other. */
export function contentType(file: string): string {
  return CONTENT_TYPES[path.extname(file).toLowerCase()] ?? 'application/octet-stream';
}

/** The path segments of a mounted request, decoded, or undefined when one could step out of its folder. */
function safeSegments(rest: string): string[] | undefined {
  const segments: string[] = [];
  for (const raw of rest.split('/')) {
    let seg: string;
    try {
      seg = decodeURIComponent(raw);
    } catch {
      return undefined; // malformed percent-encoding
    }
    if (seg === '' || seg === '.' || seg === '..' || /[/\\\0]/.test(seg)) return undefined;
    segments.push(seg);
  }
  return segments;
}

/** The real path of a regular file named by `segments` inside `folder`, or undefined. */
function fileInside(folder: string, segments: string[]): string | undefined {
  try {
    const realFolder = realpathSync(folder);
    const real = realpathSync(path.join(folder, ...segments));
    const rel = path.relative(realFolder, real);
    if (rel === '' || rel === '..' || rel.startsWith(`..${path.sep}`) || path.isAbsolute(rel)) return undefined;
    return statSync(real).isFile() ? real : undefined;
  } catch {
    return undefined; // missing, or a dangling symlink
  }
}

function resolveRequest(options: StaticServerOptions, pathname: string, query: URLSearchParams): Resource | undefined {
  const route = options.routes?.[pathname];
  if (route) return typeof route === 'function' ? route(query) : route;
  for (const [prefix, folder] of Object.entries(options.mounts ?? {})) {
    if (!pathname.startsWith(prefix)) continue;
    const segments = safeSegments(pathname.slice(prefix.length));
    const real = segments && fileInside(folder, segments);
    // The type goes by the requested name: a symlink inside the folder keeps its own extension.
    if (real) return { file: real, type: contentType(segments[segments.length - 1]) };
  }
  return undefined;
}

function respond(req: IncomingMessage, res: ServerResponse, options: StaticServerOptions): void {
  const headers = { ...options.headers, 'cache-control': 'no-store', 'x-content-type-options': 'nosniff' };
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.writeHead(405, { ...headers, allow: 'GET, HEAD' }).end();
    return;
  }
  // The raw request target, not WHATWG URL parsing, which would fold `..` away before the checks see it.
  const target = req.url ?? '/';
  const q = target.indexOf('?');
  const pathname = q < 0 ? target : target.slice(0, q);
  const resource = resolveRequest(options, pathname, new URLSearchParams(q < 0 ? '' : target.slice(q + 1)));
  if (!resource) {
    // Browsers ask for /favicon.ico on their own: "no content" keeps a 404 out of the page's console.
    res.writeHead(pathname === '/favicon.ico' ? 204 : 404, headers).end();
    return;
  }
  if ('body' in resource) {
    const body = typeof resource.body === 'string' ? Buffer.from(resource.body) : resource.body;
    res.writeHead(200, { ...headers, 'content-type': resource.type, 'content-length': body.byteLength });
    res.end(req.method === 'HEAD' ? undefined : body);
    return;
  }
  let size: number;
  try {
    size = statSync(resource.file).size;
  } catch {
    res.writeHead(404, headers).end();
    return;
  }
  res.writeHead(200, { ...headers, 'content-type': resource.type ?? contentType(resource.file), 'content-length': size });
  if (req.method === 'HEAD') {
    res.end();
    return;
  }
  createReadStream(resource.file).on('error', () => res.destroy()).pipe(res);
}

/** Starts the server on 127.0.0.1 (or `options.host`). */
export function startStaticServer(options: StaticServerOptions): Promise<StaticServer> {
  for (const prefix of Object.keys(options.mounts ?? {})) {
    if (!prefix.startsWith('/') || !prefix.endsWith('/')) throw new Error(`static server: mount prefix ${prefix} must start and end with /`);
  }
  const server = createServer((req, res) => respond(req, res, options));
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    const host = options.host ?? '127.0.0.1';
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      const shown = host.includes(':') ? `[${host}]` : host;
      resolve({
        url: `http://${shown}:${(server.address() as AddressInfo).port}/`,
        close: () => new Promise<void>((done) => {
          server.closeAllConnections();
          server.close(() => done());
        }),
      });
    });
  });
}
