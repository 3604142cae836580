/**
 * The one definition of how tfjs-im2col is bundled for script tags: the
 * tf-global esbuild plugin (tfjs imports → the page's global `tf`), the
 * options of `dist/tfjs-im2col.min.js`, and the repository-root finder.
 *
 * Shared by scripts/build.mjs (plain Node ESM), the tests (ts-jest,
 * CommonJS) and the bench (bundled by esbuild). This file is TypeScript, so
 * the tests and the bench import it as they import any source; build.mjs,
 * which Node runs without a TypeScript loader, has esbuild turn this one
 * file into an ES module in memory and imports that from a data: URL. A
 * data: URL can import Node's builtins but no npm package, so this file
 * imports nothing at run time but `node:` modules (esbuild only as types);
 * the code that runs esbuild, the server and Chromium are in its siblings.
 */
import type { BuildOptions, Plugin } from 'esbuild';
import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';

/** The repository root: the nearest folder at or above `start` whose package.json is ours. */
export function findRepoRoot(start: string): string {
  let dir = path.resolve(start);
  for (;;) {
    const pkg = path.join(dir, 'package.json');
    if (existsSync(pkg) && JSON.parse(readFileSync(pkg, 'utf8')).name === 'tfjs-im2col') return dir;
    const up = path.dirname(dir);
    if (up === dir) throw new Error(`tfjs-im2col: no tfjs-im2col package.json at or above ${start}`);
    dir = up;
  }
}

/**
 * What the tfjs packages become in a script-tag bundle: the page's global `tf`
 * (tf-core, tf-backend-cpu and tf-backend-webgl all put themselves there). It
 * must be loaded first; the check runs when the bundle loads, not at its first call.
 */
const TF_GLOBAL_MODULE = `var tf = globalThis.tf;
if (tf == null || typeof tf.engine !== 'function') {
  throw new Error('tfjs-im2col: load TensorFlow.js (tf.min.js / tf-core + backends) before tfjs-im2col.min.js');
}
module.exports = tf;`;

/** esbuild plugin: `@tensorflow/tfjs-core`, `-backend-cpu` and `-backend-webgl` resolve to the page's global `tf`. */
export const tfGlobalPlugin: Plugin = {
  name: 'tf-global',
  setup(b) {
    b.onResolve({ filter: /^@tensorflow\/tfjs-(core|backend-cpu|backend-webgl)$/ }, () => ({ path: 'tf', namespace: 'tf-global' }));
    b.onLoad({ filter: /.*/, namespace: 'tf-global' }, () => ({ contents: TF_GLOBAL_MODULE, loader: 'js' }));
  },
};

/**
 * esbuild options of the script-tag bundle (dist/tfjs-im2col.min.js): src/index.ts as a minified IIFE
 * defining `tfjsIm2col`, tfjs from the global `tf`. Callers add only logging and source maps.
 */
export function libraryIifeOptions(root: string, outfile: string): BuildOptions {
  return {
    absWorkingDir: root, entryPoints: [path.join(root, 'src/index.ts')], outfile, bundle: true, format: 'iife',
    globalName: 'tfjsIm2col', platform: 'browser', target: 'es2020', minify: true, plugins: [tfGlobalPlugin],
  };
}
