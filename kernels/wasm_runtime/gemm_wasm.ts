/**
 * The WebAssembly SIMD128 GEMM engine (kernels compiled from assembly/gemm.ts).
 *
 * `gemm` keeps its operands in JavaScript Float32Arrays, so every call stages
 * them in the module's linear memory, runs the kernel there, and copies C
 * back. Staging is cheap when a view is dense — its whole span is copied with
 * one `set` (a memcpy) and the kernel reads it through the original strides —
 * and falls back to a compact gather for sparse views. C is oriented so that
 * its rows are the contiguous direction (C = A·B is computed as Cᵀ = Bᵀ·Aᵀ
 * when C is column-major, e.g. NCHW outputs), which keeps the kernel's stores
 * vectorised. Problems whose staged operands would exceed STAGE_LIMIT_FLOATS
 * are split (along m, n or k) so the module's memory stays bounded.
 * Operands that already live in the module's (shared) memory — blocks of its
 * LinearMemory: the im2col workspace, tensors kept in WebAssembly memory
 * (kernels/cpu/resident.ts) — are used in place, uncopied.
 *
 * `WasmGemm` runs the kernel on the calling thread; `gemm_threads.ts` builds
 * on it to spread one call over a worker pool sharing the same memory.
 */
import type { GemmEngine, Matrix } from '../core/gemm';
import { relaxedSharedWasm, relaxedWasm, simdSharedWasm, simdWasm } from './gemm_binary';
import { alignUp, LinearMemory } from './linear_memory';
import { compileBase64Module } from './module';

/** Floats of staged operands per kernel call before the problem is split: 16 Mi floats = 64 MiB. */
export const STAGE_LIMIT_FLOATS = 16 * 1024 * 1024;

export type WasmVariant = 'simd' | 'relaxed';

const moduleCache = new Map<string, WebAssembly.Module>();

/**
 * The compiled module for a variant, or null where the runtime rejects it (no SIMD, no relaxed SIMD).
 * Only successes are cached: a rejection is re-checked next time (validating ~2.5 KB is cheap), so
 * enabling a V8 feature flag at run time takes effect. The modules (about 5 KB) are compiled
 * synchronously, which Chromium allows on the main thread up to 8 MB (before about version 115 only
 * up to 4 KB: there this returns null and the scalar engine runs).
 */
export function wasmModule(variant: WasmVariant, shared: boolean): WebAssembly.Module | null {
  const key = `${variant}/${shared}`;
  const cached = moduleCache.get(key);
  if (cached) return cached;
  const text = variant === 'simd' ? (shared ? simdSharedWasm : simdWasm) : (shared ? relaxedSharedWasm : relaxedWasm);
  const module = compileBase64Module(text);
  if (module) moduleCache.set(key, module);
  return module;
}

/** True when this runtime can run the variant (shared needs SharedArrayBuffer-backed memory too). */
export function wasmSupported(variant: WasmVariant, shared = false): boolean {
  if (shared && typeof SharedArrayBuffer === 'undefined') return false;
  return wasmModule(variant, shared) !== null;
}

export interface KernelExports {
  gemm(m: number, n: number, k: number, a: number, ars: number, acs: number, b: number, brs: number, bcs: number,
    c: number, crs: number, ccs: number, accumulate: number, work: number): void;
  addInto(dst: number, src: number, count: number): void;
}

/** A staged operand: byte address of element (0,0) in linear memory and strides in floats. */
interface Staged {
  ptr: number;
  rs: number;
  cs: number;
}

/** How a view was placed: its span copied as is, or gathered compactly. */
interface Placement {
  staged: Staged;
  /** Float index in the heap where the placement starts. */
  at: number;
  floats: number;
  /** Span mode: first index of the span in the source array; -1 in compact mode; -2 for a resident view. */
  lo: number;
}

const ALIGN_FLOATS = 4;

/** First and last index a rows×cols view touches in its array. */
function spanOf(v: Matrix, rows: number, cols: number): [number, number] {
  const dr = (rows - 1) * v.rowStride;
  const dc = (cols - 1) * v.colStride;
  return [v.offset + Math.min(0, dr) + Math.min(0, dc), v.offset + Math.max(0, dr) + Math.max(0, dc)];
}

/** Floats a view needs when staged: its span if dense enough, else rows·cols. */
function stagedFloats(v: Matrix, rows: number, cols: number): number {
  const [lo, hi] = spanOf(v, rows, cols);
  const span = hi - lo + 1;
  return alignUp(isDense(span, rows, cols) ? span : rows * cols) + ALIGN_FLOATS;
}

/** A span no more than twice the element count (plus slack) is copied whole. */
function isDense(span: number, rows: number, cols: number): boolean {
  return span <= 2 * rows * cols + 64;
}

