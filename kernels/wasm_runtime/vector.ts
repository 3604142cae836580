/**
 * The vector kernels of assembly/vector.ts in WebAssembly SIMD128: max pooling
 * and its gradient (four channels per instruction, no branch per comparison,
 * where JavaScript mispredicts on every other value) and the elementwise
 * passes (four floats per instruction).
 *
 * They run on the GEMM engine's memory when it is shared (Node): operands
 * that live there (kernel outputs kept in WebAssembly memory, see
 * kernels/cpu/resident.ts) are used in place, others are copied in, and
 * results not living there are copied out. Elsewhere (browsers, the scalar
 * engine) they run on a private memory of at most STAGE_LIMIT_BYTES, copying
 * everything. Beyond that, where the runtime rejects SIMD, or when switched
 * off, these functions return null/false and the callers run their
 * JavaScript loops, which give the same values. Where the GEMM engine is the
 * Node worker pool, large depthwise, relu/relu6/clip and batch-norm calls are
 * split across its threads (`runShares`), each share computing its values
 * exactly as the whole call would.
 */
import { gemmLinearMemory, getGemmEngine } from './engines';
import { MIN_PARALLEL_FLOPS, ranges, type ThreadedEngine } from './gemm_threads';
import { OP_VECTOR, VECTOR_FUNCTIONS, VectorFunction } from './worker_source';
import { LinearMemory } from './linear_memory';
import { compileBase64Module } from './module';
import { vectorSimdSharedWasm, vectorSimdWasm } from './vector_binary';

/** Most one call copies into WebAssembly memory, and the size of the private memory (where the GEMM engine's is not shared): 256 MiB. */
export const STAGE_LIMIT_BYTES = 256 * 1024 * 1024;

/** batch, inH, inW, inC, outH, outW, filterH, filterW, strideH, strideW, padTop, padLeft. */
export type PoolGeometry = [number, number, number, number, number, number, number, number, number, number, number, number];

/**
 * batch, inH, inW, inC, mult (channel multiplier), outH, outW, filterH, filterW, strideH, strideW,
 * dilationH, dilationW, padTop, padLeft: a depthwise convolution over NHWC tensors.
 */
export type DepthwiseGeometry = [number, number, number, number, number, number, number, number, number, number, number, number, number, number, number];

/**
 * inH, inW, inC, filterH, filterW, dilationH, dilationW, strideH, strideW, padTop, padLeft, outH, outW,
 * then the input's imageStride, rowStride, colStride, channelStride (NHWC or NCHW).
 */
export type Im2colGeometry = number[];

/**
 * Runs one broadcast block, out[o + r·n + i] = a[ia + r·ra + i·sa] op b[ib + r·rb + i·sb],
 * given offsets into the operands and the result.
 */
export type BlockRunner = (o: number, ia: number, ra: number, sa: number, ib: number, rb: number, sb: number, rows: number, n: number) => void;

interface VectorExports {
  maxPool(x: number, y: number, ...geometry: PoolGeometry): void;
  maxPoolGrad(x: number, dy: number, dx: number, ...geometry: PoolGeometry): void;
  binaryBlock(op: number, out: number, a: number, ra: number, sa: number, b: number, rb: number, sb: number, rows: number, n: number): void;
  relu(x: number, y: number, n: number): void;
  step(x: number, y: number, n: number, alpha: number): void;
  sqrt(x: number, y: number, n: number): void;
  clip(x: number, y: number, n: number, lo: number, hi: number): void;
  relu6(x: number, y: number, n: number): void;
  batchNorm(x: number, out: number, rows: number, C: number, mean: number, scale: number, offset: number, den: number): void;
  sumColumns(x: number, acc: number, rows: number, n: number): void;
  im2col(x: number, col: number, r0: number, r1: number, ...geometry: number[]): void;
  depthwiseConv(x: number, w: number, y: number, scratch: number, hasBias: number, bias: number, act: number, ...geometry: DepthwiseGeometry): void;
  depthwiseInputGrad(dy: number, w: number, dx: number, scratch: number, ...geometry: DepthwiseGeometry): void;
  depthwiseFilterGrad(x: number, dy: number, dw: number, acc: number, scratch: number, ...geometry: DepthwiseGeometry): void;
}

