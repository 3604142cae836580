/**
 * The vector kernels of assembly/vector.ts in WebAssembly SIMD128: max pooling
 * and its gradient (four channels per instruction, no branch per comparison,
 * where JavaScript mispredicts on every other value) and the elementwise
 * passes (four floats per instruction).
 *
 * The module has one private memory. Each call copies its operands in with
 * `set` (a memcpy), runs, and copies the result out; the memory grows to the
 * largest call, at most STAGE_LIMIT_BYTES. Beyond that, where the runtime
 * rejects SIMD, or when switched off, these functions return null/false and
 * the callers run their JavaScript loops, which give the same values.
 */
import type { BlockRunner } from './elementwise';
import { compileBase64Module } from './gemm_wasm';
import { ConvGeometry } from './geometry';
import { vectorSimdWasm } from './vector_wasm_binary';

/** Largest staging one call may use: 256 MiB. */
export const STAGE_LIMIT_BYTES = 256 * 1024 * 1024;

type PoolGeometry = [number, number, number, number, number, number, number, number, number, number, number, number];

interface VectorExports {
  maxPool(x: number, y: number, ...geometry: PoolGeometry): void;
  maxPoolGrad(x: number, dy: number, dx: number, ...geometry: PoolGeometry): void;
  binaryBlock(op: number, out: number, a: number, ra: number, sa: number, b: number, rb: number, sb: number, rows: number, n: number): void;
  relu(x: number, y: number, n: number): void;
  step(x: number, y: number, n: number, alpha: number): void;
  sqrt(x: number, y: number, n: number): void;
}

/** Operation codes of `binaryBlock` (assembly/elementwise.ts). */
export const BINARY_OPS = { Add: 0, Sub: 1, Multiply: 2, RealDiv: 3 } as const;

interface VectorModule {
  memory: WebAssembly.Memory;
  exports: VectorExports;
}

/** undefined: not tried yet; null: the runtime rejects the module. */
let loaded: VectorModule | null | undefined;
let enabled = true;

function load(): VectorModule | null {
  if (loaded !== undefined) return loaded;
  const module = compileBase64Module(vectorSimdWasm);
  loaded = null;
  if (module !== null) {
    const memory = new WebAssembly.Memory({ initial: 1, maximum: 65536 });
    const instance = new WebAssembly.Instance(module, { env: { memory } });
    loaded = { memory, exports: instance.exports as unknown as VectorExports };
  }
  return loaded;
}

/** Turns the WebAssembly vector kernels on (the default where supported) or off (JavaScript loops). */
export function setWasmVectorKernels(on: boolean): void {
  enabled = on;
}

/** True when pooling and elementwise passes run in WebAssembly: enabled, and the runtime accepts SIMD128. */
export function wasmVectorKernelsActive(): boolean {
  return enabled && load() !== null;
}

/** Float count rounded up to whole 16-byte vectors, so each staged array starts aligned. */
function aligned(floats: number): number {
  return Math.ceil(floats / 4) * 4;
}

/**
 * Lays out arrays of the given float counts one after another from byte 16 (no
 * pointer is 0), grows the memory to hold them, and returns each one's float
 * index and the memory as floats; null when the kernels are off, unsupported,
 * or the staging would exceed STAGE_LIMIT_BYTES.
 */
function stage(...floats: number[]): { exports: VectorExports; heap: Float32Array; at: number[] } | null {
  const module = enabled ? load() : null;
  if (module === null) return null;
  const at: number[] = [];
  let end = 4;
  for (const f of floats) {
    at.push(end);
    end += aligned(f);
  }
  const bytes = end * 4;
  if (bytes > STAGE_LIMIT_BYTES) return null;
  const missing = bytes - module.memory.buffer.byteLength;
  if (missing > 0) module.memory.grow(Math.ceil(missing / 65536));
  return { exports: module.exports, heap: new Float32Array(module.memory.buffer), at };
}

function poolGeometry(g: ConvGeometry): PoolGeometry {
  return [g.batch, g.inH, g.inW, g.inC, g.outH, g.outW, g.filterH, g.filterW, g.strideH, g.strideW, g.padTop, g.padLeft];
}

/** y = max pool of x (see pool.ts); false when the caller must use the JavaScript loop. */
export function maxPoolWasm(x: Float32Array, g: ConvGeometry, y: Float32Array): boolean {
  const s = stage(x.length, y.length);
  if (s === null) return false;
  const [xAt, yAt] = s.at;
  s.heap.set(x, xAt);
  s.exports.maxPool(xAt * 4, yAt * 4, ...poolGeometry(g));
  y.set(s.heap.subarray(yAt, yAt + y.length));
  return true;
}

/** dx += dy routed to each window's first maximum (see pool.ts); false when the caller must use the JavaScript loop. */
export function maxPoolGradWasm(x: Float32Array, dy: Float32Array, g: ConvGeometry, dx: Float32Array): boolean {
  const s = stage(x.length, dy.length, dx.length);
  if (s === null) return false;
  const [xAt, dyAt, dxAt] = s.at;
  s.heap.set(x, xAt);
  s.heap.set(dy, dyAt);
  s.heap.set(dx, dxAt);
  s.exports.maxPoolGrad(xAt * 4, dyAt * 4, dxAt * 4, ...poolGeometry(g));
  dx.set(s.heap.subarray(dxAt, dxAt + dx.length));
  return true;
}

/**
 * Stages a, b and a result of `size` floats for `op`; the returned `block`
 * runs blocks in WebAssembly and `result()` copies the result out. Null when
 * the caller must use its JavaScript loop.
 */
export function wasmBinary(op: keyof typeof BINARY_OPS, a: Float32Array, b: Float32Array, size: number):
  { block: BlockRunner; result(): Float32Array } | null {
  const s = stage(a.length, b.length, size);
  if (s === null) return null;
  const [aAt, bAt, outAt] = s.at;
  s.heap.set(a, aAt);
  s.heap.set(b, bAt);
  const code = BINARY_OPS[op];
  const run = s.exports.binaryBlock;
  return {
    block: (o, ia, ra, sa, ib, rb, sb, rows, n) => run(code, (outAt + o) * 4, (aAt + ia) * 4, ra, sa, (bAt + ib) * 4, rb, sb, rows, n),
    result: () => s.heap.slice(outAt, outAt + size),
  };
}

/** y = relu, step (with alpha) or sqrt of x in WebAssembly, or null when the caller must use its JavaScript loop. */
export function wasmUnary(op: 'relu' | 'step' | 'sqrt', x: Float32Array, alpha = 0): Float32Array | null {
  const s = stage(x.length, x.length);
  if (s === null) return null;
  const [xAt, yAt] = s.at;
  s.heap.set(x, xAt);
  if (op === 'step') s.exports.step(xAt * 4, yAt * 4, x.length, alpha);
  else s.exports[op](xAt * 4, yAt * 4, x.length);
  return s.heap.slice(yAt, yAt + x.length);
}