function transposeView(v: Matrix): Matrix {
  return { data: v.data, offset: v.offset, rowStride: v.colStride, colStride: v.rowStride };
}

function subView(v: Matrix, r0: number, c0: number): Matrix {
  return { data: v.data, offset: v.offset + r0 * v.rowStride + c0 * v.colStride, rowStride: v.rowStride, colStride: v.colStride };
}

/**
 * One module instance on one memory (linear_memory.ts): per-thread
 * scratch areas first, then resident buffers, then the staging of each call.
 */
export class WasmGemm {
  readonly mem: LinearMemory;
  readonly exports: KernelExports;
  readonly workFloats: number;
  readonly threads: number;

  constructor(readonly module: WebAssembly.Module, readonly shared: boolean, threads = 1) {
    this.threads = threads;
    this.mem = new LinearMemory(shared);
    const instance = new WebAssembly.Instance(module, { env: { memory: this.mem.memory } });
    this.exports = instance.exports as unknown as KernelExports;
    this.workFloats = alignUp((instance.exports.WORK_FLOATS as WebAssembly.Global).value as number);
    this.mem.reserve(this.workFloats * threads);
  }

  get memory(): WebAssembly.Memory {
    return this.mem.memory;
  }

  /** Byte address of thread t's scratch area. */
  workPtr(t: number): number {
    return (16 + t * this.workFloats) * 4;
  }

  /** The heap as a Float32Array (valid until the next allocation). */
  view(): Float32Array {
    return this.mem.view();
  }

  /** Reserves `floats` floats of staging memory (16-byte aligned); returns the float index. */
  alloc(floats: number): number {
    return this.mem.alloc(floats);
  }

  /** Copies a rows×cols view into staging memory (or only reserves room when `copy` is false). */
  private place(v: Matrix, rows: number, cols: number, copy: boolean): Placement {
    if (this.mem.contains(v.data)) {
      const base = v.data.byteOffset;
      // Already in this memory: used in place; nothing to copy in or out.
      return { staged: { ptr: base + v.offset * 4, rs: v.rowStride, cs: v.colStride }, at: -1, floats: 0, lo: -2 };
    }
    const [lo, hi] = spanOf(v, rows, cols);
    const span = hi - lo + 1;
    if (isDense(span, rows, cols)) {
      const at = this.alloc(span);
      if (copy) this.mem.view().set(v.data.subarray(lo, hi + 1), at);
      return { staged: { ptr: (at + v.offset - lo) * 4, rs: v.rowStride, cs: v.colStride }, at, floats: span, lo };
    }
    // Sparse view: gather into a compact matrix, keeping the faster-varying axis contiguous.
    const at = this.alloc(rows * cols);
    const byRows = Math.abs(v.colStride) <= Math.abs(v.rowStride);
    const staged = byRows ? { ptr: at * 4, rs: cols, cs: 1 } : { ptr: at * 4, rs: 1, cs: rows };
    if (copy) this.gather(v, rows, cols, at, byRows);
    return { staged, at, floats: rows * cols, lo: -1 };
  }

  private gather(v: Matrix, rows: number, cols: number, at: number, byRows: boolean): void {
    const { data, offset, rowStride, colStride } = v;
    const heap = this.mem.view();
    const [outer, inner, os, is] = byRows ? [rows, cols, rowStride, colStride] : [cols, rows, colStride, rowStride];
    for (let o = 0; o < outer; o++) {
      const src = offset + o * os;
      const dst = at + o * inner;
      if (is === 1) {
        heap.set(data.subarray(src, src + inner), dst);
      } else {
        for (let i = 0; i < inner; i++) heap[dst + i] = data[src + i * is];
      }
    }
  }

  /** Writes a placed C back into its view. */
  private writeBack(v: Matrix, rows: number, cols: number, p: Placement): void {
    const heap = this.mem.view();
    if (p.lo === -2) return; // resident: written in place
    if (p.lo >= 0) {
      v.data.set(heap.subarray(p.at, p.at + p.floats), p.lo);
      return;
    }
    const byRows = p.staged.rs === cols && p.staged.cs === 1;
    const { data, offset, rowStride, colStride } = v;
    const [outer, inner, os, is] = byRows ? [rows, cols, rowStride, colStride] : [cols, rows, colStride, rowStride];
    for (let o = 0; o < outer; o++) {
      const dst = offset + o * os;
      const src = p.at + o * inner;
      if (is === 1) {
        data.set(heap.subarray(src, src + inner), dst);
      } else {
        for (let i = 0; i < inner; i++) data[dst + i * is] = heap[src + i];
      }
    }
  }

