/**
 * Every GEMM engine against a float64 reference: scalar, WebAssembly SIMD,
 * relaxed SIMD (enabled here with V8's flag, as Node 20 hides it), and the
 * worker pool with 1 and 2 threads (SIMD and relaxed). Random strided,
 * transposed, offset and accumulating views (fast-check), edge sizes around
 * the blocking (1, odd, > MC/KC/NC, k = 0), and the thread splits along m, n
 * and k. C's untouched elements (the holes of a strided view) must survive.
 */
import { randomValues } from './helpers/random';
import { setFlagsFromString } from 'node:v8';
import fc from 'fast-check';
import { GemmEngine, gemmScalar, Matrix } from '../kernels/core/gemm';
import { createWasmEngine, WasmEngine, wasmSupported } from '../kernels/wasm_runtime/gemm_wasm';
import { createThreadedEngine, IDLE_MS, ThreadedEngine } from '../kernels/wasm_runtime/gemm_threads';
import { MAX_ARGS } from '../kernels/wasm_runtime/worker_source';

// Before any module is compiled: lets this Node 20 validate the relaxed-SIMD variants.
setFlagsFromString('--experimental-wasm-relaxed-simd');

const random = randomValues;

type Layout = 'row' | 'col' | 'rowPadded' | 'colPadded' | 'reversed';

/** A rows×cols view with the given layout, at `offset` in a random array with room around it. */
function makeView(rows: number, cols: number, layout: Layout, offset: number, seed: number): Matrix {
  const pad = 3;
  let rowStride: number;
  let colStride: number;
  switch (layout) {
    case 'row': rowStride = cols; colStride = 1; break;
    case 'col': rowStride = 1; colStride = rows; break;
    case 'rowPadded': rowStride = cols + pad; colStride = 1; break;
    case 'colPadded': rowStride = 1; colStride = rows + pad; break;
    case 'reversed': rowStride = -cols; colStride = -1; break;
  }
  const span = Math.max(1, Math.abs(rowStride) * rows + Math.abs(colStride) * cols);
  const data = random(offset + span + 5, seed);
  const start = layout === 'reversed' ? offset + Math.max(0, rows * cols - 1) : offset;
  return { data, offset: start, rowStride, colStride };
}

const at = (v: Matrix, i: number, j: number) => v.offset + i * v.rowStride + j * v.colStride;

/** C (as float64) = A·B (+ C) and the bound on float32 rounding per element. */
function reference(m: number, n: number, k: number, a: Matrix, b: Matrix, c: Matrix, accumulate: boolean) {
  const value = new Float64Array(m * n);
  const bound = new Float64Array(m * n);
  const { data: ad, rowStride: ars, colStride: acs } = a;
  const { data: bd, rowStride: brs, colStride: bcs } = b;
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let s = accumulate ? c.data[at(c, i, j)] : 0;
      let mag = Math.abs(s);
      let ai = a.offset + i * ars;
      let bi = b.offset + j * bcs;
      for (let p = 0; p < k; p++, ai += acs, bi += brs) {
        const x = ad[ai] * bd[bi];
        s += x;
        mag += Math.abs(x);
      }
      value[i * n + j] = s;
      // float32 accumulation: at most (k + 2) roundings of partial sums bounded by mag.
      bound[i * n + j] = (k + 2) * 1.2e-7 * mag + 1e-30;
    }
  }
  return { value, bound };
}

/** Runs the engine and checks C against the reference and that nothing outside the view changed. */
function check(engine: GemmEngine, m: number, n: number, k: number, a: Matrix, b: Matrix, c: Matrix, accumulate: boolean): void {
  const before = c.data.slice();
  const ref = reference(m, n, k, a, b, c, accumulate);
  const touched = new Uint8Array(c.data.length);
  for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) touched[at(c, i, j)] = 1;
  engine.gemm(m, n, k, a, b, c, accumulate);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      const got = c.data[at(c, i, j)];
      const err = Math.abs(got - ref.value[i * n + j]);
      if (!(err <= ref.bound[i * n + j])) {
        throw new Error(`${engine.name}: C[${i},${j}] = ${got}, expected ${ref.value[i * n + j]} ` +
          `(m=${m} n=${n} k=${k} accumulate=${accumulate}, error ${err} > ${ref.bound[i * n + j]})`);
      }
    }
  }
  for (let x = 0; x < c.data.length; x++) {
    if (!touched[x] && !Object.is(c.data[x], before[x])) throw new Error(`${engine.name}: wrote outside C at index ${x}`);
  }
}