/** Operation codes of `binaryBlock` (assembly/elementwise.ts). */
export const BINARY_OPS = { Add: 0, Sub: 1, Multiply: 2, RealDiv: 3 } as const;

/** The module instantiated on one memory. */
interface Target {
  mem: LinearMemory;
  run: VectorExports;
}

let enabled = true;
/** Instances per memory (the private one, and each GEMM engine's shared one). */
const instances = new WeakMap<LinearMemory, VectorExports>();
/** undefined: not created yet; null: the runtime rejects the module. */
let privateMemory: LinearMemory | null | undefined;

function instantiate(mem: LinearMemory): VectorExports | null {
  let run = instances.get(mem);
  if (!run) {
    const module = compileBase64Module(mem.shared ? vectorSimdSharedWasm : vectorSimdWasm);
    if (module === null) return null;
    run = new WebAssembly.Instance(module, { env: { memory: mem.memory } }).exports as unknown as VectorExports;
    instances.set(mem, run);
  }
  return run;
}

/**
 * Where a call on `operands` (plus `scratchFloats` of scratch) runs: the GEMM engine's shared
 * memory, else the private one; null when the kernels are off or unsupported, or when the operands
 * that would have to be copied in exceed STAGE_LIMIT_BYTES (the memory never shrinks, so one huge
 * call must not grow it for good: the JavaScript loops take those).
 */
function target(operands: Float32Array[], scratchFloats = 0): Target | null {
  if (!enabled) return null;
  let mem = gemmLinearMemory();
  if (mem === null) {
    if (privateMemory === undefined) {
      privateMemory = new LinearMemory(false, STAGE_LIMIT_BYTES);
      if (instantiate(privateMemory) === null) privateMemory = null;
    }
    mem = privateMemory;
  }
  if (mem === null) return null;
  let staged = scratchFloats + 4 * (operands.length + 1);
  for (const a of operands) if (!mem.contains(a)) staged += a.length;
  if (staged * 4 > STAGE_LIMIT_BYTES || !mem.fits(staged)) return null;
  const run = instantiate(mem);
  if (run === null) return null;
  mem.beginStaging();
  return { mem, run };
}

/** Turns the WebAssembly vector kernels on (the default where supported) or off (JavaScript loops). */
export function setWasmVectorKernels(on: boolean): void {
  enabled = on;
}

/** True when pooling and elementwise passes run in WebAssembly: enabled, and the runtime accepts SIMD128. */
export function wasmVectorKernelsActive(): boolean {
  return target([]) !== null;
}

/** y = max pool of x (see kernels/core/pool.ts); false when the caller must use the JavaScript loop. */
export function maxPoolWasm(x: Float32Array, geometry: PoolGeometry, y: Float32Array): boolean {
  const t = target([x, y]);
  if (t === null) return false;
  const px = t.mem.place(x, true);
  const py = t.mem.place(y, false);
  t.run.maxPool(px, py, ...geometry);
  t.mem.copyOut(y, py);
  return true;
}

/** dx = dy routed to each window's first maximum (see kernels/core/pool.ts); false when the caller must use the JavaScript loop. */
export function maxPoolGradWasm(x: Float32Array, dy: Float32Array, geometry: PoolGeometry, dx: Float32Array): boolean {
  const t = target([x, dy, dx]);
  if (t === null) return false;
  const px = t.mem.place(x, true);
  const pdy = t.mem.place(dy, true);
  const pdx = t.mem.place(dx, false);
  t.run.maxPoolGrad(px, pdy, pdx, ...geometry);
  t.mem.copyOut(dx, pdx);
  return true;
}

/**
 * Places a, b and `out` for `op`; the returned `block` runs blocks in
 * WebAssembly and `finish()` copies the result into `out` if it had to be
 * staged. Null when the caller must use its JavaScript loop.
 */
export function wasmBinary(op: keyof typeof BINARY_OPS, a: Float32Array, b: Float32Array, out: Float32Array):
  { block: BlockRunner; finish(): void } | null {
  const t = target([a, b, out]);
  if (t === null) return null;
  const pa = t.mem.place(a, true);
  const pb = t.mem.place(b, true);
  const po = t.mem.place(out, false);
  const code = BINARY_OPS[op];
  const run = t.run.binaryBlock;
  return {
    block: (o, ia, ra, sa, ib, rb, sb, rows, n) => run(code, po + o * 4, pa + ia * 4, ra, sa, pb + ib * 4, rb, sb, rows, n),
    finish: () => t.mem.copyOut(out, po),
  };
}

