/** The terminal report: one table per backend section, a cross-backend table, notes and headlines. */
import { CONFIDENCE } from '../suite/paired';
import type { Backend, CaseResult, Measurement, Report } from '../suite/types';
import { DISAGREEMENT, disagreements, find, fmtBytes, fmtErr, fmtMs, fmtPaired, fmtTiming, headlines, median, networkRows, profileLines, speedup } from './summary';

function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) => cells.map((c, i) => (c ?? '').padEnd(widths[i])).join('  ').trimEnd();
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

/** Work of one call: FLOP for convolutions and the training step, window reads for pools. */
function work(c: CaseResult): string {
  const w = c.spec.work;
  const scaled = w >= 1e9 ? `${(w / 1e9).toFixed(2)} G` : w >= 1e6 ? `${(w / 1e6).toFixed(1)} M` : `${(w / 1e3).toFixed(1)} k`;
  return `${scaled}${c.spec.isFlops ? 'FLOP' : 'rd'}`;
}

function mem(m: Measurement | undefined): string {
  if (!m?.memory) return '';
  if (m.memory.gpuBytesAllocated !== undefined) return `gpu ${fmtBytes(m.memory.gpuBytesAllocated)}`;
  return `rss ${fmtBytes(m.memory.rssBytes)}`;
}

function pairTable(cases: CaseResult[], backend: Backend): string {
  const rows = cases.map((c) => {
    const b = find(c, backend, 'builtin');
    const o = find(c, backend, 'ours');
    const s = speedup(c, backend);
    const target = backend === 'cpu' && c.spec.target !== undefined && s !== undefined
      ? `≥${c.spec.target}× ${s >= c.spec.target ? 'met' : 'MISSED'}` : '';
    const webgl = backend === 'webgl';
    return [
      c.spec.id, work(c), fmtTiming(b), fmtTiming(o), s === undefined ? '' : `${s.toFixed(webgl ? 2 : 1)}×`,
      ...(webgl ? [o?.handedToBuiltin ? 'handed to builtin' : fmtPaired(o?.paired)] : []),
      o?.gflops === undefined ? '' : o.gflops.toFixed(2),
      o?.vsBuiltin ? `${fmtErr(o.vsBuiltin.maxAbs)}/${fmtErr(o.vsBuiltin.maxRel)}` : '',
      o?.vsReference ? fmtErr(o.vsReference.maxRel) : '', mem(b), mem(o), target,
    ];
  });
  return table(['case', 'work', 'builtin ms', 'ours ms', 'speedup', ...(backend === 'webgl' ? [`paired [${Math.round(CONFIDENCE * 100)} % interval]`] : []),
    'ours GFLOP/s', 'err vs builtin abs/rel', 'rel err vs ref', 'builtin mem', 'ours mem', 'target'], rows);
}

function builtinOnlyTable(cases: CaseResult[], backend: Backend): string {
  const rows = cases.map((c) => {
    const m = find(c, backend, 'builtin');
    const ours = median(c, 'cpu', 'ours');
    const w = median(c, backend, 'builtin');
    return [
      c.spec.id, work(c), fmtTiming(m), m?.gflops === undefined ? '' : m.gflops.toFixed(2),
      m?.vsReference ? `${fmtErr(m.vsReference.maxAbs)}/${fmtErr(m.vsReference.maxRel)}` : '', mem(m),
      fmtMs(ours), ours !== undefined && w !== undefined ? `${(w / ours).toFixed(2)}×` : '',
    ];
  });
  return table(['case', 'work', `${backend} builtin ms`, 'GFLOP/s', 'err vs ref abs/rel', 'mem', 'ours cpu ms', 'ours cpu speedup'], rows);
}

const COLUMNS: Array<[Backend, 'ours' | 'builtin']> = [
  ['cpu', 'ours'], ['cpu', 'builtin'], ['wasm', 'builtin'], ['tensorflow', 'builtin'], ['webgl', 'ours'], ['webgl', 'builtin'],
];

function crossTable(report: Report): string {
  const present = COLUMNS.filter(([b, i]) => report.cases.some((c) => find(c, b, i)));
  const rows = report.cases.map((c) => [c.spec.id, ...present.map(([b, i]) => {
    const m = find(c, b, i);
    return m?.status === 'ok' ? fmtMs(m.stats?.medianMs) : (m?.status ?? '');
  })]);
  return table(['case (median ms)', ...present.map(([b, i]) => `${b} ${i}`)], rows);
}

function notes(report: Report): string[] {
  const out: string[] = [];
  for (const c of report.cases) {
    for (const m of c.measurements) {
      if (m.note && m.status !== 'ok') out.push(`${m.backend} ${m.impl} ${c.spec.id}: ${m.note}`);
      else if (m.note) out.push(`${m.backend} ${m.impl} ${c.spec.id}: ${m.note}`);
    }
  }
  return out;
}

