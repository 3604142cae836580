/** registerIm2colKernels / restore / unregister, and tfjs programs really running on our kernels. */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildSync } from 'esbuild';
import * as tfl from '@tensorflow/tfjs-layers';
import { getKernel, KernelConfig } from '@tensorflow/tfjs-core';
import { cpuKernelConfigs } from '../kernels/cpu';
import {
  IM2COL_KERNELS, isIm2colKernelActive, registerIm2colKernels, unregisterIm2colKernels,
} from '../src';
import { tf } from './helpers/tf';

const builtin = new Map<string, KernelConfig | undefined>();

beforeAll(async () => {
  await tf.setBackend('cpu');
  for (const name of IM2COL_KERNELS) builtin.set(name, getKernel(name, 'cpu'));
});
afterEach(() => unregisterIm2colKernels());

function expectBuiltins(): void {
  for (const name of IM2COL_KERNELS) expect(getKernel(name, 'cpu')).toBe(builtin.get(name));
}

describe('registration', () => {
  it('replaces every kernel on the registered backends by default, and restore() puts back the very same configs', () => {
    const reg = registerIm2colKernels();
    expect(reg.backends).toEqual(['cpu']);
    expect(reg.kernels).toEqual(expect.arrayContaining([...IM2COL_KERNELS]));
    for (const name of IM2COL_KERNELS) {
      expect(getKernel(name, 'cpu')).not.toBe(builtin.get(name));
      expect(isIm2colKernelActive(name, 'cpu')).toBe(true);
    }
    reg.restore();
    expectBuiltins();
    for (const name of IM2COL_KERNELS) expect(isIm2colKernelActive(name, 'cpu')).toBe(false);
  });

  it('can replace a subset of kernels', () => {
    const reg = registerIm2colKernels({ backends: ['cpu'], kernels: ['Conv2D', 'MaxPool'] });
    expect(reg.kernels.sort()).toEqual(['Conv2D', 'MaxPool']);
    expect(isIm2colKernelActive('Conv2D', 'cpu')).toBe(true);
    expect(isIm2colKernelActive('MaxPool', 'cpu')).toBe(true);
    expect(getKernel('Conv2DBackpropFilter', 'cpu')).toBe(builtin.get('Conv2DBackpropFilter'));
    reg.restore();
    expectBuiltins();
  });

  it('unregisterIm2colKernels() restores everything', () => {
    registerIm2colKernels({ backends: ['cpu'], kernels: ['Conv2D'] });
    registerIm2colKernels({ backends: ['cpu'] });
    unregisterIm2colKernels();
    expectBuiltins();
  });

  it('names the valid choices when given an unknown backend or kernel', () => {
    expect(() => registerIm2colKernels({ backends: ['tpu'] })).toThrow(/unknown backend 'tpu'; valid backends: cpu/);
    expect(() => registerIm2colKernels({ kernels: ['Conv3D'] })).toThrow(/unknown kernel 'Conv3D'; valid kernels: .*Conv2D.*MaxPoolGrad/);
    expectBuiltins();
  });

  it('the side-effect entry registers on import', () => {
    jest.isolateModules(() => {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      require('../src/register');
    });
    for (const name of IM2COL_KERNELS) expect(getKernel(name, 'cpu')).not.toBe(builtin.get(name));
    // The isolated copy keeps its own record of originals; restore through the registry directly.
    for (const name of IM2COL_KERNELS) {
      tf.unregisterKernel(name, 'cpu');
      tf.registerKernel(builtin.get(name)!);
    }
    expectBuiltins();
  });
});

