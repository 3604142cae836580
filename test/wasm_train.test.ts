/**
 * SimpleConvNet trains on tfjs-backend-wasm with our kernels (which alone make that possible: wasm
 * has no Conv2DBackpropFilter), from the same initial weights and batches as on cpu, with the same
 * losses: the first 2 steps within 1e-3 relative of tfjs's builtin cpu kernels, and the same accuracy
 * as our cpu kernels after a short run (tfjs's cpu builtins are too slow here for more steps).
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import '@tensorflow/tfjs-layers';
import { registerIm2colKernels, unregisterIm2colKernels } from '../src/registration';
import { loadMnist } from '../src/data/mnist';
import { buildSimpleConvNet } from '../src/models/simpleConvNet';
import { compileForTraining, trainModel } from '../src/models/train';

const data = loadMnist({ trainLimit: 3000, testLimit: 1000 });

afterAll(() => unregisterIm2colKernels());

/** Trains a fresh SimpleConvNet (seed 1) for `steps` batches of 100 on `backend`; losses and test accuracy. */
async function train(backend: 'cpu' | 'wasm', steps: number): Promise<{ losses: number[]; testAcc: number }> {
  await tf.setBackend(backend);
  const model = buildSimpleConvNet({ seed: 1 });
  compileForTraining(model, 0.001);
  const losses: number[] = [];
  const result = await trainModel(model, data, {
    epochs: 1, batchSize: 100, learningRate: 0.001, seed: 1, stepsPerEpoch: steps, evalSamples: 0,
    onStep: (s) => losses.push(s.loss),
  });
  model.dispose();
  return { losses, testAcc: result.finalTestAcc };
}

describe('SimpleConvNet on wasm with our kernels', () => {
  it('the wasm builtins alone cannot train it (no Conv2DBackpropFilter)', async () => {
    await expect(train('wasm', 1)).rejects.toThrow(/Conv2DBackpropFilter/);
  });

  it('trains with the losses of the builtin cpu kernels: the first 2 steps within 1e-3 relative', async () => {
    // tfjs's builtin cpu gradients take ~8 s per step in plain Node and minutes under jest: 2 steps (the
    // second loss follows one update) are the reference.
    const cpu = await train('cpu', 2);
    const reg = registerIm2colKernels({ backends: 'wasm' });
    const wasm = await train('wasm', 2);
    reg.restore();
    console.log(`SimpleConvNet, first 2 steps of 100 images from the same weights and batches:\n` +
      `  cpu, tfjs builtins: ${cpu.losses.map((l) => l.toFixed(6)).join(', ')}\n` +
      `  wasm, our kernels:  ${wasm.losses.map((l) => l.toFixed(6)).join(', ')}`);
    expect(wasm.losses).toHaveLength(2);
    const relative = wasm.losses.map((l, i) => Math.abs(l - cpu.losses[i]) / cpu.losses[i]);
    expect(Math.max(...relative)).toBeLessThan(1e-3);
  }, 900_000);

  it('learns as on cpu: 30 steps (3,000 images) reach the same test accuracy as our cpu kernels', async () => {
    const reg = registerIm2colKernels({ backends: ['cpu', 'wasm'] });
    const cpu = await train('cpu', 30);
    const wasm = await train('wasm', 30);
    reg.restore();
    console.log(`SimpleConvNet, 30 steps: loss ${wasm.losses[0].toFixed(3)} -> ${wasm.losses[29].toFixed(3)} on wasm ` +
      `(cpu ${cpu.losses[29].toFixed(3)}); test accuracy (1,000 images) wasm ${wasm.testAcc.toFixed(3)}, cpu ${cpu.testAcc.toFixed(3)}`);
    expect(wasm.losses[29]).toBeLessThan(0.7 * wasm.losses[0]);
    expect(wasm.testAcc).toBeGreaterThan(0.6);
    expect(Math.abs(wasm.testAcc - cpu.testAcc)).toBeLessThan(0.02);
  }, 900_000);
});
