/**
 * One WebAssembly linear memory as the kernels use it, in float indices:
 *
 *   [16 unused][reserved: per-thread scratch][resident blocks][staging of the current call]
 *
 * Resident blocks are long-lived Float32Array views into the memory (the
 * im2col workspace, tensors kept in WebAssembly memory): the kernels read and
 * write them in place, with no copy. They exist on shared memory only: growing
 * a shared memory leaves existing views valid, growing a private one detaches
 * them. Blocks are allocated best-fit, split and merged again on release, so a
 * repeating pattern of sizes (a training loop) settles into a fixed footprint.
 *
 * Staging is bump-allocated after the resident blocks and reset at the start
 * of each call (`beginStaging`); operands that are not resident are copied in
 * there and results copied back.
 */

/** Float alignment of every block and staged array: 16 bytes, one SIMD vector. */
const ALIGN_FLOATS = 4;
/** A free remainder smaller than this stays part of the block it was cut from. */
const MIN_SPLIT_FLOATS = 1024;
/** Largest memory the modules are compiled for, in 64 KiB pages (4 GiB). */
export const MAX_PAGES = 65536;
const PAGE_BYTES = 65536;

export function alignUp(floats: number): number {
  return Math.ceil(floats / ALIGN_FLOATS) * ALIGN_FLOATS;
}

interface Block {
  at: number;
  floats: number;
  used: boolean;
}

/** Every buffer any shared LinearMemory has had: views on them are WebAssembly-resident. */
const residentBuffers = new WeakSet<ArrayBufferLike>();

/** True when `view` lies in the memory of some shared LinearMemory (any engine's). */
export function inResidentMemory(view: ArrayBufferView): boolean {
  return residentBuffers.has(view.buffer);
}

export class LinearMemory {
  readonly memory: WebAssembly.Memory;
  private heap: Float32Array;
  /** Buffers this memory has had (a shared memory hands out a new buffer object after each grow). */
  private readonly buffers = new WeakSet<ArrayBufferLike>();
  /** Resident blocks in address order, covering [stageBase − their sizes, stageBase) without gaps. */
  private readonly blocks: Block[] = [];
  private stageBase: number;
  private top: number;

  /** @param limitBytes the memory never grows beyond this (an allocation that would, throws) */
  constructor(readonly shared: boolean, private readonly limitBytes = MAX_PAGES * PAGE_BYTES) {
    this.memory = new WebAssembly.Memory(shared
      ? { initial: 1, maximum: MAX_PAGES, shared: true } as WebAssembly.MemoryDescriptor
      : { initial: 1, maximum: MAX_PAGES });
    this.heap = new Float32Array(this.memory.buffer);
    this.noteBuffer();
    this.stageBase = 16;
    this.top = this.stageBase;
  }

  /** Keeps `floats` floats from index 16 on for the caller (e.g. per-thread scratch); before any allocation. */
  reserve(floats: number): void {
    if (this.blocks.length > 0) throw new Error('tfjs-im2col: LinearMemory.reserve after allocation');
    this.stageBase = alignUp(16 + floats);
    this.top = this.stageBase;
    this.ensure(this.stageBase);
  }

  /**
   * The memory's current buffer, noted as ours. V8 may replace a shared memory's buffer object
   * (same bytes) when any shared memory grows or a worker attaches, so it is looked up each time.
   */
  private noteBuffer(): ArrayBufferLike {
    const buffer = this.memory.buffer;
    if (this.shared && !this.buffers.has(buffer)) {
      this.buffers.add(buffer);
      residentBuffers.add(buffer);
    }
    return buffer;
  }

  /** Makes sure floats [0, floats) exist and refreshes the heap view. */
  private ensure(floats: number): void {
    const bytes = floats * 4;
    const have = this.memory.buffer.byteLength;
    if (bytes > have) {
      if (bytes > this.limitBytes) {
        throw new Error(`tfjs-im2col: needs ${bytes} bytes of WebAssembly memory, more than its ${this.limitBytes}-byte limit`);
      }
      this.memory.grow(Math.ceil((bytes - have) / PAGE_BYTES));
    }
    if (this.heap.length * 4 !== this.memory.buffer.byteLength) {
      this.heap = new Float32Array(this.memory.buffer);
      this.noteBuffer();
    }
  }

  /** Bytes from 0 to the end of the resident blocks plus `floats` more would fit under the limit. */
  fits(floats: number): boolean {
    return (this.stageBase + alignUp(floats) + ALIGN_FLOATS) * 4 <= this.limitBytes;
  }

  /** The whole memory as floats (valid until the next allocation). */
  view(): Float32Array {
    return this.heap;
  }