describe('live registrations are counted per (kernel, backend)', () => {
  const ours = (name: string) => isIm2colKernelActive(name, 'cpu');

  it('ours stay while another registration covers them; the last restore() puts the builtins back', () => {
    const first = registerIm2colKernels({ backends: ['cpu'] });
    const second = registerIm2colKernels({ backends: ['cpu'] });
    first.restore();
    for (const name of IM2COL_KERNELS) expect([name, ours(name)]).toEqual([name, true]);
    second.restore();
    expectBuiltins();
  });

  it('restore() twice is a no-op: it releases its pairs once', () => {
    const first = registerIm2colKernels({ backends: ['cpu'] });
    const second = registerIm2colKernels({ backends: ['cpu'] });
    first.restore();
    first.restore();
    expect(ours('Conv2D')).toBe(true);
    second.restore();
    expectBuiltins();
    second.restore();
    expectBuiltins();
  });

  it('overlapping subsets: a kernel goes back when no live registration covers it (either order)', () => {
    const conv = registerIm2colKernels({ backends: ['cpu'], kernels: ['Conv2D'] });
    const all = registerIm2colKernels({ backends: ['cpu'] });
    all.restore();
    expect(ours('Conv2D')).toBe(true);
    expect(getKernel('MaxPool', 'cpu')).toBe(builtin.get('MaxPool'));
    conv.restore();
    expectBuiltins();

    const conv2 = registerIm2colKernels({ backends: ['cpu'], kernels: ['Conv2D'] });
    const all2 = registerIm2colKernels({ backends: ['cpu'] });
    conv2.restore();
    expect(ours('Conv2D')).toBe(true);
    expect(ours('MaxPool')).toBe(true);
    all2.restore();
    expectBuiltins();
  });

  it('unregisterIm2colKernels() restores everything and turns earlier handles\' restore() into no-ops', () => {
    const early = registerIm2colKernels({ backends: ['cpu'] });
    unregisterIm2colKernels();
    expectBuiltins();
    const late = registerIm2colKernels({ backends: ['cpu'] });
    early.restore();
    expect(ours('Conv2D')).toBe(true);
    late.restore();
    expectBuiltins();
  });

  it('restore() leaves a kernel that someone else registered over ours', () => {
    const reg = registerIm2colKernels({ backends: ['cpu'] });
    const theirs: KernelConfig = { ...builtin.get('Conv2D')! };
    tf.unregisterKernel('Conv2D', 'cpu');
    tf.registerKernel(theirs);
    reg.restore();
    expect(getKernel('Conv2D', 'cpu')).toBe(theirs);
    for (const name of IM2COL_KERNELS.filter((n) => n !== 'Conv2D')) expect(getKernel(name, 'cpu')).toBe(builtin.get(name));
    tf.unregisterKernel('Conv2D', 'cpu');
    tf.registerKernel(builtin.get('Conv2D')!);
    expectBuiltins();
  });
});

