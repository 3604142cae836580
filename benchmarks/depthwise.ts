/**
 * A quick timing of the depthwise kernels (not part of `npm run bench`): ours on cpu vs tfjs's
 * builtin cpu kernels vs tfjs-backend-wasm (XNNPACK), on MobileNet-like depthwise layers (3×3,
 * 'same'), forward (DepthwiseConv2dNative), fused with bias + relu6 (FusedDepthwiseConv2D) and both
 * gradients, in ms.
 *
 *   npx ts-node-transpile-only benchmarks/depthwise.ts [--builtin-max-ms 3000] [--reps 30]
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { dirname, join } from 'node:path';
import { registerIm2colKernels, shutdownGemmThreads } from '../src';

interface Layer { name: string; x: [number, number, number, number]; stride: number }
const LAYERS: Layer[] = [
  { name: '1x112x112x32 s1', x: [1, 112, 112, 32], stride: 1 },
  { name: '1x112x112x64 s2', x: [1, 112, 112, 64], stride: 2 },
  { name: '1x56x56x128 s1', x: [1, 56, 56, 128], stride: 1 },
  { name: '1x28x28x256 s2', x: [1, 28, 28, 256], stride: 2 },
  { name: '8x14x14x512 s1', x: [8, 14, 14, 512], stride: 1 },
  { name: '1x7x7x1024 s1', x: [1, 7, 7, 1024], stride: 1 },
];
const args = process.argv.slice(2);
const opt = (name: string, d: number) => { const i = args.indexOf(name); return i >= 0 ? Number(args[i + 1]) : d; };
const REPS = opt('--reps', 30);
/** Consecutive calls of one implementation per round. */
const RUN = 5;
const BUILTIN_MAX_MS = opt('--builtin-max-ms', 3000);

type Op = 'forward' | 'fused' | 'dx' | 'dW';
function run(op: Op, x: tf.Tensor4D, w: tf.Tensor4D, dy: tf.Tensor4D, stride: number, bias?: tf.Tensor1D): tf.Tensor {
  if (op === 'forward') return tf.depthwiseConv2d(x, w, stride, 'same');
  // MobileNet's layer: bias and relu6 fused (FusedDepthwiseConv2D).
  if (op === 'fused') return tf.fused.depthwiseConv2d({ x, filter: w, strides: stride, pad: 'same', bias, activation: 'relu6' });
  if (op === 'dx') {
    return tf.engine().runKernel('DepthwiseConv2dNativeBackpropInput', { dy, filter: w },
      { strides: stride, pad: 'same', dilations: 1, inputShape: x.shape }) as tf.Tensor;
  }
  return tf.engine().runKernel('DepthwiseConv2dNativeBackpropFilter', { x, dy },
    { strides: stride, pad: 'same', dilations: 1, filterShape: w.shape }) as tf.Tensor;
}

/** One timed call: the op and reading its result (wasm computes eagerly; reading makes every backend finish). */
function once(fn: () => tf.Tensor): number {
  const s = performance.now();
  const r = fn();
  r.dataSync();
  const t = performance.now() - s;
  r.dispose();
  return t;
}

function tensors(l: Layer) {
  const [n, h, w, c] = l.x;
  const oh = Math.ceil(h / l.stride);
  const ow = Math.ceil(w / l.stride);
  const rand = (shape: number[]) => tf.randomUniform(shape, -1, 1, 'float32', 7);
  return {
    x: rand(l.x) as tf.Tensor4D, w: rand([3, 3, c, 1]) as tf.Tensor4D, dy: rand([n, oh, ow, c]) as tf.Tensor4D,
    bias: rand([c]) as tf.Tensor1D,
  };
}

const stats = (t: number[]) => {
  const s = [...t].sort((a, b) => a - b);
  return { min: s[0], median: s[Math.floor(s.length / 2)] };
};

/**
 * The machine is shared, so ours and tfjs-backend-wasm are timed interleaved, in rounds of RUN
 * calls, and both the best and the median of REPS calls are reported.
 */