/**
 * y = relu, step (alpha: the value where x ≤ 0), sqrt, clip (to [alpha, beta]) or relu6 of x in
 * WebAssembly; false when the caller must use its JavaScript loop.
 */
export function wasmUnary(
  op: 'relu' | 'step' | 'sqrt' | 'clip' | 'relu6', x: Float32Array, y: Float32Array, alpha = 0, beta = 0,
): boolean {
  const t = target([x, y]);
  if (t === null) return false;
  const px = t.mem.place(x, true);
  const py = t.mem.place(y, false);
  if (op === 'step') {
    t.run.step(px, py, x.length, alpha);
  } else if (op === 'sqrt') {
    t.run.sqrt(px, py, x.length);
  } else {
    // Consecutive runs of elements, one per thread on a large tensor.
    const pool = threadPool(x.length, PARALLEL_ELEMENTS);
    runShares(pool, t, op, ranges(x.length, pool?.threads ?? 1, 4).map(([a, b]) =>
      (op === 'clip' ? [px + 4 * a, py + 4 * a, b - a, alpha, beta] : [px + 4 * a, py + 4 * a, b - a])));
  }
  t.mem.copyOut(y, py);
  return true;
}

/**
 * out = offset + (x − mean) · scale / den per channel (rows of C channels; the four parameters as C
 * float64 values each) in WebAssembly (assembly/elementwise.ts batchNorm); false when the caller
 * must use its JavaScript loop.
 */
export function wasmBatchNorm(
  x: Float32Array, out: Float32Array, C: number, mean: Float64Array, scale: Float64Array, offset: Float64Array, den: Float64Array,
): boolean {
  const t = target([x, out], 8 * C + 16);
  if (t === null) return false;
  const px = t.mem.place(x, true);
  const po = t.mem.place(out, false);
  // Each parameter vector as the bytes of its doubles.
  const [pm, ps, pof, pd] = [mean, scale, offset, den].map((p) => t.mem.place(new Float32Array(p.buffer, p.byteOffset, 2 * C), true));
  const rows = x.length / C;
  const pool = threadPool(x.length, PARALLEL_ELEMENTS / 4);
  runShares(pool, t, 'batchNorm', ranges(rows, pool?.threads ?? 1, 1).map(([a, b]) =>
    [px + 4 * a * C, po + 4 * a * C, b - a, C, pm, ps, pof, pd]));
  t.mem.copyOut(out, po);
  return true;
}

/**
 * Float64 accumulators for `outSize` outputs in WebAssembly memory, zeroed,
 * and `columns(ix, o, rows, n)`: acc[o + i] += x[ix + r·n + i] over rows r in
 * order (see sumColumns in assembly/elementwise.ts). Null when the caller
 * must use its JavaScript loop.
 */
export function wasmSumColumns(x: Float32Array, outSize: number):
  { acc: Float64Array; columns(ix: number, o: number, rows: number, n: number): void } | null {
  const t = target([x], 2 * outSize);
  if (t === null) return null;
  const px = t.mem.place(x, true);
  const accAt = t.mem.alloc(2 * outSize);
  const acc = new Float64Array(t.mem.view().buffer, accAt * 4, outSize).fill(0);
  const run = t.run.sumColumns;
  return { acc, columns: (ix, o, rows, n) => run(px + ix * 4, accAt * 4 + o * 8, rows, n) };
}

/**
 * Rows [r0, r1) of im2col(x) into `rows` (see im2colRows in kernels/core/im2col.ts, which gives
 * the same floats). Runs where x lives in WebAssembly memory or is no bigger than the rows built
 * (so staging it costs less than the tile); false when the caller must use the JavaScript walk.
 */
export function im2colWasm(x: Float32Array, r0: number, r1: number, rows: Float32Array, geometry: Im2colGeometry): boolean {
  const t = target([x, rows]);
  if (t === null || (!t.mem.contains(x) && x.length > rows.length)) return false;
  const px = t.mem.place(x, true);
  const pcol = t.mem.place(rows, false);
  t.run.im2col(px, pcol, r0, r1, ...geometry);
  t.mem.copyOut(rows, pcol);
  return true;
}