  // ---- resident blocks ----

  /** A view of `floats` floats that stays put until `release` (shared memory only; null otherwise). */
  resident(floats: number): Float32Array | null {
    if (!this.shared || !(floats > 0)) return null;
    const at = this.take(alignUp(floats));
    return new Float32Array(this.noteBuffer(), at * 4, floats);
  }

  /** Like `resident`, but null instead of an error when the memory cannot grow to hold the block. */
  tryResident(floats: number): Float32Array | null {
    if (!this.fits(floats)) return null;
    try {
      return this.resident(floats);
    } catch {
      return null; // the runtime refused to grow the memory
    }
  }

  private take(size: number): number {
    const blocks = this.blocks;
    let best = -1;
    for (let i = 0; i < blocks.length; i++) {
      const b = blocks[i];
      if (!b.used && b.floats >= size && (best < 0 || b.floats < blocks[best].floats)) best = i;
    }
    if (best >= 0) {
      const b = blocks[best];
      if (b.floats - size >= MIN_SPLIT_FLOATS) {
        blocks.splice(best + 1, 0, { at: b.at + size, floats: b.floats - size, used: false });
        b.floats = size;
      }
      b.used = true;
      return b.at;
    }
    // No free block fits; the last block is always in use (`releaseAt` hands a free tail back to staging).
    const at = this.stageBase;
    this.ensure(at + size);
    blocks.push({ at, floats: size, used: true });
    this.stageBase = at + size;
    return at;
  }

  /** Index of the block starting at float `at`, or -1. */
  private find(at: number): number {
    let lo = 0;
    let hi = this.blocks.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const b = this.blocks[mid];
      if (b.at === at) return mid;
      if (b.at < at) lo = mid + 1;
      else hi = mid - 1;
    }
    return -1;
  }

  /** Gives a `resident()` view back (a no-op for anything else); the view must not be used afterwards. */
  release(view: Float32Array): void {
    if (this.buffers.has(view.buffer)) this.releaseAt(view.byteOffset / 4);
  }

  /** Gives back the resident block starting at float index `at` (a no-op if there is none in use). */
  releaseAt(at: number): void {
    const i = this.find(at);
    if (i < 0 || !this.blocks[i].used) return;
    const blocks = this.blocks;
    blocks[i].used = false;
    let j = i;
    if (j + 1 < blocks.length && !blocks[j + 1].used) {
      blocks[j].floats += blocks[j + 1].floats;
      blocks.splice(j + 1, 1);
    }
    if (j > 0 && !blocks[j - 1].used) {
      blocks[j - 1].floats += blocks[j].floats;
      blocks.splice(j, 1);
      j--;
    }
    if (j === blocks.length - 1) {
      // A free block at the end goes back to staging.
      this.stageBase = blocks[j].at;
      blocks.pop();
    }
  }

  /** True when `view` lies inside a resident block that is in use. */
  isResident(view: Float32Array): boolean {
    if (!this.buffers.has(view.buffer)) return false;
    const at = view.byteOffset / 4;
    let lo = 0;
    let hi = this.blocks.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const b = this.blocks[mid];
      if (at < b.at) hi = mid - 1;
      else if (at >= b.at + b.floats) lo = mid + 1;
      else return b.used && at + view.length <= b.at + b.floats;
    }
    return false;
  }

  /** True when `view` is a view of this memory (so a kernel can use it in place). */
  contains(view: ArrayBufferView): boolean {
    return this.buffers.has(view.buffer);
  }

  /** Floats held by resident blocks in use. */
  residentFloats(): number {
    let sum = 0;
    for (const b of this.blocks) if (b.used) sum += b.floats;
    return sum;
  }

  // ---- staging ----

  /** Starts a call: staging restarts right after the resident blocks. */
  beginStaging(): void {
    this.top = this.stageBase;
  }

  /** Reserves `floats` floats of staging (16-byte aligned) and returns the float index. */
  alloc(floats: number): number {
    const at = this.top;
    this.top = alignUp(this.top + floats);
    this.ensure(this.top);
    return at;
  }

  /** Byte address of `data` for a kernel: in place when it lives here, else staged (copied when `copy`). */
  place(data: Float32Array, copy: boolean): number {
    if (this.contains(data)) return data.byteOffset;
    const at = this.alloc(data.length);
    if (copy) this.heap.set(data, at);
    return at * 4;
  }

  /** Copies a placed array back out of staging (nothing to do when it lives here). */
  copyOut(data: Float32Array, ptr: number): void {
    if (this.contains(data)) return;
    const at = ptr / 4;
    data.set(this.heap.subarray(at, at + data.length));
  }
}
