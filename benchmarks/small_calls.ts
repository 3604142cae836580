/**
 * Small calls, paired: forward convolutions and max-pools of the sizes where tfjs-backend-wasm
 * (XNNPACK) was ahead of ours, timed call by call in rotation so that the load of other processes
 * falls on every variant alike (the order rotates each round):
 *   ours, cache off   our cpu kernels with the weight cache off (kernels/cpu/weights.ts): the filter is
 *                     staged into WebAssembly memory on every call — the previous behaviour;
 *   ours, cache on    the default: the filter is copied into WebAssembly memory once per tensor;
 *   ours, resident    input and filter both already in WebAssembly memory (as inside a network, where
 *                     the input is the previous kernel's output);
 *   wasm              tfjs-backend-wasm's builtin.
 * Prints the median ms of each and wasm ÷ ours (> 1: ours faster). Run:
 *   npx esbuild benchmarks/small_calls.ts --bundle --platform=node --packages=external --outfile=/tmp/sc.cjs && node /tmp/sc.cjs [--rounds N] [--case TEXT]
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import * as wasmBackend from '@tensorflow/tfjs-backend-wasm';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { registerIm2colKernels } from '../src';
import { setWeightCache } from '../kernels/cpu/weights';
import { randomValues, rng } from './suite/ops';

interface SmallCase { name: string; kernel: string; inputs: Record<string, number[]>; attrs: object }

const conv = (pad: unknown) => ({ strides: [1, 1], pad, dataFormat: 'NHWC', dilations: [1, 1], dimRoundingMode: undefined });
const pool = (f: number, s: number, pad: unknown = 'valid') => ({ filterSize: [f, f], strides: [s, s], pad, dimRoundingMode: undefined });

const CASES: SmallCase[] = [
  { name: 'DeepConvNet b1 conv1 28×28×1→16', kernel: 'Conv2D', inputs: { x: [1, 28, 28, 1], filter: [3, 3, 1, 16] }, attrs: conv(1) },
  { name: 'DeepConvNet b1 conv3 14×14×16→32', kernel: 'Conv2D', inputs: { x: [1, 14, 14, 16], filter: [3, 3, 16, 32] }, attrs: conv(1) },
  { name: 'DeepConvNet b8 conv5 8×8×32→64', kernel: 'Conv2D', inputs: { x: [8, 8, 8, 32], filter: [3, 3, 32, 64] }, attrs: conv(1) },
  { name: 'LeNet b1 C1 32×32×1→6', kernel: 'Conv2D', inputs: { x: [1, 32, 32, 1], filter: [5, 5, 1, 6] }, attrs: conv('valid') },
  { name: 'LeNet b1 C5 5×5×16→120', kernel: 'Conv2D', inputs: { x: [1, 5, 5, 16], filter: [5, 5, 16, 120] }, attrs: conv('valid') },
  { name: 'MobileNet 0.25 pw2 b1 56×56×16→32', kernel: 'Conv2D', inputs: { x: [1, 56, 56, 16], filter: [1, 1, 16, 32] }, attrs: conv('same') },
  { name: 'MobileNet 1.0 pw13 b1 7×7×1024→1024', kernel: 'Conv2D', inputs: { x: [1, 7, 7, 1024], filter: [1, 1, 1024, 1024] }, attrs: conv('same') },
  { name: 'DeepConvNet b1 pool1 28×28×16', kernel: 'MaxPool', inputs: { x: [1, 28, 28, 16] }, attrs: pool(2, 2) },
  { name: 'DeepConvNet b8 pool1 28×28×16', kernel: 'MaxPool', inputs: { x: [8, 28, 28, 16] }, attrs: pool(2, 2) },
  { name: 'AlexNet b8 pool1 55×55×96 3/2', kernel: 'MaxPool', inputs: { x: [8, 55, 55, 96] }, attrs: pool(3, 2) },
];

const { values: opts } = parseArgs({ options: { rounds: { type: 'string', default: '100' }, case: { type: 'string' } } });
const ROUNDS = Number(opts.rounds);

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)];

function call(kernel: string, inputs: Record<string, tf.Tensor>, attrs: object): number {
  const t0 = performance.now();
  const y = tf.engine().runKernel(kernel, inputs, attrs as tf.NamedAttrMap) as tf.Tensor;
  y.dataSync();
  const ms = performance.now() - t0;
  y.dispose();
  return ms;
}

async function main(): Promise<void> {
  wasmBackend.setWasmPaths(`${join(dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'dist')}/`);
  await tf.setBackend('wasm');
  await tf.setBackend('cpu');
  const reg = registerIm2colKernels({ backends: ['cpu'] });
  console.log(`${ROUNDS} rounds per case, one call of each variant per round; median ms`);
  console.log(['case'.padEnd(38), 'cache off', 'cache on', 'resident', 'wasm', 'wasm÷off', 'wasm÷on', 'off÷on'].join('  '));
  try {
    for (const c of CASES.filter((x) => !opts.case || x.name.includes(opts.case))) {
      const next = rng(7);
      const values = Object.fromEntries(Object.entries(c.inputs).map(([k, s]) => [k, randomValues(s.reduce((a, b) => a * b, 1), next)]));
      await tf.setBackend('cpu');
      const plain = Object.fromEntries(Object.entries(c.inputs).map(([k, s]) => [k, tf.tensor(values[k], s)]));
      // x + 0 on our Add kernel: an output of ≥ 4,096 floats lives in WebAssembly memory (smaller ones cannot).
      const resident = Object.fromEntries(Object.entries(plain).map(([k, t]) => [k, tf.add(t, 0)]));
      await tf.setBackend('wasm');
      const onWasm = Object.fromEntries(Object.entries(c.inputs).map(([k, s]) => [k, tf.tensor(values[k], s)]));
      const t = { off: [] as number[], on: [] as number[], res: [] as number[], wasm: [] as number[] };
      // The order of the four variants rotates from round to round: the first call after a backend switch
      // pays for it (caches, the switch itself), which must not fall on one variant only.
      const variants: Array<[keyof typeof t, () => Promise<number>]> = [
        ['off', async () => { await tf.setBackend('cpu'); setWeightCache(false); const ms = call(c.kernel, plain, c.attrs); setWeightCache(true); return ms; }],
        ['on', async () => { await tf.setBackend('cpu'); return call(c.kernel, plain, c.attrs); }],
        ['res', async () => { await tf.setBackend('cpu'); return call(c.kernel, resident, c.attrs); }],
        ['wasm', async () => { await tf.setBackend('wasm'); return call(c.kernel, onWasm, c.attrs); }],
      ];
      for (let r = 0; r < ROUNDS + 5; r++) {
        for (let v = 0; v < variants.length; v++) {
          const [key, run] = variants[(r + v) % variants.length];
          const ms = await run();
          if (r >= 5) t[key].push(ms);
        }
      }
      const m = { off: median(t.off), on: median(t.on), res: median(t.res), wasm: median(t.wasm) };
      const f = (v: number) => v.toFixed(v < 1 ? 3 : 2).padStart(9);
      console.log([c.name.padEnd(38), f(m.off), f(m.on), f(m.res), f(m.wasm), `${(m.wasm / m.off).toFixed(2)}×`.padStart(8),
        `${(m.wasm / m.on).toFixed(2)}×`.padStart(7), `${(m.off / m.on).toFixed(2)}×`.padStart(6)].join('  '));
      await tf.setBackend('cpu');
      tf.dispose([...Object.values(plain), ...Object.values(resident)]);
      await tf.setBackend('wasm');
      tf.dispose(Object.values(onWasm));
    }
  } finally {
    reg.restore();
    await tf.setBackend('cpu');
  }
  process.exit(0);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
