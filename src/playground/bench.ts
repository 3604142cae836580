/**
 * The benchmark on this device: the quick cases of `npm run bench` (benchmarks/suite/cases.ts), timed with the
 * bench's own code (benchmarks/suite/measure.ts, tinybench) on webgl / cpu / wasm, ours and builtin, each output
 * compared with the cpu reference (tfjs's builtin cpu kernel on the same seeded inputs). The result is a
 * benchmarks/suite/types.ts Report, so benchmarks/report/html.ts renders it as it renders `npm run bench`'s.
 */
/* eslint-disable @typescript-eslint/no-explicit-any */
import { quickCases } from '../../benchmarks/suite/cases';
import { measureImpl, MemoryProbe } from '../../benchmarks/suite/measure';
import { makeNetRunner } from '../../benchmarks/suite/networks';
import { compare, makeRunner, setNetRunnerFactory } from '../../benchmarks/suite/ops';
import { QUICK_PLAN, RateBook } from '../../benchmarks/suite/timing';
import type { CaseResult, Environment, Impl, Measurement, Report } from '../../benchmarks/suite/types';
import { BackendName, lib, oursProvides, rendererInfo, tf, useBackend } from './tf';

// The page has tfjs-layers (global `tf`), so the whole-network cases run here as they do in Node.
setNetRunnerFactory(makeNetRunner);

const SOFTWARE = /swiftshader|llvmpipe|softpipe|software|microsoft basic render/i;

const probe: MemoryProbe = {
  withOutput: () => {
    const m = tf.memory();
    return { tensorBytes: m.numBytes, gpuBytesInUse: m.numBytesInGPU, gpuBytesAllocated: m.numBytesInGPUAllocated };
  },
  afterTiming: (before) => ({ ...before, jsHeapBytes: (performance as any).memory?.usedJSHeapSize }),
};

export interface BenchOptions {
  backends: BackendName[];
  /** Only cases whose id contains this (case-insensitive). */
  filter?: string;
  progress?: (text: string, done: number, total: number) => void;
}

/** The cpu reference output of every case: tfjs's builtin cpu kernels, first call. */
async function references(specs: ReturnType<typeof quickCases>): Promise<Map<string, Float32Array>> {
  await useBackend('cpu', 'builtin');
  const refs = new Map<string, Float32Array>();
  for (const spec of specs) {
    const runner = makeRunner(tf, spec);
    try {
      const y = runner.run();
      refs.set(spec.id, (await y.data()) as Float32Array);
      y.dispose();
    } catch {
      // the case's measurements will show the error
    } finally {
      runner.dispose();
    }
  }
  return refs;
}

