/**
 * `npm run demo`'s server (scripts/demo.mjs on scripts/browser/server.ts), run as the real process on a
 * small site folder: it prints its URL, listens on 127.0.0.1 only, answers GET and HEAD only, serves only
 * files inside the folder (no `..`, plain or percent-encoded, no symlink out), with correct content types
 * and the COOP/COEP headers that make the page cross-origin isolated.
 */
import { ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { connect } from 'node:net';
import { networkInterfaces, tmpdir } from 'node:os';
import * as path from 'node:path';

const root = path.join(__dirname, '..');

interface Reply { status: number; headers: Record<string, string | string[] | undefined>; body: string }

/** A request whose path is sent exactly as written (URL parsing would fold `..` away). */
function send(url: string, method: string, rawPath: string): Promise<Reply> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const req = request({ host: hostname, port, method, path: rawPath }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks).toString() }));
    });
    req.on('error', reject);
    req.end();
  });
}

/** Starts scripts/demo.mjs with `args`; resolves with the URL it prints. */
function startDemo(args: string[]): Promise<{ child: ChildProcess; url: string; output: () => string }> {
  const child = spawn(process.execPath, [path.join(root, 'scripts/demo.mjs'), ...args], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`demo printed no URL in 30 s:\n${out}`)), 30_000);
    const onData = (d: Buffer) => {
      out += d.toString();
      const m = out.match(/playground: (http:\/\/\S+)/);
      if (m) {
        clearTimeout(timer);
        resolve({ child, url: m[1], output: () => out });
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`demo exited with ${code}:\n${out}`));
    });
  });
}

function stop(child: ChildProcess | undefined): Promise<void> {
  if (!child || child.exitCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });
}

let dir: string;
let site: string;
let demo: { child: ChildProcess; url: string; output: () => string };

const FILES: Record<string, [string, string]> = {
  'index.html': ['<!doctype html><title>t</title>', 'text/html; charset=utf-8'],
  'playground.js': ['console.log(1);', 'text/javascript; charset=utf-8'],
  'style.css': ['p{}', 'text/css; charset=utf-8'],
  'vendor/tfjs-backend-wasm.wasm': ['\0asm', 'application/wasm'],
  'book/simple_convnet/manifest.json': ['{"a":1}', 'application/json'],
  'book/simple_convnet/weights.bin': ['raw', 'application/octet-stream'],
  'book/cactus_gray.png': ['png', 'image/png'],
  'mnist.bin': ['gz', 'application/octet-stream'],
};

beforeAll(async () => {
  dir = realpathSync(mkdtempSync(path.join(tmpdir(), 'tfjs-im2col-demo-')));
  site = path.join(dir, 'site');
  for (const [name, [text]] of Object.entries(FILES)) {
    mkdirSync(path.dirname(path.join(site, name)), { recursive: true });
    writeFileSync(path.join(site, name), text);
  }
  writeFileSync(path.join(dir, 'package.json'), '{"name":"outside"}');
  symlinkSync(path.join(dir, 'package.json'), path.join(site, 'link-out.json'));
  symlinkSync(dir, path.join(site, 'dir-out'));
  demo = await startDemo(['--dir', site, '--port', '0']);
});

afterAll(async () => {
  await stop(demo?.child);
  rmSync(dir, { recursive: true, force: true });
});

test('prints its URL on 127.0.0.1 and listens on the loopback interface only', async () => {
  expect(demo.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
  const port = Number(new URL(demo.url).port);
  const others = Object.values(networkInterfaces()).flat()
    .filter((a) => a && a.family === 'IPv4' && !a.internal).map((a) => a!.address);
  for (const address of others) {
    const refused = await new Promise<boolean>((resolve) => {
      const s = connect({ host: address, port }, () => {
        s.destroy();
        resolve(false);
      });
      s.on('error', () => resolve(true));
    });
    expect({ address, refused }).toEqual({ address, refused: true });
  }
});

test('serves the site with content types and cross-origin isolation headers', async () => {
  const root = await send(demo.url, 'GET', '/');
  expect(root.status).toBe(200);
  expect(root.body).toBe(FILES['index.html'][0]);
  for (const [name, [text, type]] of Object.entries(FILES)) {
    const r = await send(demo.url, 'GET', `/${name}`);
    expect({ name, status: r.status, type: r.headers['content-type'], body: r.body }).toEqual({ name, status: 200, type, body: text });
    expect(r.headers['cross-origin-opener-policy']).toBe('same-origin');
    expect(r.headers['cross-origin-embedder-policy']).toBe('require-corp');
    expect(r.headers['x-content-type-options']).toBe('nosniff');
  }
  const head = await send(demo.url, 'HEAD', '/playground.js');
  expect(head.status).toBe(200);
  expect(head.body).toBe('');
  expect(head.headers['content-length']).toBe(String(FILES['playground.js'][0].length));
});

test('answers only GET and HEAD', async () => {
  for (const method of ['POST', 'PUT', 'DELETE', 'OPTIONS', 'PATCH']) {
    const r = await send(demo.url, method, '/index.html');
    expect({ method, status: r.status, allow: r.headers.allow }).toEqual({ method, status: 405, allow: 'GET, HEAD' });
  }
});

test('serves nothing outside the site folder', async () => {
  const paths = [
    '/../package.json', '/vendor/../../package.json', '/%2e%2e/package.json', '/%2E%2E/package.json', '/vendor/%2e%2e/%2e%2e/package.json',
    '/..%2fpackage.json', '/..%5cpackage.json', '/vendor%2f..%2f..%2fpackage.json', '/./index.html', '/%2e/index.html',
    '/link-out.json', '/dir-out/package.json', '/missing.js', '/vendor/', '/index.html%00.js',
  ];
  for (const p of paths) {
    const r = await send(demo.url, 'GET', p);
    expect({ path: p, status: r.status }).toEqual({ path: p, status: 404 });
    expect(r.body).not.toContain('outside');
  }
});

test('rejects bad options with a message', async () => {
  const run = (args: string[]) => new Promise<{ code: number | null; out: string }>((resolve) => {
    const child = spawn(process.execPath, [path.join(root, 'scripts/demo.mjs'), ...args], { cwd: root });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    child.on('exit', (code) => resolve({ code, out }));
  });
  expect(await run(['--port', 'x', '--dir', site])).toEqual({ code: 2, out: expect.stringContaining('--port must be an integer') });
  expect(await run(['--bogus'])).toEqual({ code: 2, out: expect.stringContaining('unknown argument --bogus') });
  const busyPort = new URL(demo.url).port;
  expect(await run(['--dir', site, '--port', busyPort])).toEqual({ code: 1, out: expect.stringContaining('try --port N') });
});
