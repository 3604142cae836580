/**
 * The shared browser tooling in scripts/browser/: the static server serves
 * only what lies inside its folders (no `..`, encoded or not, no symlink
 * out), only to GET and HEAD, with the right content types; the Chromium
 * launcher honours CHROMIUM_PATH and never falls back to a download.
 */
import { mkdirSync, mkdtempSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { chromiumArgs, chromiumPath, launchChromium } from '../scripts/browser/chromium';
import { startStaticServer, StaticServer } from '../scripts/browser/server';

interface Reply { status: number; headers: Record<string, string | string[] | undefined>; body: string }

/** A request with its path sent exactly as written (fetch and URL would fold `..` away first). */
function send(server: StaticServer, method: string, rawPath: string): Promise<Reply> {
  const { port } = new URL(server.url);
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, method, path: rawPath }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks).toString() }));
    });
    req.on('error', reject);
    req.end();
  });
}

// <dir>/package.json and <dir>/secret.txt lie outside the served folder <dir>/www.
let dir: string;
let server: StaticServer;
const FILES: Record<string, string> = {
  'index.html': '<!doctype html><p>hi</p>',
  'app.js': 'console.log(1);',
  'data.json': '{"a":1}',
  'mod.wasm': '\0asm',
  'sub/style.css': 'p{}',
  'sub/blob.bin': 'raw',
};

beforeAll(async () => {
  dir = realpathSync(mkdtempSync(path.join(tmpdir(), 'tfjs-im2col-server-')));
  const www = path.join(dir, 'www');
  for (const [name, text] of Object.entries(FILES)) {
    mkdirSync(path.dirname(path.join(www, name)), { recursive: true });
    writeFileSync(path.join(www, name), text);
  }
  writeFileSync(path.join(dir, 'package.json'), '{"name":"outside"}');
  writeFileSync(path.join(dir, 'secret.txt'), 'outside');
  symlinkSync(path.join(dir, 'secret.txt'), path.join(www, 'link-out.txt'));
  symlinkSync(dir, path.join(www, 'dir-out'));
  symlinkSync(path.join(www, 'app.js'), path.join(www, 'link-in.js'));
  server = await startStaticServer({
    mounts: { '/': www },
    routes: {
      '/hello': { body: 'hello', type: 'text/plain; charset=utf-8' },
      '/named': { file: path.join(dir, 'secret.txt') },
      '/echo': (q) => (q.has('id') ? { body: `id=${q.get('id')}`, type: 'text/plain' } : undefined),
    },
  });
});

afterAll(async () => {
  await server?.close();
  rmSync(dir, { recursive: true, force: true });
});

test('listens on the loopback address', () => {
  expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
});

test('serves the files inside its folder with their content types', async () => {
  const types: Record<string, string> = {
    'index.html': 'text/html; charset=utf-8', 'app.js': 'text/javascript; charset=utf-8', 'data.json': 'application/json',
    'mod.wasm': 'application/wasm', 'sub/style.css': 'text/css; charset=utf-8', 'sub/blob.bin': 'application/octet-stream',
  };
  for (const [name, type] of Object.entries(types)) {
    const r = await send(server, 'GET', `/${name}`);
    expect({ name, status: r.status, type: r.headers['content-type'], body: r.body }).toEqual({ name, status: 200, type, body: FILES[name] });
  }
  // A symlink whose target stays inside is an ordinary file; encoded names are decoded.
  expect((await send(server, 'GET', '/link-in.js')).body).toBe(FILES['app.js']);
  expect((await send(server, 'GET', '/%61pp.js')).body).toBe(FILES['app.js']);
});

test('HEAD gives the headers of GET without a body', async () => {
  const r = await send(server, 'HEAD', '/app.js');
  expect(r.status).toBe(200);
  expect(r.headers['content-length']).toBe(String(FILES['app.js'].length));
  expect(r.body).toBe('');
});

test.each([
  '/../package.json', '/%2e%2e/package.json', '/%2E%2E/package.json', '/.%2e/package.json', '/sub/../../secret.txt',
  '/..%2fsecret.txt', '/..%5csecret.txt', '/sub/%2e%2e/%2e%2e/secret.txt', '/./app.js', '//app.js',
  '/link-out.txt', '/dir-out/secret.txt', '/dir-out/package.json',
  '/sub', '/sub/', '/', '/missing.js', '/%zz', '/app.js%00.txt',
])('404 for %s', async (p) => {
  const r = await send(server, 'GET', p);
  expect(r.status).toBe(404);
  expect(r.body).not.toContain('outside');
});

test.each(['POST', 'PUT', 'DELETE', 'PATCH'])('405 for %s', async (method) => {
  const r = await send(server, method, '/app.js');
  expect(r.status).toBe(405);
  expect(r.headers.allow).toBe('GET, HEAD');
  expect(r.body).toBe('');
});

test('routes: a body, a file the program names (wherever it is), a function of the query', async () => {
  expect(await send(server, 'GET', '/hello')).toMatchObject({ status: 200, body: 'hello', headers: { 'content-type': 'text/plain; charset=utf-8' } });
  expect(await send(server, 'GET', '/named')).toMatchObject({ status: 200, body: 'outside', headers: { 'content-type': 'text/plain; charset=utf-8' } });
  expect(await send(server, 'GET', '/echo?id=a%20b')).toMatchObject({ status: 200, body: 'id=a b' });
  expect((await send(server, 'GET', '/echo')).status).toBe(404);
  // A route is matched on the exact path, and the browser's own favicon request gets no content.
  expect((await send(server, 'GET', '/hello/')).status).toBe(404);
  expect((await send(server, 'GET', '/favicon.ico')).status).toBe(204);
});

describe('Chromium launcher', () => {
  const saved = process.env.CHROMIUM_PATH;
  afterEach(() => {
    if (saved === undefined) delete process.env.CHROMIUM_PATH;
    else process.env.CHROMIUM_PATH = saved;
  });

  test('takes CHROMIUM_PATH, else /usr/bin/chromium', () => {
    delete process.env.CHROMIUM_PATH;
    expect(chromiumPath()).toBe('/usr/bin/chromium');
    process.env.CHROMIUM_PATH = '/opt/chromium/chrome';
    expect(chromiumPath()).toBe('/opt/chromium/chrome');
  });

  test('a missing binary is an error naming it, not a download', async () => {
    process.env.CHROMIUM_PATH = path.join(dir, 'no-such-chromium');
    await expect(launchChromium()).rejects.toThrow(`no Chromium at ${path.join(dir, 'no-such-chromium')}`);
  });

  test('SwiftShader by default; without it on request, plus extra flags', () => {
    expect(chromiumArgs()).toEqual(expect.arrayContaining(['--no-sandbox', '--use-angle=swiftshader', '--enable-unsafe-swiftshader']));
    const own = chromiumArgs({ swiftshader: false, extraArgs: ['--ignore-gpu-blocklist'] });
    expect(own.filter((a) => /swiftshader/.test(a))).toEqual([]);
    expect(own).toEqual(expect.arrayContaining(['--no-sandbox', '--ignore-gpu-blocklist']));
  });
});