const layoutArb = fc.constantFrom<Layout>('row', 'col', 'rowPadded', 'colPadded', 'reversed');
const caseArb = fc.record({
  m: fc.integer({ min: 0, max: 40 }),
  n: fc.integer({ min: 0, max: 40 }),
  k: fc.integer({ min: 0, max: 70 }),
  la: layoutArb, lb: layoutArb, lc: layoutArb,
  offset: fc.nat(7),
  accumulate: fc.boolean(),
  seed: fc.integer(),
});

/**
 * Edge sizes: 1, odd, just over the micro-tile (4×8), over MC=192, KC=256 and NC=2048; and the
 * unpacked paths of the wasm kernel: fewer than 4 rows (a batch-1 dense layer, k over KC) and a
 * row-major A read in place (k ≤ KC, with and without a partial last panel).
 */
const EDGE: Array<[number, number, number]> = [
  [1, 1, 1], [1, 9, 1], [5, 1, 3], [3, 7, 5], [4, 8, 16], [5, 9, 17], [13, 17, 300],
  [193, 10, 257], [197, 9, 300], [7, 2050, 20], [30, 9, 1030],
  [1, 1000, 256], [2, 37, 600], [3, 21, 5], [196, 130, 128], [198, 19, 256],
];

/** Shapes the 2-thread pools (minParallelFlops 0) split along m, along n (after the C orientation), and along k. */
const SPLITS: Array<[number, number, number]> = [[70, 20, 50], [12, 100, 40], [10, 6, 700]];

interface Named {
  label: string;
  engine: () => GemmEngine;
}

const pools: ThreadedEngine[] = [];
function pool(threads: number, variant: 'simd' | 'relaxed', minParallelFlops?: number): ThreadedEngine {
  const p = createThreadedEngine(threads, variant, minParallelFlops);
  pools.push(p);
  return p;
}

afterAll(async () => {
  await Promise.all(pools.map((p) => p.close()));
});

test('this Node offers WebAssembly SIMD, relaxed SIMD (with the flag) and shared memory', () => {
  expect(wasmSupported('simd')).toBe(true);
  expect(wasmSupported('relaxed')).toBe(true);
  expect(wasmSupported('simd', true)).toBe(true);
  expect(wasmSupported('relaxed', true)).toBe(true);
});

const engines: Named[] = [
  { label: 'scalar', engine: () => ({ name: 'scalar', gemm: gemmScalar }) },
  { label: 'wasm-simd', engine: () => createWasmEngine('simd') },
  { label: 'wasm-relaxed-simd', engine: () => createWasmEngine('relaxed') },
  { label: 'wasm-threads 1 thread', engine: () => pool(1, 'simd') },
  // minParallelFlops 0: even the small random cases are split across both threads.
  { label: 'wasm-threads 2 threads', engine: () => pool(2, 'simd', 0) },
  { label: 'wasm-threads 2 threads relaxed', engine: () => pool(2, 'relaxed', 0) },
];