/** Floats of scratch a depthwise call needs: the input expanded to outC channels when mult > 1. */
function depthwiseScratch(g: DepthwiseGeometry): number {
  const [, inH, inW, inC, mult] = g;
  return mult > 1 ? inH * inW * inC * mult : 0;
}

/** Scratch of the forward pass: that, then one input row of zeros (inW · outC floats) for windows over padding. */
function depthwiseForwardScratch(g: DepthwiseGeometry): number {
  const [, , inW, inC, mult] = g;
  return depthwiseScratch(g) + inW * inC * mult;
}

/**
 * y = depthwise conv2d of x with filter, plus a per-channel bias (outC floats) and relu (act 1) or
 * relu6 (act 2) when given (see kernels/core/depthwise.ts, which gives the same floats); false when
 * the caller must use its JavaScript loops.
 */
export function depthwiseConvWasm(
  x: Float32Array, filter: Float32Array, y: Float32Array, geometry: DepthwiseGeometry, bias: Float32Array | null, act: number,
): boolean {
  const pool = threadPool(depthwiseMacs(geometry));
  const shares = splitDepthwise(geometry, pool?.threads ?? 1);
  const scratch = shares.map((sh) => depthwiseForwardScratch(sh.geometry));
  const t = target(bias ? [x, filter, y, bias] : [x, filter, y], scratch.reduce((a, b) => a + b, 0));
  if (t === null) return false;
  const px = t.mem.place(x, true);
  const pw = t.mem.place(filter, true);
  const pb = bias ? t.mem.place(bias, true) : 0;
  const py = t.mem.place(y, false);
  runShares(pool, t, 'depthwiseConv', shares.map((sh, i) =>
    [px + 4 * sh.xAt, pw, py + 4 * sh.yAt, scratch[i] > 0 ? t.mem.alloc(scratch[i]) * 4 : 0, bias ? 1 : 0, pb, act, ...sh.geometry]));
  t.mem.copyOut(y, py);
  return true;
}

/**
 * Calls `fn` of the vector module once per argument list: on the pool (the first list on this
 * thread) where it runs on this memory, else one after another here.
 */
function runShares(pool: ThreadedEngine | null, t: Target, fn: VectorFunction, argLists: number[][]): void {
  const call = t.run[fn] as (...args: number[]) => void;
  if (pool && argLists.length > 1 && pool.linearMemory === t.mem) {
    const op = OP_VECTOR + VECTOR_FUNCTIONS.indexOf(fn);
    pool.parallel(argLists.map((args) => ({ op, args })), ({ args }) => call(...args));
  } else {
    for (const args of argLists) call(...args);
  }
}

/** Multiply-adds of a depthwise call. */
function depthwiseMacs(g: DepthwiseGeometry): number {
  const [batch, , , inC, mult, outH, outW, filterH, filterW] = g;
  return batch * outH * outW * inC * mult * filterH * filterW;
}

/**
 * Elements of a relu, relu6 or clip pass from which it is split across the worker pool (a quarter of
 * that for batch normalisation, which divides in float64): a few tenths of a millisecond of work, since
 * waking a worker costs tens of microseconds here (MobileNet v1 0.25 at batch 1, where these passes are
 * 0.03–0.3 ms, measured slower with the split from 128 Ki elements).
 */
export const PARALLEL_ELEMENTS = 1 << 20;

/**
 * The GEMM engine's worker pool when it has one and a call of `work` (multiply-adds, or elements
 * with a `minWork`) is worth splitting, else null.
 */
function threadPool(work: number, minWork = MIN_PARALLEL_FLOPS / 2): ThreadedEngine | null {
  const engine = getGemmEngine() as Partial<ThreadedEngine>;
  if (typeof engine.parallel !== 'function' || !(engine.threads! > 1) || work < minWork) return null;
  return engine as ThreadedEngine;
}

/** One share of a split depthwise call: its geometry, and where its input and output start (floats into x and y). */
export interface DepthwiseShare {
  geometry: DepthwiseGeometry;
  xAt: number;
  yAt: number;
}

