/** Small canvas charts: lines (loss, accuracy) and horizontal bars on a log axis (benchmark). */

export interface Series { label: string; color: string; values: Array<number | undefined>; xs?: number[]; width?: number; dots?: boolean }

/** Sizes the canvas's backing store to its CSS width × devicePixelRatio; returns the context in CSS pixels. */
function context(canvas: HTMLCanvasElement, cssHeight: number): { g: CanvasRenderingContext2D; w: number; h: number } {
  const dpr = window.devicePixelRatio || 1;
  const w = Math.max(200, Math.round(canvas.clientWidth || canvas.width));
  canvas.width = Math.round(w * dpr);
  canvas.height = Math.round(cssHeight * dpr);
  const g = canvas.getContext('2d')!;
  g.setTransform(dpr, 0, 0, dpr, 0, 0);
  g.clearRect(0, 0, w, cssHeight);
  g.fillStyle = '#fff';
  g.fillRect(0, 0, w, cssHeight);
  g.font = '11px system-ui, sans-serif';
  return { g, w, h: cssHeight };
}

function fmt(v: number): string {
  const a = Math.abs(v);
  if (a >= 100) return v.toFixed(0);
  if (a >= 10) return v.toFixed(1);
  if (a >= 1) return v.toFixed(2);
  return v.toPrecision(2);
}

/** Lines against the step (or `xs`), y from `yMin` to `yMax` (default: the data's range). */
export function lineChart(canvas: HTMLCanvasElement, title: string, series: Series[], opts: { yMin?: number; yMax?: number; height?: number; xMax?: number } = {}): void {
  const { g, w, h } = context(canvas, opts.height ?? 200);
  const left = 42;
  const right = 10;
  const top = 22;
  const bottom = 20;
  const finite = series.flatMap((s) => s.values.filter((v): v is number => v !== undefined && Number.isFinite(v)));
  const n = Math.max(opts.xMax ?? 0, ...series.map((s) => (s.xs ? Math.max(0, ...s.xs) : s.values.length)), 1);
  let lo = opts.yMin ?? (finite.length ? Math.min(...finite) : 0);
  let hi = opts.yMax ?? (finite.length ? Math.max(...finite) : 1);
  if (hi <= lo) hi = lo + 1;
  const pad = (hi - lo) * 0.05;
  if (opts.yMin === undefined) lo -= pad;
  if (opts.yMax === undefined) hi += pad;
  const x = (i: number) => left + (i / n) * (w - left - right);
  const y = (v: number) => top + (1 - (v - lo) / (hi - lo)) * (h - top - bottom);
  g.fillStyle = '#1d2330';
  g.fillText(title, left, 13);
  g.strokeStyle = '#e3e6ec';
  g.lineWidth = 1;
  for (let k = 0; k <= 4; k++) {
    const v = lo + ((hi - lo) * k) / 4;
    g.beginPath();
    g.moveTo(left, y(v));
    g.lineTo(w - right, y(v));
    g.stroke();
    g.fillStyle = '#5a6275';
    g.fillText(fmt(v), 2, y(v) + 4);
  }
  g.fillText(`${n} ${n === 1 ? 'step' : 'steps'}`, w - right - 60, h - 5);
  let lx = left + g.measureText(title).width + 14;
  for (const s of series) {
    g.strokeStyle = s.color;
    g.fillStyle = s.color;
    g.lineWidth = s.width ?? 1.5;
    g.beginPath();
    let pen = false;
    s.values.forEach((v, i) => {
      if (v === undefined || !Number.isFinite(v)) {
        pen = false;
        return;
      }
      const px = x(s.xs ? s.xs[i] : i + 1);
      const py = y(Math.min(hi, Math.max(lo, v)));
      if (s.dots) g.fillRect(px - 2.5, py - 2.5, 5, 5);
      else if (pen) g.lineTo(px, py);
      else g.moveTo(px, py);
      pen = true;
    });
    if (!s.dots) g.stroke();
    g.fillRect(lx, 6, 10, 8);
    g.fillStyle = '#1d2330';
    g.fillText(s.label, lx + 13, 13);
    lx += g.measureText(s.label).width + 26;
  }
}

/** Running mean over a centred window (fewer points near the ends). */
export function runningMean(values: number[], half: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < values.length; i++) {
    let s = 0;
    let c = 0;
    for (let j = Math.max(0, i - half); j <= Math.min(values.length - 1, i + half); j++) {
      if (Number.isFinite(values[j])) {
        s += values[j];
        c++;
      }
    }
    out.push(c ? s / c : NaN);
  }
  return out;
}

export interface BarRow { label: string; values: Array<number | undefined> }

/** Horizontal grouped bars on a log axis (ms). */
export function logBarChart(canvas: HTMLCanvasElement, title: string, names: Array<{ label: string; color: string }>, rows: BarRow[]): void {
  const barH = 7;
  const rowH = names.length * barH + 8;
  const top = 36;
  const height = top + rows.length * rowH + 22;
  const { g, w, h } = context(canvas, height);
  const all = rows.flatMap((r) => r.values).filter((v): v is number => v !== undefined && v > 0 && Number.isFinite(v));
  g.fillStyle = '#1d2330';
  g.fillText(title, 4, 13);
  if (all.length === 0) return;
  const labelW = Math.min(190, w * 0.42);
  let lo = Math.floor(Math.log10(Math.min(...all)));
  const hi = Math.max(lo + 1, Math.ceil(Math.log10(Math.max(...all))));
  if (hi - lo > 6) lo = hi - 6;
  const x = (v: number) => labelW + ((Math.log10(Math.max(v, 10 ** lo)) - lo) / (hi - lo)) * (w - labelW - 40);
  let lx = 4;
  names.forEach((nm) => {
    g.fillStyle = nm.color;
    g.fillRect(lx, 20, 10, 8);
    g.fillStyle = '#1d2330';
    g.fillText(nm.label, lx + 13, 28);
    lx += g.measureText(nm.label).width + 24;
  });
  for (let d = lo; d <= hi; d++) {
    g.strokeStyle = '#e3e6ec';
    g.beginPath();
    g.moveTo(x(10 ** d), top - 2);
    g.lineTo(x(10 ** d), h - 18);
    g.stroke();
    g.fillStyle = '#5a6275';
    g.fillText(`${10 ** d >= 1 ? 10 ** d : (10 ** d).toPrecision(1)} ms`, x(10 ** d) - 12, h - 5);
  }
  rows.forEach((r, i) => {
    const y0 = top + i * rowH;
    g.fillStyle = '#1d2330';
    let label = r.label;
    while (label.length > 4 && g.measureText(label).width > labelW - 6) label = `…${label.slice(2)}`;
    g.fillText(label, 2, y0 + (names.length * barH) / 2 + 4);
    r.values.forEach((v, k) => {
      if (v === undefined || !(v > 0)) return;
      g.fillStyle = names[k].color;
      g.fillRect(labelW, y0 + k * barH, Math.max(1, x(v) - labelW), barH - 1);
    });
  });
}
