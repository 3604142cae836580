/**
 * The threaded WebAssembly GEMM engine (Node only): a pool of worker_threads
 * sharing one WebAssembly.Memory with the main thread.
 *
 * A call is staged once (gemm_wasm.ts), then split into one part per thread —
 * along m or n when either is large, else along k with per-thread partial
 * results summed afterwards. The main thread posts the other parts through a
 * shared control block, runs its own part, and blocks in Atomics.wait until
 * the workers are done, so `gemm` stays synchronous. (Browsers forbid
 * Atomics.wait on the main thread, hence single-threaded there.)
 *
 * Workers start at the first call big enough to split (the caller waits for
 * them to come up), stop after IDLE_MS without one, and restart when needed.
 * They are unref'd, so they never keep the process alive; `close()` stops
 * them for good.
 */
import type { Worker as NodeWorker } from 'node:worker_threads';
import { Staged, WasmEngine, WasmGemm, WasmVariant, wasmModule } from './gemm_wasm';
import { compileBase64Module, nodeBuiltin } from './module';
import { vectorSimdSharedWasm } from './vector_binary';
import { ARGC, ARGS, DONE, MAX_ARGS, OP, OP_EXIT, OP_GEMM, READY, SEQ, SLOT_INTS, STATUS, WORKER_SOURCE } from './worker_source';

/** Below this many floating-point operations a call runs on the main thread alone. */
export const MIN_PARALLEL_FLOPS = 1 << 21;
/** How long a dispatch waits for a worker that is still starting up. */
const READY_TIMEOUT_MS = 20_000;
/** Workers with no parallel call for this long are stopped; the next parallel call restarts them. */
export const IDLE_MS = 5_000;

const MR = 4;
const NR = 8;

/** True when this runtime can run the pool: Node worker_threads, shared memory, and the SIMD module. */
export function threadsSupported(variant: WasmVariant = 'simd'): boolean {
  return typeof SharedArrayBuffer !== 'undefined' && typeof Atomics !== 'undefined' &&
    nodeBuiltin('node:worker_threads') !== null && wasmModule(variant, true) !== null;
}

/** Logical cores of this machine (Node), else 1. */
export function defaultThreadCount(): number {
  const os = nodeBuiltin<{ cpus(): unknown[]; availableParallelism?: () => number }>('node:os');
  if (!os) return 1;
  const n = typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length;
  return Math.max(1, n);
}

/** One part of a call: a sub-problem on staged operands. */
interface Part {
  m: number;
  n: number;
  k: number;
  a: Staged;
  b: Staged;
  c: Staged;
  accumulate: boolean;
}

/** One thread's share of a parallel call: a worker operation (worker_source.ts) and its arguments. */
export interface ThreadJob {
  op: number;
  args: number[];
}

export interface ThreadedEngine extends WasmEngine {
  readonly threads: number;
  readonly variant: WasmVariant;
  /**
   * Runs jobs[0] on this thread through `here` and the others on the workers (any a worker cannot
   * take, here too, after it), and returns when all are done. The jobs work on this engine's memory.
   */
  parallel(jobs: ThreadJob[], here: (job: ThreadJob) => void): void;
  /** Stops the workers; the engine must not be used afterwards. Resolves when they have exited. */
  close(): Promise<void>;
  /** Number of workers started and not failed (threads − 1 when all are up). */
  liveWorkers(): number;
}

/** Splits [0, total) into at most `parts` ranges whose starts are multiples of `unit`. */
export function ranges(total: number, parts: number, unit: number): Array<[number, number]> {
  const size = Math.ceil(total / parts / unit) * unit;
  const out: Array<[number, number]> = [];
  for (let s = 0; s < total; s += size) out.push([s, Math.min(total, s + size)]);
  return out;
}

function offsetStaged(s: Staged, rows: number, cols: number): Staged {
  return { ptr: s.ptr + 4 * (rows * s.rs + cols * s.cs), rs: s.rs, cs: s.cs };
}

/** One set of running workers and their control block (a fresh block per set, so stale workers never see new jobs). */
interface Crew {
  control: Int32Array;
  workers: NodeWorker[];
  /** Per worker: false once it failed to start. */
  usable: boolean[];
}

class GemmPool {
  readonly wasm: WasmGemm;
  private readonly module: WebAssembly.Module;
  private readonly vectorModule: WebAssembly.Module;
  private readonly wt: typeof import('node:worker_threads');
  /** The running workers; null until the first parallel call, and again after an idle period. */
  private crew: Crew | null = null;
  private lastUse = 0;
  private idleTimer: ReturnType<typeof setTimeout> | null = null;
  private closed = false;

  constructor(readonly variant: WasmVariant, readonly threads: number, readonly minParallelFlops: number) {
    const module = wasmModule(variant, true);
    const vectorModule = compileBase64Module(vectorSimdSharedWasm);
    const wt = nodeBuiltin<typeof import('node:worker_threads')>('node:worker_threads');
    if (module === null || vectorModule === null || wt === null || typeof SharedArrayBuffer === 'undefined') {
      throw new Error(`tfjs-im2col gemm: the threaded engine needs Node worker_threads, SharedArrayBuffer and WebAssembly ${variant === 'simd' ? 'SIMD' : 'relaxed SIMD'}`);
    }
    this.module = module;
    this.vectorModule = vectorModule;
    this.wt = wt;
    this.wasm = new WasmGemm(module, true, threads);
  }