describe('registering before the backend\'s kernels are registered', () => {
  it('throws, naming the missing builtin and the package to import, and installs nothing', () => {
    tf.unregisterKernel('MaxPool', 'cpu');
    try {
      expect(() => registerIm2colKernels({ backends: ['cpu'] })).toThrow(
        /the 'cpu' backend's kernels are not registered yet \(no MaxPool\): import '@tensorflow\/tfjs-backend-cpu' before registering/);
      expect(isIm2colKernelActive('Conv2D', 'cpu')).toBe(false);
    } finally {
      tf.registerKernel(builtin.get('MaxPool')!);
    }
    expectBuiltins();
  });

  /** Bundles `script` (TypeScript, imports relative to test/) and runs it in a fresh Node process; returns its JSON. */
  function runFresh(script: string): Record<string, unknown> {
    const dir = mkdtempSync(join(tmpdir(), 'im2col-fresh-'));
    try {
      const out = join(dir, 'fresh.cjs');
      buildSync({
        stdin: { contents: script, resolveDir: __dirname, loader: 'ts' },
        bundle: true, platform: 'node', format: 'cjs', outfile: out, logLevel: 'error',
      });
      const stdout = execFileSync(process.execPath, [out], { encoding: 'utf8', timeout: 60_000, stdio: ['ignore', 'pipe', 'pipe'] });
      return JSON.parse(stdout.trim().split('\n').pop()!);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }

  it('in a fresh process with tfjs-core but no backend: the default call, an explicit cpu and the side-effect entry all throw', () => {
    const result = runFresh(`
      import * as tf from '@tensorflow/tfjs-core';
      import { registerIm2colKernels } from '../src';
      const attempt = (f: () => unknown): string => {
        try { f(); return 'no error'; } catch (e) { return (e as Error).message; }
      };
      const result: Record<string, unknown> = {
        byDefault: attempt(() => registerIm2colKernels()),
        onCpu: attempt(() => registerIm2colKernels({ backends: ['cpu'] })),
        sideEffectEntry: attempt(() => require('../src/register')),
      };
      result.registryUntouched = tf.getKernel('Conv2D', 'cpu') === undefined;
      require('@tensorflow/tfjs-backend-cpu');
      const builtin = tf.getKernel('Conv2D', 'cpu');
      const reg = registerIm2colKernels();
      result.oursAfterImport = tf.getKernel('Conv2D', 'cpu') !== builtin;
      reg.restore();
      result.builtinBack = tf.getKernel('Conv2D', 'cpu') === builtin;
      console.log(JSON.stringify(result));
    `);
    const noBackend = /tfjs-im2col: no supported tfjs backend is registered yet \(cpu, webgl\): import '@tensorflow\/tfjs-backend-cpu' or '@tensorflow\/tfjs-backend-webgl' before registering/;
    expect(result.byDefault).toMatch(noBackend);
    expect(result.sideEffectEntry).toMatch(noBackend);
    expect(result.onCpu).toMatch(/tfjs-im2col: the 'cpu' backend's kernels are not registered yet \(no Conv2D\): import '@tensorflow\/tfjs-backend-cpu' before registering/);
    expect(result).toMatchObject({ registryUntouched: true, oursAfterImport: true, builtinBack: true });
  });
});

describe('tfjs programs run on our kernels after registration', () => {
  function spyOnOurs(): Map<string, jest.SpyInstance> {
    return new Map(cpuKernelConfigs.map((c) => [c.kernelName, jest.spyOn(c, 'kernelFunc')]));
  }

  it('tf.conv2d, tf.maxPool, tf.avgPool, tf.fused.conv2d and tf.grad of them', () => {
    registerIm2colKernels({ backends: ['cpu'] });
    const spies = spyOnOurs();
    const x = tf.randomNormal([2, 8, 8, 3]) as tf.Tensor4D;
    const w = tf.randomNormal([3, 3, 3, 4]) as tf.Tensor4D;
    tf.tidy(() => {
      tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.add(
        tf.maxPool(tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, 1, 'same'), 2, 2, 'valid'),
        // Under a gradient tfjs fuses only linear activations.
        tf.avgPool(tf.fused.conv2d({ x: a as tf.Tensor4D, filter: b as tf.Tensor4D, pad: 'same', strides: 1, bias: tf.ones([4]) }), 2, 2, 'valid'),
      )))([x, w]);
      tf.fused.conv2d({ x, filter: w, pad: 'same', strides: 1, activation: 'relu' });
    });
    for (const name of ['Conv2D', 'FusedConv2D', 'MaxPool', 'AvgPool', 'Conv2DBackpropInput', 'Conv2DBackpropFilter', 'MaxPoolGrad', 'AvgPoolGrad']) {
      expect([name, spies.get(name)!.mock.calls.length > 0]).toEqual([name, true]);
    }
    spies.forEach((s) => s.mockRestore());
    tf.dispose([x, w]);
  });

  it('a tfjs-layers model predicts and trains on them', async () => {
    registerIm2colKernels({ backends: ['cpu'] });
    const spies = spyOnOurs();
    const model = tfl.sequential({ layers: [
      tfl.layers.conv2d({ inputShape: [12, 12, 1], filters: 4, kernelSize: 3, activation: 'relu' }),
      tfl.layers.maxPooling2d({ poolSize: 2 }),
      tfl.layers.flatten(),
      tfl.layers.dense({ units: 3, activation: 'softmax' }),
    ] });
    model.compile({ optimizer: 'adam', loss: 'categoricalCrossentropy' });
    const xs = tf.randomNormal([8, 12, 12, 1]);
    const ys = tf.oneHot(tf.tensor1d([0, 1, 2, 0, 1, 2, 0, 1], 'int32'), 3);
    await model.fit(xs, ys, { epochs: 1, batchSize: 4, verbose: 0 });
    tf.dispose(model.predict(xs) as tf.Tensor);
    const convCalls = spies.get('Conv2D')!.mock.calls.length + spies.get('FusedConv2D')!.mock.calls.length;
    expect(convCalls).toBeGreaterThan(0);
    expect(spies.get('MaxPool')!.mock.calls.length).toBeGreaterThan(0);
    expect(spies.get('Conv2DBackpropFilter')!.mock.calls.length).toBeGreaterThan(0);
    expect(spies.get('MaxPoolGrad')!.mock.calls.length).toBeGreaterThan(0);
    spies.forEach((s) => s.mockRestore());
    tf.dispose([xs, ys]);
    model.layers.forEach((l) => l.dispose());
  });
});