export function formatTerminal(report: Report): string {
  const env = report.environment;
  const parts: string[] = [];
  parts.push(`tfjs-im2col benchmark ${env.quick ? '(--quick) ' : ''}${env.date}`);
  parts.push(`${env.cpuModel} × ${env.cores}, Node ${env.node}, tfjs ${env.tfjs['tfjs-core']}, GEMM engine '${env.gemmEngine}'`);
  if (env.wasm) parts.push(`wasm: SIMD ${env.wasm.simd}, threads ${env.wasm.threads}${env.wasm.note ? ` — ${env.wasm.note}` : ''}`);
  parts.push(`tfjs-node: ${env.tfjsNode.note}`);
  if (env.note) parts.push(`note: ${env.note}`);
  if (env.webgl) {
    parts.push(`webgl renderer: ${env.webgl.renderer}${env.webgl.software ? ' — SOFTWARE rendering on the CPU, not a GPU' : ''}` +
      `${env.webgl.note ? ` (${env.webgl.note})` : ''}`);
  }
  const sections = new Set(report.cases.flatMap((c) => c.measurements.map((m) => m.backend)));
  for (const backend of ['cpu', 'webgl'] as const) {
    if (sections.has(backend)) parts.push('', `== ${backend}: ours vs builtin ==`, pairTable(report.cases, backend));
  }
  for (const backend of ['wasm', 'tensorflow'] as const) {
    if (sections.has(backend)) parts.push('', `== ${backend}: builtins ==`, builtinOnlyTable(report.cases, backend));
  }
  if (sections.size > 1) parts.push('', '== all backends side by side ==', crossTable(report));
  const nets = networkRows(report);
  if (nets.length) {
    parts.push('', '== whole networks (tfjs-layers): ours on cpu vs builtin cpu and tfjs-backend-wasm ==', table(
      ['case', 'cpu builtin ms', 'cpu ours ms', 'builtin÷ours', 'wasm ms', 'wasm÷ours', 'wasm+ours ms', 'paired ours / wasm ms', 'paired wasm÷ours',
        'ours err vs builtin rel'],
      nets.map((r) => [r.id, fmtTiming(r.builtin), fmtTiming(r.ours), r.vsBuiltin === undefined ? '' : `${r.vsBuiltin.toFixed(2)}×`,
        fmtTiming(r.wasm), r.vsWasm === undefined ? '' : `${r.vsWasm.toFixed(2)}×`, fmtTiming(r.wasmOurs),
        r.paired ? `${fmtMs(r.paired.oursCpuMs)} / ${fmtMs(r.paired.wasmMs)} n${r.paired.rounds}` : '',
        r.paired ? `${(r.paired.wasmMs / r.paired.oursCpuMs).toFixed(2)}×` : '',
        r.ours?.vsBuiltin ? fmtErr(r.ours.vsBuiltin.maxRel) : '']),
    ));
    parts.push('(÷: the other implementation\'s median over ours, > 1 means ours is faster; wasm÷ours uses wasm with ours where the wasm builtins cannot run the case; ' +
      'paired: ours on cpu and wasm alternating call by call, the fairer comparison on a loaded machine)');
    for (const c of report.cases.filter((x) => x.profile)) {
      const p = c.profile!;
      parts.push('', `top kernels, ${c.spec.id}, ${p.impl} on ${p.backend} (tf.profile of one call: kernels ${fmtMs(p.kernelMs)} ms, wall ${fmtMs(p.wallMs)} ms):`,
        ...profileLines(c).map((l) => `  ${l}`));
    }
  }
  const n = notes(report);
  if (n.length) parts.push('', 'notes:', ...n.map((x) => `  ${x}`));
  const d = disagreements(report);
  if (d.length) parts.push('', `disagreements (max rel err > ${DISAGREEMENT}):`, ...d.map((x) => `  ${x}`));
  parts.push('', 'headlines:', ...headlines(report).map((x) => `  ${x}`));
  parts.push('', 'timing: median of tinybench samples after an untimed first call (and warm-up); ±: median absolute deviation; n: samples ' +
    '(n1*: a call so slow that the first call is the only sample); ' +
    'webgl: builtin and ours timed in alternation (calls under 50 ms in blocks of 4 after an untimed call), each call up to the end of a synchronous read-back (dataSync); ' +
    'errors: max|a−b| and max|a−b|/max|b|; ref: the cpu reference (builtin cpu, or ours on cpu where the builtin is skipped).');
  return parts.join('\n');
}