  /** Starts threads − 1 workers on the shared memory (they come up while the caller goes on). */
  private start(): Crew {
    const control = new Int32Array(new SharedArrayBuffer(4 * SLOT_INTS * Math.max(1, this.threads - 1)));
    const crew: Crew = { control, workers: [], usable: [] };
    for (let w = 0; w < this.threads - 1; w++) {
      const worker = new this.wt.Worker(WORKER_SOURCE, {
        eval: true,
        workerData: { module: this.module, vectorModule: this.vectorModule, memory: this.wasm.memory, control: control.buffer, slot: w },
      });
      worker.unref();
      // Failures are reported through the control block; an 'error' event must not crash the process.
      worker.on('error', () => { crew.usable[w] = false; });
      crew.workers.push(worker);
      crew.usable.push(true);
    }
    return crew;
  }

  /** Tells a crew's workers to exit and terminates them. */
  private static stop(crew: Crew): Promise<unknown> {
    const ctrl = crew.control;
    for (let w = 0; w < crew.workers.length; w++) {
      const slot = w * SLOT_INTS;
      ctrl[slot + OP] = OP_EXIT;
      Atomics.store(ctrl, slot + SEQ, (Atomics.load(ctrl, slot + SEQ) + 1) | 0);
      Atomics.notify(ctrl, slot + SEQ);
      crew.usable[w] = false;
    }
    return Promise.all(crew.workers.map((worker) => worker.terminate()));
  }

  /**
   * Workers idle for IDLE_MS are stopped (and restarted on the next parallel call), so a pool
   * nobody uses any more — e.g. one per jest test file — does not hold threads and memory.
   */
  private touch(): void {
    this.lastUse = Date.now();
    if (this.idleTimer !== null) return;
    const check = () => {
      this.idleTimer = null;
      if (this.crew === null) return;
      const idle = Date.now() - this.lastUse;
      if (idle >= IDLE_MS) {
        void GemmPool.stop(this.crew);
        this.crew = null;
      } else {
        this.idleTimer = setTimeout(check, IDLE_MS - idle + 10);
        (this.idleTimer as { unref?: () => void }).unref?.();
      }
    };
    this.idleTimer = setTimeout(check, IDLE_MS + 10);
    (this.idleTimer as { unref?: () => void }).unref?.();
  }

  /** Waits (bounded) for worker w to come up; false if it cannot take work. */
  private static ready(crew: Crew, w: number): boolean {
    if (!crew.usable[w]) return false;
    const at = w * SLOT_INTS + READY;
    if (Atomics.load(crew.control, at) === 0) Atomics.wait(crew.control, at, 0, READY_TIMEOUT_MS);
    const state = Atomics.load(crew.control, at);
    if (state !== 1) crew.usable[w] = false;
    return state === 1;
  }

  /** Workers running and able to take work (threads − 1 when all are up; 0 before the first parallel call). */
  liveWorkers(): number {
    const crew = this.crew;
    if (crew === null) return 0;
    let live = 0;
    for (let w = 0; w < crew.workers.length; w++) {
      if (crew.usable[w] && Atomics.load(crew.control, w * SLOT_INTS + READY) === 1) live++;
    }
    return live;
  }

  /** Runs the staged problem on all threads. */
  compute(m: number, n: number, k: number, a: Staged, b: Staged, c: Staged, accumulate: boolean): void {
    if (this.closed) throw new Error('tfjs-im2col gemm: the threaded engine has been closed');
    const T = this.threads;
    if (T === 1 || 2 * m * n * k < this.minParallelFlops) {
      this.wasm.computeHere(0, m, n, k, a, b, c, accumulate);
      return;
    }
    const parts: Part[] = [];
    const partials: number[] = [];
    if (m >= n && m >= 2 * MR * T) {
      for (const [i0, i1] of ranges(m, T, MR)) {
        parts.push({ m: i1 - i0, n, k, a: offsetStaged(a, i0, 0), b, c: offsetStaged(c, i0, 0), accumulate });
      }
    } else if (n >= 2 * NR * T) {
      for (const [j0, j1] of ranges(n, T, NR)) {
        parts.push({ m, n: j1 - j0, k, a, b: offsetStaged(b, 0, j0), c: offsetStaged(c, 0, j0), accumulate });
      }
    } else if (k >= 64 * T) {
      // Part 0 goes into C itself; the others into compact m×n partials, summed after the join.
      const ks = ranges(k, T, 16);
      ks.forEach(([p0, p1], t) => {
        const ap = offsetStaged(a, 0, p0);
        const bp = offsetStaged(b, p0, 0);
        if (t === 0) {
          parts.push({ m, n, k: p1 - p0, a: ap, b: bp, c, accumulate });
        } else {
          const at = this.wasm.alloc(m * n);
          parts.push({ m, n, k: p1 - p0, a: ap, b: bp, c: { ptr: at * 4, rs: n, cs: 1 }, accumulate: false });
          partials.push(at);
        }
      });
    } else {
      this.wasm.computeHere(0, m, n, k, a, b, c, accumulate);
      return;
    }
    this.runParts(parts);
    if (partials.length > 0) this.reduce(m, n, c, partials);
  }

