/**
 * Bundles tfjs-core's op specs with test/specs/runtime.ts for one backend.
 * Spec files are ESM that import tfjs-core through relative paths
 * (`../index`), so tfjs-core, the backends and our kernels must all resolve to
 * tfjs-core's ESM `dist/index.js` (mainFields module first): one tfjs, one
 * kernel registry.
 */
import { build } from 'esbuild';
import * as path from 'node:path';

/** Spec files (under tfjs-core's dist/ops/) of the ops whose kernels we replace on each backend. */
export const SPEC_FILES: Record<'cpu' | 'webgl' | 'wasm', string[]> = {
  cpu: [
    'conv1d_test', 'conv2d_test', 'conv2d_transpose_test', 'conv2d_separable_test', 'fused/fused_conv2d_test',
    'max_pool_test', 'avg_pool_test', 'pool_test', 'identity_pool_test',
    'mat_mul_test', 'fused/fused_mat_mul_test',
    'add_test', 'sub_test', 'arithmetic_test', 'relu_test', 'step_test', 'sqrt_test', 'sum_test',
    'clip_by_value_test', 'relu6_test', 'batchnorm_test', 'pad_test', 'concat_test', 'slice_test', 'slice1d_test', 'slice2d_test', 'slice3d_test', 'slice4d_test', 'mean_test', 'softmax_test', 'split_test',
    'depthwise_conv2d_test', 'fused/fused_depthwise_conv2d_test',
    'tile_test', 'greater_equal_test', 'less_equal_test', 'logical_and_test', 'norm_test', 'log_sum_exp_test',
  ],
  webgl: [
    'conv1d_test', 'conv2d_test', 'conv2d_transpose_test', 'conv2d_separable_test', 'fused/fused_conv2d_test',
    'max_pool_test', 'avg_pool_test', 'pool_test', 'identity_pool_test',
    'depthwise_conv2d_test', 'fused/fused_depthwise_conv2d_test', 'sum_test', 'step_test', 'relu_test',
    'add_test', 'sub_test', 'arithmetic_test', 'batchnorm_test', 'norm_test', 'log_sum_exp_test', 'softmax_test',
  ],
  // On wasm ours are the gradients and BatchMatMul: the spec files whose ops (or their gradients) reach them.
  wasm: [
    'conv1d_test', 'conv2d_test', 'conv2d_transpose_test', 'conv2d_separable_test', 'fused/fused_conv2d_test',
    'max_pool_test', 'avg_pool_test', 'pool_test', 'depthwise_conv2d_test', 'mat_mul_test',
  ],
};

const BACKEND_PACKAGES = {
  cpu: ['@tensorflow/tfjs-backend-cpu'],
  webgl: ['@tensorflow/tfjs-backend-cpu', '@tensorflow/tfjs-backend-webgl'],
  wasm: ['@tensorflow/tfjs-backend-cpu', '@tensorflow/tfjs-backend-wasm'],
};

/**
 * Writes `outfile`: in Node (cpu, wasm) a program that runs the specs and writes the
 * report as JSON to the file named by its first argument; in the browser
 * (webgl) a script that defines `globalThis.runSpecs()`, resolving to the report.
 */
export async function bundleSpecs(root: string, backend: 'cpu' | 'webgl' | 'wasm', outfile: string): Promise<void> {
  const node = backend !== 'webgl';
  const specs = SPEC_FILES[backend].map((f) => `require('@tensorflow/tfjs-core/dist/ops/${f}.js');`);
  const finish = node
    ? `runtime.run('${backend}').then((r) => { require('node:fs').writeFileSync(process.argv[2], JSON.stringify(r)); process.exit(0); });`
    : "globalThis.runSpecs = () => runtime.run('webgl');";
  // Bundled, tfjs-backend-wasm would look for its .wasm files next to the bundle: point it at its dist folder.
  const wasmDir = path.join(root, 'node_modules', '@tensorflow', 'tfjs-backend-wasm', 'dist') + path.sep;
  const contents = [
    ...BACKEND_PACKAGES[backend].map((p) => `require('${p}');`),
    ...(backend === 'wasm' ? [`require('@tensorflow/tfjs-backend-wasm').setWasmPaths(${JSON.stringify(wasmDir)});`] : []),
    "const runtime = require('./test/specs/runtime.ts');",
    `runtime.prepare('${backend}');`,
    ...specs,
    finish,
  ].join('\n');
  await build({
    stdin: { contents, resolveDir: root, sourcefile: `specs-${backend}.js`, loader: 'js' },
    bundle: true, absWorkingDir: root, outfile, logLevel: 'error', target: 'es2020',
    platform: node ? 'node' : 'browser', format: node ? 'cjs' : 'iife',
    mainFields: node ? ['module', 'main'] : ['browser', 'module', 'main'],
    // Node-only branches of tfjs-core (its node platform, worker checks) stay unresolved in the browser.
    external: node ? [] : ['worker_threads', 'util', 'node-fetch', 'fs', 'path', 'crypto'],
    // jasmine-core, bundled as CommonJS, takes `global` for its global object (window in a page).
    define: node ? {} : { global: 'globalThis' },
  });
}

export function specBundlePath(dir: string, backend: string): string {
  return path.join(dir, `specs-${backend}.js`);
}
