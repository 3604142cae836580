/**
 * Kernel outputs kept in WebAssembly memory.
 *
 * tfjs's cpu backend keeps each tensor's values in a JavaScript typed array,
 * so a WebAssembly kernel would copy every operand into its memory and every
 * result out again — for the elementwise passes of a training step that
 * copying costs several times the arithmetic. Instead, our cpu kernels write
 * their float32 outputs (of at least MIN_RESIDENT_FLOATS) straight into the
 * GEMM engine's shared WebAssembly memory (kernels/wasm_runtime/linear_memory.ts) and
 * hand tfjs a Float32Array view of it; the next kernel reads it in place.
 *
 * tfjs must not notice. So the backend instance gets four small wrappers the
 * first time one of our kernels makes such an output:
 * - write/move: a view made by `outputArray` becomes owned by its tensor's
 *   data id; any other view into WebAssembly memory (say, a builtin Slice's
 *   subarray of our output) is copied out first, so that nothing outlives
 *   the block it points into;
 * - disposeData: when tfjs deletes a data id, its block goes back to the
 *   memory for reuse (and all of them when the backend is disposed);
 * - readSync (dataSync, data, buffer, moving to another backend): returns a
 *   copy, as the memory will be reused once the tensor is disposed;
 * - bufferSync, which only tfjs's own kernels call (StridedSlice, GatherV2,
 *   Tile, Reverse, ScatterNd, ...: a TensorBuffer they read during the call):
 *   no copy. It used to go through the copying readSync, so a builtin
 *   StridedSlice of a resident 8×56×56×128 tensor copied all 3.2 M floats to
 *   read two of them (0.02 ms → 5–11 ms); anything such a kernel stores in an
 *   output is still copied out by write/move.
 * A view allocated but never written (a kernel that threw) is reclaimed
 * when it is garbage-collected.
 *
 * Off where the GEMM engine's memory is not shared (browsers without
 * cross-origin isolation, the scalar engine): outputs are plain arrays then.
 */
