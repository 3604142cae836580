/**
 * Memory stays flat while a MobileNet-style network trains with our cpu kernels: after a warm-up,
 * tfjs's tensor count and bytes, the GEMM engine's WebAssembly memory (where our kernels keep their
 * outputs) and the floats held by its resident blocks do not grow from step to step. The long run
 * (1,000 steps, with RSS) is `npm run bench -- --memory-steps 1000`; this is the short form: 40 steps
 * of MobileNet v1 alpha 0.25 on 32×32 inputs, batch 2, model.trainOnBatch (SGD).
 */
import { gemmLinearMemory } from '../kernels/wasm_runtime/engines';
import { isIm2colKernelActive, registerIm2colKernels, Registration } from '../src';
import { MemorySample, runMemorySteps } from '../benchmarks/suite/memory_run';
import { tf } from './helpers/tf';

let reg: Registration;

beforeAll(async () => {
  await tf.setBackend('cpu');
  reg = registerIm2colKernels({ backends: ['cpu'] });
});
afterAll(() => reg.restore());

test('40 training steps of a small MobileNet: tensors and WebAssembly memory flat after warm-up', async () => {
  expect(isIm2colKernelActive('FusedConv2D', 'cpu')).toBe(true);
  const before = tf.memory().numTensors;
  const sampleAt = [0, 1, 10, 20, 30, 40];
  const { samples } = await runMemorySteps({ steps: 40, sampleAt, alpha: 0.25, size: 32, batch: 2, classes: 10, seed: 3 });
  expect(samples.map((s) => s.step)).toEqual(sampleAt);
  const warm = samples.filter((s) => s.step >= 10);
  const column = (f: (s: MemorySample) => number) => warm.map(f);
  const constant = (xs: number[]) => xs.every((x) => x === xs[0]);
  // The weights (and SGD has no slots) are the only tensors alive between steps.
  expect(constant(column((s) => s.numTensors))).toBe(true);
  expect(constant(column((s) => s.tensorBytes))).toBe(true);
  expect(warm[0].numTensors).toBeGreaterThan(before);
  // Our WebAssembly memory: in use (the GEMM's memory is shared in Node) and not growing.
  expect(gemmLinearMemory()).not.toBeNull();
  expect(warm[0].wasmBytes).toBeGreaterThan(0);
  expect(constant(column((s) => s.wasmBytes))).toBe(true);
  expect(constant(column((s) => s.residentFloats))).toBe(true);
  expect(constant(column((s) => s.residentTensors))).toBe(true);
  // It trained: finite losses, lower at the end than after the first step (the same batch every step).
  expect(samples.slice(1).every((s) => Number.isFinite(s.loss))).toBe(true);
  expect(samples[samples.length - 1].loss).toBeLessThan(samples[1].loss);
  // Everything was released with the model.
  expect(tf.memory().numTensors).toBe(before);
}, 120_000);
