/**
 * Weights kept in WebAssembly memory, once per tensor.
 *
 * The GEMM reads an operand in place when it lies in its WebAssembly memory and copies (stages) it
 * in on every call otherwise. Our kernels' outputs already live there (kernels/cpu/resident.ts),
 * but weights usually do not: `model.setWeights`, a loaded model or `tf.tensor` keep JavaScript
 * arrays, so every inference call copied each filter in again (and XNNPACK packs its weights once).
 * Here the filter of a convolution (and the right-hand matrix of a dense layer) is copied into a
 * block of that memory the first time a kernel sees it, and later calls on the same tensor use the
 * block. Measured on small convolutions (2-core machine, paired with the staged path): 15–22 % off
 * DeepConvNet-sized calls; the same as making the filter resident.
 *
 * Keyed by the tensor's data id, which tfjs never reuses; a hit also requires that the backend still
 * holds the very array the block was copied from (tfjs tensors are immutable, so the same array
 * means the same values). The backend's `disposeData` is wrapped (once per backend instance, as
 * resident.ts does) to give the block back when the tensor goes; `dispose` gives back all of them.
 * Only tensors read a third time are copied (`MIN_USES`): in a training step every weight is read
 * twice (the forward and the input gradient) and then replaced by its update, so caching it would
 * only add a block per weight per step (and fragment the memory the step's outputs live in); the
 * updated weights of 4,096 floats or more are our kernels' outputs and already live there anyway.
 * Inference reads the same weights call after call. The price: a second copy of each cached weight
 * (in WebAssembly memory, which grows to its largest working set and never shrinks) for as long as the
 * tensor lives — MobileNet v1 1.0's 4.2 M parameters are 17 MB. Off where the GEMM's memory is not shared (no
 * resident blocks there).
 */
import type { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import type { DataId, TensorInfo } from '@tensorflow/tfjs-core';
import { gemmLinearMemory } from '../wasm_runtime/engines';
import type { LinearMemory } from '../wasm_runtime/linear_memory';

interface Entry {
  /** The backend's array the block was copied from. */
  source: Float32Array;
  view: Float32Array;
  mem: LinearMemory;
}

/** A tensor is copied in on its MIN_USES-th read (earlier reads are staged as before). */
export const MIN_USES = 3;

let enabled = true;
/** Reads so far of tensors not cached yet (weak: a data id tfjs has dropped goes with its count). */
const reads = new WeakMap<DataId, { source: Float32Array; count: number }>();
const caches = new WeakMap<MathBackendCPU, Map<DataId, Entry>>();

/** Turns the weight cache on (the default) or off (filters are staged on every call, as before). */
export function setWeightCache(on: boolean): void {
  enabled = on;
}

export function weightCacheActive(): boolean {
  return enabled;
}

/** Tensors of a cpu backend whose weights are cached in WebAssembly memory, and the floats they hold. */
export function weightCacheStats(backend: MathBackendCPU): { tensors: number; floats: number } {
  let floats = 0;
  const cache = caches.get(backend);
  for (const e of cache?.values() ?? []) floats += e.view.length;
  return { tensors: cache?.size ?? 0, floats };
}

function drop(cache: Map<DataId, Entry>, dataId: DataId): void {
  const e = cache.get(dataId);
  if (e === undefined) return;
  cache.delete(dataId);
  e.mem.release(e.view);
}

/** Wraps the backend instance's disposeData and dispose (once). */
function hook(backend: MathBackendCPU): Map<DataId, Entry> {
  let cache = caches.get(backend);
  if (cache) return cache;
  const entries = new Map<DataId, Entry>();
  cache = entries;
  caches.set(backend, entries);
  const { disposeData, dispose } = backend;
  backend.disposeData = function (dataId, force) {
    const done = disposeData.call(this, dataId, force);
    if (!this.data.has(dataId)) drop(entries, dataId);
    return done;
  };
  backend.dispose = function () {
    for (const id of [...entries.keys()]) drop(entries, id);
    dispose.call(this);
  };
  return entries;
}

/**
 * The values of weight tensor `t` (whose backend array is `values`) for the GEMM: `values` itself
 * when it already lies in the GEMM's memory or the cache is off / unavailable, else the cached block
 * (copied on the MIN_USES-th read of this tensor).
 */
export function cachedWeights(backend: MathBackendCPU, t: TensorInfo, values: Float32Array): Float32Array {
  if (!enabled || values.length === 0) return values;
  const mem = gemmLinearMemory();
  if (mem === null || mem.contains(values)) return values;
  const cache = caches.get(backend);
  const hit = cache?.get(t.dataId);
  if (hit !== undefined) {
    if (hit.source === values && hit.mem === mem && values.length === hit.view.length) return hit.view;
    drop(cache!, t.dataId); // the backend holds other values (or the engine changed): never the old block
  }
  const seen = reads.get(t.dataId);
  const count = seen !== undefined && seen.source === values ? seen.count + 1 : 1;
  if (count < MIN_USES) {
    reads.set(t.dataId, { source: values, count });
    return values;
  }
  reads.delete(t.dataId);
  const view = mem.tryResident(values.length);
  if (view === null) return values;
  view.set(values);
  hook(backend).set(t.dataId, { source: values, view, mem });
  return view;
}
