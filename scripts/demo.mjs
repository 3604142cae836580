// `npm run demo`: serves the browser playground (dist/playground/, built first when missing or older than its
// sources) on http://127.0.0.1:8080/ and prints the URL.
//
// Options: --port N (default 8080; 0 = any free port), --host ADDR (default 127.0.0.1: this machine only;
// e.g. 0.0.0.0 to let other devices on the network in), --dir DIR (serve another built folder), --no-build.
// The server (scripts/browser/server.ts) answers GET and HEAD only, serves only regular files inside the folder
// (no `..`, encoded or not, no symlink out of it), and sends COOP/COEP so the page is cross-origin isolated.
import { build } from 'esbuild';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const usage = 'usage: npm run demo -- [--port N] [--host ADDR] [--dir DIR] [--no-build]';
const value = (name) => {
  const i = args.indexOf(name);
  if (i < 0) return undefined;
  if (i + 1 >= args.length) {
    console.error(`demo: ${name} needs a value\n${usage}`);
    process.exit(2);
  }
  return args[i + 1];
};
for (let i = 0; i < args.length; i++) {
  if (['--port', '--host', '--dir'].includes(args[i])) i++;
  else if (args[i] === '--help' || args[i] === '-h') {
    console.log(usage);
    process.exit(0);
  } else if (args[i] !== '--no-build') {
    console.error(`demo: unknown argument ${args[i]}\n${usage}`);
    process.exit(2);
  }
}
const portText = value('--port') ?? '8080';
const port = Number(portText);
if (!/^\d+$/.test(portText) || port > 65535) {
  console.error(`demo: --port must be an integer from 0 to 65535, got ${portText}`);
  process.exit(2);
}
const host = value('--host') ?? '127.0.0.1';
const dir = resolve(value('--dir') ?? join(root, 'dist', 'playground'));

function newestMtime(path) {
  if (!existsSync(path)) return 0;
  const st = statSync(path);
  if (!st.isDirectory()) return st.mtimeMs;
  return readdirSync(path).reduce((m, name) => Math.max(m, newestMtime(join(path, name))), st.mtimeMs);
}

if (!args.includes('--no-build') && value('--dir') === undefined) {
  const built = existsSync(join(dir, 'index.html')) && existsSync(join(dir, 'mnist.bin')) ? newestMtime(join(dir, 'playground.js')) : 0;
  const sources = Math.max(newestMtime(join(root, 'src')), newestMtime(join(root, 'kernels')), newestMtime(join(root, 'benchmarks', 'suite')), newestMtime(join(root, 'benchmarks', 'report')),
    newestMtime(join(root, 'scripts', 'build-playground.mjs')));
  if (built < sources) {
    console.log(built === 0 ? 'demo: building the playground (first run)' : 'demo: sources changed, rebuilding the playground');
    const { buildPlayground } = await import('./build-playground.mjs');
    const lib = join(root, 'dist', 'tfjs-im2col.min.js');
    const libFresh = existsSync(lib) && statSync(lib).mtimeMs >= Math.max(newestMtime(join(root, 'src')), newestMtime(join(root, 'kernels')));
    // A stale dist/tfjs-im2col.min.js is not copied: the library is built afresh into the folder.
    await buildPlayground({ out: dir, library: libFresh ? lib : join(dir, '.no-such-library') });
  }
}
if (!existsSync(join(dir, 'index.html'))) {
  console.error(`demo: ${join(dir, 'index.html')} is missing (npm run build)`);
  process.exit(1);
}

// The server is TypeScript and imports only node: builtins: esbuild turns it into an ES module in memory.
const bundled = await build({ entryPoints: [join(root, 'scripts/browser/server.ts')], bundle: true, write: false, format: 'esm',
  platform: 'node', packages: 'external', logLevel: 'warning' });
const { startStaticServer, CROSS_ORIGIN_ISOLATION } = await import(
  `data:text/javascript;base64,${Buffer.from(bundled.outputFiles[0].contents).toString('base64')}`);

let server;
try {
  server = await startStaticServer({
    routes: { '/': { file: join(dir, 'index.html') } }, mounts: { '/': dir }, port, host, headers: CROSS_ORIGIN_ISOLATION,
  });
} catch (e) {
  console.error(`demo: cannot listen on ${host}:${port}: ${e.message}${e.code === 'EADDRINUSE' ? ' (try --port N)' : ''}`);
  process.exit(1);
}
console.log(`playground: ${server.url}`);
if (host !== '127.0.0.1' && host !== '::1' && host !== 'localhost') {
  console.log(`demo: listening on ${host}: other machines that can reach it can load the page`);
}
console.log('Ctrl-C to stop');
const stop = () => server.close().then(() => process.exit(0));
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