describe.each(engines)('$label', ({ engine: make }) => {
  let engine: GemmEngine;
  beforeAll(() => { engine = make(); });

  test('random strided / transposed / accumulating views match the float64 reference', () => {
    fc.assert(fc.property(caseArb, ({ m, n, k, la, lb, lc, offset, accumulate, seed }) => {
      const a = makeView(m, k, la, offset, seed);
      const b = makeView(k, n, lb, offset + 1, seed + 1);
      const c = makeView(m, n, lc, offset + 2, seed + 2);
      check(engine, m, n, k, a, b, c, accumulate);
    }), { numRuns: 150 });
  });

  test.each(EDGE)('edge size m=%i n=%i k=%i', (m, n, k) => {
    for (const [la, lb, lc] of [['row', 'row', 'row'], ['col', 'rowPadded', 'col'], ['rowPadded', 'col', 'colPadded']] as Layout[][]) {
      check(engine, m, n, k, makeView(m, k, la, 1, m), makeView(k, n, lb, 2, n), makeView(m, n, lc, 3, k), true);
    }
  });

  test('k = 0 writes zeros, or leaves C alone when accumulating', () => {
    const c = makeView(3, 5, 'rowPadded', 2, 9);
    const a = makeView(3, 0, 'row', 0, 1);
    const b = makeView(0, 5, 'row', 0, 2);
    check(engine, 3, 5, 0, a, b, c, true);
    check(engine, 3, 5, 0, a, b, c, false);
    for (let i = 0; i < 3; i++) for (let j = 0; j < 5; j++) expect(c.data[at(c, i, j)]).toBe(0);
  });

  test.each(SPLITS)('thread-split sized m=%i n=%i k=%i', (m, n, k) => {
    check(engine, m, n, k, makeView(m, k, 'row', 0, 1), makeView(k, n, 'row', 0, 2), makeView(m, n, 'row', 0, 3), false);
    check(engine, m, n, k, makeView(m, k, 'col', 0, 4), makeView(k, n, 'col', 0, 5), makeView(m, n, 'colPadded', 0, 6), true);
  });
});

test('the wasm engines agree with the scalar engine within float32 rounding on conv-shaped products', () => {
  const wasm = createWasmEngine('simd');
  // The conv kernels' shapes, scaled down: forward (NHWC and NCHW output), filter and input gradients.
  const cases: Array<{ m: number; n: number; k: number; a: Matrix; b: Matrix; c: () => Matrix }> = [
    { m: 2304, n: 30, k: 25, a: makeView(2304, 25, 'row', 0, 1), b: makeView(25, 30, 'row', 0, 2), c: () => makeView(2304, 30, 'row', 0, 0) },
    { m: 576, n: 30, k: 25, a: makeView(576, 25, 'row', 0, 3), b: makeView(25, 30, 'row', 0, 4), c: () => makeView(576, 30, 'col', 0, 0) },
    { m: 25, n: 30, k: 2304, a: makeView(25, 2304, 'col', 0, 5), b: makeView(2304, 30, 'row', 0, 6), c: () => makeView(25, 30, 'row', 0, 0) },
    { m: 2304, n: 25, k: 30, a: makeView(2304, 30, 'row', 0, 7), b: makeView(30, 25, 'col', 0, 8), c: () => makeView(2304, 25, 'row', 0, 0) },
  ];
  for (const { m, n, k, a, b, c } of cases) {
    const cs = c();
    const cw = c();
    gemmScalar(m, n, k, a, b, cs, false);
    wasm.gemm(m, n, k, a, b, cw, false);
    let worst = 0;
    for (let i = 0; i < cs.data.length; i++) worst = Math.max(worst, Math.abs(cs.data[i] - cw.data[i]));
    // |values| ≤ 1, k ≤ 2304 terms: float32 accumulation differs by far less than 1e-3.
    expect(worst).toBeLessThan(1e-3);
  }
});

test('the pool splits large problems across its workers and stays usable', () => {
  const p = pool(2, 'simd');
  const [m, n, k] = [512, 64, 256];
  check(p, m, n, k, makeView(m, k, 'row', 0, 11), makeView(k, n, 'row', 0, 12), makeView(m, n, 'row', 0, 13), false);
  expect(p.liveWorkers()).toBe(1);
  expect(p.threads).toBe(2);
});

