/**
 * The self-contained HTML report: environment, headlines, two inline-SVG
 * charts drawn here (speedup per case; every backend side by side) and the
 * full table. No scripts, fonts or styles from elsewhere: it opens offline.
 */
import type { Backend, Impl, Report } from '../suite/types';
import { DISAGREEMENT, disagreements, fmtBytes, fmtErr, fmtMs, fmtPaired, fmtTiming, headlines, median, networkRows, speedup } from './summary';

function esc(s: unknown): string {
  return String(s).replace(/[&<>"']/g, (ch) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }[ch]!));
}

interface Series { name: string; color: string }
interface ChartRow { label: string; values: Array<number | undefined> }

/** Horizontal grouped bars on a log axis; `refLine` draws a vertical line (1× for speedups). */
function hbarChart(opts: { cls: string; title: string; unit: string; series: Series[]; rows: ChartRow[]; refLine?: number }): string {
  const all = opts.rows.flatMap((r) => r.values).filter((v): v is number => v !== undefined && v > 0 && Number.isFinite(v));
  if (all.length === 0) return `<p class="empty">${esc(opts.title)}: no data</p>`;
  let lo = Math.floor(Math.log10(Math.min(...all, opts.refLine ?? Infinity)));
  let hi = Math.ceil(Math.log10(Math.max(...all, opts.refLine ?? 0)));
  if (hi <= lo) hi = lo + 1;
  if (hi - lo > 8) lo = hi - 8;
  const labelW = 300;
  const plotW = 560;
  const barH = 8;
  const gap = 6;
  const rowH = opts.series.length * barH + gap;
  const top = 34;
  const height = top + opts.rows.length * rowH + 24;
  const x = (v: number) => labelW + ((Math.log10(Math.max(v, 10 ** lo)) - lo) / (hi - lo)) * plotW;
  const parts: string[] = [];
  parts.push(`<svg class="chart ${esc(opts.cls)}" xmlns="http://www.w3.org/2000/svg" width="${labelW + plotW + 90}" height="${height}" ` +
    `viewBox="0 0 ${labelW + plotW + 90} ${height}" role="img" aria-label="${esc(opts.title)}">`);
  parts.push(`<text x="${labelW}" y="14" class="title" text-anchor="middle" dx="${plotW / 2}">${esc(opts.title)}</text>`);
  opts.series.forEach((s, i) => {
    const lx = labelW + i * 105;
    parts.push(`<rect class="legend-key" x="${lx}" y="20" width="10" height="8" fill="${s.color}"/><text x="${lx + 14}" y="28" class="legend">${esc(s.name)}</text>`);
  });
  for (let d = lo; d <= hi; d++) {
    const gx = x(10 ** d);
    parts.push(`<line x1="${gx}" y1="${top - 2}" x2="${gx}" y2="${height - 22}" class="grid"/>`);
    parts.push(`<text x="${gx}" y="${height - 8}" class="tick" text-anchor="middle">${esc(fmtTick(10 ** d))}${esc(opts.unit)}</text>`);
  }
  opts.rows.forEach((row, r) => {
    const y0 = top + r * rowH;
    parts.push(`<text x="${labelW - 6}" y="${y0 + (opts.series.length * barH) / 2 + 4}" class="label" text-anchor="end">${esc(row.label)}</text>`);
    row.values.forEach((v, i) => {
      if (v === undefined || !(v > 0) || !Number.isFinite(v)) return;
      const w = Math.max(1, x(v) - labelW);
      parts.push(`<rect class="bar" x="${labelW}" y="${y0 + i * barH}" width="${w.toFixed(1)}" height="${barH - 1}" fill="${opts.series[i].color}">` +
        `<title>${esc(`${row.label} — ${opts.series[i].name}: ${fmtTick(v)}${opts.unit}`)}</title></rect>`);
      parts.push(`<text x="${(labelW + w + 3).toFixed(1)}" y="${y0 + i * barH + barH - 1}" class="value">${esc(fmtTick(v))}</text>`);
    });
  });
  if (opts.refLine !== undefined) {
    const rx = x(opts.refLine);
    parts.push(`<line x1="${rx}" y1="${top - 2}" x2="${rx}" y2="${height - 22}" class="ref"/>`);
  }
  parts.push('</svg>');
  return parts.join('\n');
}

function fmtTick(v: number): string {
  if (v >= 100) return v.toFixed(0);
  if (v >= 1) return String(Number(v.toPrecision(3)));
  return String(Number(v.toPrecision(2)));
}

const IMPL_COLUMNS: Array<{ backend: Backend; impl: Impl; name: string; color: string }> = [
  { backend: 'cpu', impl: 'ours', name: 'cpu ours', color: '#1f77b4' },
  { backend: 'cpu', impl: 'builtin', name: 'cpu builtin', color: '#aec7e8' },
  { backend: 'wasm', impl: 'builtin', name: 'wasm builtin', color: '#2ca02c' },
  { backend: 'tensorflow', impl: 'builtin', name: 'tfjs-node', color: '#9467bd' },
  { backend: 'webgl', impl: 'ours', name: 'webgl ours', color: '#d62728' },
  { backend: 'webgl', impl: 'builtin', name: 'webgl builtin', color: '#ff9896' },
];

export function renderHtml(report: Report): string {
  const env = report.environment;
  const cases = report.cases;
  const gl = env.webgl;
  const speedSeries = (['cpu', 'webgl'] as const).filter((b) => cases.some((c) => speedup(c, b) !== undefined));
  const speedChart = hbarChart({
    cls: 'chart-speedup', title: 'Speedup of ours over the builtin (same backend, same run; log scale, > 1× is faster)', unit: '×',
    series: speedSeries.map((b) => ({ name: b === 'webgl' ? `webgl (${gl?.software ? 'software' : 'GPU'})` : b, color: b === 'cpu' ? '#1f77b4' : '#d62728' })),
    rows: cases.filter((c) => speedSeries.some((b) => speedup(c, b) !== undefined))
      .map((c) => ({ label: c.spec.id, values: speedSeries.map((b) => speedup(c, b)) })),
    refLine: 1,
  });
  const present = IMPL_COLUMNS.filter((col) => cases.some((c) => median(c, col.backend, col.impl) !== undefined));
  const sideChart = hbarChart({
    cls: 'chart-backends', title: `Median ms per call (log scale, shorter is faster)${gl?.software ? '; webgl here renders in software on the CPU' : ''}`,
    unit: ' ms', series: present.map(({ name, color }) => ({ name, color })),
    rows: cases.map((c) => ({ label: c.spec.id, values: present.map((col) => median(c, col.backend, col.impl)) })),
  });

  const envRows: Array<[string, string]> = [
    ['date', env.date], ['CPU', `${env.cpuModel} × ${env.cores} cores`], ['memory', fmtBytes(env.totalMemoryBytes)],
    ['platform', env.platform], ['Node', env.node],
    ['tfjs', Object.entries(env.tfjs).map(([k, v]) => `${k} ${v}`).join(', ')], ['GEMM engine (ours, cpu)', env.gemmEngine],
    ['backends requested', env.backendsRequested.join(', ')],
    ['wasm', env.wasm ? `SIMD ${env.wasm.simd}, threads ${env.wasm.threads}${env.wasm.note ? ` — ${env.wasm.note}` : ''}` : 'not run'],
    ['tfjs-node', env.tfjsNode.note],
    ['WebGL renderer', gl ? `${gl.renderer} (vendor ${gl.vendor}) — ${gl.renderer === 'n/a' ? 'none' : gl.software ? 'SOFTWARE, not a GPU' : 'hardware'}, ` +
      `WebGL${gl.webglVersion}, float32 targets ${gl.float32RenderTargets}, Chromium ${gl.chromiumVersion}${gl.note ? ` — ${gl.note}` : ''}` : 'not run'],
    ...(gl?.browser ? [['browser', `${gl.browser}${gl.headed ? ', headed' : ', headless'}; ` +
      `${gl.gpuRequested ? '--gpu (GPU allowed)' : 'SwiftShader forced'}; flags ${(gl.browserArgs ?? []).join(' ')}`] as [string, string]] : []),
    ['mode', `${env.quick ? '--quick' : 'full'}${env.caseFilter ? `, --case ${env.caseFilter}` : ''}`],
    ['wall time', env.wallSeconds === undefined ? '' : `${env.wallSeconds.toFixed(0)} s` +
      (env.sectionSeconds ? ` (${Object.entries(env.sectionSeconds).map(([k, v]) => `${k} ${v.toFixed(0)} s`).join(', ')})` : '')],
    ...(env.note ? [['note', env.note] as [string, string]] : []),
  ];
  const banner = gl && gl.renderer !== 'n/a'
    ? (gl.software
      ? `<p class="warn" id="renderer">WebGL renderer: <b>${esc(gl.renderer)}</b> — software rendering on the CPU, <b>not a GPU</b>. The webgl numbers measure SwiftShader on this machine's cores.</p>`
      : `<p class="info" id="renderer">WebGL renderer: <b>${esc(gl.renderer)}</b> (hardware: a GPU).</p>`)
    : '';

  const header = ['case', 'detail', 'backend', 'impl', 'median ms ±MAD n', 'min–max ms', 'GFLOP/s', 'speedup', 'err vs builtin abs / rel',
    'err vs ref abs / rel', 'memory', 'note'];
  const body: string[] = [];
  for (const c of cases) {
    for (const m of c.measurements) {
      const s = m.impl === 'ours' ? speedup(c, m.backend) : undefined;
      const memory = m.memory
        ? [m.memory.rssBytes !== undefined ? `RSS ${fmtBytes(m.memory.rssBytes)}` : '',
          m.memory.gpuBytesAllocated !== undefined ? `GPU ${fmtBytes(m.memory.gpuBytesAllocated)} alloc` : '',
          m.memory.tensorBytes !== undefined ? `tensors ${fmtBytes(m.memory.tensorBytes)}` : ''].filter(Boolean).join(', ')
        : '';
      body.push(`<tr class="${esc(m.status)}"><td>${esc(c.spec.id)}</td><td>${esc(c.spec.detail)}</td><td>${esc(m.backend)}</td><td>${esc(m.impl)}</td>` +
        `<td>${esc(fmtTiming(m))}</td><td>${m.stats ? `${esc(fmtMs(m.stats.minMs))}–${esc(fmtMs(m.stats.maxMs))}` : ''}</td>` +
        `<td>${m.gflops === undefined ? '' : m.gflops.toFixed(2)}</td><td>${s === undefined ? '' : `${s.toFixed(m.backend === 'webgl' ? 2 : 1)}×`}` +
        `${m.paired ? `<br><small title="paired rounds: geometric mean [${Math.round(m.paired.confidence * 100)} % interval]">${esc(fmtPaired(m.paired))}</small>` : ''}` +
        `${m.handedToBuiltin ? '<br><small>handed to the builtin</small>' : ''}</td>` +
        `<td>${m.vsBuiltin ? `${fmtErr(m.vsBuiltin.maxAbs)} / ${fmtErr(m.vsBuiltin.maxRel)}` : ''}</td>` +
        `<td>${m.vsReference ? `${fmtErr(m.vsReference.maxAbs)} / ${fmtErr(m.vsReference.maxRel)}` : ''}${m.vsReference && c.referenceSource ? ` <small>(${esc(c.referenceSource)})</small>` : ''}</td>` +
        `<td>${esc(memory)}</td><td>${esc(m.note ?? '')}</td></tr>`);
    }
  }
  const nets = networkRows(report);
  const netHtml = nets.length === 0 ? '' : `<h2>Whole networks</h2>
<p>tfjs-layers models with seeded random weights; ÷: the other implementation's median over ours (&gt; 1: ours faster).</p>
<table class="networks"><thead><tr>${['case', 'detail', 'cpu builtin', 'cpu ours', 'builtin÷ours', 'wasm', 'wasm÷ours', 'wasm + ours', 'paired ours / wasm', 'paired wasm÷ours']
    .map((h) => `<th>${esc(h)}</th>`).join('')}</tr></thead><tbody>
${nets.map((r) => `<tr><td>${esc(r.id)}</td><td>${esc(r.detail)}</td><td>${esc(fmtTiming(r.builtin))}</td><td>${esc(fmtTiming(r.ours))}</td>` +
    `<td>${r.vsBuiltin === undefined ? '' : `${r.vsBuiltin.toFixed(2)}×`}</td><td>${esc(fmtTiming(r.wasm))}</td>` +
    `<td>${r.vsWasm === undefined ? '' : `${r.vsWasm.toFixed(2)}×`}</td><td>${esc(fmtTiming(r.wasmOurs))}</td>` +
    `<td>${r.paired ? esc(`${fmtMs(r.paired.oursCpuMs)} / ${fmtMs(r.paired.wasmMs)} ms, ${r.paired.rounds} rounds`) : ''}</td>` +
    `<td>${r.paired ? `${(r.paired.wasmMs / r.paired.oursCpuMs).toFixed(2)}×` : ''}</td></tr>`).join('\n')}
</tbody></table>
${cases.filter((c) => c.profile).map((c) => {
    const p = c.profile!;
    return `<h3>Top kernels: ${esc(c.spec.id)} (${esc(p.impl)} on ${esc(p.backend)}; tf.profile of one call, kernels ${esc(fmtMs(p.kernelMs))} ms, wall ${esc(fmtMs(p.wallMs))} ms)</h3>
<table class="profile"><thead><tr><th>kernel</th><th>ms</th><th>share</th><th>calls</th></tr></thead><tbody>
${p.kernels.slice(0, 15).map((k) => `<tr><td>${esc(k.name)}</td><td>${esc(fmtMs(k.ms))}</td><td>${((100 * k.ms) / Math.max(p.kernelMs, 1e-9)).toFixed(1)}%</td><td>${k.calls}</td></tr>`).join('')}
</tbody></table>`;
  }).join('\n')}`;
  const heads = headlines(report);
  const dis = disagreements(report);
  const statusCount = (st: string) => cases.reduce((n, c) => n + c.measurements.filter((m) => m.status === st).length, 0);

  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>tfjs-im2col benchmark ${esc(env.date)}</title>
<style>
body { font: 14px/1.4 system-ui, sans-serif; margin: 24px; color: #222; }
h1 { font-size: 22px; } h2 { font-size: 18px; margin-top: 28px; }
table { border-collapse: collapse; font-size: 12px; } td, th { border: 1px solid #ddd; padding: 2px 6px; text-align: left; vertical-align: top; }
th { background: #f3f3f3; } tr.skipped td, tr.n\\/a td { color: #888; } tr.error td { color: #b00; }
.warn { background: #fff3cd; border: 1px solid #e0b000; padding: 8px; } .info { background: #e8f4ff; border: 1px solid #7ab; padding: 8px; }
svg.chart { display: block; margin: 8px 0 16px; } svg .title { font-weight: bold; font-size: 13px; } svg .label, svg .tick, svg .legend, svg .value { font-size: 10px; }
svg .grid { stroke: #e4e4e4; } svg .ref { stroke: #000; stroke-dasharray: 4 3; }
</style></head><body>
<h1>tfjs-im2col benchmark${env.quick ? ' (quick)' : ''}</h1>
${banner}
<h2>Environment</h2>
<table class="env">${envRows.map(([k, v]) => `<tr><th>${esc(k)}</th><td>${esc(v)}</td></tr>`).join('')}</table>
<h2>Headlines</h2>
<ul class="headlines">${heads.map((h) => `<li>${esc(h)}</li>`).join('')}</ul>
<p>${cases.length} cases; measurements ok ${statusCount('ok')}, skipped ${statusCount('skipped')}, n/a ${statusCount('n/a')}, error ${statusCount('error')}.</p>
${dis.length ? `<h2>Disagreements (max relative error &gt; ${DISAGREEMENT})</h2>\n<ul class="disagreements">${dis.map((x) => `<li>${esc(x)}</li>`).join('')}</ul>` : ''}
${netHtml}
<h2>Speedup per case</h2>
${speedChart}
<h2>GPU vs CPU: every backend side by side</h2>
${sideChart}
<h2>All measurements</h2>
<p>Timing: median of tinybench samples after an untimed first call (and warm-up for fast cases); ±: median absolute deviation;
n: samples (n1*: a call so slow that the first call was the only sample). On webgl the builtin and ours are timed in
alternation (calls under 50 ms in blocks of 4 after an untimed call: switching the registered kernels slows the next
calls), each call up to the end of a synchronous read-back (<code>dataSync()</code>; <code>await data()</code> polls a
fence on timers, which adds whole timer ticks to every call). Skipped: the estimated time of one call (from the speed
seen so far, or a small probe of the same layer) exceeded the limit; the estimate is in the note.
Errors: max |a−b| and max |a−b| ÷ max |b|; the reference is tfjs's builtin cpu kernel, or ours on cpu where the builtin was skipped (see the reference tag).
Memory: Node process RSS (sampled with the output alive and after timing), WebGL bytes from tf.memory().numBytesInGPUAllocated.</p>
<table class="results"><thead><tr>${header.map((h) => `<th>${esc(h)}</th>`).join('')}</tr></thead><tbody>
${body.join('\n')}
</tbody></table>
</body></html>
`;
}