/**
 * Splits a depthwise call into `parts` independent calls: by image when there are at least `parts`
 * images, else (forward only, `byRows`) by output rows. Output rows [o0, o1) are the convolution of the input from row
 * r0 = max(0, o0·strideH − padTop), cropped to the last row their windows reach, with what is left of
 * the top padding; every output value is made of the same products in the same order as in the whole
 * call. The whole call (one share) where a slice would start below the input.
 */
export function splitDepthwise(g: DepthwiseGeometry, parts: number, byRows = true): DepthwiseShare[] {
  const [batch, inH, inW, inC, mult, outH, outW, filterH, , strideH, , dilationH, , padTop] = g;
  const whole = [{ geometry: g, xAt: 0, yAt: 0 }];
  if (parts <= 1) return whole;
  const imageIn = inH * inW * inC;
  const imageOut = outH * outW * inC * mult;
  if (batch >= parts) {
    return ranges(batch, parts, 1).map(([b0, b1]) => ({
      geometry: [b1 - b0, ...g.slice(1)] as DepthwiseGeometry, xAt: b0 * imageIn, yAt: b0 * imageOut,
    }));
  }
  if (!byRows) return whole;
  const shares: DepthwiseShare[] = [];
  for (let b = 0; b < batch; b++) {
    for (const [o0, o1] of ranges(outH, Math.ceil(parts / batch), 1)) {
      const top = o0 * strideH - padTop;
      const r0 = Math.max(0, top);
      const rows = Math.min(inH, (o1 - 1) * strideH - padTop + (filterH - 1) * dilationH + 1) - r0;
      if (r0 >= inH || rows < 1) return whole;
      const geometry = [...g] as DepthwiseGeometry;
      geometry[0] = 1;
      geometry[1] = rows;
      geometry[5] = o1 - o0;
      geometry[13] = r0 - top;
      shares.push({ geometry, xAt: b * imageIn + r0 * inW * inC, yAt: b * imageOut + o0 * outW * inC * mult });
    }
  }
  return shares;
}

/** dx = the depthwise convolution's input gradient (see kernels/core/depthwise.ts); false when the caller must use its JavaScript loops. */
export function depthwiseInputGradWasm(dy: Float32Array, filter: Float32Array, dx: Float32Array, geometry: DepthwiseGeometry): boolean {
  const pool = threadPool(depthwiseMacs(geometry));
  // Split by image only: each image's dx is a sum over its own dy.
  const shares = splitDepthwise(geometry, pool?.threads ?? 1, false);
  // Or room for the rotated filter and a row of zeros of dy (see depthwiseInputGrad in assembly/depthwise.ts).
  const [, , , inC, mult, , outW, filterH, filterW] = geometry;
  const scratch = shares.map((sh) => Math.max(depthwiseScratch(sh.geometry), filterH * filterW * inC * mult + 4 + outW * inC * mult));
  const t = target([dy, filter, dx], scratch.reduce((a, b) => a + b, 0));
  if (t === null) return false;
  const pdy = t.mem.place(dy, true);
  const pw = t.mem.place(filter, true);
  const pdx = t.mem.place(dx, false);
  runShares(pool, t, 'depthwiseInputGrad', shares.map((sh, i) =>
    [pdy + 4 * sh.yAt, pw, pdx + 4 * sh.xAt, t.mem.alloc(scratch[i]) * 4, ...sh.geometry]));
  t.mem.copyOut(dx, pdx);
  return true;
}

/** dW = the depthwise convolution's filter gradient (see kernels/core/depthwise.ts); false when the caller must use its JavaScript loops. */
export function depthwiseFilterGradWasm(x: Float32Array, dy: Float32Array, dW: Float32Array, geometry: DepthwiseGeometry): boolean {
  const scratch = depthwiseScratch(geometry);
  // Float64 accumulators: two floats each.
  const t = target([x, dy, dW], scratch + 2 * dW.length);
  if (t === null) return false;
  const px = t.mem.place(x, true);
  const pdy = t.mem.place(dy, true);
  const pdw = t.mem.place(dW, false);
  const pacc = t.mem.alloc(2 * dW.length) * 4;
  const ps = scratch > 0 ? t.mem.alloc(scratch) * 4 : 0;
  t.run.depthwiseFilterGrad(px, pdy, pdw, pacc, ps, ...geometry);
  t.mem.copyOut(dW, pdw);
  return true;
}
