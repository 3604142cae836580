/** Derived numbers shared by the terminal table and the HTML report. */
import { CONFIDENCE, verdict } from '../suite/paired';
import type { Backend, CaseResult, Impl, Measurement, PairedSpeedup, Report } from '../suite/types';

export function find(c: CaseResult, backend: Backend, impl: Impl): Measurement | undefined {
  return c.measurements.find((m) => m.backend === backend && m.impl === impl);
}

export function median(c: CaseResult, backend: Backend, impl: Impl): number | undefined {
  const m = find(c, backend, impl);
  return m?.status === 'ok' ? m.stats?.medianMs : undefined;
}

/** builtin ÷ ours on the same backend, measured in the same run. */
export function speedup(c: CaseResult, backend: Backend): number | undefined {
  const b = median(c, backend, 'builtin');
  const o = median(c, backend, 'ours');
  return b !== undefined && o !== undefined ? b / o : undefined;
}

export function geomean(xs: number[]): number | undefined {
  const ok = xs.filter((x) => x > 0 && Number.isFinite(x));
  if (ok.length === 0) return undefined;
  return Math.exp(ok.reduce((a, x) => a + Math.log(x), 0) / ok.length);
}

/** The sentences a closing note would quote: speedups per backend and kernel, targets, wasm comparison. */
export function headlines(report: Report): string[] {
  const lines: string[] = [];
  const cases = report.cases;
  for (const backend of ['cpu', 'webgl'] as const) {
    const byOp = new Map<string, number[]>();
    for (const c of cases) {
      const s = speedup(c, backend);
      if (s === undefined) continue;
      byOp.set(c.spec.op, [...(byOp.get(c.spec.op) ?? []), s]);
    }
    if (byOp.size === 0) continue;
    const parts = [...byOp.entries()].map(([op, xs]) => `${op} ${geomean(xs)!.toFixed(1)}× (${xs.length})`);
    lines.push(`${backend}: ours vs builtin, geometric mean speedup per kernel (cases): ${parts.join(', ')}`);
    const range = [...byOp.entries()].map(([op, xs]) => `${op} ${Math.min(...xs).toFixed(2)}–${Math.max(...xs).toFixed(2)}×`);
    lines.push(`${backend}: ours vs builtin, slowest–fastest case per kernel: ${range.join(', ')}`);
  }
  lines.push(...webglBelowOne(cases));
  const targets = cases.filter((c) => c.spec.target !== undefined);
  for (const c of targets) {
    const s = speedup(c, 'cpu');
    if (s === undefined) continue;
    lines.push(`target ${c.spec.id}: ${s.toFixed(1)}× vs ≥ ${c.spec.target}× — ${s >= c.spec.target! ? 'met' : 'MISSED'}`);
  }
  const vsWasm: number[] = [];
  for (const c of cases) {
    const w = median(c, 'wasm', 'builtin');
    const o = median(c, 'cpu', 'ours');
    if (w !== undefined && o !== undefined) vsWasm.push(w / o);
  }
  const g = geomean(vsWasm);
  if (g !== undefined) {
    lines.push(`ours on cpu vs tfjs-backend-wasm builtins: geometric mean ${g.toFixed(2)}× over ${vsWasm.length} cases ` +
      `(> 1: ours faster)`);
  }
  const gl: number[] = [];
  for (const c of cases) {
    const w = median(c, 'webgl', 'ours');
    const o = median(c, 'cpu', 'ours');
    if (w !== undefined && o !== undefined) gl.push(w / o);
  }
  const gg = geomean(gl);
  if (gg !== undefined) {
    const r = report.environment.webgl;
    lines.push(`ours on cpu vs ours on webgl (${r?.renderer ?? '?'}${r?.software ? ', software' : ''}): geometric mean ${gg.toFixed(2)}× over ${gl.length} cases (> 1: cpu faster)`);
  }
  for (const c of cases.filter((x) => x.spec.op === 'TrainStep')) {
    const b = find(c, 'webgl', 'builtin')?.programs;
    const o = find(c, 'webgl', 'ours')?.programs;
    if (b !== undefined && o !== undefined) {
      lines.push(`webgl programs one ${c.spec.id} compiles in a fresh page: builtin ${b}, ours ${o}`);
    }
  }
  return lines;
}

/** "1.07× [0.98–1.16] n20": the paired speedup, its interval and its rounds. */
export function fmtPaired(p: PairedSpeedup | undefined): string {
  return p ? `${p.geomean.toFixed(2)}× [${p.lo.toFixed(2)}–${p.hi.toFixed(2)}] n${p.rounds}` : '';
}

/**
 * The webgl cases where ours measured below 1× the builtin (ratio of medians), sorted out: handed to the builtin,
 * slower beyond noise (the paired interval wholly below 1×), or within noise (the interval holds 1×). Then the
 * handed calls' own spread: they run the same programs on both sides, so it is what this timing gives for
 * equal work (an A/A control).
 */