describe.each([
  ['wasm-simd', () => createWasmEngine('simd')],
  ['wasm-threads 2 threads', () => pool(2, 'simd', 0)],
] as Array<[string, () => WasmEngine]>)('resident buffers on %s', (_label, make) => {
  test('operands living in the engine memory are used in place and give the reference result', () => {
    const engine = make();
    fc.assert(fc.property(caseArb, ({ m, n, k, la, lb, lc, offset, accumulate, seed }) => {
      const a = makeView(m, k, la, offset, seed);
      const b = makeView(k, n, lb, offset + 1, seed + 1);
      const c = makeView(m, n, lc, offset + 2, seed + 2);
      // Move A and C into resident buffers (same layout), keep B an ordinary array.
      const mem = engine.linearMemory;
      const ra = mem.resident(a.data.length)!;
      const rc = mem.resident(c.data.length)!;
      ra.set(a.data);
      rc.set(c.data);
      expect(mem.isResident(ra) && mem.isResident(rc)).toBe(true);
      check(engine, m, n, k, { ...a, data: ra }, b, { ...c, data: rc }, accumulate);
      mem.release(ra);
      mem.release(rc);
    }), { numRuns: 60 });
  });

  test('released buffers are reused, live ones never overlap, plain arrays are not resident', () => {
    const engine = make();
    const mem = engine.linearMemory;
    const x = mem.resident(1000)!;
    const y = mem.resident(500)!;
    expect(x.byteOffset + x.byteLength <= y.byteOffset || y.byteOffset + y.byteLength <= x.byteOffset).toBe(true);
    mem.release(x);
    expect(mem.isResident(x)).toBe(false);
    const z = mem.resident(800)!;
    expect(z.byteOffset).toBe(x.byteOffset);
    expect(mem.isResident(new Float32Array(10))).toBe(false);
    // A big staged problem grows the memory; the resident views stay valid and in use.
    const [m, n, k] = [300, 100, 200];
    check(engine, m, n, k, makeView(m, k, 'row', 0, 1), makeView(k, n, 'row', 0, 2), makeView(m, n, 'row', 0, 3), false);
    z.fill(2);
    y.fill(3);
    check(engine, 10, 20, 25, { data: z, offset: 0, rowStride: 25, colStride: 1 }, { data: y, offset: 0, rowStride: 20, colStride: 1 },
      makeView(10, 20, 'row', 0, 5), false);
  });
});

test('idle workers are stopped after IDLE_MS and restarted by the next parallel call', async () => {
  const p = pool(2, 'simd', 0);
  expect(p.liveWorkers()).toBe(0); // started lazily
  const run = (seed: number) => check(p, 64, 16, 32, makeView(64, 32, 'row', 0, seed), makeView(32, 16, 'row', 0, seed + 1),
    makeView(64, 16, 'row', 0, seed + 2), false);
  run(1);
  expect(p.liveWorkers()).toBe(1);
  await new Promise((resolve) => setTimeout(resolve, IDLE_MS + 500));
  expect(p.liveWorkers()).toBe(0);
  run(4);
  expect(p.liveWorkers()).toBe(1);
});

test('a closed pool refuses work, and closing twice is harmless', async () => {
  const p = createThreadedEngine(2, 'simd', 0);
  const a = makeView(8, 8, 'row', 0, 1);
  check(p, 8, 8, 8, a, makeView(8, 8, 'row', 0, 2), makeView(8, 8, 'row', 0, 3), false);
  await p.close();
  await p.close();
  expect(() => p.gemm(8, 8, 8, a, a, makeView(8, 8, 'row', 0, 4), false)).toThrow(/closed/);
});

test('a parallel job with more arguments than a slot holds is refused before anything is posted', () => {
  const p = pool(2, 'simd', 0);
  const ran: number[] = [];
  const jobs = [{ op: 0, args: [1] }, { op: 0, args: new Array(MAX_ARGS + 1).fill(0) }];
  expect(() => p.parallel(jobs, () => ran.push(1))).toThrow(`a job has ${MAX_ARGS + 1} arguments, at most ${MAX_ARGS} fit`);
  expect(ran).toEqual([]);
  // Still usable.
  check(p, 70, 20, 50, makeView(70, 50, 'row', 0, 1), makeView(50, 20, 'row', 0, 2), makeView(70, 20, 'row', 0, 3), false);
});
