/**
 * Our webgl kernels when the WebGL context is not the comfortable default
 * (headless Chromium, SwiftShader; see test/browser/harness.ts):
 *  - float16-only render targets (WEBGL_FORCE_F16_TEXTURES): a max-pool window
 *    lying wholly in padding gives -Infinity as tfjs's cpu kernel does — or,
 *    where the context's float16 textures cannot hold an infinity at all
 *    (SwiftShader: tfjs's own tf.fill(-Infinity) reads back NaN), exactly what
 *    the context stores for it;
 *  - WebGL1: forward and gradient kernels still compile and agree with cpu;
 *  - a lost context (WEBGL_lose_context): the call fails with tfjs's error
 *    within seconds instead of hanging.
 */
import { BrowserSession, openSession } from './browser/harness';

jest.setTimeout(180_000);

/* eslint-disable @typescript-eslint/no-explicit-any */
declare const tf: any;
declare const tfjsIm2col: any;

/** Runs maxPool / maxPoolGrad / avgPool on webgl with ours and on the builtin cpu, and returns both. */
async function paddedPools(s: BrowserSession): Promise<{ ours: number[][]; cpu: number[][]; oursActive: boolean; storedMinusInf: number }> {
  return s.page.evaluate(async () => {
    const run = () => {
      // Pad 2 around a 3×3 image with 2×2 windows, stride 1: the corner windows lie wholly in padding.
      const x = tf.tensor4d([1, -2, 3, -4, 5, -6, 7, -8, 9], [1, 3, 3, 1]);
      const grad = tf.grad((t: any) => tf.sum(tf.maxPool(t, 2, 1, 2)));
      const outs = [tf.maxPool(x, 2, 1, 2), grad(x), tf.avgPool(x, 2, 1, 2), tf.maxPool(x, [3, 3], [3, 3], 3)];
      const values = outs.map((t: any) => Array.from(t.dataSync() as Float32Array));
      tf.dispose([x, ...outs]);
      return values;
    };
    await tf.setBackend('cpu');
    tfjsIm2col.unregisterIm2colKernels();
    const cpu = run();
    await tf.setBackend('webgl');
    // What this context's textures hold for -Infinity: tfjs's own tf.fill, no kernel of ours involved.
    const filled = tf.fill([1], -Infinity);
    const storedMinusInf = filled.dataSync()[0];
    filled.dispose();
    const reg = tfjsIm2col.registerIm2colKernels({ backends: ['webgl'] });
    try {
      return { ours: run(), cpu, oursActive: tfjsIm2col.isIm2colKernelActive('MaxPool', 'webgl'), storedMinusInf };
    } finally {
      reg.restore();
    }
  }) as Promise<{ ours: number[][]; cpu: number[][]; oursActive: boolean; storedMinusInf: number }>;
}

/**
 * Finite values within `tolerance`; where the cpu has ±Infinity or NaN ours must have exactly what the
 * context stores for it (`minusInf` for -Infinity: -Infinity wherever textures can hold it).
 */
function expectSame(ours: number[][], cpu: number[][], tolerance: number, minusInf: number): void {
  expect(ours.length).toBe(cpu.length);
  for (let i = 0; i < cpu.length; i++) {
    expect(ours[i].length).toBe(cpu[i].length);
    for (let j = 0; j < cpu[i].length; j++) {
      const a = ours[i][j];
      const b = cpu[i][j];
      if (b === -Infinity) expect(a).toBe(minusInf);
      else if (!Number.isFinite(b)) expect(a).toBe(b);
      else expect(Math.abs(a - b)).toBeLessThanOrEqual(tolerance * Math.max(1, Math.abs(b)));
    }
  }
}

describe.each([
  { name: 'float16 textures', webglVersion: 2 as const, forceF16: true },
  { name: 'WebGL1', webglVersion: 1 as const, forceF16: false },
])('$name', ({ webglVersion, forceF16 }) => {
  let s: BrowserSession;
  beforeAll(async () => {
    s = await openSession({ webglVersion, forceF16 });
  });
  afterAll(async () => s?.close());

  test('max-pool windows wholly in padding give what the context stores for -Infinity; pools agree with tfjs cpu', async () => {
    expect(s.env.webglVersion).toBe(webglVersion);
    expect(s.env.float32Enabled).toBe(!forceF16);
    const { ours, cpu, oursActive, storedMinusInf } = await paddedPools(s);
    expect(oursActive).toBe(true);
    // The cpu builtin's answer has -Infinity in the corner windows: the case tests what it should.
    expect(cpu[0]).toContain(-Infinity);
    expect(cpu[3]).toContain(-Infinity);
    // SwiftShader's float16 render targets cannot hold an infinity: tf.fill(-Infinity) itself reads back NaN
    // there (measured; README, Known limits). Elsewhere the context keeps -Infinity, and so must we.
    console.log(`${forceF16 ? 'float16' : 'WebGL1'}: tf.fill(-Infinity) reads back ${storedMinusInf}`);
    if (!forceF16) expect(storedMinusInf).toBe(-Infinity);
    expectSame(ours, cpu, forceF16 ? 1e-2 : 1e-6, storedMinusInf);
    expect(s.errors).toEqual([]);
  });
});

describe('lost context', () => {
  let s: BrowserSession;
  beforeAll(async () => {
    s = await openSession();
  });
  afterAll(async () => s?.close());

  test('a call after the context is lost fails with an error instead of hanging', async () => {
    const outcome = await s.page.evaluate(async () => {
      tfjsIm2col.registerIm2colKernels({ backends: ['webgl'] });
      const x = tf.randomNormal([2, 8, 8, 3]);
      const w = tf.randomNormal([3, 3, 3, 4]);
      // Everything compiled and uploaded first, then the context goes.
      await tf.conv2d(x, w, 1, 'same').data();
      const gl = tf.backend().gpgpu.gl;
      gl.getExtension('WEBGL_lose_context').loseContext();
      const started = performance.now();
      const results: string[] = [];
      for (const op of [() => tf.conv2d(x, w, 1, 'same'), () => tf.maxPool(x, 2, 2, 'valid')]) {
        try {
          const y = op();
          // A read-back waits on a fence; a lost context must not leave it waiting forever.
          await Promise.race([y.data(), new Promise((_, reject) => setTimeout(() => reject(new Error('HANG')), 20_000))]);
          results.push('no error');
        } catch (e) {
          results.push(String((e as Error).message ?? e).slice(0, 200));
        }
      }
      return { results, ms: performance.now() - started, lost: gl.isContextLost() };
    });
    console.log(outcome);
    expect(outcome.lost).toBe(true);
    for (const r of outcome.results) {
      expect(r).not.toBe('HANG');
      expect(r).not.toBe('no error');
    }
  });
});
