/**
 * The engine behind `gemm`, the one matrix product every cpu kernel calls, and choosing it.
 *
 *   scalar             the TypeScript kernel; always available, the fallback
 *   wasm-simd          WebAssembly SIMD128, one thread
 *   wasm-relaxed-simd  the same with relaxed-SIMD multiply-adds, where the runtime validates them
 *                      (Node 20 only with --experimental-wasm-relaxed-simd)
 *   wasm-threads       WebAssembly SIMD on a worker pool (Node only); relaxed SIMD when available
 *
 * The first `gemm` call (or any question about the engine) installs the best one this runtime
 * offers (`selectBestGemmEngine`): wasm-threads in Node (threads = cores), wasm-simd in browsers,
 * scalar where WebAssembly SIMD is missing; importing the package starts nothing.
 * `useGemmEngine(name, options)` forces one, `setGemmEngine(engine)` plugs in your own.
 */
import { GemmEngine, Matrix, scalarEngine } from '../core/gemm';
import { show } from '../core/show';
import { createThreadedEngine, defaultThreadCount, ThreadedEngine, threadsSupported } from './gemm_threads';
import { createWasmEngine, WasmEngine, WasmVariant, wasmSupported } from './gemm_wasm';
import type { LinearMemory } from './linear_memory';

/** The engine behind `gemm`; null until first use. */
let engine: GemmEngine | null = null;

/** Throws unless `value` is an engine: an object with a non-empty string `name` and a function `gemm`. */
function checkEngine(value: unknown): asserts value is GemmEngine {
  if (typeof value !== 'object' || value === null) {
    throw new TypeError(`setGemmEngine: engine must be an object {name, gemm}, got ${show(value)}`);
  }
  const { name, gemm: fn } = value as Partial<Record<keyof GemmEngine, unknown>>;
  if (typeof name !== 'string' || name === '') {
    throw new TypeError(`setGemmEngine: engine.name must be a non-empty string, got ${show(name)}`);
  }
  if (typeof fn !== 'function') throw new TypeError(`setGemmEngine: engine.gemm must be a function, got ${show(fn)}`);
}

/** Replaces the engine behind `gemm` (e.g. one of your own); returns the previous one. */
export function setGemmEngine(next: GemmEngine): GemmEngine {
  checkEngine(next);
  const previous = getGemmEngine();
  engine = next;
  return previous;
}

/** The engine behind `gemm`, installing the best one on first use. */
export function getGemmEngine(): GemmEngine {
  return engine ?? selectBestGemmEngine();
}

/** C = A·B (or C += A·B with `accumulate`), on the current engine. */
export function gemm(m: number, n: number, k: number, a: Matrix, b: Matrix, c: Matrix, accumulate: boolean): void {
  (engine ?? getGemmEngine()).gemm(m, n, k, a, b, c, accumulate);
}

export type GemmEngineName = 'scalar' | 'wasm-simd' | 'wasm-relaxed-simd' | 'wasm-threads';

export const GEMM_ENGINE_NAMES: readonly GemmEngineName[] = ['scalar', 'wasm-simd', 'wasm-relaxed-simd', 'wasm-threads'];

export interface GemmEngineOptions {
  /** wasm-threads: total threads including the calling one, 1 to MAX_GEMM_THREADS (default: number of cores). */
  threads?: number;
  /** wasm-threads: use relaxed SIMD (default: when the runtime supports it). */
  relaxed?: boolean;
}

/**
 * The most threads `useGemmEngine` accepts. Each thread is a worker with its own copy of the module,
 * and more threads than cores only add overhead; 64 covers the machines this package targets.
 */
export const MAX_GEMM_THREADS = 64;

/** null/undefined as {}; throws, naming `fn` and the bad value, on anything else that is not valid options. */
function checkOptions(fn: string, options: unknown): GemmEngineOptions {
  if (options === null || options === undefined) return {};
  if (typeof options !== 'object' || Array.isArray(options)) {
    throw new TypeError(`tfjs-im2col ${fn}: options must be an object {threads?, relaxed?}, got ${show(options)}`);
  }
  for (const key of Object.keys(options)) {
    if (key !== 'threads' && key !== 'relaxed') {
      throw new TypeError(`tfjs-im2col ${fn}: unknown option '${key}'; valid options: threads, relaxed`);
    }
  }
  const { threads, relaxed } = options as Record<string, unknown>;
  if (threads !== undefined) checkThreads(fn, threads);
  if (relaxed !== undefined && typeof relaxed !== 'boolean') {
    throw new TypeError(`tfjs-im2col ${fn}: relaxed must be true or false, got ${show(relaxed)}`);
  }
  return options as GemmEngineOptions;
}

function checkThreads(fn: string, threads: unknown): void {
  if (!Number.isInteger(threads) || (threads as number) < 1 || (threads as number) > MAX_GEMM_THREADS) {
    throw new RangeError(`tfjs-im2col ${fn}: threads must be a positive integer no greater than ${MAX_GEMM_THREADS}, got ${show(threads)}`);
  }
}