  private runParts(parts: Part[]): void {
    const jobs = parts.map((p, t) => ({
      op: OP_GEMM,
      args: [p.m, p.n, p.k, p.a.ptr, p.a.rs, p.a.cs, p.b.ptr, p.b.rs, p.b.cs, p.c.ptr, p.c.rs, p.c.cs, p.accumulate ? 1 : 0, this.wasm.workPtr(t)],
    }));
    this.parallel(jobs, ({ args }) => this.wasm.exports.gemm(...(args as Parameters<WasmGemm['exports']['gemm']>)));
  }

  parallel(jobs: ThreadJob[], here: (job: ThreadJob) => void): void {
    if (this.closed) throw new Error('tfjs-im2col gemm: the threaded engine has been closed');
    const long = jobs.find((job) => job.args.length > MAX_ARGS);
    if (long) throw new Error(`tfjs-im2col threads: a job has ${long.args.length} arguments, at most ${MAX_ARGS} fit`);
    if (this.crew === null) this.crew = this.start();
    this.touch();
    const crew = this.crew;
    const ctrl = crew.control;
    const argv = new Float64Array(ctrl.buffer);
    const posted: Array<{ w: number; seq: number }> = [];
    const local: ThreadJob[] = [jobs[0]];
    for (let t = 1; t < jobs.length; t++) {
      const w = t - 1;
      const job = jobs[t];
      if (w >= crew.workers.length || !GemmPool.ready(crew, w)) {
        local.push(job);
        continue;
      }
      const slot = w * SLOT_INTS;
      argv.set(job.args, (slot + ARGS) / 2);
      ctrl[slot + ARGC] = job.args.length;
      ctrl[slot + OP] = job.op;
      ctrl[slot + STATUS] = 0;
      const seq = (Atomics.load(ctrl, slot + SEQ) + 1) | 0;
      Atomics.store(ctrl, slot + SEQ, seq);
      Atomics.notify(ctrl, slot + SEQ);
      posted.push({ w, seq });
    }
    let failure: unknown = null;
    for (const job of local) {
      try {
        here(job);
      } catch (e) {
        failure = failure ?? e;
      }
    }
    for (const { w, seq } of posted) {
      const at = w * SLOT_INTS + DONE;
      for (;;) {
        const done = Atomics.load(ctrl, at);
        if (done === seq) break;
        Atomics.wait(ctrl, at, done, 1000);
      }
      if (ctrl[w * SLOT_INTS + STATUS] !== 0) failure = failure ?? new Error('tfjs-im2col gemm: a worker thread failed');
    }
    if (failure !== null) throw failure;
  }

  /** C += each compact m×n partial. */
  private reduce(m: number, n: number, c: Staged, partials: number[]): void {
    const heap = this.wasm.view();
    for (const at of partials) {
      if (c.cs === 1) {
        for (let i = 0; i < m; i++) this.wasm.exports.addInto(c.ptr + 4 * i * c.rs, (at + i * n) * 4, n);
      } else {
        const c0 = c.ptr / 4;
        for (let i = 0; i < m; i++) {
          for (let j = 0; j < n; j++) heap[c0 + i * c.rs + j * c.cs] += heap[at + i * n + j];
        }
      }
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.idleTimer !== null) clearTimeout(this.idleTimer);
    this.idleTimer = null;
    const crew = this.crew;
    this.crew = null;
    if (crew !== null) await GemmPool.stop(crew);
  }
}

/**
 * A `threads`-thread engine (main thread + threads−1 workers) on the given SIMD variant.
 * Calls below `minParallelFlops` run on the main thread alone (tests lower it to force splits).
 */
export function createThreadedEngine(
  threads: number = defaultThreadCount(), variant: WasmVariant = 'simd', minParallelFlops = MIN_PARALLEL_FLOPS,
): ThreadedEngine {
  if (!Number.isInteger(threads) || threads < 1) {
    throw new Error(`tfjs-im2col gemm: threads must be a positive integer, got ${threads}`);
  }
  const pool = new GemmPool(variant, threads, minParallelFlops);
  const compute = (m: number, n: number, k: number, a: Staged, b: Staged, c: Staged, accumulate: boolean) =>
    pool.compute(m, n, k, a, b, c, accumulate);
  return {
    name: 'wasm-threads',
    threads,
    variant,
    gemm: (m, n, k, a, b, c, accumulate) => pool.wasm.run(m, n, k, a, b, c, accumulate, compute),
    linearMemory: pool.wasm.mem,
    parallel: (jobs, here) => pool.parallel(jobs, here),
    close: () => pool.close(),
    liveWorkers: () => pool.liveWorkers(),
  };
}