export function webglBelowOne(cases: CaseResult[]): string[] {
  const timed = cases.filter((c) => speedup(c, 'webgl') !== undefined);
  if (timed.length === 0) return [];
  const oursOf = (c: CaseResult) => find(c, 'webgl', 'ours')!;
  const control = timed.map(oursOf).filter((m) => m.handedToBuiltin && m.paired).map((m) => m.paired!.geomean);
  const controlLine = control.length === 0 ? [] : [`webgl: the ${control.length} calls handed to the builtin (equal work ` +
    `on both sides) measured ${Math.min(...control).toFixed(2)}–${Math.max(...control).toFixed(2)}× paired (geometric mean ${geomean(control)!.toFixed(2)}×)`];
  const below = timed.filter((c) => speedup(c, 'webgl')! < 1);
  if (below.length === 0) return [`webgl: no case below 1.0× (${timed.length} timed)`, ...controlLine];
  const ours = below.filter((c) => !oursOf(c).handedToBuiltin);
  const tag = (c: CaseResult) => `${c.spec.id} ${fmtPaired(oursOf(c).paired) || `${speedup(c, 'webgl')!.toFixed(2)}× (no interval)`}`;
  const slower = ours.filter((c) => !oursOf(c).paired || verdict(oursOf(c).paired!) === 'slower');
  const noise = ours.filter((c) => !slower.includes(c));
  const level = `${Math.round(CONFIDENCE * 100)} %`;
  return [
    `webgl: ${below.length} of ${timed.length} cases below 1.0× by medians; ${below.length - ours.length} of them handed to the builtin (the same programs ran)`,
    `webgl: ours slower beyond noise (paired ${level} interval below 1×, or no interval): ${slower.length ? slower.map(tag).join('; ') : 'none'}`,
    ...(noise.length ? [`webgl: ours below 1.0× by medians, within noise (the ${level} interval holds 1×): ${noise.map(tag).join('; ')}`] : []),
    ...controlLine,
  ];
}

export function fmtMs(ms: number | undefined): string {
  if (ms === undefined) return '';
  if (ms < 1) return ms.toFixed(3);
  if (ms < 10) return ms.toFixed(2);
  if (ms < 100) return ms.toFixed(1);
  return ms.toFixed(0);
}

export function fmtErr(x: number | undefined): string {
  if (x === undefined) return '';
  if (x === 0) return '0';
  return x.toExponential(1);
}

export function fmtBytes(b: number | undefined): string {
  if (b === undefined) return '';
  return `${(b / 2 ** 20).toFixed(b < 10 * 2 ** 20 ? 1 : 0)} MiB`;
}

/** "12.3 ±4% n9" from a measurement (n1*: the first call was the only sample), or its status. */
export function fmtTiming(m: Measurement | undefined): string {
  if (!m) return '';
  if (m.status !== 'ok' || !m.stats) return m.status;
  const spread = m.stats.medianMs > 0 ? (100 * m.stats.madMs) / m.stats.medianMs : 0;
  return `${fmtMs(m.stats.medianMs)} ±${spread.toFixed(0)}% n${m.stats.samples}${m.stats.firstCallOnly ? '*' : ''}`;
}

/** Above this max |a−b| ÷ max |b| an implementation is listed as disagreeing (float32 sums of a few thousand terms stay far below). */
export const DISAGREEMENT = 1e-3;

/** "backend impl case: rel err vs what" for every measurement that disagrees with the builtin or the cpu reference. */
export function disagreements(report: Report): string[] {
  const out: string[] = [];
  for (const c of report.cases) {
    for (const m of c.measurements) {
      for (const [what, e] of [['the builtin', m.vsBuiltin], [`the cpu reference (${c.referenceSource ?? '?'})`, m.vsReference]] as const) {
        if (e && !(Number(e.maxRel) <= DISAGREEMENT)) out.push(`${m.backend} ${m.impl} ${c.spec.id}: max rel err ${fmtErr(Number(e.maxRel))} vs ${what}`);
      }
    }
  }
  return out;
}

/** Whole-network cases: one row each, ours on cpu against tfjs's builtin cpu kernels and tfjs-backend-wasm. */
export interface NetworkRow {
  id: string;
  detail: string;
  builtin?: Measurement;
  ours?: Measurement;
  wasm?: Measurement;
  /** wasm with our kernels registered (training: the wasm builtins have no Conv2DBackpropFilter). */
  wasmOurs?: Measurement;
  /** builtin cpu ÷ ours cpu (> 1: ours faster). */
  vsBuiltin?: number;
  /** wasm builtin ÷ ours cpu (> 1: ours faster). */
  vsWasm?: number;
  paired?: { oursCpuMs: number; wasmMs: number; rounds: number };
}

export function networkRows(report: Report): NetworkRow[] {
  return report.cases.filter((c) => c.spec.params.kind === 'net').map((c) => {
    const w = median(c, 'wasm', 'builtin') ?? median(c, 'wasm', 'ours');
    const o = median(c, 'cpu', 'ours');
    return {
      id: c.spec.id, detail: c.spec.detail, builtin: find(c, 'cpu', 'builtin'), ours: find(c, 'cpu', 'ours'),
      wasm: find(c, 'wasm', 'builtin'), wasmOurs: find(c, 'wasm', 'ours'),
      vsBuiltin: speedup(c, 'cpu'), vsWasm: w !== undefined && o !== undefined ? w / o : undefined, paired: c.paired,
    };
  });
}

/** "Conv2D 12.3 ms 41% ×14" lines of a case's kernel profile, largest first. */
export function profileLines(c: CaseResult, top = 12): string[] {
  const p = c.profile;
  if (!p) return [];
  const lines = p.kernels.slice(0, top).map((k) =>
    `${k.name.padEnd(28)} ${fmtMs(k.ms).padStart(8)} ms ${((100 * k.ms) / Math.max(p.kernelMs, 1e-9)).toFixed(1).padStart(5)}%  ×${k.calls}`);
  const rest = p.kernels.slice(top);
  if (rest.length) {
    const ms = rest.reduce((a, k) => a + k.ms, 0);
    lines.push(`${`(${rest.length} other kernels)`.padEnd(28)} ${fmtMs(ms).padStart(8)} ms ${((100 * ms) / Math.max(p.kernelMs, 1e-9)).toFixed(1).padStart(5)}%`);
  }
  return lines;
}