export async function runBench(opts: BenchOptions): Promise<Report> {
  const t0 = performance.now();
  const specs = quickCases().filter((s) => !opts.filter || s.id.toLowerCase().includes(opts.filter.toLowerCase()));
  const cases: CaseResult[] = specs.map((spec) => ({ spec, referenceSource: 'builtin-cpu', measurements: [] }));
  const total = specs.length * opts.backends.length * 2;
  let done = 0;
  opts.progress?.('cpu reference outputs', 0, total);
  const refs = await references(specs);
  const sectionSeconds: Record<string, number> = {};
  const rates = new RateBook();
  let wasmInfo: Environment['wasm'];
  for (const backend of opts.backends) {
    const s0 = performance.now();
    try {
      await useBackend(backend, 'builtin');
    } catch (e) {
      for (const c of cases) {
        for (const impl of ['builtin', 'ours'] as Impl[]) {
          c.measurements.push({ caseId: c.spec.id, backend, impl, status: 'n/a', note: String((e as Error).message ?? e) });
        }
      }
      done += specs.length * 2;
      continue;
    }
    if (backend === 'wasm') {
      wasmInfo = { simd: !!(await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT')), threads: !!(await tf.env().getAsync('WASM_HAS_MULTITHREAD_SUPPORT')) };
    }
    const provided = oursProvides(backend);
    // A first webgl call compiles shaders: it is the only sample only above 10 s (as the bench's webgl section).
    const plan = backend === 'webgl' ? { ...QUICK_PLAN, firstCallOnlyAboveMs: 10_000 } : QUICK_PLAN;
    for (const c of cases) {
      const spec = c.spec;
      const values: Partial<Record<Impl, Float32Array>> = {};
      for (const impl of ['builtin', 'ours'] as Impl[]) {
        opts.progress?.(`${backend} ${impl} ${spec.id}`, done, total);
        let m: Measurement;
        if (impl === 'ours' && (spec.params.kind === 'conv' || spec.params.kind === 'pool') && !provided.includes(spec.op)) {
          m = { caseId: spec.id, backend, impl, status: 'n/a', note: `ours: no ${spec.op} kernel on ${backend} (the builtin stays)` };
        } else {
          await useBackend(backend, impl);
          const outcome = await measureImpl(tf, spec, backend, impl, plan, rates, probe);
          m = outcome.measurement;
          if (outcome.values) {
            values[impl] = outcome.values;
            const ref = refs.get(spec.id);
            if (ref) m.vsReference = compare(outcome.values, ref);
          }
        }
        c.measurements.push(m);
        done++;
        await new Promise((r) => setTimeout(r, 0));
      }
      const ours = c.measurements.find((m) => m.backend === backend && m.impl === 'ours');
      if (ours && values.ours && values.builtin) ours.vsBuiltin = compare(values.ours, values.builtin);
    }
    sectionSeconds[backend] = (performance.now() - s0) / 1000;
  }
  await useBackend(opts.backends.includes('webgl') ? 'webgl' : 'cpu', 'ours').catch(() => undefined);
  const r = rendererInfo();
  const nav = navigator as any;
  const environment: Environment = {
    date: new Date().toISOString(),
    cpuModel: 'not exposed to web pages',
    cores: navigator.hardwareConcurrency ?? 0,
    totalMemoryBytes: typeof nav.deviceMemory === 'number' ? nav.deviceMemory * 2 ** 30 : 0,
    platform: `browser: ${navigator.userAgent}`,
    node: 'n/a (browser playground)',
    tfjs: { 'tfjs-core': tf.version_core, 'tfjs-backend-webgl': tf.version_webgl ?? '', 'tfjs-backend-wasm': tf.wasm?.version_wasm ?? '', 'tfjs-layers': tf.version_layers ?? '' },
    gemmEngine: `${lib.currentGemmEngine().name}${crossOriginIsolated ? ' (cross-origin isolated)' : ''}`,
    backendsRequested: opts.backends,
    wasm: wasmInfo,
    tfjsNode: { present: false, note: 'not available in browsers' },
    webgl: r ? {
      browser: navigator.userAgent, renderer: r.renderer, vendor: r.vendor, webglVersion: r.webglVersion, float32RenderTargets: r.float32,
      software: SOFTWARE.test(r.renderer), chromiumVersion: (navigator.userAgent.match(/Chrom(?:e|ium)\/([\d.]+)/) ?? [])[1] ?? 'n/a',
      oursOnWebgl: lib.supportedBackends().includes('webgl'),
    } : undefined,
    quick: true,
    caseFilter: opts.filter,
    note: 'measured in the browser playground',
    wallSeconds: (performance.now() - t0) / 1000,
    sectionSeconds,
  };
  return { environment, cases };
}

/** The flat summary the automation hook publishes. */
export function benchSummary(report: Report): Array<{ id: string; backend: string; impl: string; status: string; medianMs: number | null; maxAbsDiff: number | null }> {
  return report.cases.flatMap((c) => c.measurements.map((m) => ({
    id: c.spec.id, backend: m.backend, impl: m.impl, status: m.status,
    medianMs: m.stats?.medianMs ?? null, maxAbsDiff: m.vsReference?.maxAbs ?? null,
  })));
}

/** JSON as `npm run bench` writes it (non-finite numbers as strings). */
export function reportJson(report: Report): string {
  return `${JSON.stringify(report, (_k, v) => (typeof v === 'number' && !Number.isFinite(v) ? String(v) : v), 2)}\n`;
}
