/**
 * Choosing the engine behind `gemm` (kernels/core/gemm.ts).
 *
 *   scalar             the TypeScript kernel; always available, the fallback
 *   wasm-simd          WebAssembly SIMD128, one thread
 *   wasm-relaxed-simd  the same with relaxed-SIMD multiply-adds, where the runtime validates them
 *                      (Node 20 only with --experimental-wasm-relaxed-simd)
 *   wasm-threads       WebAssembly SIMD on a worker pool (Node only); relaxed SIMD when available
 *
 * `selectBestGemmEngine()` picks wasm-threads in Node (threads = cores), wasm-simd in browsers and
 * scalar where WebAssembly SIMD is missing. `useGemmEngine(name, options)` forces one.
 */
import { GemmEngine, getGemmEngine, scalarEngine, setGemmEngine } from './gemm';
import { createThreadedEngine, defaultThreadCount, ThreadedEngine, threadsSupported } from './gemm_threads';
import { show } from './show';
import type { LinearMemory } from './wasm_memory';
import { createWasmEngine, WasmEngine, WasmVariant, wasmSupported } from './gemm_wasm';

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
  let engine = single.get(variant);
  if (!engine) {
    engine = createWasmEngine(variant);
    single.set(variant, engine);
  }
  return engine;
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
  const engine = createGemmEngine(name, checked);
  const old = pool;
  pool = name === 'wasm-threads' ? engine as ThreadedEngine : null;
  setGemmEngine(engine);
  if (old !== null) void old.close();
  return engine;
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
  const engine = getGemmEngine();
  return { name: engine.name, threads: (engine as Partial<ThreadedEngine>).threads ?? 1 };
}

/**
 * Stops the worker pool, if any, and falls back to the single-threaded SIMD engine (or scalar).
 * Call before exiting a program or at the end of a test file; workers are unref'd anyway.
 */
export async function shutdownGemmThreads(): Promise<void> {
  const old = pool;
  if (old === null) return;
  pool = null;
  if (getGemmEngine() === old) setGemmEngine(wasmSupported('simd') ? singleThreaded('simd') : scalarEngine);
  await old.close();
}

function residentCapable(engine: GemmEngine): WasmEngine | null {
  const e = engine as Partial<WasmEngine>;
  return typeof e.resident === 'function' ? engine as WasmEngine : null;
}

/**
 * A Float32Array of `floats` that the current engine reads and writes in place — no staging copy —
 * when it is a WebAssembly engine on shared memory (Node); a plain Float32Array otherwise. Meant for
 * long-lived buffers handed to `gemm` over and over, such as the im2col workspace. Give it back with
 * `releaseGemmBuffer` when replacing it; after an engine switch, `isGemmResident` turns false and the
 * buffer still works (with copies), so re-request it.
 */
export function allocGemmBuffer(floats: number): Float32Array {
  const engine = residentCapable(getGemmEngine());
  return engine?.resident(floats) ?? new Float32Array(floats);
}

/** Returns a buffer from `allocGemmBuffer` to whichever engine it came from (a no-op for plain arrays). */
export function releaseGemmBuffer(view: Float32Array): void {
  for (const engine of [getGemmEngine(), ...single.values(), ...(pool ? [pool] : [])]) {
    const e = residentCapable(engine);
    if (e?.isResident(view)) {
      e.releaseResident(view);
      return;
    }
  }
}

/** True when the current engine uses `view` in place (it came from `allocGemmBuffer` on this engine). */
export function isGemmResident(view: Float32Array): boolean {
  return residentCapable(getGemmEngine())?.isResident(view) ?? false;
}

/**
 * The current engine's memory when it is shared (Node's WebAssembly engines): buffers allocated
 * there are read and written in place by the GEMM and the vector kernels. Null otherwise.
 */
export function gemmLinearMemory(): LinearMemory | null {
  const memory = residentCapable(getGemmEngine())?.linearMemory;
  return memory?.shared ? memory : null;
}