/** Engines this runtime can run, fastest last. */
export function availableGemmEngines(): GemmEngineName[] {
  const names: GemmEngineName[] = ['scalar'];
  if (wasmSupported('simd')) names.push('wasm-simd');
  if (wasmSupported('relaxed')) names.push('wasm-relaxed-simd');
  if (threadsSupported('simd')) names.push('wasm-threads');
  return names;
}

/** The pool behind the current wasm-threads engine, kept so it can be closed on a switch. */
let pool: ThreadedEngine | null = null;
/** Single-threaded wasm engines are created once per variant (each owns a memory). */
const single = new Map<WasmVariant, WasmEngine>();

function singleThreaded(variant: WasmVariant): WasmEngine {
  let created = single.get(variant);
  if (!created) {
    created = createWasmEngine(variant);
    single.set(variant, created);
  }
  return created;
}

/** Creates (without installing) the named engine. A wasm-threads engine is new each time; close it. */
export function createGemmEngine(name: GemmEngineName, options: GemmEngineOptions = {}): GemmEngine {
  switch (name) {
    case 'scalar':
      return scalarEngine;
    case 'wasm-simd':
      return singleThreaded('simd');
    case 'wasm-relaxed-simd':
      return singleThreaded('relaxed');
    case 'wasm-threads': {
      const relaxed = options.relaxed ?? threadsSupported('relaxed');
      if (relaxed && !threadsSupported('relaxed')) {
        throw new Error('tfjs-im2col gemm: relaxed SIMD is not supported by this runtime');
      }
      return createThreadedEngine(options.threads ?? defaultThreadCount(), relaxed ? 'relaxed' : 'simd');
    }
    default:
      throw new Error(`tfjs-im2col gemm: unknown engine '${String(name)}'; valid engines: ${GEMM_ENGINE_NAMES.join(', ')}`);
  }
}

/**
 * Makes `name` the engine behind `gemm`. Throws (leaving the current engine in place)
 * if this runtime cannot run it. Switching away from wasm-threads stops its workers.
 */
export function useGemmEngine(name: GemmEngineName, options: GemmEngineOptions | null = {}): GemmEngine {
  const checked = checkOptions('useGemmEngine', options);
  if (!GEMM_ENGINE_NAMES.includes(name)) {
    throw new Error(`tfjs-im2col gemm: unknown engine '${String(name)}'; valid engines: ${GEMM_ENGINE_NAMES.join(', ')}`);
  }
  if (name !== 'scalar' && !availableGemmEngines().includes(name)) {
    throw new Error(`tfjs-im2col gemm: engine '${name}' is not available here (available: ${availableGemmEngines().join(', ')})`);
  }
  const created = createGemmEngine(name, checked);
  const old = pool;
  pool = name === 'wasm-threads' ? created as ThreadedEngine : null;
  engine = created;
  if (old !== null) void old.close();
  return created;
}

/** The best engine this runtime offers: wasm-threads (Node), wasm-simd (browsers), else scalar. */
export function bestGemmEngineName(): GemmEngineName {
  const available = availableGemmEngines();
  if (available.includes('wasm-threads') && defaultThreadCount() > 1) return 'wasm-threads';
  if (available.includes('wasm-relaxed-simd')) return 'wasm-relaxed-simd';
  if (available.includes('wasm-simd')) return 'wasm-simd';
  return 'scalar';
}

/**
 * Installs the best engine (see `bestGemmEngineName`); falls back to the next one if creating it
 * fails, and to scalar in the end. Returns the engine now behind `gemm`.
 */
export function selectBestGemmEngine(options: GemmEngineOptions | null = {}): GemmEngine {
  checkOptions('selectBestGemmEngine', options);
  const preference: GemmEngineName[] = ['wasm-threads', 'wasm-relaxed-simd', 'wasm-simd'];
  const best = bestGemmEngineName();
  const candidates = best === 'scalar' ? [] : preference.slice(preference.indexOf(best));
  for (const name of candidates) {
    try {
      return useGemmEngine(name, options);
    } catch {
      // try the next one
    }
  }
  return useGemmEngine('scalar');
}

/** Name of the engine currently behind `gemm` (with the thread count for wasm-threads). */
export function currentGemmEngine(): { name: string; threads: number } {
  const current = getGemmEngine();
  return { name: current.name, threads: (current as Partial<ThreadedEngine>).threads ?? 1 };
}

/**
 * Stops the worker pool, if any, and falls back to the single-threaded SIMD engine (or scalar).
 * Call before exiting a program or at the end of a test file; workers are unref'd anyway.
 */
export async function shutdownGemmThreads(): Promise<void> {
  const old = pool;
  if (old === null) return;
  pool = null;
  if (engine === old) engine = wasmSupported('simd') ? singleThreaded('simd') : scalarEngine;
  await old.close();
}

/**
 * The current engine's memory when it is shared (Node's WebAssembly engines): blocks allocated
 * there (`LinearMemory.resident`) are read and written in place by the GEMM and the vector kernels.
 * Null otherwise.
 */
export function gemmLinearMemory(): LinearMemory | null {
  const memory = (getGemmEngine() as Partial<WasmEngine>).linearMemory;
  return memory?.shared ? memory : null;
}
