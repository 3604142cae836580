/** The results section of benchmarks/README.md, regenerated from a run by `npm run bench -- --readme`. */
import { readFileSync } from 'node:fs';
import { writeFileAtomic } from '../../src/files';
import type { Report } from '../suite/types';
import { find, fmtErr, fmtMs, headlines, speedup } from './summary';

export const START = '<!-- bench:results:start -->';
export const END = '<!-- bench:results:end -->';

function cell(report: Report, id: string, backend: 'cpu' | 'wasm' | 'webgl' | 'tensorflow', impl: 'ours' | 'builtin'): string {
  const c = report.cases.find((x) => x.spec.id === id)!;
  const m = find(c, backend, impl);
  if (!m) return '';
  if (m.status === 'ok') return fmtMs(m.stats?.medianMs);
  return m.status;
}

export function renderMarkdown(report: Report): string {
  const env = report.environment;
  const gl = env.webgl;
  const lines: string[] = [];
  lines.push(`Measured ${env.date} with \`npm run bench${env.quick ? ' -- --quick' : ''}\`${env.caseFilter ? ` (--case ${env.caseFilter})` : ''}, ` +
    `wall time ${env.wallSeconds?.toFixed(0) ?? '?'} s` +
    `${env.sectionSeconds ? ` (${Object.entries(env.sectionSeconds).map(([k, v]) => `${k} ${v.toFixed(0)} s`).join(', ')})` : ''}.`);
  if (env.note) lines.push('', `**Note:** ${env.note}`);
  lines.push('');
  lines.push(`- Machine: ${env.cpuModel} × ${env.cores} cores, ${env.platform}, Node ${env.node}`);
  lines.push(`- tfjs: ${Object.entries(env.tfjs).map(([k, v]) => `${k} ${v}`).join(', ')}; our GEMM engine: \`${env.gemmEngine}\``);
  if (env.wasm) lines.push(`- wasm: SIMD ${env.wasm.simd}, threads ${env.wasm.threads}${env.wasm.note ? ` (${env.wasm.note})` : ''}`);
  lines.push(`- tfjs-node: ${env.tfjsNode.note}`);
  if (gl) lines.push(`- WebGL renderer: ${gl.renderer}${gl.software ? ' — **software rendering on the CPU, not a GPU**' : ''}${gl.note ? ` (${gl.note})` : ''}`);
  lines.push('');
  lines.push('Headlines:');
  lines.push('');
  for (const h of headlines(report)) lines.push(`- ${h}`);
  lines.push('');
  lines.push('Median ms per call (speedup = builtin ÷ ours on the same backend, same run; err = worst max|a−b|/max|b| of ours vs the builtin):');
  lines.push('');
  const hasGl = report.cases.some((c) => find(c, 'webgl', 'builtin'));
  const hasWasm = report.cases.some((c) => find(c, 'wasm', 'builtin'));
  const header = ['case', 'cpu builtin', 'cpu ours', 'cpu speedup', ...(hasWasm ? ['wasm builtin'] : []),
    ...(hasGl ? ['webgl builtin', 'webgl ours', 'webgl speedup'] : []), 'err'];
  lines.push(`| ${header.join(' | ')} |`);
  lines.push(`|${header.map(() => '---').join('|')}|`);
  for (const c of report.cases) {
    const id = c.spec.id;
    const s = speedup(c, 'cpu');
    const g = speedup(c, 'webgl');
    const errs = c.measurements.map((m) => m.vsBuiltin?.maxRel).filter((x): x is number => x !== undefined);
    const row = [id, cell(report, id, 'cpu', 'builtin'), cell(report, id, 'cpu', 'ours'), s === undefined ? '' : `${s.toFixed(1)}×`,
      ...(hasWasm ? [cell(report, id, 'wasm', 'builtin')] : []),
      ...(hasGl ? [cell(report, id, 'webgl', 'builtin'), cell(report, id, 'webgl', 'ours'), g === undefined ? '' : `${g.toFixed(1)}×`] : []),
      errs.length ? fmtErr(Math.max(...errs)) : ''];
    lines.push(`| ${row.join(' | ')} |`);
  }
  const skipped = report.cases.flatMap((c) => c.measurements.filter((m) => m.status === 'skipped').map((m) => `${m.backend} ${m.impl} ${c.spec.id}: ${m.note}`));
  if (skipped.length) {
    lines.push('');
    lines.push(`Skipped (estimated too slow): ${skipped.length} measurements, e.g. ${skipped.slice(0, 3).join('; ')}.`);
  }
  return lines.join('\n');
}

/** Replaces the text between the markers in `file`. */
export function updateReadme(file: string, report: Report): void {
  const text = readFileSync(file, 'utf8');
  const a = text.indexOf(START);
  const b = text.indexOf(END);
  if (a < 0 || b < a) throw new Error(`${file} has no ${START} … ${END} section`);
  writeFileAtomic(file, `${text.slice(0, a + START.length)}\n${renderMarkdown(report)}\n${text.slice(b)}`);
}