  /**
   * C = A·B or C += A·B on JavaScript views; `compute` runs the kernel on the
   * staged operands (on this thread, or spread over a pool).
   */
  run(m: number, n: number, k: number, a: Matrix, b: Matrix, c: Matrix, accumulate: boolean,
    compute: (m: number, n: number, k: number, a: Staged, b: Staged, c: Staged, accumulate: boolean) => void): void {
    if (m <= 0 || n <= 0) return;
    if (k <= 0) {
      if (!accumulate) {
        for (let i = 0; i < m; i++) {
          for (let j = 0; j < n; j++) c.data[c.offset + i * c.rowStride + j * c.colStride] = 0;
        }
      }
      return;
    }
    // Compute Cᵀ = Bᵀ·Aᵀ when C's columns are its contiguous direction.
    if (Math.abs(c.rowStride) < Math.abs(c.colStride)) {
      this.run(n, m, k, transposeView(b), transposeView(a), transposeView(c), accumulate, compute);
      return;
    }
    const staged = (v: Matrix, r: number, cl: number) => (this.mem.contains(v.data) ? 0 : stagedFloats(v, r, cl));
    const footprint = staged(a, m, k) + staged(b, k, n) + staged(c, m, n);
    if (footprint > STAGE_LIMIT_FLOATS && (m > 1 || n > 1 || k > 1)) {
      this.split(m, n, k, a, b, c, accumulate, compute);
      return;
    }
    this.mem.beginStaging();
    const pa = this.place(a, m, k, true);
    const pb = this.place(b, k, n, true);
    const [lo, hi] = spanOf(c, m, n);
    // C's old values are needed when accumulating, or to keep the holes of a span copied back whole.
    const pc = this.place(c, m, n, accumulate || (isDense(hi - lo + 1, m, n) && hi - lo + 1 !== m * n));
    compute(m, n, k, pa.staged, pb.staged, pc.staged, accumulate);
    this.writeBack(c, m, n, pc);
  }

  /** Halves the largest dimension and runs both halves (k halves accumulate). */
  private split(m: number, n: number, k: number, a: Matrix, b: Matrix, c: Matrix, accumulate: boolean,
    compute: (m: number, n: number, k: number, a: Staged, b: Staged, c: Staged, accumulate: boolean) => void): void {
    if (m >= n && m >= k) {
      const h = Math.ceil(m / 2);
      this.run(h, n, k, a, b, c, accumulate, compute);
      this.run(m - h, n, k, subView(a, h, 0), b, subView(c, h, 0), accumulate, compute);
    } else if (n >= k) {
      const h = Math.ceil(n / 2);
      this.run(m, h, k, a, b, c, accumulate, compute);
      this.run(m, n - h, k, a, subView(b, 0, h), subView(c, 0, h), accumulate, compute);
    } else {
      const h = Math.ceil(k / 2);
      this.run(m, n, h, a, b, c, accumulate, compute);
      this.run(m, n, k - h, subView(a, 0, h), subView(b, h, 0), c, true, compute);
    }
  }

  /** Runs the kernel on this thread with scratch area `t`. */
  computeHere(t: number, m: number, n: number, k: number, a: Staged, b: Staged, c: Staged, accumulate: boolean): void {
    this.exports.gemm(m, n, k, a.ptr, a.rs, a.cs, b.ptr, b.rs, b.cs, c.ptr, c.rs, c.cs, accumulate ? 1 : 0, this.workPtr(t));
  }
}

export type { Staged };

/** A WebAssembly engine: `gemm` on its own memory, whose blocks it reads and writes in place. */
export interface WasmEngine extends GemmEngine {
  /** The engine's memory: operands that are views of its blocks are used in place. */
  readonly linearMemory: LinearMemory;
}

/**
 * A single-threaded engine: for browsers, and Node when threads are off. Uses shared memory where
 * SharedArrayBuffer exists (Node, cross-origin-isolated pages), so callers can keep buffers in its memory.
 */
export function createWasmEngine(variant: WasmVariant = 'simd'): WasmEngine {
  const shared = typeof SharedArrayBuffer !== 'undefined' && wasmModule(variant, true) !== null;
  const module = wasmModule(variant, shared);
  if (module === null) {
    throw new Error(`tfjs-im2col gemm: this runtime does not support WebAssembly ${variant === 'simd' ? 'SIMD' : 'relaxed SIMD'}`);
  }
  const wasm = new WasmGemm(module, shared, 1);
  const compute = (m: number, n: number, k: number, a: Staged, b: Staged, c: Staged, accumulate: boolean) =>
    wasm.computeHere(0, m, n, k, a, b, c, accumulate);
  return {
    name: variant === 'simd' ? 'wasm-simd' : 'wasm-relaxed-simd',
    gemm: (m, n, k, a, b, c, accumulate) => wasm.run(m, n, k, a, b, c, accumulate, compute),
    linearMemory: wasm.mem,
  };
}