async function main(): Promise<void> {
  // eslint-disable-next-line @typescript-eslint/no-var-requires
  const wasm = require('@tensorflow/tfjs-backend-wasm') as typeof import('@tensorflow/tfjs-backend-wasm');
  wasm.setWasmPaths(`${join(dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'dist')}/`);
  await tf.setBackend('wasm');
  await tf.ready();
  console.log(`tfjs-backend-wasm: simd ${tf.env().getBool('WASM_HAS_SIMD_SUPPORT')}, threads ${tf.env().getBool('WASM_HAS_MULTITHREAD_SUPPORT')}`);
  await tf.setBackend('cpu');
  let reg = registerIm2colKernels({ backends: 'cpu' });
  const rows: string[] = [];
  const fmt = (v: number) => v.toFixed(v < 10 ? 2 : 1);
  for (const l of LAYERS) {
    await tf.setBackend('wasm');
    const tw = tensors(l);
    await tf.setBackend('cpu');
    // In a network the inputs are outputs of the kernels before (ours keep them in WebAssembly
    // memory, as tfjs-backend-wasm keeps its own in its heap): made here by our Add.
    const tc = tf.tidy(() => {
      const t = tensors(l);
      return { x: tf.add(t.x, 0) as tf.Tensor4D, w: t.w.clone(), dy: tf.add(t.dy, 0) as tf.Tensor4D, bias: t.bias.clone() };
    });
    for (const op of ['forward', 'fused', 'dx', 'dW'] as Op[]) {
      const ours: number[] = [];
      const xnn: number[] = [];
      let wasmOk = true;
      // Rounds of RUN calls each, alternating: warm caches for both, and the same load on the machine.
      for (let round = 0; round < Math.ceil(REPS / RUN); round++) {
        await tf.setBackend('cpu');
        for (let i = 0; i <= RUN; i++) {
          const a = once(() => run(op, tc.x, tc.w, tc.dy, l.stride, tc.bias));
          if (i > 0) ours.push(a); // the first call of each round is a warm-up
        }
        if (!wasmOk) continue;
        await tf.setBackend('wasm');
        try {
          for (let i = 0; i <= RUN; i++) {
            const b = once(() => run(op, tw.x, tw.w, tw.dy, l.stride, tw.bias));
            if (i > 0) xnn.push(b);
          }
        } catch {
          wasmOk = false;
        }
      }
      await tf.setBackend('cpu');
      reg.restore();
      const b0 = once(() => run(op, tc.x, tc.w, tc.dy, l.stride, tc.bias));
      const builtin = b0 * 3 > BUILTIN_MAX_MS ? b0 : Math.min(b0, once(() => run(op, tc.x, tc.w, tc.dy, l.stride, tc.bias)));
      reg = registerIm2colKernels({ backends: 'cpu' });
      const o = stats(ours);
      const w = wasmOk ? stats(xnn) : null;
      rows.push(`| ${l.name} | ${op} | ${fmt(o.min)} (${fmt(o.median)}) | ${fmt(builtin)} | ` +
        `${w ? `${fmt(w.min)} (${fmt(w.median)})` : 'no kernel'} | ${(builtin / o.min).toFixed(1)}x | ` +
        `${w ? `${(w.min / o.min).toFixed(2)}x` : 'n/a'} |`);
      console.log(rows[rows.length - 1]);
    }
    tf.dispose([tc.x, tc.w, tc.dy, tc.bias]);
    await tf.setBackend('wasm');
    tf.dispose([tw.x, tw.w, tw.dy, tw.bias]);
  }
  reg.restore();
  await tf.setBackend('cpu');
  console.log('\n| layer (3x3 same) | op | ours cpu ms best (median) | builtin cpu ms | wasm (XNNPACK) ms best (median) | vs builtin | vs wasm |');
  console.log('| --- | --- | --- | --- | --- | --- | --- |');
  for (const r of rows) console.log(r);
  await shutdownGemmThreads();
}

main().catch((e) => { console.error(e); process.exit(1); });