import type { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import { buffer, engine } from '@tensorflow/tfjs-core';
import type { DataId, TensorInfo } from '@tensorflow/tfjs-core';
import { gemmLinearMemory } from '../wasm_runtime/engines';
import { show } from '../core/show';
import { inResidentMemory, LinearMemory } from '../wasm_runtime/linear_memory';

/** Outputs smaller than this stay plain arrays: copying them costs little, and they are many. */
export const MIN_RESIDENT_FLOATS = 4096;

let enabled = true;
let poison = false;

interface Owned {
  mem: LinearMemory;
  view: Float32Array;
}

/** Views from `outputArray` not yet written into a backend (weakly held, so `reclaim` can see them go). */
const pending = new WeakMap<Float32Array, LinearMemory>();
/** Per backend: the data ids whose values are one of our views. */
const owners = new WeakMap<MathBackendCPU, Map<DataId, Owned>>();
const reclaim = typeof FinalizationRegistry === 'function'
  ? new FinalizationRegistry<{ mem: LinearMemory; at: number }>(({ mem, at }) => mem.releaseAt(at))
  : null;

/** Turns WebAssembly-resident outputs on (the default where the memory is shared) or off (plain arrays). */
export function setResidentOutputs(on: boolean): void {
  enabled = on;
}

/**
 * Fills every new resident output with NaN before the kernel writes it (off by default; the tests
 * turn it on), so that a kernel that forgets an element, or relies on a zeroed output, shows up.
 */
export function setResidentPoison(on: boolean): void {
  poison = on;
}

/** True when new large float32 outputs of our cpu kernels go to WebAssembly memory. */
export function residentOutputsActive(): boolean {
  return enabled && gemmLinearMemory() !== null;
}

/** True for a tfjs-backend-cpu backend (under whatever name it is registered): it keeps its values in `data`. */
function isCpuBackend(backend: unknown): backend is MathBackendCPU {
  const b = backend as Partial<MathBackendCPU> | null | undefined;
  return typeof b?.readSync === 'function' && typeof b.data?.get === 'function' && typeof b.data.has === 'function';
}

/** The cpu backend given by its registered name or as the backend object itself. */
function cpuBackendOf(backend: MathBackendCPU | string): MathBackendCPU {
  if (typeof backend !== 'string') {
    if (isCpuBackend(backend)) return backend;
    throw new TypeError(`residentOutputStats: not a tfjs-backend-cpu backend: ${show(backend)}; ` +
      "pass a backend name such as 'cpu', or the backend object (tf.findBackend('cpu'))");
  }
  const found = engine().findBackend(backend);
  if (!found) {
    throw new Error(`residentOutputStats: no backend named '${backend}' is registered ` +
      `(registered: ${Object.keys(engine().registryFactory).join(', ')})`);
  }
  if (!isCpuBackend(found)) throw new Error(`residentOutputStats: '${backend}' is not a tfjs-backend-cpu backend`);
  return found;
}

/**
 * Tensors (data ids) of a cpu backend whose values live in WebAssembly memory, and their bytes.
 * `backend`: a registered backend's name ('cpu') or the backend object (`tf.findBackend('cpu')`).
 */
export function residentOutputStats(backend: MathBackendCPU | string): { tensors: number; bytes: number } {
  let bytes = 0;
  const owned = owners.get(cpuBackendOf(backend));
  for (const { view } of owned?.values() ?? []) bytes += view.byteLength;
  return { tensors: owned?.size ?? 0, bytes };
}

/**
 * A Float32Array of `size` for a kernel's output: in WebAssembly memory when
 * resident outputs are on and it is large enough, else a plain (zeroed) array.
 * A resident one is NOT zeroed. Pass it to backend.makeTensorInfo.
 */
export function outputArray(backend: MathBackendCPU, size: number): Float32Array {
  const mem = enabled && size >= MIN_RESIDENT_FLOATS ? gemmLinearMemory() : null;
  const view = mem?.tryResident(size) ?? null;
  if (mem === null || view === null) return new Float32Array(size);
  hook(backend);
  if (poison) view.fill(NaN);
  pending.set(view, mem);
  reclaim?.register(view, { mem, at: view.byteOffset / 4 }, view);
  return view;
}

/** The memory of a view from `outputArray` not yet written into a backend (it is no longer pending), else null. */
function takePending(values: unknown): LinearMemory | null {
  if (!(values instanceof Float32Array)) return null;
  const mem = pending.get(values);
  if (mem === undefined) return null;
  pending.delete(values);
  reclaim?.unregister(values);
  return mem;
}

/** A copy of a view into WebAssembly memory that is not ours to own; anything else as is. */
function detached<T>(values: T): T {
  return ArrayBuffer.isView(values) && inResidentMemory(values) ? (values as unknown as Float32Array).slice() as unknown as T : values;
}

function releaseOwned(backend: MathBackendCPU, dataId: DataId): void {
  const owned = owners.get(backend);
  const entry = owned?.get(dataId);
  if (entry && !backend.data.has(dataId)) {
    owned!.delete(dataId);
    entry.mem.release(entry.view);
  }
}

/** Wraps the backend instance's write, move, readSync, bufferSync, disposeData and dispose (once per instance). */
function hook(backend: MathBackendCPU): void {
  if (owners.has(backend)) return;
  owners.set(backend, new Map());
  const { write, move, readSync, bufferSync, disposeData, dispose } = backend;
  const own = (b: MathBackendCPU, dataId: DataId, mem: LinearMemory | null, values: unknown) => {
    if (mem !== null) owners.get(b)!.set(dataId, { mem, view: values as Float32Array });
  };
  backend.write = function (values, shape, dtype) {
    const mem = takePending(values);
    const dataId = write.call(this, mem ? values : detached(values), shape, dtype);
    own(this, dataId, mem, values);
    return dataId;
  };
  backend.move = function (dataId, values, shape, dtype, refCount) {
    const mem = takePending(values);
    move.call(this, dataId, mem ? values : detached(values), shape, dtype, refCount);
    own(this, dataId, mem, values);
  };
  backend.readSync = function (dataId) {
    return detached(readSync.call(this, dataId));
  };
  // Users reach values through readSync (tensor.bufferSync() is dataSync()); the backend's bufferSync is
  // for kernels, which read the buffer during the call: it reads through the unwrapped readSync, no copy.
  backend.bufferSync = function (this: MathBackendCPU, t: TensorInfo) {
    if (t.dtype !== 'float32') return bufferSync.call(this, t); // only float32 tensors are ever resident
    return buffer(t.shape as never, 'float32', readSync.call(this, t.dataId) as Float32Array);
  } as unknown as typeof bufferSync;
  backend.disposeData = function (dataId, force) {
    const done = disposeData.call(this, dataId, force);
    releaseOwned(this, dataId);
    return done;
  };
  backend.dispose = function () {
    const owned = owners.get(this)!;
    for (const { mem, view } of owned.values()) mem.release(view);
    owned.clear();
    dispose.call(this);
  };
}
