// Builds the package: ESM + CommonJS bundles, the browser IIFE, the CLI and
// the benchmark runner with esbuild, and type declarations with tsc.
// Runs on `npm ci` (the `prepare` script), so a fresh clone needs no extra step.
import { build } from 'esbuild';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
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
for (const [entry, name, platform] of entries) {
  for (const [format, ext] of [['esm', 'mjs'], ['cjs', 'cjs']]) {
    await build({ ...common, entryPoints: [entry], format, platform, packages: 'external',
      mainFields: ['module', 'main'], outfile: join(dist, `${name}.${ext}`) });
  }
}
// The side-effect entry shares the library's module (one registry of originals).
writeFileSync(join(dist, 'register.mjs'), "import { registerIm2colKernels } from './index.mjs';\nregisterIm2colKernels();\n");
writeFileSync(join(dist, 'register.cjs'), "require('./index.cjs').registerIm2colKernels();\n");

// Script-tag bundle: tfjs comes from the page's global `tf`.
const tfGlobal = {
  name: 'tf-global',
  setup(b) {
    b.onResolve({ filter: /^@tensorflow\/tfjs-(core|backend-cpu|backend-webgl)$/ }, (args) => ({ path: args.path, namespace: 'tf-global' }));
    b.onLoad({ filter: /.*/, namespace: 'tf-global' }, () => ({ contents: 'module.exports = globalThis.tf;', loader: 'js' }));
  },
};
await build({ ...common, entryPoints: ['src/index.ts'], format: 'iife', globalName: 'tfjsIm2col', platform: 'browser',
  minify: true, plugins: [tfGlobal], outfile: join(dist, 'tfjs-im2col.min.js') });

// Node programs: the CLI and the benchmark runner.
const programs = [['src/cli/main.ts', 'cli.cjs'], ['benchmarks/main.ts', 'bench.cjs'], ['benchmarks/gemm.ts', 'bench-gemm.cjs']];
for (const [entry, out] of programs) {
  if (!existsSync(join(root, entry))) continue;
  await build({ ...common, entryPoints: [entry], format: 'cjs', platform: 'node', packages: 'external',
    banner: { js: '#!/usr/bin/env node' }, outfile: join(dist, out) });
}

// Type declarations.
execFileSync(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.build.json'],
  { cwd: root, stdio: 'inherit' });
console.log('built dist/');
